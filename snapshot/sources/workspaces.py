"""MLflow workspaces (3.10+): one server split into several registries, chosen per request.

A server started with `mlflow server --enable-workspaces` (SQL backing stores, SQLite
included) says so in `GET /api/3.0/mlflow/server-info` (`workspaces_enabled`), lists
them at `GET /api/3.0/mlflow/workspaces`, and reads each request's workspace from the
`X-MLFLOW-WORKSPACE` header, the server's default workspace without one. MLflow's
client sends that header on every request from `MLFLOW_WORKSPACE` (mlflow.utils.
rest_utils.http_request), worker threads included, so choosing a workspace is setting
that variable (`using_workspace`). A server without workspaces answers a request that
carries the header with an error (FEATURE_DISABLED), and a 2.x server has no
server-info: both are servers without workspaces, and their snapshots record none.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import requests

from snapshot.errors import BadOption, TrackingServerUnreachable
from snapshot.store.layout import DEFAULT_WORKSPACE

ENV = "MLFLOW_WORKSPACE"
TIMEOUT = 10


def requested_workspace() -> str | None:
    """The workspace asked for (`--workspace` sets MLFLOW_WORKSPACE), if any."""
    return (os.environ.get(ENV) or "").strip() or None


@contextmanager
def using_workspace(name: str | None) -> Iterator[None]:
    """Every request inside the block goes to workspace `name` (None: leave MLFLOW_WORKSPACE as it is)."""
    if name is None:
        yield
        return
    before = os.environ.get(ENV)
    os.environ[ENV] = name
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(ENV, None)
        else:
            os.environ[ENV] = before


def server_workspace(tracking_uri: str) -> str | None:
    """The workspace a capture reads: the one requested, else the default; None on a server without workspaces.

    A requested workspace that the server does not have, or a server without
    workspaces asked for one, fails here with the fix, before anything is read.
    """
    base, options = _http(tracking_uri)
    requested = requested_workspace()
    if not _enabled(base, options):
        if requested is not None:
            raise BadOption(f"the MLflow server at {base} has no workspaces (it was not started with "
                            f"--enable-workspaces); drop --workspace / unset {ENV}")
        return None
    if requested is None:
        return DEFAULT_WORKSPACE  # what the server answers a request without the header from
    names = list_workspaces(tracking_uri)
    if requested not in names:
        raise BadOption(f"the MLflow server at {base} has no workspace {requested!r} "
                        f"(workspaces there: {', '.join(names) or 'none'}); check --workspace / {ENV}")
    return requested


def list_workspaces(tracking_uri: str) -> list[str]:
    """The server's workspaces by name, sorted; BadOption on a server without them."""
    base, options = _http(tracking_uri)
    if not _enabled(base, options):
        raise BadOption(f"the MLflow server at {base} has no workspaces (it was not started with "
                        "--enable-workspaces); drop --all-workspaces")
    try:
        response = requests.get(f"{base}/api/3.0/mlflow/workspaces", timeout=TIMEOUT, **options)
        response.raise_for_status()
        return sorted(w["name"] for w in response.json().get("workspaces") or [])
    except (requests.RequestException, ValueError, KeyError, TypeError) as exc:
        raise BadOption(f"the MLflow server at {base} did not list its workspaces ({type(exc).__name__})") from exc


def _http(tracking_uri: str) -> tuple[str, dict]:
    from snapshot.sources.connection import _http_base, _request_options

    return _http_base(tracking_uri), _request_options(tracking_uri)


def _enabled(base: str, options: dict) -> bool:
    """`workspaces_enabled` from server-info; False for a server without the endpoint (2.x, older 3.x: 404).

    A fault is never taken for "no workspaces" (that would store a workspace's
    models as the default's): a 5xx, a 429, a lost connection or a reply that is
    not the endpoint's JSON fails the capture as the server being unreachable."""
    try:
        response = requests.get(f"{base}/api/3.0/mlflow/server-info", timeout=TIMEOUT, **options)
    except requests.RequestException as exc:
        raise TrackingServerUnreachable(f"the MLflow server at {base} did not answer server-info "
                                        f"({type(exc).__name__}); check the server and retry") from None
    if response.status_code == 429 or response.status_code >= 500:
        raise TrackingServerUnreachable(f"the MLflow server at {base} answered server-info with HTTP "
                                        f"{response.status_code}; retry when it is back")
    if not response.ok:
        return False  # no such endpoint (or not for this caller): a server without workspaces
    try:
        return response.json().get("workspaces_enabled") is True
    except (ValueError, AttributeError):
        raise TrackingServerUnreachable(f"the MLflow server at {base} answered server-info with a reply that is "
                                        "not its JSON; check --tracking-uri and retry") from None
