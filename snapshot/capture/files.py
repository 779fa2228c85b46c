"""Capturing into files: the store layout, or one `-o` file."""

from __future__ import annotations

from collections.abc import Iterator

from snapshot.capture.request import CaptureRequest
from snapshot.capture.version import capture_version
from snapshot.errors import BadOption
from snapshot.formats.document import title
from snapshot.formats.files import write_snapshot
from snapshot.sources.connection import connect, http_settings
from snapshot.sources.resolve import resolve_versions
from snapshot.store.layout import default_store, write_to_store


def capture_to_files(request: CaptureRequest) -> Iterator[str]:
    """Capture every version the request's URIs name; yield one line per snapshot written."""
    output = request.output
    with http_settings():
        conn = connect(request.tracking_uri, request.registry_uri)
        targets = [(uri, name, version) for uri in request.uris for name, version in resolve_versions(conn, uri)]
        if output is not None and len(targets) != 1:
            raise BadOption(f"-o writes one snapshot, but the URIs name {len(targets)} versions; use --store instead")
        store_dir = default_store(request.store)
        for uri, name, version in targets:
            doc = capture_version(conn, name, version, uri, request.options)
            paths = [write_snapshot(doc, output)] if output else write_to_store(doc, store_dir, request.fmt)
            yield f"captured {title(doc)} -> {', '.join(str(p) for p in paths)}"


def capture_batch(request: CaptureRequest, progress):
    """Capture whole models or the registry into the store; returns a result.BatchResult."""
    with http_settings(request.workers):
        return _run_batch(request, progress)


def _run_batch(request: CaptureRequest, progress):
    from snapshot.capture.batch import BatchCapture, plan_models

    conn = connect(request.tracking_uri, request.registry_uri)
    targets = _batch_targets(conn, list(request.uris))
    options = request.options
    selection = {"tracking_uri": conn.manifest_fields()["tracking_uri"],
                 "registry_uri": conn.manifest_fields()["registry_uri"], "uris": sorted(request.uris),
                 "all": request.all_models, "filter": request.filter_string, "format": request.fmt,
                 "options": [options.metric_history, options.checksums, options.checksum_limit]}
    batch = BatchCapture(conn, default_store(request.store), request.fmt, options, request.workers, progress,
                         request.resume, selection)
    models = list(plan_models(batch.prefetcher, targets, request.all_models, request.filter_string))
    progress.start(len(models))
    return batch.run(models)


def _batch_targets(conn, uris: list[str]) -> list[tuple[str, str, set | None]]:
    """(requested_uri, name, versions or None for every version) per model, in the order given."""
    from snapshot.uris import parse_model_uri

    targets: dict[str, list] = {}
    for uri in uris:
        ref = parse_model_uri(uri)
        entry = targets.setdefault(ref.name, [uri, set()])
        if ref.every_version:
            entry[:] = [uri, None]
        elif entry[1] is not None:
            entry[1].update(version for _, version in resolve_versions(conn, uri))
    return [(uri, name, versions) for name, (uri, versions) in targets.items()]
