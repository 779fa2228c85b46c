"""`snap diff` and `snap log` in-process (exit codes, exact error lines) and offline in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from snap.cli import app
from snapshot.formats.document import seal
from snapshot.formats.files import write_snapshot
from snapshot.store.layout import file_stem, snapshot_dir
from tests.support.documents import make_doc

T0, T1, T2 = "2026-11-26T21:30:00.000000Z", "2026-11-27T08:00:00.000000Z", "2026-11-28T08:00:00.000000Z"


def store_doc(store: Path, doc: dict, suffix: str = ".json") -> Path:
    m = doc["manifest"]
    path = snapshot_dir(store, m["model_name"], m["model_version"]) / f"{file_stem(m['captured_at'])}{suffix}"
    return write_snapshot(doc, path)


def changed_v3() -> dict:
    doc = make_doc("3", captured_at=T1)
    doc["run"]["params"]["lr"] = "0.2"
    doc["mlmodel"]["parsed"]["signature"]["inputs"].append({"name": "tenure", "type": "long", "required": True})
    doc["environment"]["requirements"]["packages"]["scikit-learn"] = "==1.5.0"
    return seal(doc, T1)  # edited after make_doc sealed it: sealed again, or it would read as modified


@pytest.fixture
def store(tmp_path) -> Path:
    root = tmp_path / "store"
    store_doc(root, make_doc("2", captured_at=T0))
    store_doc(root, changed_v3())
    return root


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_changes_exit_1_and_json_lists_them(store):
    code, out, err = run("diff", "v2", "v3", "--store", str(store), "--format", "json")
    assert (code, err) == (1, "")
    data = json.loads(out)
    assert data["summary"] == {"changes": 4, "breaking": 1, "within_tolerance": 0,
                               "sections": {"params": 1, "signature": 1, "requirements": 1, "other": 1}}
    assert [c["path"] for c in data["changes"]] == [
        "run.params.lr", "mlmodel.parsed.signature.inputs.tenure",
        "environment.requirements.packages.scikit-learn", "model_version.run_id"]


def test_same_version_exits_0(store, tmp_path):
    assert run("diff", "v3", "Churn/3", "--store", str(store)) == (0, "Churn v3 (" + T1 + " → " + T1 + "): no changes\n", "")
    later = changed_v3()
    later["manifest"]["requested_uri"] = "models:/Churn@champion"
    a = write_snapshot(changed_v3(), tmp_path / "a.json")
    b = write_snapshot(seal(later, T2), tmp_path / "b.parquet")
    code, out, _ = run("diff", str(a), str(b), "--format", "md")
    assert (code, out) == (0, f"## Churn v3 ({T1} → {T2})\n\nno changes\n")


def test_fail_on_counts_only_named_sections(store):
    args = ("diff", "v2", "v3", "--store", str(store), "--format", "json")
    assert run(*args, "--fail-on", "metrics")[0] == 0
    assert run(*args, "--fail-on", "metrics", "--fail-on", "params")[0] == 1
    assert run(*args, "--fail-on", "breaking")[0] == 1
    assert run(*args, "--only", "params", "--fail-on", "breaking")[0] == 0
    assert run(*args, "--ignore", "*", "--format", "json")[0] == 0


def test_tolerance_ignore_only_and_output_file(store, tmp_path):
    out_file = tmp_path / "diff.md"
    code, out, err = run("diff", "v2", "v3", "--store", str(store), "--only", "params", "--format", "md", "-o", str(out_file))
    assert (code, out, err) == (1, "", "")
    assert "| `run.params.lr` | changed | 0.1 | 0.2 | +0.1 (+100.00%) |" in out_file.read_text()
    code, out, _ = run("diff", "v2", "v3", "--store", str(store), "--format", "json",
                       "--ignore", "run.params.*", "--ignore", "model_version.run_id", "--only", "params")
    assert (code, json.loads(out)["changes"]) == (0, [])


def test_text_output(store):
    code, out, _ = run("diff", "v2", "v3", "--store", str(store), "--only", "params")
    assert code == 1
    assert out.splitlines()[0] == "Churn v2 → v3: 1 change in 1 section, 0 breaking (3 outside --only, not shown)"
    assert "run.params.lr" in out and "+0.1 (+100.00%)" in out


def _errors(store: Path, tmp_path: Path) -> list[tuple[list[str], str]]:
    truncated = tmp_path / "truncated.json"
    truncated.write_text('{"schema_version": 1, "manifest": {', encoding="utf-8")
    json_error = ""
    try:
        json.loads(truncated.read_text())
    except json.JSONDecodeError as exc:
        json_error = str(exc)
    newer = make_doc("3")
    newer["schema_version"] = 2
    newer_path = tmp_path / "newer.json"
    newer_path.write_text(json.dumps(newer), encoding="utf-8")
    not_snapshot = tmp_path / "other.json"
    not_snapshot.write_text("[1, 2]", encoding="utf-8")
    return [
        (["missing.json", "v3"], "left side: no snapshot file at missing.json"),
        (["Churn/3", "Churn/9"], f"right side: no snapshot of Churn version 9 in store {store} (versions there: v2, v3); capture it first"),
        (["Nope/1", "v3"], f"left side: no snapshots of model 'Nope' in store {store} (models there: Churn, Fraud)"),
        (["v2", "Churn/3"], f"left side: 'v2' is ambiguous: store {store} holds 2 models (Churn, Fraud); pass --model NAME or write NAME/VERSION"),
        (["Churn/3", str(truncated)], f"right side: {truncated} is not valid snapshot JSON ({json_error}); it may be truncated: capture it again"),
        ([str(newer_path), "Churn/3"], f"left side: {newer_path} was written with snapshot schema 2, this snap reads up to 1; upgrade snap (pip install -U snap-mlflow)"),
        (["Churn/3", str(not_snapshot)], f"right side: {not_snapshot} is not a snap snapshot (no manifest); capture it again with `snap capture`"),
        (["Churn/3", "Churn@nope"], "right side: alias 'nope' of Churn is not in the newest snapshot (aliases there: champion)"),
        (["v3", "v3", "--format", "xml"], "--format 'xml' is not one of text, md, json"),
        (["v3", "v3", "--fail-on", "param"], "--fail-on 'param' is not a section; choose from status, description, aliases, tags, params, metrics, signature, flavors, requirements, artifacts, datasets, permissions, other, breaking"),
        (["v3", "v3", "--tolerance", "auc"], "--tolerance 'auc' is not METRIC=NUMBER or METRIC=NUMBER% (e.g. auc=0.001, 'loss=1%')"),
    ]


def test_errors_exit_2_with_one_line_naming_the_side(store, tmp_path):
    store_doc(store, make_doc("1", name="Fraud"))
    for args, message in _errors(store, tmp_path):
        code, out, err = run("diff", *args, "--store", str(store))
        assert (code, out, err) == (2, "", f"Error: {message}\n"), args


def test_model_option_resolves_ambiguity(store):
    store_doc(store, make_doc("1", name="Fraud"))
    assert run("diff", "v3", "v3", "--store", str(store), "--model", "Churn")[0] == 0


def test_debug_shows_the_traceback_and_keeps_the_exit_code(store):
    result = CliRunner().invoke(app, ["--debug", "diff", "missing.json", "v3", "--store", str(store)])
    assert result.exit_code == 2
    assert "Traceback" in result.stderr and "SnapshotNotFound" in result.stderr
    assert result.stderr.rstrip().splitlines()[-1] == "Error: left side: no snapshot file at missing.json"


@pytest.fixture
def history(store) -> Path:
    """Three captures of Churn v3: then the champion alias moves and a tag is edited, then bob gets EDIT."""
    second = changed_v3()
    second["registered_model"]["aliases"] = {"champion": "3"}
    second["model_version"]["aliases"] = ["champion"]
    second["model_version"]["tags"]["validated"] = "true"
    store_doc(store, seal(second, T2))
    third = json.loads(json.dumps(second))
    third["permissions"]["registered_model"]["grants"].append({"principal": "user:bob", "permission": "EDIT", "inherited": False})
    store_doc(store, seal(third, "2026-11-29T08:00:00.000000Z"), ".parquet")
    return store


def test_log_json_timeline_oldest_first(history):
    code, out, err = run("log", "Churn/3", "--store", str(history), "--format", "json")
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert (data["model"], data["version"]) == ("Churn", "3")
    steps = [(s["captured_at"], [(c["section"], c["path"], c["kind"], c["old"], c["new"]) for c in s["changes"]])
             for s in data["steps"]]
    assert steps == [
        (T1, []),
        (T2, [("aliases", "registered_model.aliases.champion", "moved", "1", "3"),
              ("tags", "model_version.tags.validated", "changed", "false", "true")]),
        ("2026-11-29T08:00:00.000000Z", [("permissions", "permissions.registered_model.grants.user:bob", "added", None, "EDIT")]),
    ]


def test_log_text_and_md(history):
    code, out, _ = run("log", "v3", "--store", str(history))
    assert code == 0
    lines = [line.rstrip() for line in out.splitlines()]
    assert lines[0] == "Churn v3: 3 snapshots"
    assert lines[1] == f"{T1}  first snapshot"
    assert lines[2] == f"{T2}  2 changes"
    assert "champion" in lines[3] and "v1 → v3" in lines[3]
    code, out, _ = run("log", "Churn@champion", "--store", str(history), "--format", "md")
    assert "| permissions | `permissions.registered_model.grants.user:bob` | added | — | EDIT |" in out


def test_log_unknown_version(history):
    code, out, err = run("log", "Churn/7", "--store", str(history))
    assert (code, err) == (2, f"Error: no snapshot of Churn version 7 in store {history} (versions there: v2, v3); capture it first\n")


def test_offline_no_mlflow_no_network(store, tmp_path):
    """Files and store references need neither mlflow nor a network."""
    fake = tmp_path / "fake"
    (fake / "mlflow").mkdir(parents=True)
    (fake / "mlflow" / "__init__.py").write_text("raise ImportError('mlflow must not be imported offline')\n")
    (fake / "sitecustomize.py").write_text(
        "import socket\n"
        "def _refuse(*a, **k):\n    raise OSError('network must not be used offline')\n"
        "socket.socket.connect = _refuse\nsocket.create_connection = _refuse\n"
    )
    a = write_snapshot(make_doc("2"), tmp_path / "a.json")
    b = write_snapshot(changed_v3(), tmp_path / "b.parquet")
    env = {**os.environ, "PYTHONPATH": str(fake)}
    snap = [sys.executable, "-c", "from snap.cli import main; main()"]
    for args, code in ((["diff", str(a), str(b), "--format", "json"], 1),
                       (["diff", "v2", "v3", "--store", str(store), "--format", "md"], 1),
                       (["diff", "Churn/3", "v3", "--store", str(store)], 0),
                       (["log", "Churn/3", "--store", str(store)], 0)):
        proc = subprocess.run(snap + args, env=env, capture_output=True, text=True, timeout=120)
        assert (proc.returncode, proc.stderr) == (code, ""), args
    check = "import sys, diff.engine, diff.render, diff.render.as_text, diff.render.as_markdown, diff.render.as_json, diff.timeline;" \
            "assert 'mlflow' not in sys.modules"
    assert subprocess.run([sys.executable, "-c", check], env=env, timeout=120).returncode == 0
