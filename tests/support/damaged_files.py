"""Damaged snapshot files for the #12 campaign: truncated, wrong types, deep, Parquet, encodings, not files."""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from snapshot.formats.document import dumps, seal
from snapshot.formats.parquet import to_table
from tests.support.campaign import NOT_FOUND, USAGE, Case
from tests.support.documents import make_doc
from tests.support.reference import FIXTURE

GOOD = make_doc("2")


def _file(name: str, data: bytes | str) -> Callable[[Path], list[str]]:
    """`snap report` on a file holding `data`."""
    def write(tmp: Path) -> list[str]:
        path = tmp / name
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        return ["report", str(path)]
    return write


def _doc_text(doc: object) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False)


def _parquet(rows: list[dict] | None = None, table: pa.Table | None = None) -> bytes:
    """A Parquet snapshot of GOOD with `rows` appended (each a partial row of snap's schema)."""
    base = to_table(GOOD)
    if rows:
        extra = {name: [row.get(name) for row in rows] for name in base.schema.names}
        base = pa.concat_tables([base, pa.table(extra, schema=base.schema)])
    sink = pa.BufferOutputStream()
    pq.write_table(table if table is not None else base, sink)
    return sink.getvalue().to_pybytes()


def _row(path: str, containers: str, kind: str = "str", value: str | None = "x") -> dict:
    return {"path": path, "containers": containers, "kind": kind, "value_str": value, "section": path.split("/")[1]}


def _paths(value: object, where: tuple = ()):
    yield where
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*where, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _paths(item, (*where, i))


def _replaced(base: dict, where: tuple, new: object) -> dict:
    doc = copy.deepcopy(base)
    parent = doc
    for key in where[:-1]:
        parent = parent[key]
    parent[where[-1]] = new
    return doc


def _sealed_text(doc: dict) -> str:
    if isinstance(doc.get("manifest"), dict) and doc["manifest"].get("model_name"):
        seal(doc)  # sealed, so only its structure or values can be wrong, not its content hash
    return _doc_text(doc)


def _wrong_types(base: dict, label: str, max_depth: int) -> list[Case]:
    """Each part of a snapshot (to `max_depth`) replaced by a value of another type: refused (2), or read (0)."""
    cases = []
    for where in _paths(base):
        if not where or len(where) > max_depth:
            continue
        for new in ([], {}, "x", 7, None, ["a", {"b": 1}]):
            text = _sealed_text(_replaced(base, where, new))
            name = "/".join(str(k) for k in where)
            cases.append(Case(f"{label}: {type(new).__name__} at {name}", _file("s.json", text), (0, USAGE)))
    return cases


def _extreme_values() -> list[Case]:
    """Sound snapshots holding values no server writes: read and rendered (0), never a crash."""
    nested_text = json.dumps(json.dumps(json.dumps({"a": [[[[1]]]]})))
    values = {
        "huge timestamp": (("model_version", "creation_timestamp"), 10**30),
        "negative timestamp": (("model_version", "last_updated_timestamp"), -(10**18)),
        "text timestamp": (("registered_model", "creation_timestamp"), "yesterday"),
        "float timestamp": (("experiment", "creation_time"), 1.5e300),
        "NaN metric": (("run", "metrics", "auc", "value"), "NaN"),
        "-Infinity metric": (("run", "metrics", "loss", "value"), "-Infinity"),
        "JSON text 100,000 deep in a tag": (("run", "tags", "deep"), _nested(100_000)),
        "JSON text 60 deep in a tag": (("run", "tags", "deep"), _nested(60)),
        "JSON in JSON in JSON in a tag": (("run", "tags", "nested"), nested_text),
        "1 MB tag value": (("model_version", "tags", "big"), "x" * 1_000_000),
        "empty names": (("run", "params", ""), ""),
    }
    return [Case(f"extreme value: {label}", _file("x.json", _sealed_text(_replaced(GOOD, where, value))), (0,), "md")
            for label, (where, value) in values.items()]


def _nested(depth: int, inner: str = "1") -> str:
    return "[" * depth + inner + "]" * depth


def damaged_files() -> list[Case]:
    """Every damaged-file case: each must end with exit 2 (3 for what is not a file) and one Error: line."""
    text = dumps(GOOD)
    truncated, deep, versions, parquet = _truncated(text), _deep(text), _versions(), _parquet_cases(text)
    diffed = [Case(f"diff with a damaged side: {c.name}", _as_diff(c.write), (USAGE,))
              for c in truncated[3:5] + deep[:2] + versions[:3] + parquet[4:6]]
    seed = json.loads(FIXTURE.read_text(encoding="utf-8"))
    return (truncated + deep + versions + _encodings(text) + _empties() + parquet + _places() + diffed
            + _extreme_values() + _wrong_types(GOOD, "wrong type", 99) + _wrong_types(seed, "wrong type in the seed", 3))


def _truncated(text: str) -> list[Case]:
    cuts = sorted({0, 1, 2, 10, 100, len(text) // 3, len(text) // 2, len(text) - 3, len(text) - 2})
    return [Case(f"truncated JSON at {n}/{len(text)}", _file("t.json", text[:n]), (USAGE,)) for n in cuts]


def _deep(text: str) -> list[Case]:
    deep = [Case(f"deep JSON nesting {d}", _file("d.json", _nested(d)), (USAGE,)) for d in (100, 1_000, 100_000)]
    return deep + [Case(f"deep nesting {d} inside run.params",
                        _file("d.json", text.replace('"params": {', '"params": {"p": ' + _nested(d, "{}") + ",", 1)),
                        (USAGE,)) for d in (70, 900, 50_000)]


def _versions() -> list[Case]:
    versions = [Case(f"schema_version {v!r}", _file("v.json", _doc_text({**GOOD, "schema_version": v})), (USAGE,))
                for v in (0, -1, 2, 999, "1", 1.5, True, None, [1], {"v": 1})]
    without = {k: v for k, v in GOOD.items() if k != "schema_version"}
    return versions + [Case("no schema_version", _file("v.json", _doc_text(without)), (USAGE,))]


def _encodings(text: str) -> list[Case]:
    return [
        Case("Latin-1 bytes", _file("e.json", text.replace("alice", "alicé").encode("latin-1")), (USAGE,)),
        Case("UTF-16 with BOM", _file("e.json", text.encode("utf-16")), (USAGE,)),
        Case("UTF-8 BOM", _file("e.json", b"\xef\xbb\xbf" + text.encode()), (USAGE,)),
        Case("random bytes", _file("e.json", bytes(range(256)) * 4), (USAGE,)),
        Case("NUL bytes", _file("e.json", b"\x00" * 64), (USAGE,)),
    ]


def _empties() -> list[Case]:
    return [Case(f"{label} in a .json file", _file("x.json", data), (USAGE,))
            for label, data in (("empty file", ""), ("whitespace", " \n\t"), ("null", "null"), ("a list", "[]"),
                                ("an empty object", "{}"), ("a string", '"snapshot"'), ("a number", "1"),
                                ("NaN", "NaN"), ("a manifest only", '{"schema_version": 1, "manifest": {}}'))]


def _parquet_cases(text: str) -> list[Case]:
    rows = {
        "Parquet row /zz/99999999999": _row("/zz/99999999999", "ol"),  # the 10 KB file that exhausted memory
        "Parquet row past a real list": _row("/artifacts/model/files/99999999999/path", "oooll"),
        "Parquet negative list index": _row("/run/dataset_inputs/-1", "ool"),
        "Parquet unknown kind": _row("/run/params/x", "ooo", kind="blob"),
        "Parquet containers shorter than path": _row("/run/params/x", "o"),
        "Parquet list through an object": _row("/run/params/0", "ool"),
        "Parquet row through a string": _row("/run/params/lr/x", "oooo"),
        "Parquet row 1,000 levels deep": _row("/run" + "/a" * 1000, "o" * 1001),
        "Parquet null path": {"kind": "str", "containers": "o"},
    }
    return [
        Case("empty .parquet", _file("p.parquet", b""), (USAGE,)),
        Case("JSON named .parquet", _file("p.parquet", text), (USAGE,)),
        Case("truncated Parquet", _file("p.parquet", _parquet()[:-100]), (USAGE,)),
        Case("Parquet of another table", _file("p.parquet", _parquet(table=pa.table({"a": [1]}))), (USAGE,)),
    ] + [Case(name, _file("p.parquet", _parquet([row])), (USAGE,)) for name, row in rows.items()]


def _places() -> list[Case]:
    return [Case("a directory named .json", _dir_named("x.json"), (NOT_FOUND,)),
            Case("a directory named .parquet", _dir_named("x.parquet"), (NOT_FOUND,)),
            Case("a FIFO named .json", _fifo, (USAGE, NOT_FOUND)),
            Case("a symlink loop", _loop, (USAGE, NOT_FOUND)),
            Case("a file that does not exist", lambda tmp: ["report", str(tmp / "none.json")], (NOT_FOUND,))]


def _dir_named(name: str):
    def write(tmp: Path) -> list[str]:
        (tmp / name).mkdir()
        return ["report", str(tmp / name)]
    return write


def _fifo(tmp: Path) -> list[str]:
    os.mkfifo(tmp / "f.json")  # reading would block forever; a FIFO is not a snapshot file
    return ["report", str(tmp / "f.json")]


def _loop(tmp: Path) -> list[str]:
    (tmp / "l.json").symlink_to(tmp / "l.json")
    return ["report", str(tmp / "l.json")]


def _as_diff(write: Callable[[Path], list[str]]) -> Callable[[Path], list[str]]:
    def diff(tmp: Path) -> list[str]:
        damaged = write(tmp)[-1]
        good = tmp / "good.json"
        good.write_text(dumps(GOOD), encoding="utf-8")
        return ["diff", str(good), damaged]
    return diff


