"""Where a store lives: a local folder, or a folder on object storage at an fsspec URL.

    snapshots/  ./rel/path  /abs/path  file:///abs/path      a local folder (LocalStore)
    s3://bucket/prefix  gs://…  gcs://…  abfs://…  az://…     object storage (ObjectStore, through fsspec)

Every store answers the same few questions with paths relative to its root
(posix, `Churn/v3/20261126T213000.123456Z.json`): read, write whole, create only
if absent, list a folder, walk the snapshots, remove. Callers never know which
kind they have.

Credentials come from each cloud's own chain (environment, profile, instance
role), read by the filesystem package; snap never reads, stores or prints them.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
from dataclasses import dataclass
from pathlib import Path

from snapshot.errors import CredentialsRefused, SnapError, StoreNotWritable, StoreUnreachable

SCHEMES = {  # scheme -> (fsspec protocol, package, pip extra)
    "s3": ("s3", "s3fs", "s3"), "s3a": ("s3", "s3fs", "s3"),
    "gs": ("gs", "gcsfs", "gcs"), "gcs": ("gs", "gcsfs", "gcs"),
    "abfs": ("abfs", "adlfs", "azure"), "abfss": ("abfs", "adlfs", "azure"), "az": ("az", "adlfs", "azure"),
}
_URL = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<rest>.*)$")


class StoreUrlUnsupported(SnapError):
    """A store or output URL whose scheme snap cannot write to (exit 2)."""


@dataclass(frozen=True)
class Item:
    """One name in a store folder."""

    name: str
    is_dir: bool
    mtime: float | None = None


def is_url(target: str | os.PathLike) -> bool:
    """Whether `target` is a URL (`scheme://…`) rather than a local path."""
    return isinstance(target, str) and _URL.match(target) is not None


def local_path(target: str | os.PathLike) -> Path | None:
    """The local path `target` names (a plain path or file://), or None for object storage."""
    if not isinstance(target, str):
        return Path(target)
    m = _URL.match(target)
    if m is None:
        return Path(target)
    if m.group("scheme").lower() == "file":
        return Path(m.group("rest") or "/")
    return None


def filesystem(url: str):
    """(fsspec filesystem, path without scheme) of an object-storage URL; one clear error if it cannot be had."""
    scheme = _URL.match(url).group("scheme").lower()
    if scheme not in SCHEMES:
        known = ", ".join(f"{s}://" for s in ("s3", "gs", "abfs", "az", "file"))
        raise StoreUrlUnsupported(f"{url!r}: snap cannot store snapshots at {scheme}:// URLs; "
                                  f"use a local folder or one of {known}")
    protocol, package, extra = SCHEMES[scheme]
    try:
        import fsspec

        # No listings cache: another process may write the store meanwhile (claims, segments).
        fs = fsspec.filesystem(protocol, use_listings_cache=False)
    except ImportError:
        raise StoreUrlUnsupported(f"{scheme}:// stores need the {package} package, which is not installed; "
                                  f"pip install 'snap-mlflow[{extra}]'") from None
    except (ValueError, TypeError, OSError) as exc:  # a cloud package that cannot start (bad config)
        raise StoreUrlUnsupported(f"cannot open {scheme}:// storage ({type(exc).__name__}: {exc}); "
                                  "check the cloud's configuration") from None
    return fs, fs._strip_protocol(url).rstrip("/")


@contextlib.contextmanager
def storage_errors(url: str, writing: bool):
    """Object-storage failures as one SnapError naming the URL and the fix (FileNotFoundError passes on reads)."""
    try:
        yield
    except FileNotFoundError as exc:
        if not writing:
            raise
        raise StoreNotWritable(f"cannot write to {url}: {_reason(exc)}; check that the bucket or container "
                               "exists, or pass another --store") from None
    except PermissionError as exc:
        raise CredentialsRefused(f"the object store refused access to {url} ({_reason(exc)}); check the "
                                 "cloud credentials (environment, profile or role) and the bucket policy") from None
    except OSError as exc:
        verb = "write to" if writing else "read"
        cls = StoreNotWritable if writing else SnapError
        raise cls(f"cannot {verb} {url}: {_reason(exc)}") from None
    except Exception as exc:  # botocore/azure raise their own types (NoCredentialsError); others re-raised
        if type(exc).__name__ in ("NoCredentialsError", "PartialCredentialsError", "ClientAuthenticationError",
                                  "DefaultCredentialsError", "RefreshError"):
            raise CredentialsRefused(f"no usable cloud credentials for {url} ({type(exc).__name__}); set them "
                                     "the cloud's usual way (environment, profile or role)") from None
        if type(exc).__name__ in _UNREACHABLE:
            raise StoreUnreachable(f"cannot reach the object store for {url} ({type(exc).__name__}); check the "
                                   "endpoint (AWS_ENDPOINT_URL for an S3-compatible server) and the network") from None
        raise


_UNREACHABLE = ("EndpointConnectionError", "ConnectTimeoutError", "ReadTimeoutError", "ConnectionClosedError")


def write_refused(where, exc: BaseException) -> StoreNotWritable | None:
    """The one-line error for a write the filesystem refused (full, over quota, past a file-size limit,
    read-only), naming the fix; None for any other cause, whose caller's own message stands.

    A StoreNotWritable raised `from None` by formats/files.py still holds its OSError as __context__.
    """
    code = getattr(exc, "errno", None)
    if code is None and isinstance(exc, StoreNotWritable):
        code = getattr(exc.__context__, "errno", None)
    if code in (errno.ENOSPC, errno.EDQUOT):
        fix = "free some space (or raise the quota), or pass another --store"
    elif code == errno.EFBIG:
        fix = "a file-size limit (ulimit -f, or the filesystem's) stopped it; raise the limit, or pass another --store"
    elif code == errno.EROFS:
        fix = "remount it read-write, or pass another --store"
    else:
        return None
    return StoreNotWritable(f"cannot write to {where}: {os.strerror(code)}; {fix}")


def _missing_folders(root: Path, folder: Path) -> list[Path]:
    """`folder` and its parents up to `root` that do not exist yet, deepest first."""
    missing = []
    for path in (folder, *folder.parents):
        if os.path.isdir(path) or (path != root and root not in path.parents):
            break
        missing.append(path)
    return missing


@contextlib.contextmanager
def _writing(root: Path, folder: Path):
    """A write into `folder` of the store at `root`: on failure the folders it made are removed again (a
    failed command leaves the store as it was), and a refused write is one clear error (write_refused)."""
    made = _missing_folders(root, folder)
    try:
        yield
    except (OSError, StoreNotWritable) as exc:
        for path in made:
            with contextlib.suppress(OSError):  # not empty: another writer's files are in it now
                path.rmdir()
        refused = write_refused(root, exc)
        if refused is None:
            raise
        raise refused from None


def _reason(exc: BaseException) -> str:
    text = str(exc.args[-1] if exc.args else exc) or type(exc).__name__
    return text.splitlines()[0][:300]


class Store:
    """A store's root and the operations snap needs, on paths relative to it."""

    local = False
    url = ""

    def file(self, rel: str):
        """What a user is shown for a file, and what load_snapshot reads: a Path, or a URL."""
        raise NotImplementedError

    def file_name(self, rel: str) -> str:
        """str(self.file(rel)), without building a Path (listings of 100,000 rows)."""
        return f"{self.url}/{rel}"

    def read(self, rel: str) -> bytes:
        raise NotImplementedError

    def write(self, rel: str, data: bytes) -> None:
        """Whole or nothing: a reader sees the old object, or the new one."""
        raise NotImplementedError

    def write_many(self, files: dict[str, bytes]) -> None:
        """Several writes, each whole or nothing (an object store sends them at once)."""
        for rel, data in files.items():
            self.write(rel, data)

    def create(self, rel: str, data: bytes) -> bool:
        """Write only if nothing is there yet; False when something is (another writer won)."""
        raise NotImplementedError

    def exists(self, rel: str) -> bool:
        raise NotImplementedError

    def listdir(self, rel: str) -> list[Item]:
        """The names in a folder ([] when there is no such folder)."""
        raise NotImplementedError

    def find(self, rel: str = "") -> list[str]:
        """Every file under a folder, as paths relative to the root."""
        raise NotImplementedError

    def remove(self, rels: list[str]) -> None:
        raise NotImplementedError

    def is_store(self) -> bool:
        """Whether the root exists as a folder (an object store's prefix always may)."""
        raise NotImplementedError

    def __str__(self) -> str:
        return self.url


class LocalStore(Store):
    local = True

    def __init__(self, root: Path):
        self.root = Path(root)
        self.url = str(self.root)

    def __fspath__(self) -> str:  # Path(store) gives the folder, as callers that predate Store expect
        return str(self.root)

    def file(self, rel: str) -> Path:
        return self.root / rel

    def read(self, rel: str) -> bytes:
        return (self.root / rel).read_bytes()

    def write(self, rel: str, data: bytes) -> None:
        from snapshot.formats.files import write_atomic

        path = self.root / rel
        with _writing(self.root, path.parent):
            write_atomic(path, data)

    def create(self, rel: str, data: bytes) -> bool:
        path = self.root / rel
        with _writing(self.root, path.parent):
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            except FileExistsError:
                return False
            except OSError as exc:
                from snapshot.formats.files import folder_not_writable

                raise folder_not_writable(path.parent, exc) from None
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
            except BaseException:
                path.unlink(missing_ok=True)  # ours (O_EXCL): no empty or partial claim left behind
                raise
        return True

    def exists(self, rel: str) -> bool:
        return os.path.exists(self.root / rel)

    def listdir(self, rel: str) -> list[Item]:
        try:
            with os.scandir(self.root / rel) as it:
                return [Item(e.name, e.is_dir(), None if e.is_dir() else e.stat().st_mtime) for e in it]
        except (FileNotFoundError, NotADirectoryError):
            return []

    def find(self, rel: str = "") -> list[str]:
        base = self.root / rel
        out = []
        for folder, dirs, names in os.walk(base):
            dirs.sort()
            prefix = os.path.relpath(folder, self.root).replace(os.sep, "/")
            out += [n if prefix == "." else f"{prefix}/{n}" for n in sorted(names)]
        return out

    def remove(self, rels: list[str]) -> None:
        for rel in rels:
            (self.root / rel).unlink(missing_ok=True)

    def is_store(self) -> bool:
        return self.root.is_dir()


def open_store(target) -> Store:
    """The store at `target`: a Store, a local path, file://, or an object-storage URL."""
    if isinstance(target, Store):
        return target
    path = local_path(target)
    if path is not None:
        return LocalStore(path)
    from snapshot.store.objectstore import ObjectStore

    return ObjectStore(target)
