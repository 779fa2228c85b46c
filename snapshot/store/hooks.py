"""What runs after snapshots are written into a store: the analysts' Parquet dataset follows."""

from __future__ import annotations

from contextlib import contextmanager

from snapshot.errors import SnapError


def after_write(store, docs: list[dict]) -> None:
    """Called with the documents one capture run (or import) wrote into `store`.

    Their rows go into the Parquet dataset under STORE/parquet/ (snapshot/dataset/).
    A long run calls it once per AFTER_WRITE_CHUNK documents (writer.py), so memory
    stays flat. `store` is a snapshot.store.backend.Store (local folder or object storage).
    """
    if not docs:
        return
    from snapshot.dataset.location import append_to_store

    with _dataset_step(store, "updated"):
        append_to_store(store, docs)


def after_reindex(store, docs: list[dict]) -> None:
    """`snap reindex`: the dataset rebuilt from every document of the store."""
    from snapshot.dataset.location import rebuild_for_store

    with _dataset_step(store, "rebuilt"):
        rebuild_for_store(store, docs)


@contextmanager
def _dataset_step(store, what: str):
    """The snapshots and the index are written whatever happens here: the dataset is derived from them."""
    try:
        yield
    except (SnapError, OSError) as exc:
        raise SnapError(f"the snapshots were written, but the Parquet dataset in {store} could not be "
                        f"{what} ({exc}); fix that and run snap reindex") from exc
