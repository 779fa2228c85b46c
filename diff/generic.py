"""Path-level changes to everything no area compares item by item."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from diff.changes import ADDED, CHANGED, REMOVED, Change
from diff.embedded_json import embedded_json_note

_MISSING = object()


def compare_generic(left: dict, right: dict, skip: Callable[[str], bool]) -> list[Change]:
    """Leaf by leaf: objects are walked, lists and scalars compared whole.

    A side that is null or absent where the other has an object counts as an
    empty object, so a section that appears shows only its leaves.
    """
    out: list[Change] = []
    for key in sorted(set(left) | set(right)):
        _walk(left.get(key, _MISSING), right.get(key, _MISSING), str(key), skip, out)
    return out


def _walk(old: Any, new: Any, path: str, skip: Callable[[str], bool], out: list[Change]) -> None:
    if skip(path):
        return
    if _objectish(old) and _objectish(new) and (isinstance(old, dict) or isinstance(new, dict)):
        a, b = _as_dict(old), _as_dict(new)
        for key in sorted(set(a) | set(b)):
            _walk(a.get(key, _MISSING), b.get(key, _MISSING), f"{path}.{key}", skip, out)
        return
    if old is _MISSING or old is None:
        if new is not _MISSING and new is not None:
            out.append(Change("other", path, ADDED, None, new))
    elif new is _MISSING or new is None:
        out.append(Change("other", path, REMOVED, old, None))
    elif old != new or type(old) is not type(new) and isinstance(old, bool) | isinstance(new, bool):
        detail = _list_detail(old, new) or embedded_json_note(old, new)
        out.append(Change("other", path, CHANGED, old, new, detail=detail))


def _objectish(value: Any) -> bool:
    return value is _MISSING or value is None or isinstance(value, dict)


def _as_dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _list_detail(old: Any, new: Any) -> str:
    """For lists of plain values: which items came and went."""
    if not (isinstance(old, list) and isinstance(new, list)):
        return ""
    try:
        gone = [x for x in old if x not in new]
        came = [x for x in new if x not in old]
    except TypeError:
        return ""
    parts = ([f"added {', '.join(map(str, came))}"] if came else []) + \
            ([f"removed {', '.join(map(str, gone))}"] if gone else [])
    return "; ".join(parts) or "order changed"
