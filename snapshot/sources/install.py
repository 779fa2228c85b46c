"""What this install can capture from: snap depends on mlflow-skinny, MLflow's client.

A server (`http(s)://`, Databricks) needs only the client. A database store read
without a server (`sqlite:///…`, `postgresql://…`) is MLflow's SQLAlchemy store,
which comes with the full `mlflow` package; without it MLflow's own error lists URI
schemes and says nothing about what to install.
"""

from __future__ import annotations

import importlib.util
import os
from urllib.parse import urlsplit

from snapshot.errors import BadOption

_DATABASE_SCHEMES = ("sqlite", "postgresql", "mysql", "mssql")


def check_store_support(tracking_uri: str | None, registry_uri: str | None) -> None:
    """Raise BadOption naming the package to install when a database URI meets the client-only install."""
    tracking_uri = tracking_uri or os.environ.get("MLFLOW_TRACKING_URI") or ""
    registry_uri = registry_uri or os.environ.get("MLFLOW_REGISTRY_URI") or ""
    for uri in (tracking_uri, registry_uri):
        scheme = urlsplit(uri).scheme.split("+", 1)[0]
        if scheme in _DATABASE_SCHEMES and importlib.util.find_spec("sqlalchemy") is None:
            raise BadOption(f"a {scheme} store read without a server needs the full mlflow package, and this install "
                            "has MLflow's client only (mlflow-skinny); pip install mlflow (or 'snap-mlflow[demo]'), "
                            "or capture through the store's `mlflow server` with --tracking-uri http://…")
