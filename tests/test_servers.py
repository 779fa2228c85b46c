"""The suite's real MLflow servers work, and hold what `registry.populate` planted."""

import json
import urllib.error
import urllib.request

import pytest

pytestmark = pytest.mark.server


def test_plain_server_is_healthy_and_reports_its_version(mlflow_server):
    with urllib.request.urlopen(f"{mlflow_server}/health", timeout=5) as resp:
        assert resp.read().decode().strip() == "OK"
    import mlflow

    with urllib.request.urlopen(f"{mlflow_server}/version", timeout=5) as resp:
        assert resp.read().decode().strip() == mlflow.__version__


@pytest.mark.parametrize("store", ["server", "local"])
def test_populated_registry_is_visible_through_the_client(store, registry, local_store, mlflow_server):
    from mlflow import MlflowClient

    uri, facts = (mlflow_server, registry) if store == "server" else (local_store["uri"], local_store["facts"])
    client = MlflowClient(uri, registry_uri=uri)
    churn = facts["churn"]
    model = client.get_registered_model("Churn")
    assert {alias: str(v) for alias, v in model.aliases.items()} == churn["aliases"]
    assert model.tags == churn["tags"]
    assert model.description == churn["description"]
    v3 = client.get_model_version("Churn", "3")
    assert v3.run_id == churn["versions"]["3"]["run_id"]
    assert v3.tags == churn["versions"]["3"]["version_tags"]
    run = client.get_run(v3.run_id)
    assert run.data.params == churn["versions"]["3"]["params"]
    assert run.data.metrics == churn["versions"]["3"]["metrics"]
    assert [d.dataset.name for d in run.inputs.dataset_inputs] == ["churn-train"]
    assert "notes/extra.txt" in {f.path for f in client.list_artifacts(v3.run_id, "notes")}
    v2_files = {f.path for f in client.list_artifacts(churn["versions"]["2"]["run_id"], "notes")}
    assert "notes/extra.txt" not in v2_files
    assert client.get_experiment(facts["experiment_id"]).tags.items() >= facts["experiment_tags"].items()
    assert str(client.get_model_version_by_alias(facts["echo"]["name"], "prod").version) == "2"
    awkward = client.get_registered_model(facts["awkward"]["name"])
    assert awkward.name == "Fraud score (EU) ..v2 ü"
    assert facts["model_name_rules"] == {
        "slash": False, "colon": False, "dotdot_inside": True, "leading_dotdot": False,
        "space": True, "unicode": True,
    }


def _get(uri: str, path: str, username: str, password: str) -> int:
    import base64

    request = urllib.request.Request(f"{uri}{path}")
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as resp:
            json.loads(resp.read())
            return resp.status
    except urllib.error.HTTPError as err:
        return err.code


def test_auth_server_accepts_admin_and_refuses_a_wrong_password(auth_server):
    uri, admin = auth_server["uri"], auth_server["admin"]
    path = "/api/2.0/mlflow/registered-models/get?name=Churn"
    assert _get(uri, path, admin["username"], admin["password"]) == 200
    assert _get(uri, path, "alice", auth_server["users"]["alice"]) == 200
    assert _get(uri, path, admin["username"], "not-the-password") == 401


def test_auth_server_holds_the_planted_grants(auth_server, use_credentials):
    from mlflow.server.auth.client import AuthServiceClient

    use_credentials(auth_server["admin"]["username"], auth_server["admin"]["password"])
    client = AuthServiceClient(auth_server["uri"])
    for user, permission in auth_server["grants"]["registered_model"].items():
        result = client.get_user_permission(user, "registered_model", auth_server["model_name"])
        assert result.permission == permission
    assert [r.name for r in client.list_user_roles("carol")] == ["auditors"]
