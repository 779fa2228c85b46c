"""Artifact listings and the small metadata files of a model. Never downloads large files."""

from __future__ import annotations

import hashlib
import tempfile
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository

METADATA_FILES = ("MLmodel", "requirements.txt", "conda.yaml", "python_env.yaml")


def _repo(uri: str, tracking_uri: str, registry_uri: str):
    return get_artifact_repository(uri, tracking_uri=tracking_uri, registry_uri=registry_uri)


class Listings:
    """The directory listings of one version's capture, each requested once.

    Keyed by the folder's full URI, so a folder two trees share (the model folder
    of a model logged inside its run's artifacts, MLflow 2's layout) is listed
    once for both. Listings run on the I/O pool.
    """

    def __init__(self, pool: ThreadPoolExecutor):
        self.pool = pool
        self._futures: dict = {}
        self._lock = threading.Lock()

    def entries(self, root_uri: str, repo, path: str | None) -> Future:
        """(name, is_dir, size) of each entry of `path` under `root_uri`, as a future."""
        key = root_uri.rstrip("/") + (f"/{path}" if path else "")
        if "?" in root_uri:  # a signed URI's query would sit inside the key: share nothing
            key = (root_uri, path)
        with self._lock:
            if key not in self._futures:
                self._futures[key] = self.pool.submit(_entries, repo, path)
            return self._futures[key]


def _entries(repo, path: str | None) -> list[tuple[str, bool, int | None]]:
    return [(info.path.rstrip("/").rsplit("/", 1)[-1], bool(info.is_dir), None if info.is_dir else info.file_size)
            for info in repo.list_artifacts(path)]


def list_tree(uri: str, tracking_uri: str, registry_uri: str, listings: Listings) -> dict:
    """Every file and directory under `uri`, one listing request per directory, concurrently."""
    repo = _repo(uri, tracking_uri, registry_uri)
    files: list[dict] = []
    pending = [(None, listings.entries(uri, repo, None))]
    while pending:
        folder, future = pending.pop(0)
        for name, is_dir, size in future.result():
            path = f"{folder}/{name}" if folder else name
            files.append({"path": path, "is_dir": is_dir, "size": size})
            if is_dir:
                pending.append((path, listings.entries(uri, repo, path)))
    files.sort(key=lambda f: f["path"])
    only_files = [f for f in files if not f["is_dir"]]
    return {
        "root_uri": uri,
        "files": files,
        "file_count": len(only_files),
        "total_size": sum(f["size"] or 0 for f in only_files),
    }


def read_files(uri: str, names: list[str], tracking_uri: str, registry_uri: str,
               pool: ThreadPoolExecutor) -> dict[str, str]:
    """The text of the named small files under `uri`, fetched concurrently."""
    repo = _repo(uri, tracking_uri, registry_uri)
    with tempfile.TemporaryDirectory(prefix="snap-") as tmp:
        futures = {name: pool.submit(_download_listed_file, repo, name, tmp) for name in names}
        return {name: Path(f.result()).read_text(encoding="utf-8") for name, f in futures.items()}


def _download_listed_file(repo, name: str, tmp: str) -> str:
    """Download a file the listing showed is a file.

    `download_artifacts` first lists `name` to learn whether it is a directory:
    one more request per file. Through MLflow's artifact proxy (HttpArtifactRepository)
    the listing already told us, so fetch the file directly; other stores go the
    general way.
    """
    from mlflow.store.artifact.http_artifact_repo import HttpArtifactRepository

    if isinstance(repo, HttpArtifactRepository):  # also MlflowArtifactsRepository (mlflow-artifacts:/)
        local = Path(tmp) / name
        local.parent.mkdir(parents=True, exist_ok=True)
        repo._download_file(name, str(local))
        return str(local)
    return repo.download_artifacts(name, tmp)


def add_checksums(tree: dict, uri: str, limit: int, tracking_uri: str, registry_uri: str,
                  pool: ThreadPoolExecutor) -> None:
    """sha256 of each file up to `limit` bytes (downloads those files, one at a time per worker)."""
    repo = _repo(uri, tracking_uri, registry_uri)
    wanted = [f for f in tree["files"] if not f["is_dir"] and (f["size"] or 0) <= limit]

    def digest(entry: dict) -> None:
        with tempfile.TemporaryDirectory(prefix="snap-") as tmp:
            local = Path(repo.download_artifacts(entry["path"], tmp))
            entry["sha256"] = hashlib.sha256(local.read_bytes()).hexdigest()

    list(pool.map(digest, wanted))
