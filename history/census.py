"""The roll calls batch captures leave in the store (snapshot/capture/census.py), as history reads them.

A census says which models and versions the registry listed at one capture, so
the store can tell a version that was deleted from one that did not change
(dedupe writes no file for either). Only the census files' names are listed up
front; one is opened when a question needs it, at most once.
"""

from __future__ import annotations

import json
from typing import NamedTuple

from snapshot.capture.census import DIRNAME
from snapshot.errors import SnapshotCorrupt
from snapshot.store.layout import DEFAULT_WORKSPACE, file_stem


class Census(NamedTuple):
    """What the registry listed at one batch capture."""

    stem: str  # when the run finished: the file's name, in snapshot stem form
    started: str  # when it began listing: a version absent from `models` and last captured before this was gone
    models: dict[str, frozenset[str]]  # store name -> the versions listed (models read whole only)
    failed: dict[str, frozenset[str]]  # store name -> versions whose capture failed ("*": the model's listing)
    selection: dict  # all, filter, prompts, workspace, tracking_uri, registry_uri

    def covers(self, model: str, prompt: bool) -> bool:
        """Whether the registry's listing would have named `model`, had it still been there."""
        if model in self.models:
            return True
        if not self.selection.get("all") or "*" in self.failed.get(model, ()):
            return False
        if self.selection.get("prompts", "exclude") == ("exclude" if prompt else "only"):
            return False
        workspace = self.selection.get("workspace")
        if workspace and workspace != DEFAULT_WORKSPACE:
            return model.startswith(f"{workspace}:")
        return ":" not in model  # WORKSPACE:NAME is another workspace's model (snapshot.store.layout)

    @property
    def filtered(self) -> str | None:
        """The --filter the capture listed with: a model it left out may only have stopped matching."""
        return self.selection.get("filter")


class Censuses:
    """A store's censuses, oldest first, each opened on first use."""

    def __init__(self, store):
        self.store = store
        names = (item.name for item in store.listdir(DIRNAME) if not item.is_dir)
        self.stems = sorted(name[:-5] for name in names if name.endswith(".json"))
        self._open: dict[str, Census] = {}

    def __bool__(self) -> bool:
        return bool(self.stems)

    def get(self, stem: str) -> Census:
        if stem not in self._open:
            rel = f"{DIRNAME}/{stem}.json"
            try:
                data = json.loads(self.store.read(rel).decode("utf-8"))
                self._open[stem] = Census(
                    stem, file_stem(data["started_at"]),
                    {name: frozenset(versions) for name, versions in data["models"].items()},
                    {name: frozenset(versions) for name, versions in (data.get("failed") or {}).items()},
                    data.get("selection") or {})
            except (ValueError, KeyError, TypeError, AttributeError):
                raise SnapshotCorrupt(f"census {self.store.file(rel)} is damaged; delete it (the next "
                                      "snap capture --all writes a new one)") from None
        return self._open[stem]

    def at(self, stem: str) -> Census | None:
        """The newest census finished at or before `stem`."""
        found = [s for s in self.stems if s <= stem]
        return self.get(found[-1]) if found else None

    def between(self, since: str, until: str) -> list[Census]:
        """The censuses finished after `since` and at or before `until`, oldest first."""
        return [self.get(s) for s in self.stems if since < s <= until]

    def before(self, census: Census) -> Census | None:
        earlier = [s for s in self.stems if s < census.stem]
        return self.get(earlier[-1]) if earlier else None
