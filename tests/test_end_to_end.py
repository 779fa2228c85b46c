"""The user's path end to end: capture a registry snap has never seen, then diff and
report it offline. The registry is built by MLflow's own client (tests/support/registry.py)."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from tests.support.offline import without_mlflow
from tests.support.registry import populate

pytestmark = pytest.mark.server


def snap(*args, env=None, prefix=()):
    proc = subprocess.run([*prefix, sys.executable, "-m", "snap.cli", *args], capture_output=True,
                          text=True, env={**os.environ, **(env or {})}, timeout=300)
    return proc


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    """A new local MLflow store; Churn v2 and v3 captured; then champion moved 2 → 3 and v3 captured again."""
    from mlflow import MlflowClient

    root = tmp_path_factory.mktemp("e2e")
    uri = f"sqlite:///{root}/mlflow.db"
    facts = populate(uri, artifact_root=root / "artifacts")
    store = root / "store"
    assert snap("capture", "models:/Churn/2", "models:/Churn/3", "--tracking-uri", uri, "--store", str(store)).returncode == 0
    MlflowClient(uri, registry_uri=uri).set_registered_model_alias("Churn", "champion", "3")
    assert snap("capture", "models:/Churn/3", "--tracking-uri", uri, "--store", str(store)).returncode == 0
    return {"uri": uri, "facts": facts, "store": store, "root": root}


@pytest.fixture(scope="module")
def no_mlflow(tmp_path_factory):
    """A PYTHONPATH entry that makes `import mlflow` fail, as on a machine without it."""
    return without_mlflow(tmp_path_factory.mktemp("no-mlflow"))


def _offline_prefix():
    """Run in a new network namespace with no interfaces up, where the machine allows it."""
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "-n", "true"], capture_output=True).returncode == 0:
        return (unshare, "-n")
    return ()


def test_diff_reports_every_planted_change(fresh, no_mlflow):
    planted = fresh["facts"]["churn"]["diff_v2_v3"]
    proc = snap("diff", "v2", "v3", "--store", str(fresh["store"]), "--format", "json", env=no_mlflow,
                prefix=_offline_prefix())
    assert proc.returncode == 1, proc.stderr
    changes = {(c["section"], c["path"]): c for c in json.loads(proc.stdout)["changes"]}

    def change(section, path):
        assert (section, path) in changes, f"{section} {path} missing from {sorted(changes)}"
        return changes[(section, path)]

    for key, (old, new) in planted["params_changed"].items():
        assert (change("params", f"run.params.{key}")["old"], changes[("params", f"run.params.{key}")]["new"]) == (old, new)
    for key, _new in planted["params_added"].items():
        assert change("params", f"run.params.{key}")["kind"] == "added"
    for key, _old in planted["params_removed"].items():
        assert change("params", f"run.params.{key}")["kind"] == "removed"
    for key, (old, new) in planted["metrics_moved"].items():
        moved = change("metrics", f"run.metrics.{key}")
        assert (moved["old"], moved["new"]) == pytest.approx((old, new))
        assert moved["delta"]["abs"] == pytest.approx(new - old)
    column = change("signature", f"mlmodel.parsed.signature.inputs.{planted['input_column_added']}")
    assert column["kind"] == "added"
    for package, (old, new) in planted["requirement_bumped"].items():
        bumped = change("requirements", f"environment.requirements.packages.{package}")
        assert (bumped["old"], bumped["new"], bumped["delta"]["bump"]) == (old, new, "minor")
    for package, spec in planted["requirement_added"].items():
        assert change("requirements", f"environment.requirements.packages.{package}")["new"] == spec
    for key, (old, new) in planted["version_tag_changed"].items():
        tag = change("tags", f"model_version.tags.{key}")
        assert (tag["old"], tag["new"]) == (old, new)
    alias = change("aliases", "registered_model.aliases.champion")
    assert (alias["kind"], alias["old"], alias["new"]) == ("moved", "2", "3")
    assert change("artifacts", f"artifacts.run.files.{planted['run_artifact_added']}")["kind"] == "added"


def test_markdown_and_text_show_the_same_changes(fresh, no_mlflow):
    as_json = json.loads(snap("diff", "v2", "v3", "--store", str(fresh["store"]), "--format", "json").stdout)
    markdown = snap("diff", "v2", "v3", "--store", str(fresh["store"]), "--format", "md", env=no_mlflow)
    text = snap("diff", "v2", "v3", "--store", str(fresh["store"]), env={**no_mlflow, "COLUMNS": "400"})
    assert markdown.returncode == text.returncode == 1
    n = as_json["summary"]["changes"]
    assert f"{n} changes" in markdown.stdout and f"{n} changes" in text.stdout
    for c in as_json["changes"]:
        leaf = c["path"].rsplit(".", 1)[-1]
        assert leaf in markdown.stdout and leaf in text.stdout, c["path"]


def test_unchanged_version_diffs_clean(fresh, tmp_path, no_mlflow):
    assert snap("diff", "v3", "v3", "--store", str(fresh["store"]), env=no_mlflow).returncode == 0
    a, b = tmp_path / "a.json", tmp_path / "b.parquet"
    assert snap("capture", "models:/Churn/2", "--tracking-uri", fresh["uri"], "-o", str(a)).returncode == 0
    assert snap("capture", "models:/Churn/2", "--tracking-uri", fresh["uri"], "-o", str(b)).returncode == 0
    proc = snap("diff", str(a), str(b), env=no_mlflow, prefix=_offline_prefix())
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_log_shows_the_alias_move(fresh, no_mlflow):
    proc = snap("log", "Churn/3", "--store", str(fresh["store"]), "--format", "json", env=no_mlflow)
    assert proc.returncode == 0, proc.stderr
    assert "champion" in proc.stdout


def test_report_of_a_live_capture_from_an_mlflow3_server(registry, mlflow_server, tmp_path, no_mlflow):
    out = tmp_path / "v3.json"
    assert snap("capture", "models:/Churn/3", "--tracking-uri", mlflow_server, "-o", str(out)).returncode == 0
    proc = snap("report", str(out), env=no_mlflow, prefix=_offline_prefix())
    assert proc.returncode == 0, proc.stderr
    report = proc.stdout
    for heading in ("# Model Overview", "# MLflow Model", "## Signature", "# Registered Model",
                    "# Registered Model Version", "# Run", "## Params", "## Metrics", "# Experiment"):
        assert f"\n{heading}\n" in report, heading
    facts = registry["churn"]["versions"]["3"]
    experiment_id = registry["experiment_id"]
    assert f"|_web_ui_link|{mlflow_server}/#/models/Churn/versions/3|" in report
    assert f"|_api_link|{mlflow_server}/api/2.0/mlflow/model-versions/get?name=Churn&version=3|" in report
    assert f"{mlflow_server}/#/experiments/{experiment_id}/runs/{facts['run_id']}" in report
    assert f"|_api_link|{mlflow_server}/api/2.0/mlflow/experiments/get?experiment_id={experiment_id}|" in report
    for key, value in facts["params"].items():
        assert f"|{key}|{value}|" in report
    assert snap("report", str(out), env=no_mlflow).stdout == report
