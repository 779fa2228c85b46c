"""One side of a report or diff: a snapshot file, a store reference, or a live URI."""

from __future__ import annotations

from pathlib import Path

from snapshot.io import load_snapshot
from snapshot.store import default_store, resolve_ref


def load_target(target: str, store: str | Path | None = None, model: str | None = None,
                tracking_uri: str | None = None, registry_uri: str | None = None) -> dict:
    """The snapshot document a user means by `target`.

    A `models:/` URI is captured live (in memory, nothing stored); an existing
    file is read; anything else is a store reference (`v5`, `NAME/5`, `NAME@ALIAS`).
    """
    if target.startswith("models:/"):
        from snapshot.capture import capture_one  # imports mlflow: only on this path

        return capture_one(target, tracking_uri=tracking_uri, registry_uri=registry_uri)
    path = Path(target)
    if path.suffix.lower() in (".json", ".parquet") or path.exists():
        return load_snapshot(path)
    return load_snapshot(resolve_ref(default_store(store), target, model))
