"""A store on object storage (S3, GCS, Azure) through fsspec."""

from __future__ import annotations

import contextlib
import threading

from snapshot.store.backend import _URL, Item, Store, filesystem, storage_errors


class ObjectStore(Store):
    """A folder on S3, GCS or Azure through fsspec. A PUT is atomic: no reader sees half an object."""

    def __init__(self, url: str):
        self.fs, self.root = filesystem(url)
        self.scheme = _URL.match(url).group("scheme").lower()
        self.url = f"{self.scheme}://{self.root}"
        if self.scheme in ("s3", "s3a"):  # s3fs builds its client (0.2 s of CPU) while the caller goes on
            threading.Thread(target=_connect, args=(self.fs,), name="snap-s3-connect", daemon=True).start()

    def _key(self, rel: str) -> str:
        return f"{self.root}/{rel}" if rel else self.root

    def file(self, rel: str) -> str:
        return f"{self.url}/{rel}"

    def read(self, rel: str) -> bytes:
        with storage_errors(self.file(rel), writing=False):
            return self.fs.cat_file(self._key(rel))

    def write(self, rel: str, data: bytes) -> None:
        with storage_errors(self.file(rel), writing=True):
            self.fs.pipe_file(self._key(rel), data)

    def write_many(self, files: dict[str, bytes]) -> None:
        if files:
            with storage_errors(self.url, writing=True):
                self.fs.pipe({self._key(rel): data for rel, data in files.items()})

    def create(self, rel: str, data: bytes) -> bool:
        with storage_errors(self.file(rel), writing=True):
            try:
                self.fs.pipe_file(self._key(rel), data, mode="create")  # S3: PUT with If-None-Match: *
            except FileExistsError:
                return False
            except (TypeError, NotImplementedError, ValueError):  # a filesystem without exclusive create
                if self.fs.exists(self._key(rel)):
                    return False
                self.fs.pipe_file(self._key(rel), data)
        return True

    def exists(self, rel: str) -> bool:
        with storage_errors(self.file(rel), writing=False):
            return self.fs.exists(self._key(rel))

    def listdir(self, rel: str) -> list[Item]:
        with storage_errors(self.file(rel), writing=False):
            try:
                found = self._listing(self._key(rel), folder_only=True)
            except FileNotFoundError:
                return []
        return [Item(f["name"].rstrip("/").rsplit("/", 1)[-1], f["type"] == "directory", _mtime(f)) for f in found]

    def find(self, rel: str = "") -> list[str]:
        with storage_errors(self.file(rel), writing=False):
            try:
                keys = list(self._listing(self._key(rel), folder_only=False))
            except FileNotFoundError:
                return []
        strip = len(self.root) + 1
        return sorted(k[strip:] for k in keys if k.startswith(self.root + "/"))

    def _listing(self, key: str, folder_only: bool):
        """The objects in a folder (`folder_only`: and its subfolders, as directories) or under it.

        On S3 this is one ListObjectsV2 request: the folder is given as a prefix of its parent, since s3fs
        asks more of a folder it finds empty (ls lists the parent too, find sends a HEAD and a second
        listing), to tell a file from a folder. A store only ever lists folders.
        """
        parent, _, name = key.rpartition("/")
        if self.scheme not in ("s3", "s3a") or not parent:
            return self.fs.ls(key, detail=True, refresh=True) if folder_only else self.fs.find(key)
        if folder_only:
            return list(self.fs.find(parent, maxdepth=1, withdirs=True, detail=True, prefix=f"{name}/").values())
        return self.fs.find(parent, prefix=f"{name}/")

    def remove(self, rels: list[str]) -> None:
        if rels:
            with storage_errors(self.url, writing=True), contextlib.suppress(FileNotFoundError):
                self.fs.rm([self._key(r) for r in rels])

    def is_store(self) -> bool:
        with storage_errors(self.url, writing=False):
            try:
                return bool(self.fs.ls(self.root, refresh=True))
            except FileNotFoundError:
                return False


def _mtime(info: dict) -> float | None:
    stamp = info.get("LastModified") or info.get("mtime") or info.get("last_modified")
    return stamp.timestamp() if hasattr(stamp, "timestamp") else None


def _connect(fs) -> None:
    """Build the client before the first request needs it; a failure here is met, and reported, by that request."""
    with contextlib.suppress(Exception):
        fs.connect()
