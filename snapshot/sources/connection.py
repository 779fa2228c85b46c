"""The connection to an MLflow tracking server or local store, and its errors.

Imports mlflow: only capture paths use this module.
"""

from __future__ import annotations

import json
import os
import re
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import mlflow
import requests
from mlflow import MlflowClient
from mlflow.utils.proto_json_utils import message_to_json

from snapshot.errors import (
    BadOption,
    CredentialsRefused,
    TrackingServerUnreachable,
)
from snapshot.redact import redact_uri
from snapshot.sources import transport
from snapshot.sources.faults import connection_lost, mlflow_errors, server_failure, translate

__all__ = ["Connection", "connect", "connection_lost", "http_settings", "mlflow_errors", "server_failure",
           "to_dict", "translate"]

PREFLIGHT_TIMEOUT = 10


@dataclass
class Connection:
    """A client plus the facts a snapshot's manifest records about where it came from."""

    tracking_uri: str
    registry_uri: str
    client: MlflowClient
    server_kind: str  # "mlflow", "local" or "databricks"
    tracking_host: str | None
    server_version: str | None
    is_unity_catalog: bool
    workspace: str | None = None  # on a server with workspaces: the one read (snapshot.sources.workspaces)

    def manifest_fields(self) -> dict:
        """The manifest's source fields; `workspace` only from a server with workspaces, as before them otherwise."""
        return {**self._source_fields(), **({"workspace": self.workspace} if self.workspace is not None else {})}

    def _source_fields(self) -> dict:
        return {
            "mlflow_version": mlflow.__version__,
            "server_version": self.server_version,
            "server_kind": self.server_kind,
            "tracking_uri": redact_uri(self.tracking_uri),
            "registry_uri": redact_uri(self.registry_uri),
            "tracking_host": self.tracking_host,
            "is_unity_catalog": self.is_unity_catalog,
        }

    def post_json(self, endpoint: str, body: dict) -> dict:
        """POST to an open-source MLflow server's REST API; its JSON reply as sent.

        Sent as MLflow's client sends it (credentials, TLS, retries), but the reply
        is not turned into protobuf and entities and back: for large search results
        that round trip is most of a capture's CPU. Raises MlflowException like the client.
        """
        from mlflow.utils.credentials import get_default_host_creds
        from mlflow.utils.rest_utils import http_request_safe

        response = http_request_safe(get_default_host_creds(self.tracking_uri), endpoint, "POST", json=body)
        return json.loads(response.text)


_PROBED_MODULES = ("dbruntime", "pyspark", "IPython")


def fast_fail_databricks_probes() -> None:
    """Outside Databricks, make MLflow's per-request `import dbruntime`/`pyspark`/`IPython` probes fail at once.

    MLflow's client tries those imports several times for every request (to find a
    notebook context, dbutils in an IPython shell, or a Spark session). A failed import is not cached, so each try
    searched sys.path under the interpreter's import lock, and concurrent capture
    threads queued on it. Marking a module that is not installed as absent changes
    nothing else; an installed one is left alone. It changes `sys.modules` for the
    whole process, so only the CLI calls it, once, before capturing.
    """
    import importlib.util
    import sys

    for name in _PROBED_MODULES:
        if name not in sys.modules and importlib.util.find_spec(name) is None:
            sys.modules[name] = None


def connect(tracking_uri: str | None = None, registry_uri: str | None = None) -> Connection:
    """Resolve URIs (option, then environment, then one set in this process) and check the server answers."""
    from mlflow.tracking import is_tracking_uri_set

    if not (tracking_uri or os.environ.get("MLFLOW_TRACKING_URI") or is_tracking_uri_set()):
        # MLflow's default would create ./mlflow.db and report every model missing from it.
        raise BadOption("no tracking URI: pass --tracking-uri http://HOST:5000 (or sqlite:///PATH/mlflow.db) "
                        "or set MLFLOW_TRACKING_URI")
    tracking_uri = tracking_uri or os.environ.get("MLFLOW_TRACKING_URI") or mlflow.get_tracking_uri()
    registry_uri = registry_uri or os.environ.get("MLFLOW_REGISTRY_URI") or tracking_uri
    _local_store_must_exist(tracking_uri, "--tracking-uri / MLFLOW_TRACKING_URI")
    if registry_uri != tracking_uri:
        _local_store_must_exist(registry_uri, "--registry-uri / MLFLOW_REGISTRY_URI")
    kind = _server_kind(tracking_uri)
    policy = transport.active()
    if policy is not None:
        policy.server_kind(kind)
    host, version = None, None
    workspace = None
    if kind == "mlflow":
        from snapshot.sources.workspaces import server_workspace

        host = _http_base(tracking_uri)
        version = _preflight(tracking_uri)
        workspace = server_workspace(tracking_uri)
    elif kind == "databricks":
        host = _databricks_host(tracking_uri)
    if _server_kind(registry_uri) == "mlflow" and _http_base(registry_uri) != host:
        _preflight(registry_uri, "--registry-uri / MLFLOW_REGISTRY_URI")
    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=registry_uri)
    is_uc = registry_uri.startswith("databricks-uc")
    return Connection(tracking_uri, registry_uri, client, kind, host, version, is_uc, workspace)


def _local_store_must_exist(uri: str, option: str) -> None:
    """A local store that is not there is a mistyped path: MLflow would create an empty one and find nothing."""
    parts = urlsplit(uri)
    if parts.scheme == "sqlite":
        path = uri.split("://", 1)[1]
        path = path[1:] if path.startswith("/") else path  # sqlite:///rel.db is relative, sqlite:////abs.db absolute
        if path in ("", ":memory:") or Path(path).is_file():
            return
        raise BadOption(f"the SQLite store {redact_uri(uri)} does not exist; check {option} "
                        "(snap reads a store, it never creates one)")
    is_path = parts.scheme == "" and not uri.startswith("databricks")
    if (parts.scheme == "file" or is_path) and not re.match(r"^[A-Za-z]:[\\/]", uri):
        path = parts.path if parts.scheme == "file" else uri
        if path and not Path(path).is_dir():
            raise BadOption(f"the local MLflow store {redact_uri(uri)} does not exist; check {option}")


def _server_kind(uri: str) -> str:
    scheme = urlsplit(uri).scheme
    if scheme in ("http", "https"):
        return "mlflow"
    if scheme.startswith("databricks") or uri == "databricks":
        return "databricks"
    return "local"


def _http_base(uri: str) -> str:
    parts = urlsplit(uri)
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))


def _request_options(uri: str) -> dict:
    """Credentials and TLS settings as MLflow's own client would send them."""
    from mlflow.utils.credentials import get_default_host_creds

    creds = get_default_host_creds(uri)
    parts = urlsplit(uri)
    options: dict = {"headers": {}}
    if parts.username:
        options["auth"] = (parts.username, parts.password or "")
    elif creds.username:
        options["auth"] = (creds.username, creds.password or "")
    if creds.token:
        options["headers"]["Authorization"] = f"Bearer {creds.token}"
    options["verify"] = False if creds.ignore_tls_verification else (creds.server_cert_path or True)
    if creds.client_cert_path:
        options["cert"] = creds.client_cert_path
    return options


def _preflight(uri: str, option: str = "--tracking-uri / MLFLOW_TRACKING_URI") -> str | None:
    """Fail fast on a server that is down, is not MLflow, or refuses us; return its version."""
    base = _http_base(uri)
    try:
        response = requests.get(f"{base}/version", timeout=PREFLIGHT_TIMEOUT, **_request_options(uri))
    except requests.RequestException as exc:
        how = exc.how if isinstance(exc, transport.ServerFault) else type(exc).__name__
        raise TrackingServerUnreachable(
            f"cannot reach the MLflow server at {base} ({how}); check {option} and that the server is running"
        ) from exc
    if response.status_code in (401, 403):
        raise CredentialsRefused(
            f"the MLflow server at {base} refused the credentials (HTTP {response.status_code}); "
            "set MLFLOW_TRACKING_USERNAME/MLFLOW_TRACKING_PASSWORD or MLFLOW_TRACKING_TOKEN"
        )
    text = response.text.strip()
    if response.ok and re.fullmatch(r"\d+\.\d+[\w.+-]*", text):
        return text
    if response.status_code == 404 or "<html" in text[:200].lower():
        raise TrackingServerUnreachable(
            f"{base} answers HTTP but does not look like an MLflow tracking server "
            f"(GET /version gave {response.status_code}); check {option}"
        )
    return None  # an MLflow behind a gateway that hides /version: go on without the version
def _databricks_host(uri: str) -> str | None:
    try:
        from mlflow.utils.databricks_utils import get_databricks_host_creds

        return get_databricks_host_creds(uri).host.rstrip("/")
    except Exception:  # noqa: BLE001 - no profile configured: links are left out, capture goes on
        return None


def to_dict(entity) -> dict:
    """An MLflow entity in the REST API's JSON shape."""
    return json.loads(message_to_json(entity.to_proto()))


@contextmanager
def http_settings(workers: int | None = None):
    """Every request of one capture through snap's transport (snapshot.sources.transport); yields its Policy.

    The transport sets timeouts, retries with bounded waits and the rate budget. MLflow
    takes its connection pool size only from MLFLOW_HTTP_POOL_MAXSIZE, read when it
    first builds its cached session, so that one is set here, only where the user has
    not set it, and put back on the way out.
    """
    added = workers is not None and "MLFLOW_HTTP_POOL_MAXSIZE" not in os.environ
    if added:  # a connection per concurrent request
        os.environ["MLFLOW_HTTP_POOL_MAXSIZE"] = str(max(10, 6 * workers))
    try:
        with transport.scoped(workers) as policy:
            yield policy
    finally:
        if added:
            os.environ.pop("MLFLOW_HTTP_POOL_MAXSIZE", None)
