"""What runs after snapshots are written into a store."""

from __future__ import annotations


def after_write(store, docs: list[dict]) -> None:
    """Called with the documents one capture run (or import, or `snap reindex`) wrote into `store`.

    The Parquet dataset writer (snapshot/dataset/, under STORE/parquet/) hooks in
    here. A long run calls it once per AFTER_WRITE_CHUNK documents (writer.py),
    so memory stays flat; `snap reindex` calls it with every document of the store.
    `store` is a snapshot.store.backend.Store (local folder or object storage).
    """
    return None
