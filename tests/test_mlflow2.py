"""Capture from a real MLflow 2.x server: the snapshot holds what that server sent.

MLflow 3's client fills in fields a 2.x server never sends (Experiment.workspace
"default", RegisteredModel.deployment_job_state "..._UNSPECIFIED", ModelVersion.user_id
"", Run.outputs {}). The server here is MLflow 2.22 from its own virtualenv
(tests/support/mlflow2.py builds it on first use); the model is logged by 2.22's own client.
"""

from __future__ import annotations

import json

import pytest
import requests

from tests.support.commands import snap
from tests.support.mlflow2 import mlflow2_server, populate

pytestmark = pytest.mark.mlflow2

# Fields of MLflow 3 that a 2.x server does not send, by snapshot section and REST reply.
NEVER_SENT = {
    "experiment": ("experiments/get", "experiment", "workspace"),
    "registered_model": ("registered-models/get", "registered_model", "deployment_job_state"),
    "model_version": ("model-versions/get", "model_version", "user_id"),
}


@pytest.fixture(scope="module")
def server2(tmp_path_factory):
    with mlflow2_server(tmp_path_factory.mktemp("mlflow2")) as uri:
        populate(uri)
        yield uri


def _replies(uri: str, doc: dict) -> dict:
    api = f"{uri}/api/2.0/mlflow"
    params = {
        "experiments/get": {"experiment_id": doc["experiment"]["experiment_id"]},
        "registered-models/get": {"name": "Legacy"},
        "model-versions/get": {"name": "Legacy", "version": doc["model_version"]["version"]},
        "runs/get": {"run_id": doc["model_version"]["run_id"]},
    }
    return {endpoint: requests.get(f"{api}/{endpoint}", params=p, timeout=10).json() for endpoint, p in params.items()}


def _capture(tmp_path, uri: str, *args: str) -> list[dict]:
    store = tmp_path / "store"
    snap("capture", *args, "--tracking-uri", uri, "--store", str(store), "--format", "json")
    return [json.loads(p.read_text()) for p in sorted(store.glob("*/v*/*.json"))]  # model/vN/time.json


@pytest.mark.parametrize("how", ["one version", "whole model"])
def test_fields_a_2x_server_never_sent_stay_absent(server2, tmp_path, how):
    args = ("models:/Legacy/2",) if how == "one version" else ("models:/Legacy",)
    docs = _capture(tmp_path, server2, *args)
    assert docs, "nothing captured"
    for doc in docs:
        assert doc["manifest"]["server_version"].startswith("2.22")
        replies = _replies(server2, doc)
        for section, (endpoint, key, field) in NEVER_SENT.items():
            assert field not in replies[endpoint][key], f"the 2.x server sent {key}.{field} after all"
            assert field not in doc[section], f"{section}.{field} is in the snapshot, but the server never sent it"
        assert "outputs" not in replies["runs/get"]["run"]
        assert "model_outputs" not in doc["run"]
        # What the server did send is all there.
        sent = replies["model-versions/get"]["model_version"]
        shaped = ("aliases", "tags")  # snapshots hold tags as a map and aliases from the model's alias map
        assert {k: doc["model_version"][k] for k in sent if k not in shaped} == \
            {k: v for k, v in sent.items() if k not in shaped}
        assert doc["model_version"]["tags"] == {t["key"]: t["value"] for t in sent.get("tags", [])}
        assert doc["run"]["params"] == {"alpha": doc["run"]["params"]["alpha"]}


def test_report_and_diff_of_2x_snapshots(server2, tmp_path):
    store = tmp_path / "store"
    snap("capture", "models:/Legacy", "--tracking-uri", server2, "--store", str(store))
    report = snap("report", "Legacy/2", "--store", str(store)).stdout
    assert "champion" in report and "Legacy" in report
    diff = snap("diff", "Legacy/1", "Legacy/2", "--store", str(store), "--format", "json", check=False)
    assert diff.returncode == 1
    paths = {c["path"] for c in json.loads(diff.stdout)["changes"]}
    assert "run.params.alpha" in paths
