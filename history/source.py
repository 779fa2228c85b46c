"""The one place history/ reads a store: its index's rows, and the snapshots it opens.

Selecting uses index metadata only (model, version, capture stem, path); a
snapshot is opened only when it is compared, and at most once. The index is read
as its columns (snapshot/store/index.py): a store of 100,000 snapshots gives
100,000 small tuples, not Entry objects with a Path each (that alone took 2-4 s).
"""

from __future__ import annotations

from collections import defaultdict
from operator import itemgetter
from pathlib import Path
from typing import NamedTuple

from history.census import Censuses
from snapshot.errors import SnapshotNotFound
from snapshot.formats.files import load_snapshot
from snapshot.store.backend import Store, open_store
from snapshot.store.layout import default_store, file_suffix


class Snap(NamedTuple):
    """One snapshot's metadata: enough to select it without opening it (a tuple: 100,000 are made at once)."""

    model: str
    version: str
    stem: str  # the capture time as in the file name; string order is time order
    path: str  # the file load_snapshot reads and a user is shown: a local path, or a URL on object storage


def _snaps(store: Store) -> list[Snap]:
    """Every snapshot the index lists, read from its columns where a segment was compacted, else its rows."""
    from snapshot.store.index import ordered_parts

    file_name, snaps = store.file_name, []
    for part in ordered_parts(store):
        if part.cols is not None:
            c = part.cols
            rows = zip(c["model"], c["version"], c["stem"], c["path"], c["formats"])
        else:
            rows = ((r["model"], r["version"], r["stem"], r["path"], r.get("formats")) for r in part.rows.values())
        snaps += [Snap(model, version, stem, file_name(f"{path}.{file_suffix(formats)}"))
                  for model, version, stem, path, formats in rows]
    return snaps


class StoreView:
    """A store's snapshots grouped by model and version, oldest first, with a cache of opened documents."""

    def __init__(self, store):
        self.root = open_store(default_store(store))  # a local folder, or any fsspec URL (#10)
        if not self.root.is_store():
            raise SnapshotNotFound(f"store {self.root} does not exist; pass --store DIR or set SNAP_STORE")
        self._group(_snaps(self.root))  # the store's index: metadata only, no snapshot opened
        self.censuses = Censuses(self.root)  # the batch captures' roll calls: names listed, none opened yet
        self._docs: dict[Path | str, dict] = {}

    def _group(self, snaps: list[Snap]) -> None:
        self.snaps = snaps
        self.by_version: dict[tuple[str, str], list[Snap]] = defaultdict(list)
        self.by_model: dict[str, list[Snap]] = defaultdict(list)
        for snap in self.snaps:
            self.by_version[snap[:2]].append(snap)
            self.by_model[snap.model].append(snap)
        stem = itemgetter(2)  # Snap.stem; no Python call per item when sorting 100,000
        for own in self.by_model.values():
            own.sort(key=stem)
        for own in self.by_version.values():
            own.sort(key=stem)
        self.versions_of: dict[str, list[str]] = defaultdict(list)  # model -> its versions, each once
        for model, version in self.by_version:
            self.versions_of[model].append(version)

    def load(self, snap: Snap) -> dict:
        if snap.path not in self._docs:
            self._docs[snap.path] = load_snapshot(snap.path)
        return self._docs[snap.path]

    @staticmethod
    def load_path(path: Path | str) -> dict:
        return load_snapshot(path)

    def models(self) -> list[str]:
        return sorted(self.by_model)


def newest_at(snaps: list[Snap], stem: str) -> Snap | None:
    """The newest of `snaps` (oldest first) captured at or before `stem`."""
    found = None
    for snap in snaps:
        if snap.stem > stem:
            break
        found = snap
    return found


def next_after(snaps: list[Snap], stem: str) -> Snap | None:
    return next((s for s in snaps if s.stem > stem), None)


def between(snaps: list[Snap], since: str, until: str) -> list[Snap]:
    """Those of `snaps` captured after `since` and at or before `until`."""
    return [s for s in snaps if since < s.stem <= until]
