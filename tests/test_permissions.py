"""Permission capture: against a real MLflow basic-auth server, and on recorded Databricks shapes."""

import json
from pathlib import Path

import pytest

from snapshot.sources.permissions import (
    LOCAL_REASON,
    NO_AUTH_APP_REASON,
    capture_permissions,
    grants_from_databricks,
    grants_from_unity_catalog,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "databricks"


def _grant(principal, permission, inherited=False):
    return {"principal": principal, "permission": permission, "inherited": inherited}


@pytest.fixture
def as_admin(auth_server, use_credentials):
    use_credentials(auth_server["admin"]["username"], auth_server["admin"]["password"])


@pytest.mark.server
def test_planted_grants_are_captured_exactly(auth_server, as_admin):
    section, reason = capture_permissions(
        auth_server["uri"], "mlflow", auth_server["model_name"], auth_server["experiment_id"], False
    )
    assert reason is None
    assert section["kind"] == "mlflow-basic-auth"
    # admin created both resources, so MLflow granted it MANAGE on each; being admin
    # it may also do anything anywhere (inherited). auditors hold READ through "*".
    assert section["registered_model"]["grants"] == [
        _grant("role:auditors", "READ", True),
        _grant("user:admin", "MANAGE"),
        _grant("user:admin", "MANAGE", True),
        _grant("user:alice", "EDIT"),
        _grant("user:bob", "READ"),
    ]
    assert section["experiment"]["grants"] == [
        _grant("role:auditors", "READ", True),
        _grant("user:admin", "MANAGE"),
        _grant("user:admin", "MANAGE", True),
        _grant("user:alice", "MANAGE"),
        _grant("user:bob", "EDIT"),
    ]
    planted = auth_server["grants"]
    for resource in ("registered_model", "experiment"):
        direct = {g["principal"]: g["permission"] for g in section[resource]["grants"]
                  if not g["inherited"] and g["principal"] != "user:admin"}
        assert direct == {f"user:{u}": p for u, p in planted[resource].items()}
    _validate_against_snapshot_schema(section)
    raw_users = section["registered_model"]["raw"]["users"]
    carol = next(u for u in raw_users if u["username"] == "carol")
    assert [r["name"] for r in carol["roles"]] == ["auditors"]


def _validate_against_snapshot_schema(section):
    import jsonschema

    schema = json.loads((FIXTURES.parent.parent / "snapshot" / "schema.json").read_text())
    jsonschema.validate(section, {**schema["properties"]["permissions"], "$defs": schema["$defs"]})


@pytest.mark.server
def test_grants_on_other_resources_are_left_out(auth_server, as_admin):
    section, _ = capture_permissions(auth_server["uri"], "mlflow", "Some Other Model", "999", False)
    assert section["registered_model"]["grants"] == [
        _grant("role:auditors", "READ", True), _grant("user:admin", "MANAGE", True),
    ]
    patterns = {p["resource_pattern"] for u in section["registered_model"]["raw"]["users"]
                for r in u["roles"] for p in r["permissions"]}
    assert patterns == {"*"}


@pytest.mark.server
def test_no_password_reaches_the_section(auth_server, as_admin):
    section, _ = capture_permissions(
        auth_server["uri"], "mlflow", auth_server["model_name"], auth_server["experiment_id"], False
    )
    dumped = json.dumps(section)
    for password in (auth_server["admin"]["password"], *auth_server["users"].values()):
        assert password not in dumped
    assert "password" not in dumped


@pytest.mark.server
def test_a_non_admin_gets_the_reason_to_capture_as_admin(auth_server, use_credentials):
    use_credentials("bob", auth_server["users"]["bob"])
    section, reason = capture_permissions(
        auth_server["uri"], "mlflow", auth_server["model_name"], auth_server["experiment_id"], False
    )
    assert section is None
    assert reason == "bob may not list other users' permissions (403): capture as an admin to record them"


@pytest.mark.server
def test_a_wrong_password_gets_the_credentials_reason(auth_server, use_credentials):
    use_credentials("admin", "not-the-admin-password")
    section, reason = capture_permissions(auth_server["uri"], "mlflow", "Churn", "1", False)
    assert section is None
    assert reason.startswith("the tracking server refused the credentials of admin (401)")


@pytest.mark.server
def test_a_server_without_the_auth_app_has_no_permission_api(mlflow_server):
    assert capture_permissions(mlflow_server, "mlflow", "Churn", "1", False) == (None, NO_AUTH_APP_REASON)


def test_a_local_store_has_no_permissions(tmp_path):
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    assert capture_permissions(uri, "local", "Churn", "1", False) == (None, LOCAL_REASON)


# Databricks and Unity Catalog cannot run here: the files in fixtures/databricks/ are
# recorded response shapes (invented names), so these tests cover only the parsers.


def _fixture(name):
    return json.loads((FIXTURES / name).read_text())


def test_databricks_registered_model_grants_from_recorded_shape():
    assert grants_from_databricks(_fixture("registered_model.json")) == [
        _grant("group:admins", "CAN_MANAGE", True),
        _grant("group:users", "CAN_READ", True),
        _grant("service_principal:00000000-1111-2222-3333-444444444444", "CAN_MANAGE_PRODUCTION_VERSIONS", True),
        _grant("user:dana@example.com", "CAN_MANAGE"),
        _grant("user:eli@example.com", "CAN_EDIT"),
        _grant("user:eli@example.com", "CAN_READ", True),
    ]


def test_databricks_experiment_grants_from_recorded_shape():
    assert grants_from_databricks(_fixture("experiment.json")) == [
        _grant("group:admins", "CAN_MANAGE", True),
        _grant("service_principal:00000000-1111-2222-3333-444444444444", "CAN_MANAGE", True),
        _grant("user:dana@example.com", "CAN_MANAGE", True),
    ]


def test_parsed_databricks_sections_match_the_snapshot_schema():
    raw_model, raw_experiment = _fixture("registered_model.json"), _fixture("experiment.json")
    _validate_against_snapshot_schema({
        "kind": "databricks",
        "registered_model": {"grants": grants_from_databricks(raw_model), "raw": raw_model},
        "experiment": {"grants": grants_from_databricks(raw_experiment), "raw": raw_experiment},
    })


def test_databricks_error_payload_has_no_grants():
    assert grants_from_databricks(_fixture("experiment_error.json")) == []


def test_unity_catalog_grants_from_recorded_shape():
    assert grants_from_unity_catalog(_fixture("unity_catalog.json")) == [
        _grant("analysts", "APPLY_TAG", True),
        _grant("analysts", "EXECUTE", True),
        _grant("dana@example.com", "ALL_PRIVILEGES"),
        _grant("ml-engineers", "APPLY_TAG"),
        _grant("ml-engineers", "EXECUTE"),
    ]


def test_unity_catalog_empty_answer_has_no_grants():
    assert grants_from_unity_catalog(_fixture("unity_catalog_empty.json")) == []


def test_permissions_module_does_not_import_mlflow_at_top():
    import subprocess
    import sys

    code = "import sys, snapshot.sources.permissions; print('mlflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
