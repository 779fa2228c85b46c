"""The public Python API (README, "Python API"): what a notebook user calls, on the
captured fixtures and on one real capture from the suite's MLflow server."""

from __future__ import annotations

import inspect
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import diff
import report
import snapshot
from tests.support.commands import snap
from tests.support.reference import REPO

CAPTURED = REPO / "fixtures" / "captured"
V2 = next((CAPTURED / "Churn" / "v2").glob("*.json"))
V3 = next((CAPTURED / "Churn" / "v3").glob("*.json"))
V3_PARQUET = V3.with_suffix(".parquet")
PACKAGES = (snapshot, diff, report)


def test_a_notebook_needs_nothing_private():
    """Every public name is documented in README and takes no `_` argument; dir() shows only those."""
    readme = (REPO / "README.md").read_text()
    api = readme[readme.index("## Python API"):]
    for package in PACKAGES:
        assert dir(package) == sorted(package.__all__)
        for name in package.__all__:
            assert not name.startswith("_") or name == "__version__"
            obj = getattr(package, name)
            if inspect.isfunction(obj):
                assert f"{package.__name__}.{name}(" in api, f"{package.__name__}.{name} is not in README"
                assert not [p for p in inspect.signature(obj).parameters if p.startswith("_")]
                assert obj.__doc__, f"{package.__name__}.{name} has no docstring"


def test_packages_ship_type_information():
    for package in PACKAGES:
        assert (Path(package.__file__).parent / "py.typed").is_file()
    pyproject = (REPO / "pyproject.toml").read_text()
    for name in ("snapshot", "diff", "report"):
        assert re.search(rf'^{name} = \[.*"py\.typed"', pyproject, re.M), name


@pytest.mark.parametrize("as_type", [str, Path])
def test_load_takes_files_and_store_references_as_str_or_path(as_type):
    from_file = snapshot.load(as_type(V3))
    assert from_file == snapshot.load(as_type(V3_PARQUET))
    assert from_file["manifest"]["model_name"] == "Churn" and from_file["manifest"]["model_version"] == "3"
    assert snapshot.load("Churn/3", store=as_type(CAPTURED)) == from_file
    assert snapshot.find_snapshot("Churn/3", store=as_type(CAPTURED)) == V3
    assert snapshot.find_snapshot("v1", store=as_type(CAPTURED), model="Echo").parent.name == "v1"


def test_load_errors_are_snap_errors_with_their_exit_code(tmp_path):
    with pytest.raises(snapshot.SnapError, match="no snapshot file at") as missing:
        snapshot.load(tmp_path / "nope.json")
    assert missing.value.exit_code == 3
    with pytest.raises(snapshot.SnapError, match="no snapshot of Churn version 9"):
        snapshot.load("Churn/9", store=str(CAPTURED))


def test_diff_of_documents_equals_snap_diff_in_every_format(tmp_path):
    result = diff.diff(snapshot.load(V2), snapshot.load(V3))
    assert result == diff.diff(str(V2), V3)
    assert result.changes and all(isinstance(c, diff.Change) for c in result.changes)
    assert diff.diff_as_data(result) == json.loads(snap("diff", str(V2), str(V3), "--format", "json", check=False).stdout)
    assert diff.render_diff(result, "md") == snap("diff", str(V2), str(V3), "--format", "md", check=False).stdout
    out = tmp_path / "diff.txt"
    snap("diff", str(V2), str(V3), "-o", str(out), check=False)
    assert diff.render_diff(result, "text") == out.read_text()


def test_diff_options_as_keywords():
    everything = diff.diff(V2, V3)
    only_params = diff.diff(V2, V3, only=["params"])
    assert {c.section for c in only_params.changes} == {"params"}
    assert only_params.changes == [c for c in everything.changes if c.section == "params"]
    moved = [c for c in everything.changes if c.section == "metrics"]
    assert moved
    tolerant = diff.diff(V2, V3, tolerance={c.path.rsplit(".", 1)[-1]: "100%" for c in moved})
    assert not [c for c in tolerant.changes if c.section == "metrics"] and len(tolerant.tolerated) == len(moved)
    assert diff.failing_changes(everything, ["breaking"]) == everything.breaking
    with pytest.raises(snapshot.SnapError, match="--only 'nope' is not a section"):
        diff.diff(V2, V3, only=["nope"])


def test_render_report_equals_snap_report():
    expected = snap("report", str(V3)).stdout
    assert report.render_report(V3) == expected
    assert report.render_report(str(V3)) == expected
    assert report.render_report(snapshot.load(V3)) == expected


def test_save_then_list_and_history(tmp_path):
    doc = snapshot.load(V3)
    [one] = snapshot.save(doc, str(tmp_path / "one.json"))
    assert snapshot.load(one) == doc
    written = snapshot.save(doc, store=str(tmp_path / "store"), fmt="both")
    assert [p.suffix for p in written] == [".json", ".parquet"]
    rows = snapshot.list_snapshots(str(tmp_path / "store"))
    assert [(r["model"], r["version"], r["path"]) for r in rows] == [("Churn", "3", str(written[0]))]
    timeline = diff.history("Churn/3", store=str(tmp_path / "store"))
    assert [s.file for s in timeline.steps] == [str(written[0])]
    assert json.loads(diff.render_history(timeline, "json"))["steps"][0]["changes"] == []


def test_importing_the_api_and_working_offline_never_imports_mlflow(tmp_path):
    shadow = tmp_path / "shadow" / "mlflow"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('mlflow is not available offline')\n")
    code = ("import sys, snapshot, diff, report\n"
            f"r = diff.diff({str(V2)!r}, {str(V3)!r})\n"
            "for f in ('text', 'md', 'json'): diff.render_diff(r, f)\n"
            f"report.render_report({str(V3)!r})\n"
            f"snapshot.list_snapshots({str(CAPTURED)!r})\n"
            "print('mlflow' in sys.modules, len(r.changes))\n")
    env = {**os.environ, "PYTHONPATH": f"{shadow.parent}{os.pathsep}{REPO}"}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["False", str(len(diff.diff(V2, V3).changes))]


@pytest.mark.server
def test_capture_one_and_capture_to_store_from_a_real_server(registry, mlflow_server, tmp_path):
    facts = registry["churn"]["versions"]["3"]
    doc = snapshot.capture_one("models:/Churn/3", tracking_uri=mlflow_server)
    assert (doc["manifest"]["model_name"], doc["manifest"]["model_version"]) == ("Churn", "3")
    assert doc["run"]["info"]["run_id"] == facts["run_id"]
    assert doc["run"]["params"] == facts["params"]
    [path] = snapshot.save(doc, tmp_path / "v3.json")
    assert snapshot.load(path) == doc

    store = tmp_path / "store"
    summary = snapshot.capture_to_store("models:/Churn", store=str(store), tracking_uri=mlflow_server)
    versions = sorted(registry["churn"]["versions"])
    assert (summary["captured"], summary["unchanged"], summary["failed"]) == (len(versions), 0, [])
    assert sorted(r["version"] for r in snapshot.list_snapshots(store)) == versions
    again = snapshot.capture_to_store(["models:/Churn"], store=store, tracking_uri=mlflow_server)
    assert (again["captured"], again["unchanged"]) == (0, len(versions))


@pytest.mark.server
def test_the_api_on_a_store_at_an_s3_url(monkeypatch):
    """Store and file URLs are passed on as given (a real S3 API server, moto's, on 127.0.0.1)."""
    from tests.support.s3 import s3_server

    with s3_server() as server:
        for key, value in server.env.items():
            monkeypatch.setenv(key, value)
        store = server.bucket("api-store") + "/snapshots"
        written = [p for doc in (snapshot.load(V2), snapshot.load(V3)) for p in snapshot.save(doc, store=store)]
        assert all(str(p).startswith("s3://api-store/snapshots/Churn/") for p in written)
        rows = snapshot.list_snapshots(store)
        assert [(r["model"], r["version"]) for r in rows] == [("Churn", "2"), ("Churn", "3")]
        assert snapshot.load("Churn/3", store=store) == snapshot.load(V3)
        assert snapshot.load(str(snapshot.find_snapshot("Churn/2", store=store))) == snapshot.load(V2)
        assert diff.diff_as_data(diff.diff(snapshot.load("Churn/2", store=store), snapshot.load("Churn/3", store=store))) \
            == diff.diff_as_data(diff.diff(V2, V3))
