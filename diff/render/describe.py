"""Words for a diff, shared by the text and Markdown renderers."""

from __future__ import annotations

import json
from typing import Any

from diff.changes import Change, DiffResult, Side
from snapshot.formats.inert import escape_controls

ABSENT = "—"


def headline(result: DiffResult) -> str:
    """`Churn v2 → v3: 14 changes in 6 sections, 1 breaking`."""
    return f"{title(result.left, result.right)}: {counts(result)}"


def title(left: Side, right: Side) -> str:
    """`Churn v2 → v3`, `Churn v2 → Fraud v1`, or capture times for one version; `prompt greeter v1 → v2`."""
    left_name, right_name = side_name(left), side_name(right)
    same_model = left_name == right_name
    right_part = f"v{right.version}" if same_model else f"{right_name} v{right.version}"
    if same_model and left.version == right.version:
        return f"{left_name} v{left.version} ({left.captured_at} → {right.captured_at})"
    return f"{left_name} v{left.version} → {right_part}"


def side_name(side: Side) -> str:
    """The model's name; `WORKSPACE:NAME` outside the default workspace, and `prompt NAME` for a prompt."""
    name = f"{side.workspace}:{side.model}" if side.workspace and side.workspace != "default" else f"{side.model}"
    return f"prompt {name}" if side.kind == "prompt" else name


def counts(result: DiffResult) -> str:
    n, sections = len(result.changes), len(result.sections)
    if not n:
        hidden = hidden_note(result)
        return f"no changes shown; {hidden}" if hidden else "no changes"
    text = f"{_plural(n, 'change')} in {_plural(sections, 'section')}, {len(result.breaking)} breaking"
    hidden = hidden_note(result)
    return f"{text} ({hidden})" if hidden else text


def hidden_note(result: DiffResult) -> str:
    """`5 within tolerance, not shown`; also the changes --only and ignores left out, where counted."""
    parts = []
    if result.tolerated:
        parts.append(f"{len(result.tolerated)} within tolerance")
    for reason, count in sorted((getattr(result, "hidden", None) or {}).items()):
        if count:
            parts.append(f"{count} {reason}")
    return f"{', '.join(parts)}, not shown" if parts else ""


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def value_text(value: Any, limit: int = 60) -> str:
    """A value as text: `—` when absent, JSON for lists and objects, cut at `limit` characters."""
    if value is None:
        return ABSENT
    if value == "":
        return '""'  # an empty value is there: not the same as absent (—)
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, float):
        text = f"{value:.10g}"  # full precision stays in JSON
    elif isinstance(value, (dict, list)):
        text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    else:
        text = str(value)
    text = escape_controls(text)  # every renderer's values (text, Markdown, snap log) come through here
    return text if len(text) <= limit else text[: limit - 1] + "…"


def note(change: Change) -> str:
    """`+0.02 (+2.5%)`, `minor upgrade`, `breaking: new required input`."""
    parts = []
    delta = change.delta or {}
    if "abs" in delta:
        rel = f" ({delta['rel']:+.2%})" if delta.get("rel") is not None else ""
        parts.append(f"{delta['abs']:+.6g}{rel}")
    if change.detail:
        parts.append(change.detail)
    text = "; ".join(parts)
    return f"BREAKING{': ' + text if text else ''}" if change.breaking else text



# Prefixes a section's title already says, left off paths in tables (JSON keeps full paths).
_IMPLIED = {
    "signature": "mlmodel.parsed.signature.", "flavors": "mlmodel.parsed.flavors.",
    "requirements": "environment.", "artifacts": "artifacts.", "datasets": "run.dataset_inputs.",
    "permissions": "permissions.",
}


def display_path(change: Change) -> str:
    prefix = _IMPLIED.get(change.section, "")
    return change.path[len(prefix):] if prefix and change.path.startswith(prefix) else change.path


def old_text(change: Change, limit: int = 60) -> str:
    return _side_text(change, change.old, limit)


def new_text(change: Change, limit: int = 60) -> str:
    return _side_text(change, change.new, limit)


def _side_text(change: Change, value: Any, limit: int) -> str:
    if change.section == "aliases" and value is not None:
        return f"v{value}"  # `champion: v2 → v3`
    if change.kind == "changed" and _types_differ(change.old, change.new):
        return typed_text(value, limit)
    return value_text(value, limit)


_TYPE_NAMES = ((bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"), (list, "list"),
               (dict, "object"))


def _types_differ(old: Any, new: Any) -> bool:
    """Values of different JSON types; an integer and a number only when they read the same (16, 16.0)."""
    if old is None or new is None or _type_name(old) == _type_name(new):
        return False
    numbers = all(_type_name(v) in ("integer", "number") for v in (old, new))
    return not numbers or value_text(old) == value_text(new)


def _type_name(value: Any) -> str:
    return next((name for kind, name in _TYPE_NAMES if isinstance(value, kind)), type(value).__name__)


def typed_text(value: Any, limit: int = 60) -> str:
    """`16 (integer)`, `"16" (string)`: a value as JSON with its type, where only the type changed."""
    if value is None:
        return ABSENT
    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return f"{text} ({_type_name(value)})"
