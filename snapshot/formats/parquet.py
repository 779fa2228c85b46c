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
from snapshot.formats.validate import MAX_DEPTH

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


class _Damaged(ValueError):
    """A row that no snapshot could have written."""


_VALUES = ("str", "int", "float", "bool", "null", "empty_object", "empty_list")


def _set(root: list, tokens: list[str], containers: str, value, max_index: int) -> None:
    """Put `value` at `tokens` under root[0], creating the containers on the way.

    A list index is at most `max_index` (the table's row count: no list has more
    items than there are rows), so a forged `/zz/99999999999` cannot make this allocate.
    """
    if len(tokens) != len(containers) or len(tokens) > MAX_DEPTH:
        raise _Damaged(f"row {'/'.join(['', *tokens])!r} has {len(containers)} container kinds "
                       f"for {len(tokens)} steps" if len(tokens) <= MAX_DEPTH else
                       f"a row nests deeper than {MAX_DEPTH} levels")
    parent, key = root, 0
    for token, shape in zip(tokens, containers):
        container = parent[key]
        if container is None:
            container = [] if shape == "l" else {}
            parent[key] = container
        if shape == "l" and isinstance(container, list):
            if not (token.isascii() and token.isdigit()) or int(token) >= max_index:
                raise _Damaged(f"list index {token[:20]!r} is not one a snapshot of {max_index} rows can have")
            index = int(token)
            container.extend([None] * (index + 1 - len(container)))
            parent, key = container, index
        elif shape == "o" and isinstance(container, dict):
            name = _unescape(token)
            container.setdefault(name, None)
            parent, key = container, name
        else:
            raise _Damaged(f"row {'/'.join(['', *tokens])[:80]!r} goes through a value that is not "
                           f"{'a list' if shape == 'l' else 'an object' if shape == 'o' else shape[:5]!r}")
    parent[key] = value


def from_table(table: pa.Table) -> dict:
    root: list = [None]
    columns = ["path", "containers", "kind", "value_str", "value_num", "value_int", "value_bool"]
    data = table.select(columns).to_pydict()
    for path, containers, kind, s, num, i, b in zip(*data.values()):
        if kind not in _VALUES or not isinstance(path, str) or not isinstance(containers, str):
            raise _Damaged(f"a row has kind {kind!r}, path {path!r:.80}, containers {containers!r:.20}")
        value = {"str": s, "int": i, "float": num, "bool": b, "null": None,
                 "empty_object": {}, "empty_list": []}[kind]
        tokens = path.split("/")[1:] if path else []
        _set(root, tokens, containers, value, table.num_rows)
    return root[0]


# Far beyond any snapshot (5,000 params and metrics, 2,000 files: under 2 MB), but a
# small file cannot make the reader decompress gigabytes.
MAX_UNCOMPRESSED = 256 * 1024 * 1024
_READ = ("path", "containers", "kind", "value_str", "value_num", "value_int", "value_bool")


def read_parquet(path: Path) -> dict:
    try:
        meta = pq.read_metadata(path)
        size = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
        if size > MAX_UNCOMPRESSED:
            raise SnapshotCorrupt(f"{path} would decompress to {size} bytes, more than any snapshot; "
                                  "it is damaged or not a snap snapshot: capture it again")
        table = pq.read_table(path, columns=[c for c in _READ if c in meta.schema.names])
    except (pa.ArrowException, OSError) as exc:
        raise SnapshotCorrupt(f"{path} is not a readable Parquet snapshot ({exc}); capture it again") from None
    if not set(_READ) <= set(table.column_names):
        raise SnapshotCorrupt(f"{path} is a Parquet file but not a snap snapshot (columns missing); "
                              "name a snapshot written by snap capture")
    try:
        return from_table(table)
    except (_Damaged, pa.ArrowException) as exc:
        raise SnapshotCorrupt(f"{path} is a damaged Parquet snapshot ({exc}); capture it again") from None
