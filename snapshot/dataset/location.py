"""The store a dataset command works on, as (fsspec filesystem, root path)."""

from __future__ import annotations

import os


def store_filesystem(store: str | os.PathLike | None) -> tuple[object, str]:
    """(filesystem, root) of `--store` (a folder or an fsspec URL) [default: $SNAP_STORE, else ./snapshots]."""
    from snapshot.store.backend import open_store

    opened = open_store(str(store or os.environ.get("SNAP_STORE") or "snapshots"))
    if opened.local:
        from fsspec.implementations.local import LocalFileSystem

        return LocalFileSystem(), os.path.abspath(opened.root).replace(os.sep, "/")
    return opened.fs, opened.root
