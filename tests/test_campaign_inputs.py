"""The bad-input and injection campaign of #12, generated in the test and run in-process.

Each category is a list of cases built here (damaged snapshot files, hostile
references, URIs and option values, Markdown and terminal injection in registry
values). Every case must end as a user can act on it: the documented exit code
and exactly one `Error:` line in snap's own words (no traceback, no internal
exception text), or, for values that are merely hostile, exit 0 with inert output.

The README table "Fault and bad-input campaign" gives the figures; regenerate its
rows for these categories with `.venv/bin/python -m tests.test_campaign_inputs`.
"""

from __future__ import annotations

import copy
import io
import json
import os
import re
import sys
import tempfile
from collections.abc import Callable
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pyarrow as pa
import pyarrow.parquet as pq
import typer.main
import typer.testing
from typer.testing import CliRunner

from snap.cli import app, main
from snapshot.formats.document import dumps, seal
from snapshot.formats.parquet import to_table
from snapshot.store.layout import file_stem, snapshot_dir
from tests.support.documents import make_doc
from tests.support.inert_checks import ENTITY_PAYLOAD, error_line_problems, markdown_problems, terminal_problems
from tests.support.reference import FIXTURE, REPO

USAGE, NOT_FOUND, WRITE = 2, 3, 6  # README "Exit codes"
README = REPO / "README.md"


@dataclass(frozen=True)
class Case:
    """One input: the files it needs (written under a fresh folder), the command, and what it must end as."""

    name: str
    write: Callable[[Path], list[str]]  # writes its files, returns the snap arguments
    codes: tuple[int, ...]  # the documented exit codes this case may end with
    output: str = ""  # "md" or "text": also check stdout is inert
    entry_point: bool = False  # run as the installed `snap` (usage errors are turned into one line there)


def _run_main(args: list[str]) -> SimpleNamespace:
    """`snap ARGS` through its entry point (snap/cli.py main), in-process."""
    out, err = io.StringIO(), io.StringIO()
    saved = sys.argv
    sys.argv = ["snap", *args]
    try:
        with redirect_stdout(out), redirect_stderr(err):
            main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    finally:
        sys.argv = saved
    return SimpleNamespace(exit_code=code, stdout=out.getvalue(), stderr=err.getvalue())


@contextmanager
def one_command():
    """Build the click command from the typer app once for a whole category, not once per case.

    typer's CliRunner rebuilds it on every invoke (about 40 ms, more than most cases take);
    the command is the same object `snap` runs.
    """
    built = typer.main.get_command(app)
    saved = typer.testing._get_command
    typer.testing._get_command = lambda _app: built
    try:
        yield
    finally:
        typer.testing._get_command = saved


def run_case(case: Case) -> list[str]:
    """What went wrong with `case`; empty when it ended as it must."""
    with tempfile.TemporaryDirectory() as tmp:
        args = case.write(Path(tmp))
        result = _run_main(args) if case.entry_point else CliRunner().invoke(app, args)
    problems = []
    if result.exit_code not in case.codes:
        problems.append(f"exit {result.exit_code}, expected {case.codes}: {result.stderr[:300]!r}")
    if result.exit_code in (USAGE, NOT_FOUND) or result.stderr:
        problems += error_line_problems(result.stderr)
    if case.output == "md":
        problems += markdown_problems(result.stdout)
    elif case.output == "text":
        problems += terminal_problems(result.stdout)
    return [f"{case.name}: {p}" for p in problems]


# --- damaged snapshot files ------------------------------------------------------------------

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
    text = dumps(GOOD)
    truncated = [Case(f"truncated JSON at {n}/{len(text)}", _file("t.json", text[:n]), (USAGE,))
                 for n in sorted({0, 1, 2, 10, 100, len(text) // 3, len(text) // 2, len(text) - 3, len(text) - 2})]
    deep = [Case(f"deep JSON nesting {d}", _file("d.json", _nested(d)), (USAGE,)) for d in (100, 1_000, 100_000)]
    deep += [Case(f"deep nesting {d} inside run.params",
                  _file("d.json", text.replace('"params": {', '"params": {"p": ' + _nested(d, "{}") + ",", 1)),
                  (USAGE,)) for d in (70, 900, 50_000)]
    versions = [Case(f"schema_version {v!r}", _file("v.json", _doc_text({**GOOD, "schema_version": v})), (USAGE,))
                for v in (0, -1, 2, 999, "1", 1.5, True, None, [1], {"v": 1})]
    versions.append(Case("no schema_version", _file("v.json", _doc_text({k: v for k, v in GOOD.items()
                                                                           if k != "schema_version"})), (USAGE,)))
    encodings = [
        Case("Latin-1 bytes", _file("e.json", text.replace("alice", "alicé").encode("latin-1")), (USAGE,)),
        Case("UTF-16 with BOM", _file("e.json", text.encode("utf-16")), (USAGE,)),
        Case("UTF-8 BOM", _file("e.json", b"\xef\xbb\xbf" + text.encode()), (USAGE,)),
        Case("random bytes", _file("e.json", bytes(range(256)) * 4), (USAGE,)),
        Case("NUL bytes", _file("e.json", b"\x00" * 64), (USAGE,)),
    ]
    empties = [Case(f"{label} in a .json file", _file("x.json", data), (USAGE,))
               for label, data in (("empty file", ""), ("whitespace", " \n\t"), ("null", "null"), ("a list", "[]"),
                                   ("an empty object", "{}"), ("a string", '"snapshot"'), ("a number", "1"),
                                   ("NaN", "NaN"), ("a manifest only", '{"schema_version": 1, "manifest": {}}'))]
    parquet = [
        Case("empty .parquet", _file("p.parquet", b""), (USAGE,)),
        Case("JSON named .parquet", _file("p.parquet", text), (USAGE,)),
        Case("truncated Parquet", _file("p.parquet", _parquet()[:-100]), (USAGE,)),
        Case("Parquet of another table", _file("p.parquet", _parquet(table=pa.table({"a": [1]}))), (USAGE,)),
        Case("Parquet row /zz/99999999999", _file("p.parquet", _parquet([_row("/zz/99999999999", "ol")])), (USAGE,)),
        Case("Parquet row past a real list", _file("p.parquet", _parquet(
            [_row("/artifacts/model/files/99999999999/path", "oooll")])), (USAGE,)),
        Case("Parquet negative list index", _file("p.parquet", _parquet([_row("/run/dataset_inputs/-1", "ool")])),
             (USAGE,)),
        Case("Parquet unknown kind", _file("p.parquet", _parquet([_row("/run/params/x", "ooo", kind="blob")])),
             (USAGE,)),
        Case("Parquet containers shorter than path", _file("p.parquet", _parquet([_row("/run/params/x", "o")])),
             (USAGE,)),
        Case("Parquet list through an object", _file("p.parquet", _parquet([_row("/run/params/0", "ool")])),
             (USAGE,)),
        Case("Parquet row through a string", _file("p.parquet", _parquet([_row("/run/params/lr/x", "oooo")])),
             (USAGE,)),
        Case("Parquet row 1,000 levels deep", _file("p.parquet", _parquet([_row("/run" + "/a" * 1000, "o" * 1001)])),
             (USAGE,)),
        Case("Parquet null path", _file("p.parquet", _parquet([{"kind": "str", "containers": "o"}])), (USAGE,)),
    ]
    places = [Case("a directory named .json", _dir_named("x.json"), (NOT_FOUND,)),
              Case("a directory named .parquet", _dir_named("x.parquet"), (NOT_FOUND,)),
              Case("a FIFO named .json", _fifo, (USAGE, NOT_FOUND)),
              Case("a symlink loop", _loop, (USAGE, NOT_FOUND)),
              Case("a file that does not exist", lambda tmp: ["report", str(tmp / "none.json")], (NOT_FOUND,))]
    diffed = [Case(f"diff with a damaged side: {c.name}", _as_diff(c.write), (USAGE,))
              for c in truncated[3:5] + deep[:2] + versions[:3] + parquet[4:6]]
    seed = json.loads(FIXTURE.read_text(encoding="utf-8"))
    return (truncated + deep + versions + encodings + empties + parquet + places + diffed + _extreme_values()
            + _wrong_types(GOOD, "wrong type", 99) + _wrong_types(seed, "wrong type in the seed", 3))


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


# --- hostile references, URIs and option values ----------------------------------------------

HOSTILE_URIS = ["models:/Bench/²", "models:/Bench/٣", "models:/", "models://", "models:/@", "models:/Bench@",
                "models:/@champion", "models:/Bench/-1", "models:/Bench/1e3", "models:/Bench/Production",
                "models:/Bench/1.0", "models:/Bench/0x10", "models:/Bench/ 1", "models:/Bench/\x1b[2J",
                "models:/\x1b]0;pwned\x07/1", "models:/Bench/1\x00", "models:/" + "B" * 5000 + "/x",
                "models:/Bench/1?x=1", "models:/Bench/v1"]
HOSTILE_REFS = ["v", "v-1", "v²", "Churn/²", "Churn/", "/2", "Churn@", "@x", "Churn/2/3", "../../etc/passwd",
                "..", ".", "", " ", "\x00", "a\x00b.json", "Churn/2\x1b[2J", "\x1b]8;;http://e/\x07x", "x" * 5000,
                "v99999999999999999999", "Churn@\u202egnp", "nosuch.json", "nosuch.parquet", "C:\\x.json"]
BAD_OPTIONS = [
    ["diff", "{a}", "{b}", "--format", "xml"], ["diff", "{a}", "{b}", "--format", "\x1b[2J"],
    ["diff", "{a}", "{b}", "--tolerance", "auc"], ["diff", "{a}", "{b}", "--tolerance", "auc="],
    ["diff", "{a}", "{b}", "--tolerance", "auc=abc"], ["diff", "{a}", "{b}", "--tolerance", "=1"],
    ["diff", "{a}", "{b}", "--tolerance", "auc=1%%"], ["diff", "{a}", "{b}", "--tolerance", "auc=nan"],
    ["diff", "{a}", "{b}", "--tolerance", "auc=-1"], ["diff", "{a}", "{b}", "--tolerance", "auc=1e999"],
    ["diff", "{a}", "{b}", "--tolerance", "auc=²"], ["diff", "{a}", "{b}", "--only", "nosuch"],
    ["diff", "{a}", "{b}", "--fail-on", "nosuch"], ["diff", "{a}", "{b}", "--fail-on", "\x1b[2J"],
    ["diff", "{a}", "{b}", "-o", "{tmp}"], ["diff", "{a}", "{b}", "-o", "{a}/x.txt"],
    ["report", "{a}", "-o", "{tmp}"], ["list", "--store", "{a}"], ["list", "--format", "xml", "--store", "{tmp}"],
    ["list", "--store", "{tmp}/none"], ["log", "v2", "--store", "{tmp}/none"], ["log", "{a}", "--store", "{tmp}"],
    ["log", "v2", "--format", "xml", "--store", "{tmp}"],
    ["capture", "models:/Bench/1", "--format", "xml"], ["capture", "models:/Bench/1", "-o", "{tmp}/x.txt"],
    ["capture", "--all", "models:/Bench/1"], ["capture"], ["capture", "--filter", "name='x'"],
]
# Refused by the command line parser itself: one line comes from snap's entry point (snap/cli.py main).
USAGE_ERRORS = [
    ["report"], ["diff", "{a}"], ["nosuch-command"], ["report", "{a}", "--nosuch-option"],
    ["capture", "models:/Bench/1", "--workers", "0"], ["capture", "models:/Bench/1", "--workers", "x"],
    ["capture", "models:/Bench/1", "--workers", "100000"], ["capture", "models:/Bench/1", "--max-rps", "-1"],
    ["capture", "models:/Bench/1", "--max-wait", "-5"], ["diff", "{a}", "{b}", "--nosuch", "\x1b]0;t\x07"],
    ["capture", "models:/Bench/1", "--workers", "\x1b[2J"], ["\x1b]0;pwned\x07"], ["diff", "{a}", "{b}", "--\x1b[2J"],
]


def _put(store: Path, doc: dict) -> Path:
    """A snapshot at its place in a store (plain write: the campaign needs no fsync per file)."""
    m = doc["manifest"]
    path = snapshot_dir(store, m["model_name"], m["model_version"]) / f"{file_stem(m['captured_at'])}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dumps(doc), encoding="utf-8")
    return path


def _args(template: list[str]) -> Callable[[Path], list[str]]:
    def write(tmp: Path) -> list[str]:
        store = tmp / "store"
        a, b = _put(store, make_doc("2")), _put(store, make_doc("3"))
        values = {"a": str(a), "b": str(b), "tmp": str(store)}
        return [re.sub(r"\{(a|b|tmp)\}", lambda m: values[m.group(1)], arg) for arg in template]
    return write


def hostile_arguments() -> list[Case]:
    # No case reaches a server: each is refused while parsing (a capture never connects to its
    # default tracking URI because every one of these fails before).
    cases = [Case(f"capture {u[:40]!r}", _args(["capture", u]), (USAGE,)) for u in HOSTILE_URIS]
    cases += [Case(f"report {r[:40]!r}", _args(["report", r, "--store", "{tmp}"]), (USAGE, NOT_FOUND))
              for r in HOSTILE_REFS]
    cases += [Case(f"diff v2 {r[:40]!r}", _args(["diff", "v2", r, "--store", "{tmp}"]), (USAGE,))
              for r in HOSTILE_REFS]
    cases += [Case(f"log {r[:40]!r}", _args(["log", r, "--store", "{tmp}"]), (USAGE,)) for r in HOSTILE_REFS]
    cases += [Case(" ".join(o)[:60], _args(o), (USAGE, NOT_FOUND, WRITE)) for o in BAD_OPTIONS]
    cases += [Case(" ".join(o)[:60], _args(o), (USAGE,), entry_point=True) for o in USAGE_ERRORS]
    return cases


# --- Markdown and terminal injection ---------------------------------------------------------

PAYLOADS = {
    "link": "[click me](http://evil.example/)", "image": "![pixel](http://evil.example/p.png)",
    "html": "<img src=x onerror=alert(1)>", "script": "<script>alert(1)</script>",
    "autolink": "<http://evil.example/>", "entity": ENTITY_PAYLOAD, "reference": "[x]: http://evil.example/",
    "clear screen": "\x1b[2J\x1b[H", "window title": "\x1b]0;pwned\x07", "bell backspace cr": "ok\x07\x08\rFAKE",
    "OSC 8 hyperlink": "\x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\", "C1 CSI": "\x9b31m",
    "bidi override": "admin\u202egnp.exe", "table break": "a|b\n| x | y |\n\n# heading",
}


def _plant(doc: dict, where: str, payload: str) -> None:
    if where == "model name":
        doc["manifest"]["model_name"] = doc["model_version"]["name"] = doc["registered_model"]["name"] = \
            "Inject" + payload
        doc["manifest"]["requested_uri"] = f"models:/Inject{payload}/{doc['manifest']['model_version']}"
    elif where == "tag key":
        doc["model_version"]["tags"][payload] = "v"
    elif where == "tag value":
        doc["model_version"]["tags"]["t"] = payload
        doc["run"]["tags"]["t"] = payload
    elif where == "description":
        doc["model_version"]["description"] = doc["registered_model"]["description"] = payload
    elif where == "param key":
        doc["run"]["params"][payload] = "1"
    elif where == "param value":
        doc["run"]["params"]["lr"] = payload
    elif where == "alias and dataset":
        doc["registered_model"]["aliases"][payload] = doc["manifest"]["model_version"]
        doc["run"]["dataset_inputs"][0]["name"] = payload


PLACES = ("model name", "tag key", "tag value", "description", "param key", "param value", "alias and dataset")


def _planted(payload: str, where: str) -> Callable[[Path], list[str]]:
    def write(tmp: Path) -> tuple[Path, Path]:
        left, right = make_doc("2"), make_doc("3")
        _plant(right, where, payload)
        if where == "model name":
            _plant(left, where, payload)
        return _put(tmp / "store", seal(left)), _put(tmp / "store", seal(right))
    return write


def _command(planted, command: str) -> Callable[[Path], list[str]]:
    def write(tmp: Path) -> list[str]:
        left, right = planted(tmp)
        return {"report": ["report", str(right)], "diff text": ["diff", str(left), str(right)],
                "diff md": ["diff", str(left), str(right), "--format", "md"],
                "list": ["list", "--store", str(tmp / "store")]}[command]
    return write


def injections() -> list[Case]:
    outputs = {"report": ("md", (0,)), "diff text": ("text", (1,)), "diff md": ("md", (1,)), "list": ("text", (0,))}
    return [Case(f"{name} in {where} ({command})", _command(_planted(payload, where), command), codes, kind)
            for name, payload in PAYLOADS.items() for where in PLACES
            for command, (kind, codes) in outputs.items()
            if not (command == "list" and where not in ("model name", "alias and dataset"))]


CATEGORIES = {
    "damaged snapshot files (truncated, wrong types per section, deep nesting, Parquet, schema_version, "
    "encodings, empty, not a file, extreme values)": damaged_files,
    "hostile URIs, store references and option values": hostile_arguments,
    "Markdown and terminal injection (names, tags, descriptions, params, aliases)": injections,
}


def _failures(build: Callable[[], list[Case]]) -> list[str]:
    with one_command():
        return [p for case in build() for p in run_case(case)]


def test_damaged_snapshot_files_give_one_error_line():
    assert _failures(damaged_files) == []


def test_hostile_uris_references_and_options_give_one_error_line():
    assert _failures(hostile_arguments) == []


def test_injected_values_render_inert():
    assert _failures(injections) == []


def test_readme_table_gives_these_categories_case_counts():
    text = README.read_text(encoding="utf-8")
    for category, build in CATEGORIES.items():
        n = len(build())
        assert f"| {category} | {n} | {n} |" in text, f"README campaign row for {category!r}: run this module"


def campaign_rows() -> str:
    """The README rows for these categories: cases tried and passed."""
    rows = []
    for category, build in CATEGORIES.items():
        cases = build()
        with one_command():
            passed = sum(not run_case(case) for case in cases)
        rows.append(f"| {category} | {len(cases)} | {passed} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(campaign_rows())
