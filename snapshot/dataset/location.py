"""The store a dataset command works on, as (fsspec filesystem, root path), and the store-level entry points."""

from __future__ import annotations

import os


def store_filesystem(store) -> tuple[object, str]:
    """(filesystem, root) of a Store, a folder or an fsspec URL [default: $SNAP_STORE, else ./snapshots]."""
    from snapshot.store.backend import Store, open_store

    target = store if isinstance(store, Store) else str(store or os.environ.get("SNAP_STORE") or "snapshots")
    opened = open_store(target)
    if opened.local:
        from fsspec.implementations.local import LocalFileSystem

        return LocalFileSystem(), os.path.abspath(opened.root).replace(os.sep, "/")
    return opened.fs, opened.root


def append_to_store(store, docs) -> list[str]:
    """What a capture run's after-write hook calls: its documents into the store's dataset."""
    from snapshot.dataset.writer import append_to_dataset

    fs, root = store_filesystem(store)
    return append_to_dataset(fs, root, docs)


def rebuild_for_store(store):
    """What `snap reindex` feeds every document of the store, one at a time: a dataset.rebuild.Rebuild."""
    from snapshot.dataset.rebuild import Rebuild

    fs, root = store_filesystem(store)
    return Rebuild(fs, root)
