"""The inner structure of a snapshot, checked once when it is read, before any renderer sees it.

`snapshot/schema.json` says what type each part of a snapshot has; renderers and
the diff engine rely on it (`run.params` is an object, `artifacts.model.files` a
list of objects). A damaged or hand-edited file that breaks it is refused here
with the paths that are wrong, rather than failing deep in a renderer with
`'list' object has no attribute 'items'`. Types are checked everywhere; the
keys the schema requires only in list items (a file, a grant, a dataset), which
readers index by key. Elsewhere a missing key is read as absent, as older
snapshots and imports may lack it. Nesting is bounded, so no reader recurses without end.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

# Real snapshots nest about a dozen levels (fixtures: 11). Far deeper is a damaged
# or hostile file, and recursive readers (the diff engine, JSON encoders) would fail.
MAX_DEPTH = 64
_SHOWN = 3  # problems named in one error line

# JSON has no NaN or infinity: a metric that is one is stored as this text (snapshot/importer/values.py).
_NON_FINITE = ("NaN", "Infinity", "-Infinity")

# What readers rely on beyond schema.json, which leaves these open: the parsed
# MLmodel the report's model sections and the signature diff walk, the run times
# the report subtracts. Found by tests/test_campaign_inputs.py's wrong-type cases.
_TIME = {"type": ["integer", "null"]}
_READER_SCHEMA = {
    "run.info": {"start_time": _TIME, "end_time": _TIME},
    "mlmodel.parsed": {
        "artifact_path": {"type": ["string", "null"]},
        "flavors": {"type": ["object", "null"], "additionalProperties": {"type": "object"}},
        "signature": {"type": ["object", "null"]},
        "saved_input_example_info": {"type": ["object", "null"]},
        "metadata": {"type": ["object", "null"]},
    },
}


@functools.cache
def _schema() -> dict:
    return json.loads((Path(__file__).resolve().parents[1] / "schema.json").read_text(encoding="utf-8"))


def structure_problems(doc: dict) -> list[str]:
    """Where `doc` breaks the types of schema.json or nests too deep; empty when it is sound."""
    problems: list[str] = []
    stack: list[tuple[Any, dict | None, str, int]] = [(doc, _schema(), "", 0)]
    while stack and len(problems) < _SHOWN:
        value, schema, where, depth = stack.pop()
        if depth > MAX_DEPTH:
            problems.append(f"{where or 'the document'} nests deeper than {MAX_DEPTH} levels")
            break
        schema = _resolve(schema)
        problem = _problem(value, schema, where)
        if problem:
            problems.append(problem)
            continue
        for item, sub, key in _children(value, schema, where):
            if isinstance(item, (dict, list)):
                stack.append((item, sub, _join(where, key), depth + 1))
            elif sub is not None:  # scalars, most of a snapshot, are checked here without a stack entry
                problem = _problem(item, _resolve(sub), _join(where, key))
                if problem:
                    problems.append(problem)
    return problems[:_SHOWN]


def _problem(value: Any, schema: dict | None, where: str) -> str | None:
    if schema is None:
        return None
    if not _has_type(value, schema):
        return f"{where} is {_kind(value)}, not {_expected(schema['type'])}"
    if isinstance(value, dict) and where.endswith("]"):
        # An item of a list (a file, a grant, a dataset) is read by its keys: they must be there.
        missing = [key for key in schema.get("required", ()) if key not in value]
        if missing:
            return f"{where} has no {', '.join(map(repr, missing))}"
    return None


def _join(where: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{where}[{key}]"
    return f"{where}.{key}" if where else key


def nesting_depth(value: Any, stop: int = MAX_DEPTH + 1) -> int:
    """How deep lists and objects nest in `value` (a scalar is 0), counted up to `stop`, without recursion."""
    deepest, stack = 0, [(value, 0)]
    while stack and deepest < stop:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth + 1)
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def _children(value: Any, schema: dict | None, where: str):
    """(child, its schema or None, its key or index) for each child of a container."""
    schema = schema or {}
    if isinstance(value, dict):
        properties = {**(schema.get("properties") or {}), **_READER_SCHEMA.get(where, {})}
        extra = schema.get("additionalProperties")
        extra = extra if isinstance(extra, dict) else None
        for key, item in value.items():
            yield item, properties.get(key, extra), str(key)
    elif isinstance(value, list):
        items = schema.get("items")
        items = items if isinstance(items, dict) else None
        for i, item in enumerate(value):
            yield item, items, i


def _resolve(schema: dict | None) -> dict | None:
    while schema is not None and "$ref" in schema:
        schema = _schema()["$defs"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _has_type(value: Any, schema: dict) -> bool:
    expected = schema.get("type")
    accepted = _accepted(tuple(expected) if isinstance(expected, list) else expected)
    if accepted is None or type(value) in accepted:
        return True
    return isinstance(value, str) and value in _NON_FINITE and float in accepted


@functools.lru_cache(maxsize=512)
def _accepted(expected: str | tuple | None) -> frozenset | None:
    """The Python types a schema `type` admits (bool only for boolean), computed once per type."""
    if expected is None:
        return None
    names = [expected] if isinstance(expected, str) else expected
    kinds = {"object": (dict,), "array": (list,), "string": (str,), "integer": (int,), "number": (int, float),
             "boolean": (bool,), "null": (type(None),)}
    return frozenset(t for name in names for t in kinds.get(name, ()))


def _kind(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", int: "a number",
             float: "a number", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def _expected(expected: str | list) -> str:
    names = [expected] if isinstance(expected, str) else expected
    words = {"object": "an object", "array": "a list", "string": "a string", "integer": "an integer",
             "number": "a number", "boolean": "true or false", "null": "null"}
    return " or ".join(words.get(n, n) for n in names)
