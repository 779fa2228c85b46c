"""From a `models:/` URI to the (name, version) pairs it names."""

from __future__ import annotations

from snapshot.errors import AliasNotFound, ModelNotFound
from snapshot.sources.connection import Connection, mlflow_errors
from snapshot.sources.faults import fault_error
from snapshot.uris import parse_model_uri

PAGE = 1000


def resolve_versions(conn: Connection, uri: str) -> list[tuple[str, str]]:
    ref = parse_model_uri(uri)
    if ref.version is not None:
        return [(ref.name, ref.version)]
    if ref.alias is not None:
        from mlflow.exceptions import MlflowException

        try:
            mv = conn.client.get_model_version_by_alias(ref.name, ref.alias)
        except MlflowException as exc:
            fault = fault_error(exc, f"reading alias {ref.alias!r} of model {ref.name!r}")
            if fault is not None:  # a fault says nothing about whether the alias exists
                raise fault from exc
            _model_must_exist(conn, ref.name)
            raise AliasNotFound(f"model {ref.name!r} has no alias {ref.alias!r}; "
                                f"see its aliases with snap capture models:/{ref.name}/latest") from exc
        return [(ref.name, str(mv.version))]
    versions = all_versions(conn, ref.name)
    if not versions:
        _model_must_exist(conn, ref.name)
        raise ModelNotFound(f"model {ref.name!r} has no versions")
    if ref.latest:
        return [(ref.name, max(versions, key=int))]
    return [(ref.name, v) for v in sorted(versions, key=int)]


def all_versions(conn: Connection, name: str) -> list[str]:
    """Every version number of a model, from paged search_model_versions."""
    return [str(mv["version"]) for mv in search_versions(conn, name)]


def search_versions(conn: Connection, name: str, reader=None) -> list[dict]:
    """Every version of a model in the REST shape, from paged model-versions/search.

    In MLflow 3.17 these carry tags but not aliases (the registered model's alias
    map has them); every other field equals model-versions/get's.
    """
    from snapshot.sources.readers import reader_for

    reader = reader or reader_for(conn)
    escaped = name.replace("'", "\\'")
    versions, token = [], None
    with mlflow_errors(f"model {name}"):
        while True:
            page, token = reader.model_versions(f"name='{escaped}'", PAGE, token)
            versions.extend(page)
            if not token:
                return versions


def is_whole_model(uri: str) -> bool:
    """True for `models:/NAME` (every version), which batch capture handles."""
    return parse_model_uri(uri).every_version


def _model_must_exist(conn: Connection, name: str) -> None:
    with mlflow_errors(f"registered model {name}"):
        conn.client.get_registered_model(name)
