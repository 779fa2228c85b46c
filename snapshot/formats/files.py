"""Reading and writing snapshot files, JSON or Parquet, atomically."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from snapshot.errors import BadOption, SnapshotCorrupt, SnapshotNotFound, StoreNotWritable
from snapshot.formats.document import check, dumps, parse_json

FORMATS = ("json", "parquet")


def format_of(path: Path) -> str:
    suffix = path.suffix.lower().lstrip(".")
    if suffix in FORMATS:
        return suffix
    raise BadOption(f"cannot tell the format of {path}: name it .json or .parquet")


def load_snapshot(path: str | Path) -> dict:
    """Read a snapshot file (JSON or Parquet) into its JSON document."""
    path = Path(path)
    if path.is_dir():
        raise SnapshotNotFound(f"{path} is a directory, not a snapshot file; name a .json or .parquet file in it")
    if not path.is_file():
        raise SnapshotNotFound(f"no snapshot file at {path}")
    if path.suffix.lower() == ".parquet":
        from snapshot.formats.parquet import read_parquet

        return check(read_parquet(path), str(path))
    try:
        doc = parse_json(path.read_text(encoding="utf-8"), str(path))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SnapshotCorrupt(f"{path} is not valid snapshot JSON ({exc}); "
                              "it may be truncated: capture it again") from None
    return check(doc, str(path))


def write_snapshot(doc: dict, path: str | Path) -> Path:
    """Write one snapshot file, its format from the suffix."""
    path = Path(path)
    if format_of(path) == "json":
        write_atomic(path, dumps(doc).encode("utf-8"))
    else:
        from snapshot.formats.parquet import parquet_bytes

        write_atomic(path, parquet_bytes(doc))
    return path


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, then rename: never a half file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".snap-", suffix=".tmp")
    except OSError as exc:
        blocker = next((p for p in (path.parent, *path.parent.parents)  # os.path's checks never raise
                        if os.path.exists(p) and not os.path.isdir(p)), None)
        reason = f"{blocker} is a file, not a folder" if blocker else exc.strerror
        raise StoreNotWritable(f"cannot write to {path.parent}: {reason}; choose another location") from None
    try:
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; a store is meant to be shared
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise StoreNotWritable(f"cannot write {path}: {exc.strerror}") from None
        raise


def _read_umask() -> int:
    current = os.umask(0)  # the only way to read it; done once, before any thread writes
    os.umask(current)
    return current


_UMASK = _read_umask()
