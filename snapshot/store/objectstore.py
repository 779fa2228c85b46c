"""A store on object storage (S3, GCS, Azure) through fsspec."""

from __future__ import annotations

import contextlib
import importlib.util
import threading

from snapshot.errors import SnapError
from snapshot.store.backend import _URL, Item, Store, StoreUrlUnsupported, filesystem, storage_errors


class ObjectStore(Store):
    """A folder on S3, GCS or Azure through fsspec. A PUT is atomic: no reader sees half an object.

    An S3 store opens in the background: importing s3fs and building its client take about 0.4 s of
    CPU, which a capture spends waiting for the tracking server's first answers instead. The first
    use of `fs` (or `open()`) waits for it and raises its failure, if any.
    """

    def __init__(self, url: str):
        m = _URL.match(url)
        self.scheme = m.group("scheme").lower()
        if self.scheme in ("s3", "s3a") and _installed("s3fs"):  # else filesystem() says what is wrong, at once
            self._opening, self._fs = _Opening(url), None
            self.root = m.group("rest").rstrip("/")  # as s3fs's _strip_protocol, and for S3:// too
        else:
            self._fs, self.root = filesystem(url)
        self.url = f"{self.scheme}://{self.root}"

    @property
    def fs(self):
        if self._fs is None:
            self._fs = self._opening.result()
        return self._fs

    def open(self) -> None:
        """Wait until the store is open; its failure (a broken install, a bad cloud configuration) is raised here."""
        self.fs  # noqa: B018 (the property waits)

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


def _installed(package: str) -> bool:
    return importlib.util.find_spec(package) is not None


class _Opening(threading.Thread):
    """The filesystem of `url` and its S3 client, built on a daemon thread; result() waits and gives it or raises."""

    def __init__(self, url: str):
        super().__init__(name="snap-s3-open", daemon=True)
        self.url, self.opened, self.error = url, None, None
        self.start()

    def run(self) -> None:
        try:
            self.opened = filesystem(self.url)[0]
        except SnapError as exc:  # raised in the caller's thread by result()
            self.error = exc
            return
        except Exception as exc:  # noqa: BLE001 (any other failure to start is one clear error too)
            self.error = StoreUrlUnsupported(f"cannot open {self.url.split(':', 1)[0]}:// storage "
                                             f"({type(exc).__name__}: {exc}); check the s3fs install")
            return
        with contextlib.suppress(Exception):  # a client that cannot be built fails the first request, clearly
            self.opened.connect()

    def result(self):
        self.join()
        if self.error is not None:
            raise self.error
        return self.opened
