"""`snap reindex`: the index (and the dataset, through after_write) rebuilt from the snapshots themselves."""

from __future__ import annotations

import contextlib
import time

from snapshot.errors import SnapshotNotFound
from snapshot.store import index as idx
from snapshot.store.backend import open_store
from snapshot.store.hooks import DatasetRebuild
from snapshot.store.scan import scan_rows

CLAIM_KEEP_SECONDS = 3600.0  # a claim only matters while writers that could race on it are running


def reindex(store) -> dict:
    """Rebuild the index from every snapshot in the store; {"snapshots", "segments_replaced", "claims_removed"}."""
    store = open_store(store)
    if not store.is_store():
        raise SnapshotNotFound(f"no store at {store}; capture into it first, or pass --store / set SNAP_STORE")
    dataset = DatasetRebuild(store)
    try:
        total, replaced = _rebuild_index(store, dataset)
    except BaseException:
        dataset.abort()  # the old dataset stays whole
        raise
    dataset.finish()
    _old_temp_files(store)
    return {"snapshots": total, "segments_replaced": replaced, "claims_removed": _old_claims(store)}


def _rebuild_index(store, dataset: DatasetRebuild) -> tuple[int, int]:
    """Each model folder's index rebuilt from its snapshots, each document handed on to the dataset as it
    is read, then dropped; (snapshots indexed, segments replaced)."""
    total = replaced = 0
    for folder in idx.model_folders(store):
        # Segments listed before the scan were written after their snapshots: the scan sees those, so they may go.
        before = [f"{idx.MODELS}/{folder}/{n}" for n in idx.segment_names(store, folder)]
        rebuilt = idx.Rows(folder, segments=before)
        read: list[dict] = []  # scan_rows puts each document here as it yields its row
        for row in scan_rows(store, [folder], read):
            rebuilt.add(row)
            dataset.add(read.pop())
        idx.compact(store, rebuilt)
        total, replaced = total + len(rebuilt.rows), replaced + len(before)
    return total, replaced


def _old_temp_files(store) -> None:
    """Temporary files a killed writer left anywhere in a local store (the index and journal folders too)."""
    from snapshot.formats.files import TEMP_PREFIX, is_orphan_temp

    if not store.local:
        return
    now = time.time()
    for rel in store.find(""):
        path = store.file(rel)
        if path.name.startswith(TEMP_PREFIX):
            with contextlib.suppress(OSError):
                if is_orphan_temp(path.name, path.stat().st_mtime, now):
                    path.unlink()


def _old_claims(store) -> int:
    now = time.time()
    old = [f"{idx.CLAIMS}/{i.name}" for i in store.listdir(idx.CLAIMS)
           if not i.is_dir and i.mtime is not None and now - i.mtime > CLAIM_KEEP_SECONDS]
    store.remove(old)
    return len(old)
