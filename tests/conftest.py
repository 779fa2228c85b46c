"""Real MLflow servers for the test session: started here, stopped at the end.

Fixtures (session scope):
- `mlflow_server`: URI of a plain `mlflow server` (SQLite backend, artifacts served).
- `registry`: facts of the registry `registry.populate` logged into `mlflow_server`
  (keys documented in tests/support/registry.py).
- `local_store`: `{"uri": "sqlite:///…", "facts": populate(...)}` of a server-less store.
- `auth_server`: a second server running `--app-name basic-auth`, with real users
  and grants (keys in `_plant_grants`'s docstring).
Function scope:
- `use_credentials`: `use_credentials(username, password)` sets
  MLFLOW_TRACKING_USERNAME/PASSWORD for the rest of the test (None, None clears them).

Nothing here mocks MLflow. Tests never touch ~/.mlflow or ./mlruns: HOME points to a
temporary directory and every store lives under pytest's temporary directories.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support.registry import populate, populate_secured
from tests.support.servers import CREDENTIAL_VARS as _CREDENTIAL_VARS
from tests.support.servers import mlflow_server as _mlflow_server

# Isolate the whole test process (and the servers it starts) before anything imports
# mlflow: no real home directory (~/.mlflow/credentials would leak into requests), no
# inherited tracking or registry URI, no Databricks profile, no telemetry.
_SESSION_HOME = tempfile.mkdtemp(prefix="snap-tests-home-")
os.environ["HOME"] = _SESSION_HOME
for _var in (*_CREDENTIAL_VARS, "MLFLOW_REGISTRY_URI", "DATABRICKS_HOST", "DATABRICKS_TOKEN",
             "MLFLOW_AUTH_CONFIG_PATH", "SNAP_STORE"):
    os.environ.pop(_var, None)
# A stray call that forgets its tracking URI lands in a throwaway store, not ./mlruns.
os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{_SESSION_HOME}/stray.db"
os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
os.environ["DO_NOT_TRACK"] = "true"


def pytest_unconfigure(config):
    shutil.rmtree(_SESSION_HOME, ignore_errors=True)


@contextmanager
def _credentials(username: str | None, password: str | None):
    saved = {var: os.environ.get(var) for var in _CREDENTIAL_VARS}
    for var in _CREDENTIAL_VARS:
        os.environ.pop(var, None)
    if username is not None:
        os.environ["MLFLOW_TRACKING_USERNAME"] = username
        os.environ["MLFLOW_TRACKING_PASSWORD"] = password
    try:
        yield
    finally:
        for var, value in saved.items():
            if value is None:
                os.environ.pop(var, None)
            else:
                os.environ[var] = value


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory):
    """URI of a plain MLflow tracking server (no auth), e.g. "http://127.0.0.1:51234"."""
    with _mlflow_server(tmp_path_factory.mktemp("mlflow-server")) as uri:
        yield uri


@pytest.fixture(scope="session")
def registry(mlflow_server):
    """Facts of the registry logged into `mlflow_server` (see tests/support/registry.py)."""
    return populate(mlflow_server)


@pytest.fixture(scope="session")
def local_store(tmp_path_factory):
    """A server-less SQLite store: {"uri": "sqlite:///…/mlflow.db", "facts": populate(...)}."""
    root = tmp_path_factory.mktemp("local-store")
    uri = f"sqlite:///{root}/mlflow.db"
    return {"uri": uri, "facts": populate(uri, artifact_root=root / "artifacts")}


def _write_auth_config(root: Path, admin_password: str) -> Path:
    config = root / "basic_auth.ini"
    config.write_text(
        "[mlflow]\n"
        "default_permission = READ\n"
        f"database_uri = sqlite:///{root}/auth.db\n"
        "admin_username = admin\n"
        f"admin_password = {admin_password}\n"
        "authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n"
        # Checking a password hash is deliberately slow; each of the few hundred
        # requests below would pay it. Cached checks still start from a real one.
        "auth_cache_ttl_seconds = 600\n"
    )
    return config


def _plant_grants(uri: str, admin_password: str) -> dict:
    """Create users and grants on the auth server, as admin, with MLflow's AuthServiceClient.

    Returns {"users": {name: password}, "model_name", "experiment_id", "version",
    "grants": {"registered_model": {user: PERMISSION}, "experiment": {user: PERMISSION}},
    "role": {"name", "members", "registered_model", "experiment"}} where `role` is a
    named role whose grants use the "*" pattern (so they reach every model and experiment).
    """
    from mlflow.server.auth.client import AuthServiceClient

    users = {name: secrets.token_urlsafe(16) for name in ("alice", "bob", "carol")}
    with _credentials("admin", admin_password):
        secured = populate_secured(uri)
        auth = AuthServiceClient(uri)
        for name, password in users.items():
            auth.create_user(name, password)
        model_grants = {"alice": "EDIT", "bob": "READ"}
        experiment_grants = {"alice": "MANAGE", "bob": "EDIT"}
        for user, permission in model_grants.items():
            auth.grant_user_permission(user, "registered_model", secured["model_name"], permission)
        for user, permission in experiment_grants.items():
            auth.grant_user_permission(user, "experiment", secured["experiment_id"], permission)
        role = auth.create_role("default", "auditors", description="read everything")
        auth.add_role_permission(role.id, "registered_model", "*", "READ")
        auth.add_role_permission(role.id, "experiment", "*", "READ")
        auth.assign_role("carol", role.id)
    return {
        **secured,
        "users": users,
        "grants": {"registered_model": model_grants, "experiment": experiment_grants},
        "role": {"name": "auditors", "members": ["carol"], "registered_model": "READ", "experiment": "READ"},
    }


@pytest.fixture(scope="session")
def auth_server(tmp_path_factory):
    """An MLflow server running the basic-auth app, with planted users and grants.

    Returns {"uri", "admin": {"username": "admin", "password"}, **_plant_grants(...)}.
    """
    root = tmp_path_factory.mktemp("auth-server")
    admin_password = secrets.token_urlsafe(18)
    config = _write_auth_config(root, admin_password)
    env = {"MLFLOW_AUTH_CONFIG_PATH": str(config), "MLFLOW_FLASK_SERVER_SECRET_KEY": secrets.token_hex(16)}
    with _mlflow_server(root, ("--app-name", "basic-auth"), env) as uri:
        planted = _plant_grants(uri, admin_password)
        yield {"uri": uri, "admin": {"username": "admin", "password": admin_password}, **planted}


@pytest.fixture
def use_credentials():
    """`use_credentials(username, password)`: the MLflow client sends these until the test ends."""
    stack = []

    def _use(username: str | None, password: str | None = None) -> None:
        manager = _credentials(username, password)
        manager.__enter__()
        stack.append(manager)

    yield _use
    while stack:
        stack.pop().__exit__(None, None, None)
