"""A diff as JSON: a stable, documented schema (docs/diff.md), deterministic output."""

from __future__ import annotations

import json
from dataclasses import asdict

from diff.changes import DiffResult
from snapshot.formats.inert import json_controls

# Bump when a field is removed or changes meaning; adding fields keeps the version.
DIFF_SCHEMA_VERSION = 1
_WHEN_SET = ("kind", "workspace")  # a side's keys written only for a prompt, or a server with workspaces
_RECORD_FIELDS = ("section", "path", "kind", "old", "new", "delta", "breaking", "detail")


def diff_as_data(result: DiffResult) -> dict:
    """The JSON document as Python data."""
    return {
        "schema_version": DIFF_SCHEMA_VERSION,
        "left": _side(result, "left"),
        "right": _side(result, "right"),
        "summary": {
            "changes": len(result.changes),
            "breaking": len(result.breaking),
            "sections": {s: sum(c.section == s for c in result.changes) for s in result.sections},
            "within_tolerance": len(result.tolerated),
        },
        "changes": [_record(c) for c in result.changes],
        "within_tolerance": [_record(c) for c in result.tolerated],
    }


def render_json(result: DiffResult) -> str:
    """Sorted keys, two-space indent, final newline; changes in section then path order."""
    return json_controls(json.dumps(diff_as_data(result), sort_keys=True, indent=2, ensure_ascii=False) + "\n")


def _side(result: DiffResult, name: str) -> dict:
    """One side; `"modified": true` only when it was read with --allow-modified and its hash fails."""
    side = {k: v for k, v in asdict(getattr(result, name)).items() if v is not None or k not in _WHEN_SET}
    return {**side, **({"modified": True} if name in result.modified else {})}


def _record(change) -> dict:
    data = asdict(change)
    return {k: data[k] for k in _RECORD_FIELDS}
