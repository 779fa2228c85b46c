"""The connection to an MLflow tracking server or local store, and its errors.

Imports mlflow: only capture paths use this module.
"""

from __future__ import annotations

import json
import os
import re
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import mlflow
import requests
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from mlflow.utils.proto_json_utils import message_to_json

from snapshot.errors import (
    CredentialsRefused,
    ModelNotFound,
    SnapError,
    TrackingServerUnreachable,
)
from snapshot.redact import redact_uri

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

    def manifest_fields(self) -> dict:
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
    """Resolve URIs (option, then environment, then MLflow's default) and check the server answers."""
    tracking_uri = tracking_uri or os.environ.get("MLFLOW_TRACKING_URI") or mlflow.get_tracking_uri()
    registry_uri = registry_uri or os.environ.get("MLFLOW_REGISTRY_URI") or tracking_uri
    kind = _server_kind(tracking_uri)
    host, version = None, None
    if kind == "mlflow":
        host = _http_base(tracking_uri)
        version = _preflight(tracking_uri)
    elif kind == "databricks":
        host = _databricks_host(tracking_uri)
    if _server_kind(registry_uri) == "mlflow" and _http_base(registry_uri) != host:
        _preflight(registry_uri, "--registry-uri / MLFLOW_REGISTRY_URI")
    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=registry_uri)
    is_uc = registry_uri.startswith("databricks-uc")
    return Connection(tracking_uri, registry_uri, client, kind, host, version, is_uc)


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
        raise TrackingServerUnreachable(
            f"cannot reach the MLflow server at {base} ({type(exc).__name__}); "
            f"check {option} and that the server is running"
        ) from None
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
    """MLflow's HTTP retry, backoff and pool settings for one capture, restored afterwards.

    MLflow's client takes these only from environment variables (rest_utils.http_request
    reads MLFLOW_HTTP_REQUEST_MAX_RETRIES and _BACKOFF_FACTOR per request; request_utils
    reads MLFLOW_HTTP_POOL_MAXSIZE when it first builds its cached session), so they are
    set here, only where the user has not set them, and put back on the way out.
    """
    # A server that dies mid-capture should fail in seconds, not after MLflow's default ~4 minutes of retries.
    wanted = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "3", "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1"}
    if workers is not None:  # a connection per concurrent request
        wanted["MLFLOW_HTTP_POOL_MAXSIZE"] = str(max(10, 6 * workers))
    added = [key for key in wanted if key not in os.environ]
    os.environ.update({key: wanted[key] for key in added})
    try:
        yield
    finally:
        for key in added:
            os.environ.pop(key, None)


@contextmanager
def mlflow_errors(what: str, not_found: type[SnapError] = ModelNotFound):
    """Turn MlflowException into a SnapError that says what to do; `not_found` for a missing object."""
    try:
        yield
    except SnapError:
        raise
    except MlflowException as exc:
        raise translate(exc, what, not_found) from None


# MLflow's error codes (mlflow.exceptions: an HTTP status without a JSON body gets its code too).
_NOT_FOUND_CODES = ("RESOURCE_DOES_NOT_EXIST", "NOT_FOUND")
_REFUSED_CODES = ("PERMISSION_DENIED", "UNAUTHENTICATED", "CUSTOMER_UNAUTHORIZED")


def translate(exc: MlflowException, what: str, not_found: type[SnapError] = ModelNotFound) -> SnapError:
    """The SnapError for an MlflowException, chosen by its error code or the failure behind it."""
    code = getattr(exc, "error_code", "") or ""
    message = str(exc.message if hasattr(exc, "message") else exc).splitlines()[0][:300]
    if code in _NOT_FOUND_CODES:
        return not_found(f"{what} does not exist on the server; "
                         "check the name and version (snap list shows what is captured)")
    if code in _REFUSED_CODES or _http_status(exc) in (401, 403):
        return CredentialsRefused(f"the server refused access to {what}: {message}")
    if connection_lost(exc):
        return TrackingServerUnreachable(f"lost the MLflow server while reading {what}: {message}")
    return SnapError(f"MLflow failed reading {what}: {message}")


def _causes(exc: BaseException):
    """`exc` and the exceptions behind it: MLflow re-raises requests' errors inside `except`."""
    seen, visited = exc, set()
    while seen is not None and id(seen) not in visited:  # a chain can loop back on itself
        visited.add(id(seen))
        yield seen
        seen = seen.__cause__ or seen.__context__


def _http_status(exc: BaseException) -> int | None:
    for seen in _causes(exc):
        status = getattr(getattr(seen, "response", None), "status_code", None)
        if isinstance(status, int):
            return status
    return None


# Refused, reset or timed out: the exception types behind a connection that failed.
_LOST_CONNECTION = (requests.exceptions.ConnectionError, requests.exceptions.Timeout, ConnectionError, TimeoutError)


def connection_lost(exc: BaseException) -> bool:
    """True when a connection failure (refused, reset, timed out, retries used up) is behind `exc`."""
    from urllib3.exceptions import MaxRetryError

    lost = (*_LOST_CONNECTION, requests.exceptions.RetryError, MaxRetryError)
    return any(isinstance(seen, lost) for seen in _causes(exc))


def server_failure(exc: BaseException) -> str | None:
    """How the server failed, when `exc` is a server-side or network failure rather than a refusal.

    A 5xx that outlasted MLflow's retries, a lost connection or a timeout says
    nothing about the model: the read should be tried again, not recorded as
    unavailable. A 4xx (forbidden, not found) is an answer. Looks along the
    exception's causes, as MLflow wraps the `requests`/urllib3 errors.
    """
    for seen in _causes(exc):
        response = getattr(seen, "response", None)
        status = getattr(response, "status_code", None)
        if isinstance(status, int):
            return f"HTTP {status}" if status >= 500 else None
        if isinstance(seen, requests.exceptions.RetryError):
            found = re.search(r"too many (\d+) error responses", str(seen))
            return f"HTTP {found[1]} after retries" if found else "too many retries"
        if isinstance(seen, _LOST_CONNECTION):
            return f"lost the connection ({type(seen).__name__})"
    return None
