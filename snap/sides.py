"""One side of a report or diff: a snapshot file, a store reference, or a live URI."""

from __future__ import annotations

from pathlib import Path

from snapshot.errors import BadOption, SnapError
from snapshot.formats.files import load_snapshot
from snapshot.store.backend import is_url
from snapshot.store.layout import default_store, resolve_ref


def load_target(target: str, store: str | Path | None = None, model: str | None = None,
                tracking_uri: str | None = None, registry_uri: str | None = None) -> dict:
    """The snapshot document a user means by `target`.

    A `models:/` URI is captured live (in memory, nothing stored); an existing
    file is read; anything else is a store reference (`v5`, `NAME/5`, `NAME@ALIAS`).
    """
    if target.startswith("models:/"):
        from snapshot.capture.version import capture_one  # imports mlflow: only on this path

        return capture_one(target, tracking_uri=tracking_uri, registry_uri=registry_uri)
    if not target.strip():
        raise BadOption("the target is empty: name a snapshot file, a store reference (Churn/3) or a models:/ URI")
    if is_url(target):  # s3://…/x.json, file:///…: a snapshot file, never a store reference
        return load_snapshot(target)
    path = Path(target)
    if path.suffix.lower() in (".json", ".parquet") or _exists(path):
        return load_snapshot(path)
    if "@{" in target:  # a point in time, Churn@champion@{7d} (#11): history/ resolves it
        from history.refs import load_at

        return load_at(default_store(store), target, model)
    return load_snapshot(resolve_ref(default_store(store), target, model))


def load_sides(left: str, right: str, store: str | Path | None = None, model: str | None = None,
               tracking_uri: str | None = None, registry_uri: str | None = None) -> tuple[dict, dict]:
    """Both sides of a diff; an error says which side it came from."""
    docs = []
    for side, target in (("left", left), ("right", right)):
        try:
            docs.append(load_target(target, store, model, tracking_uri, registry_uri))
        except SnapError as exc:
            raise type(exc)(f"{side} side: {exc}") from exc
        except Exception as exc:
            raise SnapError(f"{side} side: {type(exc).__name__}: {exc}") from exc
    return docs[0], docs[1]


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError:  # a name too long for the file system is not a file
        return False
