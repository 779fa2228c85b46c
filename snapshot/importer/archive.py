"""`snap import`: mlflow-reports `report.json` archives as snap snapshots.

mlflow-reports parsed JSON out of string values (a param "1" became 1, the
cluster.info tag became an object) and added derived `_xxx` fields. The import
reads an archive as one more source (snapshot.importer.source.ArchiveSource),
which turns values back into the strings MLflow stores, drops derived fields
(the renderer recomputes them) and says what the archive does not hold; capture
assembles the document from it as from a server (snapshot.capture.version).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from snapshot.capture.version import CaptureOptions, capture_version
from snapshot.errors import ImportFailed, SnapshotNotFound
from snapshot.formats.files import write_snapshot
from snapshot.formats.inert import one_line
from snapshot.importer.source import ArchiveSource
from snapshot.store.layout import default_store, write_to_store


def import_report(path: Path) -> dict:
    """The snap snapshot document of one mlflow-reports report.json file."""
    data, raw = _read(path)
    try:
        source = ArchiveSource(path, data, raw)
        return capture_version(None, source.name, source.version, data["manifest"].get("model_uri"),
                               CaptureOptions(), source=source)
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise ImportFailed(f"{path} has an mlflow-reports layout snap does not know ({type(exc).__name__}: {exc}); "
                           "report it with the file attached") from None


def import_files(files: list[Path], store, output) -> Iterator[str]:
    """Import each file; with `output`, exactly one file, written there. Yields one line per file.

    Lines are terminal-safe (snapshot.formats.inert.one_line): the archive names the model, a file name is anything.
    """
    files = [Path(f) for f in files]
    if output is not None and len(files) != 1:
        raise ImportFailed(f"-o/--output takes exactly one report.json, got {len(files)}; use --store for several")
    if output is not None:
        doc = import_report(files[0])
        written = write_snapshot(doc, Path(output))
        yield one_line(f"imported {files[0]} -> {written}")
        return
    root = default_store(store)
    for path in files:
        written = write_to_store(import_report(path), root)
        yield one_line(f"imported {path} -> {written[0]}")


def _read(path: Path) -> tuple[dict, bytes]:
    path = Path(path)
    if not path.is_file():
        raise SnapshotNotFound(f"no report file at {path}; pass the report.json that mlflow-reports wrote")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ImportFailed(f"cannot read {path}: {exc.strerror}; "
                           "pass the report.json that mlflow-reports wrote") from None
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ImportFailed(f"{path} is not JSON; pass the report.json data file mlflow-reports wrote "
                           "(--output-data-file), not its Markdown") from None
    manifest = data.get("manifest") if isinstance(data, dict) else None
    if not (isinstance(manifest, dict) and manifest.get("model_uri") and isinstance(data.get("model_version"), dict)
            and isinstance(data.get("mlflow_model"), dict)):
        raise ImportFailed(f"{path} is JSON but not an mlflow-reports model report (no manifest.model_uri, "
                           "model_version and mlflow_model); pass a report.json written by mlflow-reports")
    version = data["model_version"]
    if not version.get("name") or version.get("version") in (None, ""):
        raise ImportFailed(f"{path} has no model_version name and version; it cannot be a whole mlflow-reports report")
    return data, raw
