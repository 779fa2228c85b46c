"""Capturing into files: the store layout, or one `-o` file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from snapshot.capture.version import CaptureOptions, capture_version
from snapshot.errors import BadOption
from snapshot.formats.document import title
from snapshot.formats.files import format_of, write_snapshot
from snapshot.sources.connection import connect, http_settings
from snapshot.sources.resolve import is_whole_model, resolve_versions
from snapshot.store.layout import STORE_FORMATS as FORMATS
from snapshot.store.layout import default_store, write_to_store


def capture_to_files(uris: list[str], tracking_uri: str | None, registry_uri: str | None,
                     store: str | Path | None, output: Path | None, fmt: str,
                     options: CaptureOptions) -> Iterator[str]:
    """Capture every version the URIs name; yield one line per snapshot written."""
    if not uris:
        raise BadOption("name at least one model URI, e.g. snap capture models:/Churn/3")
    if fmt not in FORMATS:
        raise BadOption(f"--format must be json, parquet or both, not {fmt!r}")
    if output is not None:
        format_of(output)
    with http_settings():
        conn = connect(tracking_uri, registry_uri)
        targets = [(uri, name, version) for uri in uris for name, version in resolve_versions(conn, uri)]
        if output is not None and len(targets) != 1:
            raise BadOption(f"-o writes one snapshot, but the URIs name {len(targets)} versions; use --store instead")
        store_dir = default_store(store)
        for uri, name, version in targets:
            doc = capture_version(conn, name, version, uri, options)
            paths = [write_snapshot(doc, output)] if output else write_to_store(doc, store_dir, fmt)
            yield f"captured {title(doc)} -> {', '.join(str(p) for p in paths)}"


def wants_batch(uris: list[str], all_models: bool) -> bool:
    """Whole models (`models:/NAME`) and `--all` go through batch capture."""
    return all_models or any(is_whole_model(uri) for uri in uris)


def capture_batch(uris: list[str], all_models: bool, filter_string: str | None,
                  tracking_uri: str | None, registry_uri: str | None, store: str | Path | None,
                  fmt: str, options: CaptureOptions, workers: int, progress, resume: bool = True):
    """Capture whole models or the registry into the store; returns a batch.BatchResult."""
    _check_batch_options(uris, all_models, filter_string, fmt, workers)
    with http_settings(workers):
        return _run_batch(uris, all_models, filter_string, tracking_uri, registry_uri, store, fmt, options,
                          workers, progress, resume)


def _run_batch(uris, all_models, filter_string, tracking_uri, registry_uri, store, fmt, options, workers,
               progress, resume):
    from snapshot.capture.batch import BatchCapture, plan_models

    conn = connect(tracking_uri, registry_uri)
    targets = _batch_targets(conn, uris)
    selection = {"tracking_uri": conn.manifest_fields()["tracking_uri"],
                 "registry_uri": conn.manifest_fields()["registry_uri"], "uris": sorted(uris),
                 "all": all_models, "filter": filter_string, "format": fmt,
                 "options": [options.metric_history, options.checksums, options.checksum_limit]}
    batch = BatchCapture(conn, default_store(store), fmt, options, workers, progress, resume, selection)
    models = list(plan_models(batch.prefetcher, targets, all_models, filter_string))
    progress.start(len(models))
    return batch.run(models)


def _check_batch_options(uris, all_models, filter_string, fmt, workers) -> None:
    if fmt not in FORMATS:
        raise BadOption(f"--format must be json, parquet or both, not {fmt!r}")
    if all_models and uris:
        raise BadOption("--all captures every model: give either --all or model URIs, not both")
    if filter_string and not all_models:
        raise BadOption("--filter selects models for --all; add --all")
    if workers < 1:
        raise BadOption(f"--workers must be at least 1, not {workers}")


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
