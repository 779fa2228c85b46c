"""`snap reindex`'s dataset: a rebuild fed one document at a time as the store is read.

Holding every document of a store before writing (what `rebuild_dataset` does with
a list) costs memory in proportion to the store: about 670 MB at 5,000 snapshots.
Fed one at a time, each document's rows go to the writer's buffers (written as
row groups as they fill) and the document itself is dropped, so memory stays
bounded however large the store.
"""

from __future__ import annotations

from snapshot.dataset.parts import dataset_root, list_parts, remove_parts
from snapshot.dataset.rows import snapshot_key
from snapshot.dataset.writer import DatasetWriter


class Rebuild:
    """The dataset replaced by the documents added; the old parts stay until commit(), and abort() keeps them."""

    def __init__(self, fs, root: str):
        self.fs, self.old = fs, list_parts(fs, dataset_root(root))
        self.writer = DatasetWriter(fs, root, replacing=True)
        self.keys: set[tuple] = set()  # a snapshot in both JSON and Parquet is one snapshot

    def add(self, doc: dict) -> None:
        key = snapshot_key(doc)
        item = (key["model"], key["version"], key["captured_at"])
        if item not in self.keys:
            self.keys.add(item)
            self.writer.add(doc)

    def commit(self) -> list[str]:
        """Publish the new parts, then remove the old ones; the parts written."""
        written = self.writer.commit()
        remove_parts(self.fs, [p for p in self.old if p not in set(written)])
        return written

    def abort(self) -> None:
        self.writer.abort()
