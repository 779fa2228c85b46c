"""Capturing into files: the store layout, or one `-o` file."""

from __future__ import annotations

from collections.abc import Iterator

from snapshot.capture.request import CaptureRequest
from snapshot.capture.version import capture_version
from snapshot.errors import BadOption
from snapshot.formats.document import title
from snapshot.formats.files import write_snapshot
from snapshot.formats.inert import one_line
from snapshot.sources.connection import connect, http_settings
from snapshot.sources.resolve import resolve_versions
from snapshot.store.backend import filesystem, is_url, local_path, open_store
from snapshot.store.layout import STORE_FORMATS, default_store, write_to_store
from snapshot.store.writer import capture_run, index_of


def capture_to_files(request: CaptureRequest) -> Iterator[str]:
    """Capture every version the request's URIs name; yield one line per snapshot written.

    The lines are terminal-safe (snapshot.formats.inert.one_line): a model name may hold any byte but '/' and ':'.
    """
    output = request.output
    if output is not None and is_url(str(output)) and local_path(str(output)) is None:
        filesystem(str(output))  # an unknown scheme or a missing package fails before anything is captured
    store = None if output is not None else open_store(default_store(request.store))
    with http_settings() as policy:
        policy.limit(request.options.max_rps, request.options.max_wait)  # connect and resolve keep to them too
        conn = connect(request.tracking_uri, request.registry_uri)
        targets = [(uri, name, version) for uri in request.uris for name, version in resolve_versions(conn, uri)]
        if output is not None and len(targets) != 1:
            raise BadOption(f"-o writes one snapshot, but the URIs name {len(targets)} versions; use --store instead")
        if output is not None:
            uri, name, version = targets[0]
            doc = capture_version(conn, name, version, uri, request.options)
            yield one_line(f"captured {title(doc)} -> {write_snapshot(doc, output)}")
            return
        with capture_run(store):
            for uri, name, version in targets:
                doc = capture_version(conn, name, version, uri, request.options)
                paths = write_to_store(doc, store, request.fmt)
                yield one_line(f"captured {title(doc)} -> {', '.join(str(p) for p in paths)}")


def capture_batch(request: CaptureRequest, progress):
    """Capture whole models or the registry into the store; returns a result.BatchResult."""
    with http_settings(request.workers) as policy:
        policy.limit(request.options.max_rps, request.options.max_wait)  # connect and planning keep to them too
        return _run_batch(request, progress)


def _run_batch(request: CaptureRequest, progress):
    from snapshot.capture.batch import BatchCapture
    from snapshot.capture.plan import plan_models

    store = open_store(default_store(request.store))
    conn = connect(request.tracking_uri, request.registry_uri)
    targets = _batch_targets(conn, list(request.uris))
    options = request.options
    selection = {"tracking_uri": conn.manifest_fields()["tracking_uri"],
                 "registry_uri": conn.manifest_fields()["registry_uri"], "uris": sorted(request.uris),
                 "all": request.all_models, "filter": request.filter_string, "format": request.fmt,
                 "options": [options.metric_history, options.checksums, options.checksum_limit]}
    store.formats = STORE_FORMATS[request.fmt]  # dedupe rewrites a twin the newest snapshot lacks
    batch = BatchCapture(conn, store, request.fmt, options, request.workers, progress, request.resume, selection)
    models = list(plan_models(batch.prefetcher, targets, request.all_models, request.filter_string))
    progress.start(len(models))
    if not store.local:
        store.open()  # an object store opened in the background: its failure is one error, not one a version
    with capture_run(store):
        if request.all_models and not store.local:  # the whole registry: two listings, not two a model
            index_of(store).take_survey()
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
