"""Areas made of named items: status, descriptions, aliases, tags, params, metrics."""

from __future__ import annotations

import math
from fnmatch import fnmatchcase
from typing import Any

from diff.changes import ADDED, CHANGED, MOVED, REMOVED, WITHIN_TOLERANCE, Change, DiffOptions

STATUS_FIELDS = (
    "model_version.status", "model_version.status_message", "model_version.current_stage",
    "run.info.status", "run.info.lifecycle_stage", "experiment.lifecycle_stage", "logged_model.status",
)
DESCRIPTION_FIELDS = ("model_version.description", "registered_model.description")
TAG_MAPS = ("model_version.tags", "registered_model.tags", "run.tags", "experiment.tags", "logged_model.tags")
PARAM_MAPS = ("run.params", "logged_model.params")


def get(doc: Any, path: str) -> Any:
    """The value at a dotted path, or None when any step is missing."""
    for key in path.split("."):
        if not isinstance(doc, dict):
            return None
        doc = doc.get(key)
    return doc


def as_map(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def number(value: Any) -> float | None:
    """A number, from a number or a numeric string (params are strings); never a bool."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        result = float(value)
    except (TypeError, ValueError):
        return None
    return result if math.isfinite(result) else None  # JSON has no NaN: such moves carry no delta


def numeric_delta(old: Any, new: Any) -> dict | None:
    """{"abs": new - old, "rel": (new - old) / |old|} (rel is None when old is 0)."""
    a, b = number(old), number(new)
    if a is None or b is None:
        return None
    diff = b - a
    return {"abs": float(f"{diff:.12g}"), "rel": float(f"{diff / abs(a):.12g}") if a else None}


def compare_maps(section: str, prefix: str, left: dict, right: dict, with_delta: bool = False) -> list[Change]:
    """Added, removed and changed keys of two `{key: value}` maps."""
    out = []
    for key in sorted(set(left) | set(right)):
        old, new = left.get(key), right.get(key)
        path = f"{prefix}.{key}"
        if key not in left:
            out.append(Change(section, path, ADDED, new=new))
        elif key not in right:
            out.append(Change(section, path, REMOVED, old=old))
        elif old != new:
            # the note on JSON held in strings is added by the engine, to the changes it keeps (with_notes)
            out.append(Change(section, path, CHANGED, old, new, numeric_delta(old, new) if with_delta else None))
    return out


def compare_fields(section: str, paths: tuple[str, ...], left: dict, right: dict) -> list[Change]:
    out = []
    for path in paths:
        old, new = get(left, path), get(right, path)
        if old != new:
            kind = ADDED if old is None else REMOVED if new is None else CHANGED
            out.append(Change(section, path, kind, old, new))
    return out


def compare_status(left: dict, right: dict, options: DiffOptions) -> list[Change]:
    return compare_fields("status", STATUS_FIELDS, left, right)


def compare_descriptions(left: dict, right: dict, options: DiffOptions) -> list[Change]:
    return compare_fields("description", DESCRIPTION_FIELDS, left, right)


def compare_tags(left: dict, right: dict, options: DiffOptions) -> list[Change]:
    return [c for p in TAG_MAPS for c in compare_maps("tags", p, as_map(get(left, p)), as_map(get(right, p)))]


def compare_params(left: dict, right: dict, options: DiffOptions) -> list[Change]:
    return _without_echoes([c for p in PARAM_MAPS for c in
                            compare_maps("params", p, as_map(get(left, p)), as_map(get(right, p)), with_delta=True)])


def _without_echoes(changes: list[Change]) -> list[Change]:
    """MLflow 3 copies a run's params and metrics to its logged model: report each move once, on the run."""
    on_run = {(c.path.split(".", 2)[2], c.kind, c.old, c.new) for c in changes if c.path.startswith("run.")}
    return [c for c in changes
            if not (c.path.startswith("logged_model.") and (c.path.split(".", 2)[2], c.kind, c.old, c.new) in on_run)]


def compare_aliases(left: dict, right: dict, options: DiffOptions) -> list[Change]:
    """Aliases as moves: `champion: 2 -> 3`, from the model's alias map and each version's own aliases."""
    model_moves = _alias_moves("registered_model.aliases", _model_aliases(left), _model_aliases(right))
    by_alias = {c.path.rsplit(".", 1)[-1]: c for c in model_moves}
    version_moves = _alias_moves("model_version.aliases", _version_aliases(left), _version_aliases(right))
    return model_moves + [c for c in version_moves if not _same_move(c, by_alias.get(c.path.rsplit(".", 1)[-1]))]


def _same_move(version_move: Change, model_move: Change | None) -> bool:
    """The model's alias map already tells of the alias reaching (or leaving) this version."""
    if model_move is None:
        return False
    return (version_move.new is not None and version_move.new == model_move.new) or \
        (version_move.old is not None and version_move.old == model_move.old)


def _model_aliases(doc: dict) -> dict:
    return {k: str(v) for k, v in as_map(get(doc, "registered_model.aliases")).items()}


def _version_aliases(doc: dict) -> dict:
    names = get(doc, "model_version.aliases")
    version = str(get(doc, "model_version.version") or get(doc, "manifest.model_version"))
    return {name: version for name in names} if isinstance(names, list) else {}


def _alias_moves(prefix: str, left: dict, right: dict) -> list[Change]:
    return [Change("aliases", c.path, MOVED if c.kind == CHANGED else c.kind, c.old, c.new)
            for c in compare_maps("aliases", prefix, left, right)]


def compare_metrics(left: dict, right: dict, options: DiffOptions) -> list[Change]:
    """Latest metric values, with absolute and relative change; tolerated moves are marked."""
    out = []
    for prefix, read in (("run.metrics", _run_metrics), ("logged_model.metrics", _model_metrics)):
        for change in compare_maps("metrics", prefix, read(left), read(right), with_delta=True):
            if change.kind == CHANGED and _tolerated(change, options):
                change = Change(**{**change.__dict__, "detail": WITHIN_TOLERANCE})
            out.append(change)
    return _without_echoes(out)


def _run_metrics(doc: dict) -> dict:
    metrics = as_map(get(doc, "run.metrics"))
    return {k: v.get("value") if isinstance(v, dict) else v for k, v in metrics.items()}


def _model_metrics(doc: dict) -> dict:
    items = get(doc, "logged_model.metrics")
    out = {}
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and "key" in item:
            key = item["key"] + (f"[{item['dataset_name']}]" if item.get("dataset_name") else "")
            out[key] = item.get("value")
    return out


def _tolerated(change: Change, options: DiffOptions) -> bool:
    name = change.path.split(".", 2)[2]
    for pattern, tol in options.tolerances.items():
        if not (fnmatchcase(name, pattern) or fnmatchcase(change.path, pattern)):
            continue
        delta = change.delta or {}
        if tol.percent:
            if delta.get("rel") is not None and abs(delta["rel"]) * 100 <= tol.amount:
                return True
        elif delta.get("abs") is not None and abs(delta["abs"]) <= tol.amount:
            return True
    return False
