"""Capturing into files: the store layout, or one `-o` file."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from snapshot.capture import CaptureOptions, capture_version
from snapshot.connection import connect
from snapshot.document import title
from snapshot.errors import BadOption
from snapshot.io import format_of, write_snapshot
from snapshot.resolve import resolve_versions
from snapshot.store import default_store, file_stem, snapshot_dir

FORMATS = {"json": ("json",), "parquet": ("parquet",), "both": ("json", "parquet")}


def store_paths(doc: dict, store: Path, fmt: str) -> list[Path]:
    m = doc["manifest"]
    folder = snapshot_dir(store, m["model_name"], m["model_version"])
    stem = file_stem(m["captured_at"])
    return [folder / f"{stem}.{ext}" for ext in FORMATS[fmt]]


def write_to_store(doc: dict, store: Path, fmt: str = "both") -> list[Path]:
    return [write_snapshot(doc, path) for path in store_paths(doc, store, fmt)]


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
    conn = connect(tracking_uri, registry_uri)
    targets = [(uri, name, version) for uri in uris for name, version in resolve_versions(conn, uri)]
    if output is not None and len(targets) != 1:
        raise BadOption(f"-o writes one snapshot, but the URIs name {len(targets)} versions; use --store instead")
    store_dir = default_store(store)
    for uri, name, version in targets:
        doc = capture_version(conn, name, version, uri, options)
        paths = [write_snapshot(doc, output)] if output else write_to_store(doc, store_dir, fmt)
        yield f"captured {title(doc)} -> {', '.join(str(p) for p in paths)}"
