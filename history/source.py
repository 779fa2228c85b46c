"""The one place history/ reads a store: its entries' metadata, and the snapshots it opens.

Selecting uses entry metadata only (model, version, capture stem, path); a
snapshot is opened only when it is compared, and at most once. When the store
index (#10) lands, `StoreView.__init__` is the one line to switch.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from snapshot.errors import SnapshotNotFound
from snapshot.formats.files import load_snapshot
from snapshot.store.backend import open_store
from snapshot.store.layout import default_store, list_entries


@dataclass(frozen=True)
class Snap:
    """One snapshot's metadata: enough to select it without opening it."""

    model: str
    version: str
    stem: str  # the capture time as in the file name; string order is time order
    path: Path | str  # a URL on object storage


class StoreView:
    """A store's snapshots grouped by model and version, oldest first, with a cache of opened documents."""

    def __init__(self, store):
        self.root = open_store(default_store(store))  # a local folder, or any fsspec URL (#10)
        if not self.root.is_store():
            raise SnapshotNotFound(f"store {self.root} does not exist; pass --store DIR or set SNAP_STORE")
        entries = list_entries(self.root)  # the store's index: metadata only, no snapshot opened
        self.snaps = [Snap(e.model, e.version, e.stem, e.path) for e in entries]
        self.by_version: dict[tuple[str, str], list[Snap]] = defaultdict(list)
        self.by_model: dict[str, list[Snap]] = defaultdict(list)
        for snap in self.snaps:
            self.by_version[(snap.model, snap.version)].append(snap)
            self.by_model[snap.model].append(snap)
        for own in self.by_model.values():
            own.sort(key=lambda s: s.stem)
        for own in self.by_version.values():
            own.sort(key=lambda s: s.stem)
        self.versions_of: dict[str, list[str]] = defaultdict(list)  # model -> its versions, each once
        for model, version in self.by_version:
            self.versions_of[model].append(version)
        self._docs: dict[Path | str, dict] = {}

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
