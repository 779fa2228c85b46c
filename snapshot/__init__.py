"""snap: offline snapshots, reports and diffs of MLflow model versions.

The public Python API (documented in README, "Python API"):

    import snapshot
    doc = snapshot.capture_one("models:/Churn/3", tracking_uri="http://127.0.0.1:5000")
    snapshot.save(doc, store="snapshots")             # or snapshot.save(doc, "churn-v3.json")
    summary = snapshot.capture_to_store("models:/Churn", store="snapshots")
    doc = snapshot.load("Churn/3", store="snapshots")  # a file, a store reference or a models:/ URI

Paths are accepted as `str` or `pathlib.Path`. Importing this package never imports
mlflow: only `capture_one`, `capture_to_store` and `load` of a `models:/` URI do, when called,
so offline use stays fast and works where mlflow is not installed.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from snapshot.errors import SnapError

if TYPE_CHECKING:
    from snapshot.capture.request import CaptureRequest
    from snapshot.capture.result import BatchResult

__version__ = "0.1.0"
SCHEMA_VERSION = 1
SUMMARY_SCHEMA_VERSION = 1  # schemas/capture-summary.schema.json

__all__ = [
    "SCHEMA_VERSION",
    "SnapError",
    "__version__",
    "capture_one",
    "capture_to_store",
    "find_snapshot",
    "list_snapshots",
    "load",
    "save",
]

StrPath = str | Path
# Not `capture`: that name is the subpackage snapshot.capture, which importing it would put back.


def capture_one(uri: str, tracking_uri: str | None = None, registry_uri: str | None = None, *,
            metric_history: bool = False, checksums: bool = False, checksum_limit: int = 50_000_000) -> dict:
    """The snapshot document of the one version `uri` names (`models:/NAME/VERSION`, `@ALIAS`, `/latest`).

    Captured in memory, nothing written. Raises a `SnapError` subclass (each with an
    `exit_code` and a message saying what to do) when the server or the URI is wrong.
    """
    from snapshot.capture.request import CaptureOptions
    from snapshot.sources.databricks import check_databricks

    check_databricks(tracking_uri, registry_uri)  # a bad Databricks host, TLS or token fails in seconds
    from snapshot.capture.version import capture_one as _capture_one  # imports mlflow

    options = CaptureOptions(metric_history=metric_history, checksums=checksums, checksum_limit=checksum_limit)
    return _capture_one(uri, tracking_uri=tracking_uri, registry_uri=registry_uri, options=options)


def capture_to_store(uris: str | list[str] | tuple[str, ...] = (), store: StrPath | None = None,
                     tracking_uri: str | None = None, registry_uri: str | None = None, *,
                     all_models: bool = False, fmt: str = "json") -> dict:
    """Capture versions, whole models (`models:/NAME`) or, with `all_models=True`, every model into a store.

    Works as `snap capture` does (batches, unchanged versions skipped, resume) and returns
    its summary (`summary_of`; schema in schemas/capture-summary.schema.json). A whole-model
    capture in which some versions failed returns them under "failed" rather than raising.
    """
    from snapshot.capture.request import CaptureRequest
    from snapshot.sources.databricks import check_databricks

    request = CaptureRequest(tuple([uris] if isinstance(uris, str) else uris), all_models, None, tracking_uri,
                             registry_uri, _as_path(store), None, fmt)
    check_databricks(tracking_uri, registry_uri)
    return run_capture(request)


def run_capture(request: CaptureRequest, progress=None, echo=None) -> dict:
    """Run a checked `CaptureRequest` (the CLI builds one from its options); return its summary.

    `progress` receives a batch's progress (snapshot.capture.progress), `echo` each line
    a single-version capture prints; both are silent when None.
    """
    import time

    from snapshot.capture.files import capture_batch, capture_to_files  # imports mlflow
    from snapshot.capture.progress import PlainProgress
    from snapshot.capture.result import BatchResult

    if request.is_batch:
        return summary_of(capture_batch(request, progress or PlainProgress(lambda _line: None)))
    started, result = time.monotonic(), BatchResult()
    for line in capture_to_files(request):
        result.captured += 1
        if echo is not None:
            echo(line)
    result.seconds = time.monotonic() - started
    return summary_of(result, requests_counted=False)


def summary_of(result: BatchResult, requests_counted: bool = True) -> dict:
    """A capture's result as the JSON summary documented in schemas/capture-summary.schema.json."""
    return {
        "schema_version": SUMMARY_SCHEMA_VERSION,
        "models": result.models if requests_counted else None,
        "captured": result.captured,
        "unchanged": result.unchanged,
        "resumed": result.resumed,
        "reused": result.reused,
        "failed": [{"model": f.name, "version": f.version, "reason": f.reason} for f in result.failed],
        "requests": result.requests if requests_counted else None,
        "seconds": round(result.seconds, 3),
        "interrupted": result.interrupted,
        "throttled": result.throttled if requests_counted else None,
        "stopped": result.stopped,
    }


def load(target: StrPath, store: StrPath | None = None, model: str | None = None,
         tracking_uri: str | None = None, registry_uri: str | None = None) -> dict:
    """The snapshot document `target` names, checked against the format.

    `target` is a snapshot file (`.json` or `.parquet`, a `str` or a `Path`), a store
    reference (`v5`, `Churn/5`, `Churn@champion`, looked up in `store`, else $SNAP_STORE,
    else ./snapshots; a store may be an `s3://`, `gs://` or `abfs://` URL), a snapshot's
    URL, or a `models:/` URI (captured live, in memory: this one imports mlflow).
    """
    from snapshot.formats.files import load_snapshot

    if isinstance(target, Path):
        return load_snapshot(target)
    if target.startswith("models:/"):
        return capture_one(target, tracking_uri, registry_uri)
    if "://" in target:  # a snapshot at an object-storage URL (s3://, gs://, abfs://)
        return load_snapshot(target)
    path = Path(target)
    if path.suffix.lower() in (".json", ".parquet") or _is_file(path):
        return load_snapshot(path)
    return load_snapshot(find_snapshot(target, store, model))


def find_snapshot(ref: str, store: StrPath | None = None, model: str | None = None) -> Path | str:
    """The newest snapshot file a store reference (`v5`, `Churn/5`, `Churn@champion`) names (remote: a URL)."""
    from snapshot.store.layout import default_store, resolve_ref

    return resolve_ref(default_store(_as_path(store)), ref, model)


def list_snapshots(store: StrPath | None = None) -> list[dict]:
    """Every snapshot in a store: dicts with model, version, aliases, captured_at and path (as `snap list`)."""
    from snapshot.store.contents import list_store

    return list_store(_as_path(store))


def save(doc: dict, path: StrPath | None = None, store: StrPath | None = None, fmt: str = "json") -> list[Path | str]:
    """Write a snapshot to exactly `path` (format from its suffix), or at its place in a store; atomically.

    Returns the files written.
    """
    from snapshot.formats.document import check
    from snapshot.formats.files import write_snapshot
    from snapshot.store.layout import STORE_FORMATS, default_store, write_to_store

    check(doc, "the document to save")
    if path is not None:
        return [write_snapshot(doc, _as_path(path))]
    if fmt not in STORE_FORMATS:
        raise SnapError(f"fmt must be json, parquet or both, not {fmt!r}")
    return write_to_store(doc, default_store(_as_path(store)), fmt)


def _as_path(value: Any) -> Any:
    """`str` becomes `Path` at the API's edge; a URL (`s3://…`) is passed on as given."""
    if isinstance(value, str) and "://" not in value:
        return Path(value)
    return value


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:  # a name too long for the file system is not a file
        return False


def __dir__() -> list[str]:
    """What a notebook's completion offers: the public API, not this module's imports."""
    return sorted(__all__)
