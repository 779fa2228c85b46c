"""Model signatures: inputs, outputs and params matched by column name.

Breaking means a caller that worked before may fail now: a removed or narrowed
input, a new required input, an input that became required, a removed or
changed output, a removed param or a param whose type changed. Everything else
(a new optional input, a widened input, a new output, a reorder) is compatible.
"""

from __future__ import annotations

import json
from typing import Any

from diff.changes import ADDED, CHANGED, REMOVED, REORDERED, Change, DiffOptions
from diff.keyed import get

ROOT = "mlmodel.parsed.signature"

# Input type changes that accept everything the old type accepted.
_WIDENINGS = {
    ("integer", "long"), ("integer", "float"), ("integer", "double"),
    ("long", "double"), ("float", "double"),
}


def compare_signature(left: dict, right: dict, options: DiffOptions) -> list[Change]:
    old, new = get(left, ROOT), get(right, ROOT)
    if not old and not new:
        return []
    if not new:
        return [Change("signature", ROOT, REMOVED, "present", None, detail="inputs are no longer checked")]
    if not old:
        count = len(_columns(new.get("inputs")))
        return [Change("signature", ROOT, ADDED, None, "present", breaking=True,
                       detail=f"inputs are now checked against {count} columns")]
    out = []
    for part in ("inputs", "outputs", "params"):
        out += _compare_part(part, _columns(old.get(part)), _columns(new.get(part)))
    return out


def _columns(value: Any) -> dict[str, dict]:
    """Columns by name, in order; unnamed (tensor) columns by position `#0`, `#1`, ..."""
    if isinstance(value, str):  # not decoded: compare it whole
        value = [{"name": "#0", "type": value}]
    cols = {}
    for i, col in enumerate(value if isinstance(value, list) else []):
        col = col if isinstance(col, dict) else {"type": col}
        cols[str(col.get("name") or f"#{i}")] = col
    return cols


def _compare_part(part: str, left: dict, right: dict) -> list[Change]:
    prefix = f"{ROOT}.{part}"
    out = []
    for name in left:
        if name not in right:
            out.append(Change("signature", f"{prefix}.{name}", REMOVED, _describe(left[name]), None, breaking=True))
    for name, col in right.items():
        if name not in left:
            out.append(_added(part, f"{prefix}.{name}", col))
        else:
            out += _compare_column(part, f"{prefix}.{name}", left[name], col)
    common_old = [n for n in left if n in right]
    common_new = [n for n in right if n in left]
    if common_old != common_new:
        out.append(Change("signature", prefix, REORDERED, common_old, common_new, detail="order changed"))
    return out


def _added(part: str, path: str, col: dict) -> Change:
    required = _required(col)
    breaking = part == "inputs" and required
    detail = "new required input" if breaking else ""
    return Change("signature", path, ADDED, None, _describe(col), breaking=breaking, detail=detail)


def _compare_column(part: str, path: str, old: dict, new: dict) -> list[Change]:
    out = []
    old_type, new_type = _type(old), _type(new)
    if old_type != new_type:
        widened = (old_type, new_type) in _WIDENINGS
        breaking = part != "inputs" or not widened
        detail = "widened" if widened else "type changed"
        out.append(Change("signature", f"{path}.type", CHANGED, old_type, new_type, breaking=breaking, detail=detail))
    if part != "params" and _required(old) != _required(new):
        breaking = part == "outputs" or _required(new)
        out.append(Change("signature", f"{path}.required", CHANGED, _required(old), _required(new),
                          breaking=breaking, detail="now required" if _required(new) else "now optional"))
    if part == "params" and not _same_value(old.get("default"), new.get("default")):
        out.append(Change("signature", f"{path}.default", CHANGED, old.get("default"), new.get("default"),
                          detail=_type_detail(old.get("default"), new.get("default"))))
    return out


def _same_value(old: Any, new: Any) -> bool:
    """Equal as JSON values: `16` and `16.0` and `true` and `1` differ, as they do to a caller."""
    return json.dumps(old, sort_keys=True) == json.dumps(new, sort_keys=True)


def _type_detail(old: Any, new: Any) -> str:
    kinds = [type(v).__name__ for v in (old, new) if v is not None]
    return "value type changed" if len(kinds) == 2 and kinds[0] != kinds[1] else ""


def _required(col: dict) -> bool:
    return col.get("required", True) is not False  # MLflow's default is required


def _type(col: dict) -> str:
    """`double`, or the canonical JSON of a richer spec (tensor, array, object, param shape)."""
    rest = {k: v for k, v in col.items() if k not in ("name", "required", "default")}
    if set(rest) == {"type"} and isinstance(rest["type"], str):
        return rest["type"]
    return json.dumps(rest, sort_keys=True, separators=(",", ":"))


def _describe(col: dict) -> str:
    return _type(col) + ("" if _required(col) else " (optional)")
