"""The roll call a batch capture leaves in the store: which models and versions the registry listed.

    STORE/.snap-census/<stem>.json
    {"format": 1, "started_at": ..., "finished_at": ..., "selection": {"all": true, "filter": null, ...},
     "models": {store name: [versions the registry listed]}, "failed": {store name: [versions, or "*"]}}

Dedupe writes no file for an unchanged version and MLflow writes nothing when
it deletes one, so without this the store cannot tell "unchanged" from "gone".
A census is written only by a run that attempted every version it planned (not
one the circuit breaker stopped, nor an interrupted one), and lists only models
it read whole (every version: `--all`, or `models:/NAME`). It holds what the
server's searches returned, nothing more; history/census.py reads it.
`started_at` is when this run began: a version the census does not list whose
newest snapshot is older than that was gone when the registry was listed.
"""

from __future__ import annotations

import json

from snapshot.capture.result import BatchResult
from snapshot.formats.document import utc_now
from snapshot.store.backend import open_store
from snapshot.store.layout import file_stem, version_order

DIRNAME = ".snap-census"
FORMAT = 1



class Census:
    """What one batch run found in the registry, filled in as each model's versions are listed."""

    def __init__(self, selection: dict):
        self.started_at = utc_now()
        self.selection = {key: selection.get(key) for key in ("tracking_uri", "registry_uri", "all", "filter",
                                                                "prompts", "workspace")}
        self.models: dict[str, list[str]] = {}

    def listed(self, store_name: str, versions: list[str]) -> None:
        """Every version the registry listed for a model read whole."""
        self.models[store_name] = sorted({str(v) for v in versions}, key=version_order)

    def write(self, store, result: BatchResult, store_name_of) -> str:
        """Write the census into `store`; its path relative to the store."""
        finished_at = utc_now()
        failed: dict[str, set[str]] = {}
        for f in result.failed:
            failed.setdefault(store_name_of(f.name), set()).add(f.version)
        body = {"format": FORMAT, "started_at": self.started_at, "finished_at": finished_at,
                "selection": self.selection, "models": self.models,
                "failed": {name: sorted(v, key=version_order) for name, v in failed.items()}}
        rel = f"{DIRNAME}/{file_stem(finished_at)}.json"
        data = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n"
        open_store(store).write(rel, data.encode("utf-8"))
        return rel
