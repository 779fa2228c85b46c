"""The Parquet form: one row per leaf, typed columns, lossless.

A long table (model, version, captured_at, section, path, typed value) is easy
to query across many snapshots with DuckDB, pandas or Spark, and rebuilds the
JSON document exactly.
"""

from __future__ import annotations

import io
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from snapshot.errors import SnapshotCorrupt

SCHEMA = pa.schema([
    ("model", pa.string()),
    ("version", pa.string()),
    ("captured_at", pa.string()),
    ("content_hash", pa.string()),
    ("section", pa.string()),
    ("path", pa.string()),
    ("containers", pa.string()),
    ("kind", pa.string()),
    ("value_str", pa.string()),
    ("value_num", pa.float64()),
    ("value_int", pa.int64()),
    ("value_bool", pa.bool_()),
])


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def _leaves(value, pointer: str, containers: str):
    """(JSON Pointer, container kinds along it: o=object l=list, kind, value)."""
    if isinstance(value, dict):
        if not value:
            yield pointer, containers, "empty_object", None
        for key in sorted(value):
            yield from _leaves(value[key], f"{pointer}/{_escape(key)}", containers + "o")
    elif isinstance(value, list):
        if not value:
            yield pointer, containers, "empty_list", None
        for i, item in enumerate(value):
            yield from _leaves(item, f"{pointer}/{i}", containers + "l")
    elif value is None:
        yield pointer, containers, "null", None
    elif isinstance(value, bool):
        yield pointer, containers, "bool", value
    elif isinstance(value, int):
        yield pointer, containers, "int", value
    elif isinstance(value, float):
        yield pointer, containers, "float", value
    else:
        yield pointer, containers, "str", value


def to_table(doc: dict) -> pa.Table:
    m = doc["manifest"]
    cols = {name: [] for name in SCHEMA.names}
    for pointer, containers, kind, value in _leaves(doc, "", ""):
        cols["section"].append(_unescape(pointer.split("/")[1]) if pointer else "")
        cols["path"].append(pointer)
        cols["containers"].append(containers)
        cols["kind"].append(kind)
        cols["value_str"].append(value if kind == "str" else None)
        cols["value_num"].append(float(value) if kind in ("int", "float") else None)
        cols["value_int"].append(value if kind == "int" else None)
        cols["value_bool"].append(value if kind == "bool" else None)
    n = len(cols["path"])
    for name, key in (("model", "model_name"), ("version", "model_version"),
                      ("captured_at", "captured_at"), ("content_hash", "content_hash")):
        cols[name] = [m.get(key)] * n
    table = pa.table(cols, schema=SCHEMA)
    return table.replace_schema_metadata({"snap.schema_version": str(doc["schema_version"])})


def parquet_bytes(doc: dict) -> bytes:
    sink = io.BytesIO()
    pq.write_table(to_table(doc), sink, compression="zstd")
    return sink.getvalue()


def _set(root: list, tokens: list[str], containers: str, value) -> None:
    """Put `value` at `tokens` under root[0], creating the containers on the way."""
    parent, key = root, 0
    for token, shape in zip(tokens, containers):
        container = parent[key]
        if container is None:
            container = [] if shape == "l" else {}
            parent[key] = container
        if isinstance(container, list):
            index = int(token)
            while len(container) <= index:
                container.append(None)
            parent, key = container, index
        else:
            name = _unescape(token)
            container.setdefault(name, None)
            parent, key = container, name
    parent[key] = value


def from_table(table: pa.Table) -> dict:
    root: list = [None]
    columns = ["path", "containers", "kind", "value_str", "value_num", "value_int", "value_bool"]
    data = table.select(columns).to_pydict()
    for path, containers, kind, s, num, i, b in zip(*data.values()):
        value = {"str": s, "int": i, "float": num, "bool": b, "null": None,
                 "empty_object": {}, "empty_list": []}[kind]
        tokens = path.split("/")[1:] if path else []
        _set(root, tokens, containers, value)
    return root[0]


def read_parquet(path: Path) -> dict:
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise SnapshotCorrupt(f"{path} is not a readable Parquet snapshot ({exc}); capture it again") from None
    if not {"path", "containers", "kind"} <= set(table.column_names):
        raise SnapshotCorrupt(f"{path} is a Parquet file but not a snap snapshot")
    return from_table(table)
