"""What changed inside values that are JSON held in strings.

MLflow keeps some structures as JSON text: a dataset's `schema` and `profile`,
JSON-valued tags and params, MLmodel `metadata`. Compared as strings, a one-column
change shows as two long blobs; parsed and compared with deepdiff, it is named:
`added mlflow_colspec[2] {"name": "age", "type": "long"}`. The change itself keeps
both strings as they were captured; this is its detail note.
"""

from __future__ import annotations

import json
import sys
from typing import Any

_OPTIONAL = ("pandas", "polars", "numpy", "pydantic")  # deepdiff's optional imports (see _deepdiff)
SHOWN = 5  # structural changes named in a note; the rest are counted
_KINDS = (  # deepdiff's report types, in the order notes list them, and how a note names them
    ("dictionary_item_added", "added"), ("iterable_item_added", "added"),
    ("dictionary_item_removed", "removed"), ("iterable_item_removed", "removed"),
    ("values_changed", "changed"), ("type_changes", "changed"),
)


def embedded_json_note(old: Any, new: Any) -> str:
    """A note naming the structural changes when both values are JSON objects or arrays in strings, else ""."""
    a, b = _parsed(old), _parsed(new)
    if a is None or b is None:
        return ""
    tree = _deepdiff()(a, b, verbose_level=2).tree
    items = [f"{word} {_path(level.path(output_format='list'))}{_values(word, level)}"
             for kind, word in _KINDS for level in sorted(tree.get(kind, ()), key=_sort_key)]
    if not items:
        return ""
    more = f"; and {len(items) - SHOWN} more" if len(items) > SHOWN else ""
    return "in the JSON: " + "; ".join(items[:SHOWN]) + more


def _parsed(value: Any) -> dict | list | None:
    if not isinstance(value, str) or value.lstrip()[:1] not in ("{", "["):
        return None
    try:
        parsed = json.loads(value)
    except ValueError:
        return None
    return parsed if isinstance(parsed, (dict, list)) else None


def _sort_key(level) -> str:
    return json.dumps(level.path(output_format="list"), default=str)


def _path(parts: list) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _values(word: str, level) -> str:
    if word == "added":
        return f" {_short(level.t2)}"
    if word == "removed":
        return f" {_short(level.t1)}"
    return f": {_short(level.t1)} -> {_short(level.t2)}"


def _short(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _deepdiff():
    """deepdiff's DeepDiff, imported only when a diff meets JSON in strings, and without its optional packages.

    deepdiff imports pandas, polars, numpy and pydantic, when installed, to recognise
    their objects; parsed JSON holds none of them, and importing them cost more than
    the rest of a diff (0.9 s of `snap log`'s 1.3 s here). A None entry in sys.modules
    makes such an import fail as if the package were absent, which deepdiff allows
    for; the entries are removed again at once, so a later import works as usual."""
    if "deepdiff" not in sys.modules:
        blocked = [name for name in _OPTIONAL if name not in sys.modules]
        sys.modules.update(dict.fromkeys(blocked))
        try:
            import deepdiff  # noqa: F401  (fills sys.modules; DeepDiff is taken below)
        finally:
            for name in blocked:
                del sys.modules[name]
    from deepdiff import DeepDiff

    return DeepDiff
