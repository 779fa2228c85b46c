"""MLflow workspaces, against a real `mlflow server --enable-workspaces` (SQLite) and one without.

Two workspaces hold a model of the same name, each with its own run. A snapshot
records the workspace it came from (`manifest.workspace`), and the store keeps a
non-default workspace's snapshots as `WORKSPACE:NAME`, so the two never collide and
`team-a:Plain/1` names one of them. A server without workspaces gives snapshots
with no `workspace` key, as before workspaces were handled.
"""

from __future__ import annotations

import json
import os
import urllib.request

import pytest

from snapshot.formats.files import load_snapshot
from tests.support.commands import snap
from tests.support.populate import populate_model
from tests.support.servers import mlflow_server

MODEL = "Plain"
TEAM = "team-a"


def _create_workspace(uri: str, name: str) -> None:
    request = urllib.request.Request(f"{uri}/api/3.0/mlflow/workspaces", method="POST",
                                     data=json.dumps({"name": name}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status in (200, 201)


def _populate_in(uri: str, workspace: str | None) -> dict:
    """`MODEL` (one version) in `workspace`, through MLflow's client (which sends MLFLOW_WORKSPACE)."""
    before = os.environ.get("MLFLOW_WORKSPACE")
    if workspace:
        os.environ["MLFLOW_WORKSPACE"] = workspace
    try:
        return populate_model(uri, MODEL, versions=1, params=2, metrics=2, tags=2, workers=1)
    finally:
        os.environ.pop("MLFLOW_WORKSPACE", None)
        if before is not None:
            os.environ["MLFLOW_WORKSPACE"] = before


@pytest.fixture(scope="module")
def workspaces_server(tmp_path_factory):
    """{"uri", "runs": {workspace: run id of MODEL v1}} on a server with workspaces "default" and TEAM."""
    from mlflow import MlflowClient

    with mlflow_server(tmp_path_factory.mktemp("workspaces-server"), ("--enable-workspaces",)) as uri:
        _create_workspace(uri, TEAM)
        runs = {}
        for workspace in ("default", TEAM):
            _populate_in(uri, workspace)
            os.environ["MLFLOW_WORKSPACE"] = workspace
            try:
                runs[workspace] = MlflowClient(uri).get_model_version(MODEL, "1").run_id
            finally:
                os.environ.pop("MLFLOW_WORKSPACE", None)
        assert runs["default"] != runs[TEAM]
        yield {"uri": uri, "runs": runs}


@pytest.fixture(scope="module")
def plain_server(tmp_path_factory):
    with mlflow_server(tmp_path_factory.mktemp("no-workspaces-server")) as uri:
        _populate_in(uri, None)
        yield uri


def test_workspace_option_and_variable_choose_the_workspace(workspaces_server, tmp_path):
    uri, runs = workspaces_server["uri"], workspaces_server["runs"]
    chosen = tmp_path / "team.json"
    snap("capture", f"models:/{MODEL}/1", "--workspace", TEAM, "--tracking-uri", uri, "-o", str(chosen))
    doc = load_snapshot(chosen)
    assert (doc["manifest"]["workspace"], doc["run"]["info"]["run_id"]) == (TEAM, runs[TEAM])
    by_env = tmp_path / "env.json"
    snap("capture", f"models:/{MODEL}/1", "--tracking-uri", uri, "-o", str(by_env), env={"MLFLOW_WORKSPACE": TEAM})
    assert load_snapshot(by_env)["run"]["info"]["run_id"] == runs[TEAM]
    default = tmp_path / "default.json"
    snap("capture", f"models:/{MODEL}/1", "--tracking-uri", uri, "-o", str(default))
    doc = load_snapshot(default)
    assert (doc["manifest"]["workspace"], doc["run"]["info"]["run_id"]) == ("default", runs["default"])


def test_all_workspaces_keeps_each_apart_in_the_store(workspaces_server, tmp_path):
    uri, runs = workspaces_server["uri"], workspaces_server["runs"]
    store = tmp_path / "store"
    proc = snap("capture", "--all", "--all-workspaces", "--tracking-uri", uri, "--store", str(store))
    assert "workspace default:" in proc.stdout and f"workspace {TEAM}:" in proc.stdout
    rows = json.loads(snap("list", "--store", str(store), "--format", "json").stdout)
    assert [(r["model"], r["version"]) for r in rows] == [(MODEL, "1"), (f"{TEAM}:{MODEL}", "1")]
    assert sorted(p.name for p in store.iterdir() if p.name[0] != "." and p.name != "parquet") == [MODEL, f"{TEAM}%3A{MODEL}"]

    report = snap("report", f"{TEAM}:{MODEL}/1", "--store", str(store)).stdout
    assert report.lstrip().startswith(f"MLflow Model: _models:/{MODEL}/1_ in workspace _{TEAM}_\n")
    assert f"|workspace|{TEAM}|" in report and runs[TEAM] in report
    assert runs["default"] in snap("report", f"{MODEL}/1", "--store", str(store)).stdout

    text = snap("diff", f"{MODEL}/1", f"{TEAM}:{MODEL}/1", "--store", str(store), check=False).stdout
    assert text.startswith(f"{MODEL} v1 → {TEAM}:{MODEL} v1: ")
    data = json.loads(snap("diff", f"{MODEL}/1", f"{TEAM}:{MODEL}/1", "--store", str(store), "--format", "json",
                           check=False).stdout)
    assert (data["left"]["workspace"], data["right"]["workspace"]) == ("default", TEAM)

    again = snap("capture", "--all", "--all-workspaces", "--tracking-uri", uri, "--store", str(store))
    assert again.stdout.count("0 captured, 1 unchanged") == 2  # each workspace dedupes against its own


def test_a_workspace_the_server_does_not_have(workspaces_server):
    uri = workspaces_server["uri"]
    proc = snap("capture", f"models:/{MODEL}/1", "--workspace", "nope", "--tracking-uri", uri, "-o", "x.json",
                check=False)
    assert proc.returncode == 2
    assert proc.stderr == (f"Error: the MLflow server at {uri} has no workspace 'nope' (workspaces there: default, "
                           f"{TEAM}); check --workspace / MLFLOW_WORKSPACE\n")


def test_a_server_without_workspaces_records_none(plain_server, tmp_path):
    out = tmp_path / "plain.json"
    snap("capture", f"models:/{MODEL}/1", "--tracking-uri", plain_server, "-o", str(out))
    assert "workspace" not in load_snapshot(out)["manifest"]
    proc = snap("capture", f"models:/{MODEL}/1", "--workspace", TEAM, "--tracking-uri", plain_server,
                "-o", str(out), check=False)
    assert proc.returncode == 2
    assert proc.stderr == (f"Error: the MLflow server at {plain_server} has no workspaces (it was not started with "
                           "--enable-workspaces); drop --workspace / unset MLFLOW_WORKSPACE\n")
    proc = snap("capture", "--all", "--all-workspaces", "--tracking-uri", plain_server, "--store",
                str(tmp_path / "s"), check=False)
    assert proc.returncode == 2 and "has no workspaces" in proc.stderr and "drop --all-workspaces" in proc.stderr


def test_a_fault_on_server_info_fails_the_capture_not_taken_for_no_workspaces(workspaces_server, tmp_path):
    """A 503 or a reset when asking whether the server has workspaces is a fault (exit 4), not "none"."""
    from tests.support.servers import Fault, fault_proxy

    for fault in (Fault("status", 503), Fault("reset")):
        rule = (lambda f: lambda method, path: f if path.startswith("/api/3.0/mlflow/server-info") else None)(fault)
        with fault_proxy(workspaces_server["uri"], rule) as proxy:
            out = tmp_path / f"{fault.kind}.json"
            proc = snap("capture", f"models:/{MODEL}/1", "--tracking-uri", proxy.uri, "-o", str(out), check=False)
        assert proc.returncode == 4, proc.stderr
        assert proc.stderr.startswith("Error: ") and "server-info" in proc.stderr and "Traceback" not in proc.stderr
        assert not out.exists()
