"""What runs after snapshots are written into a store: the analysts' Parquet dataset follows."""

from __future__ import annotations

from contextlib import contextmanager

from snapshot.errors import SnapError, StoreNotWritable


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


class DatasetRebuild:
    """`snap reindex`: the dataset rebuilt from every document of the store, fed one at a time as the scan
    reads them, so memory stays bounded however large the store (no list of every document).

    A dataset failure stops the dataset (its old parts stay as they were) but not the index, which is
    rebuilt whatever happens here; finish() then raises it.
    """

    def __init__(self, store):
        self.store, self.rebuild, self.error = store, None, None
        from snapshot.dataset.location import rebuild_for_store

        with self._guard():
            self.rebuild = rebuild_for_store(store)

    def add(self, doc: dict) -> None:
        if self.rebuild is not None:
            with self._guard():
                self.rebuild.add(doc)

    def finish(self) -> None:
        if self.rebuild is not None:
            with self._guard():
                self.rebuild.commit()
            self.rebuild = None
        if self.error is not None:
            raise self.error

    def abort(self) -> None:
        if self.rebuild is not None:
            self.rebuild.abort()
            self.rebuild = None

    @contextmanager
    def _guard(self):
        try:
            with _dataset_step(self.store, "rebuilt"):
                yield
        except SnapError as exc:
            self.abort()
            self.error = exc


@contextmanager
def _dataset_step(store, what: str):
    """The snapshots and the index are written whatever happens here: the dataset is derived from them."""
    try:
        yield
    except (SnapError, OSError) as exc:
        # The cause's exit code is kept: a full disk or a refused write is exit 6 here too (README, Exit codes).
        cls = type(exc) if isinstance(exc, SnapError) else StoreNotWritable
        raise cls(f"the snapshots were written, but the Parquet dataset in {store} could not be "
                  f"{what} ({exc}); fix that and run snap reindex") from exc
