"""Reading and writing snapshot files, JSON or Parquet, atomically."""

from __future__ import annotations

import hashlib
import io
import json
import os
import socket
import tempfile
from pathlib import Path, PurePosixPath

from snapshot.errors import BadOption, SnapshotCorrupt, SnapshotNotFound, StoreNotWritable
from snapshot.formats.document import check, dumps, parse_json
from snapshot.formats.integrity import enforce

FORMATS = ("json", "parquet")
TEMP_PREFIX, TEMP_SUFFIX = ".snap-", ".tmp"
TEMP_STALE_SECONDS = 120.0  # a temporary file older than this was left by a killed writer, wherever it ran


def format_of(path: Path | str) -> str:
    suffix = PurePosixPath(str(path)).suffix.lower().lstrip(".")
    if suffix in FORMATS:
        return suffix
    raise BadOption(f"cannot tell the format of {path}: name it .json or .parquet")


def load_snapshot(path: str | Path) -> dict:
    """Read a snapshot file (JSON or Parquet), local or at an object-storage URL, into its JSON document."""
    if _remote(path):
        return _load_remote(str(path))
    path = _local(path)
    if path.is_dir():
        raise SnapshotNotFound(f"{path} is a directory, not a snapshot file; name a .json or .parquet file in it")
    if not path.is_file():
        raise SnapshotNotFound(f"no snapshot file at {path}")
    if path.suffix.lower() == ".parquet":
        from snapshot.formats.parquet import read_parquet

        return enforce(check(read_parquet(path), str(path)), str(path))
    try:
        doc = parse_json(path.read_text(encoding="utf-8"), str(path))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SnapshotCorrupt(f"{path} is not valid snapshot JSON ({exc}); "
                              "it may be truncated: capture it again") from None
    return enforce(check(doc, str(path)), str(path))


def write_snapshot(doc: dict, path: str | Path) -> Path | str:
    """Write one snapshot file, its format from the suffix (a local path or an object-storage URL)."""
    path = path if _remote(path) else _local(path)
    if format_of(path) == "json":
        write_atomic(path, dumps(doc).encode("utf-8"))
    else:
        from snapshot.formats.parquet import parquet_bytes

        write_atomic(path, parquet_bytes(doc))
    return path


def write_atomic(path: Path | str, data: bytes) -> None:
    """Write to a temporary file beside `path`, then rename: never a half file. A URL gets one PUT (atomic)."""
    if _remote(path):
        _write_remote(str(path), data)
        return
    path = _local(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f"{TEMP_PREFIX}{_host()}-{os.getpid()}-", suffix=TEMP_SUFFIX)
    except OSError as exc:
        raise folder_not_writable(path.parent, exc) from None
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


def is_orphan_temp(name: str, mtime: float | None, now: float) -> bool:
    """Whether `name` is a temporary file (write_atomic's) that a killed writer left: one whose process, on
    this host, has ended, or any older than TEMP_STALE_SECONDS."""
    if not (name.startswith(TEMP_PREFIX) and name.endswith(TEMP_SUFFIX)):
        return False
    if mtime is not None and now - mtime > TEMP_STALE_SECONDS:
        return True
    host, _, rest = name[len(TEMP_PREFIX):].partition("-")
    pid = rest.partition("-")[0]
    return host == _host() and pid.isdigit() and not _running(int(pid))


def _host() -> str:
    return hashlib.sha256(socket.gethostname().encode("utf-8")).hexdigest()[:8]


def _running(pid: int) -> bool:
    if os.name != "posix":  # os.kill(pid, 0) would not just ask there
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process
        return True
    return True


def folder_not_writable(folder: Path, exc: OSError) -> StoreNotWritable:
    """The error for a folder that cannot be made or written, naming a file in the way if there is one."""
    blocker = next((p for p in (folder, *folder.parents)  # os.path's checks never raise
                    if os.path.exists(p) and not os.path.isdir(p)), None)
    reason = f"{blocker} is a file, not a folder" if blocker else exc.strerror
    return StoreNotWritable(f"cannot write to {folder}: {reason}; choose another location")


def _read_umask() -> int:
    current = os.umask(0)  # the only way to read it; done once, before any thread writes
    os.umask(current)
    return current


_UMASK = _read_umask()


def _remote(path) -> bool:
    from snapshot.store.backend import is_url, local_path

    return is_url(path) and local_path(path) is None


def _local(path) -> Path:
    from snapshot.store.backend import local_path

    return local_path(path)


def _load_remote(url: str) -> dict:
    from snapshot.store.backend import filesystem, storage_errors

    fs, key = filesystem(url)
    try:
        with storage_errors(url, writing=False):
            if fs.isdir(key):
                raise SnapshotNotFound(f"{url} is a folder, not a snapshot file; name a .json or .parquet file in it")
            data = fs.cat_file(key)
    except FileNotFoundError:
        raise SnapshotNotFound(f"no snapshot file at {url}") from None
    if url.lower().endswith(".parquet"):
        from snapshot.formats.parquet import read_parquet

        return enforce(check(read_parquet(_Named(data, url)), url), url)
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SnapshotCorrupt(f"{url} is not valid snapshot JSON ({exc}); "
                              "it may be truncated: capture it again") from None
    return enforce(check(doc, url), url)


def _write_remote(url: str, data: bytes) -> None:
    from snapshot.store.backend import filesystem, storage_errors

    fs, key = filesystem(url)
    with storage_errors(url, writing=True):
        fs.pipe_file(key, data)


class _Named(io.BytesIO):
    """Bytes read from a URL, named by it in messages."""

    def __init__(self, data: bytes, name: str):
        super().__init__(data)
        self._name = name

    def __str__(self) -> str:
        return self._name
