"""Fail fast on the Databricks path: a bad host, a TLS failure or refused credentials.

MLflow's client gives a Databricks workspace many retries with backoff (and the
Databricks SDK first fetches the host's metadata, with retries of its own), so a
mistyped host or a certificate the machine does not trust kept a capture waiting
for minutes before any error. One request with short timeouts, sent before MLflow
is asked anything, fails in seconds with one line that names the fix. The open-source
path has the same check (connection.py's preflight).

Only what can be read without the SDK is checked: the host and token from
DATABRICKS_HOST/DATABRICKS_TOKEN or the profile in ~/.databrickscfg
(`databricks://PROFILE`). Without a host there (a notebook on Databricks, OAuth set
up through the SDK alone) nothing is checked here and MLflow resolves the workspace
as usual. Without a token the reply's status is not judged (other auth methods), but
the host and its TLS are.
"""

from __future__ import annotations

import configparser
import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import requests

from snapshot.errors import CredentialsRefused, TrackingServerUnreachable

CONNECT_TIMEOUT = 5
READ_TIMEOUT = 10
# Cheap, read-only, and answered by every workspace's MLflow service; it needs a valid token.
_PROBE = "/api/2.0/mlflow/registered-models/search?max_results=1"
_FIX_HOST = "check DATABRICKS_HOST (or the host of the profile in ~/.databrickscfg)"


def check_databricks(tracking_uri: str | None, registry_uri: str | None) -> None:
    """Raise TrackingServerUnreachable or CredentialsRefused within seconds when a Databricks URI cannot work."""
    tracking_uri = tracking_uri or os.environ.get("MLFLOW_TRACKING_URI") or ""
    registry_uri = registry_uri or os.environ.get("MLFLOW_REGISTRY_URI") or tracking_uri
    checked: set[tuple[str, str | None]] = set()
    for uri in (tracking_uri, registry_uri):
        if not _is_databricks(uri):
            continue
        target = workspace_of(uri)
        if target is not None and target not in checked:
            checked.add(target)
            _probe(*target)


def workspace_of(uri: str) -> tuple[str, str | None] | None:
    """(host, token or None) for a `databricks` / `databricks-uc` / `databricks://PROFILE` URI, or None if unknown."""
    profile = _profile_name(uri)
    if profile is None and os.environ.get("DATABRICKS_HOST"):
        return _clean_host(os.environ["DATABRICKS_HOST"]), os.environ.get("DATABRICKS_TOKEN") or None
    section = _config_section(profile or os.environ.get("DATABRICKS_CONFIG_PROFILE") or "DEFAULT")
    if not section or not section.get("host"):
        return None
    return _clean_host(section["host"]), section.get("token") or None


def _probe(host: str, token: str | None) -> None:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        response = requests.get(host + _PROBE, headers=headers, timeout=(CONNECT_TIMEOUT, READ_TIMEOUT),
                                allow_redirects=False)
    except requests.exceptions.SSLError as exc:
        raise TrackingServerUnreachable(
            f"the TLS connection to the Databricks workspace {host} failed ({_tls_reason(exc)}); "
            f"{_FIX_HOST}, or point REQUESTS_CA_BUNDLE at the CA bundle that signs its certificate"
        ) from None
    except requests.RequestException as exc:
        raise TrackingServerUnreachable(
            f"cannot reach the Databricks workspace at {host} ({type(exc).__name__}); {_FIX_HOST} and the network"
        ) from None
    if token and response.status_code in (401, 403):
        raise CredentialsRefused(
            f"the Databricks workspace at {host} refused the credentials (HTTP {response.status_code}); "
            "check DATABRICKS_TOKEN (or the token of the profile in ~/.databrickscfg)"
        )
    if response.status_code == 404 or response.is_redirect or "<html" in response.text[:200].lower():
        raise TrackingServerUnreachable(
            f"{host} answers HTTP but not as a Databricks workspace (GET {_PROBE.split('?')[0]} gave "
            f"{response.status_code}); {_FIX_HOST}"
        )


def _tls_reason(exc: Exception) -> str:
    """`certificate verify failed: self-signed certificate`, not the whole urllib3 chain."""
    text = str(exc)
    match = re.search(r"certificate verify failed: (.+?)\.?\s*\(_ssl\.c", text)
    if match:
        return f"certificate verify failed: {match.group(1)}"
    match = re.search(r"\[SSL: ([A-Z_]+)\]", text)
    return match.group(1).lower().replace("_", " ") if match else "TLS handshake failed"


def _is_databricks(uri: str) -> bool:
    return uri == "databricks" or urlsplit(uri).scheme in ("databricks", "databricks-uc") or uri == "databricks-uc"


def _profile_name(uri: str) -> str | None:
    """`databricks://PROFILE` (or `databricks://PROFILE:PREFIX`, a secret scope's form) names a profile."""
    netloc = urlsplit(uri).netloc
    return netloc.split(":", 1)[0] or None


def _config_section(profile: str) -> dict | None:
    path = Path(os.environ.get("DATABRICKS_CONFIG_FILE") or Path.home() / ".databrickscfg")
    parser = configparser.ConfigParser()
    try:
        parser.read(path, encoding="utf-8")
    except (OSError, configparser.Error):
        return None
    if profile == "DEFAULT":
        return dict(parser.defaults()) or None
    return dict(parser[profile]) if parser.has_section(profile) else None


def _clean_host(host: str) -> str:
    """The workspace URL without credentials, path or trailing slash; https:// when no scheme is given."""
    host = host.strip()
    if "://" not in host:
        host = "https://" + host
    parts = urlsplit(host)
    return f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}"
