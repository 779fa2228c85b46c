"""From a `models:/` URI to the (name, version) pairs it names."""

from __future__ import annotations

from snapshot.errors import AliasNotFound, ModelNotFound
from snapshot.sources.connection import Connection, mlflow_errors
from snapshot.sources.faults import fault_error
from snapshot.uris import parse_model_uri

PAGE = 1000
PROMPT_TAG = "mlflow.prompt.is_prompt"  # MLflow's prompts are registered models (and versions) with this tag "true"


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
    """Every version number of a model (or prompt), from paged search_model_versions."""
    found = search_versions(conn, name)
    if not found and _is_prompt_model(conn, name):  # a prompt's versions are found only by asking for prompts
        found = search_versions(conn, name, prompt=True)
    return [str(mv["version"]) for mv in found]


def search_versions(conn: Connection, name: str, reader=None, prompt: bool = False) -> list[dict]:
    """Every version of a model in the REST shape, from paged model-versions/search.

    In MLflow 3.17 these carry tags but not aliases (the registered model's alias
    map has them); every other field equals model-versions/get's. A prompt's versions
    are left out unless the filter asks for the prompt tag (`prompt`).
    """
    from snapshot.sources.readers import reader_for

    reader = reader or reader_for(conn)
    escaped = name.replace("'", "\\'")
    filter_string = with_prompt_filter(f"name='{escaped}'") if prompt else f"name='{escaped}'"
    versions, token = [], None
    with mlflow_errors(f"model {name}"):
        while True:
            page, token = reader.model_versions(filter_string, PAGE, token)
            versions.extend(page)
            if not token:
                return versions


def with_prompt_filter(filter_string: str | None) -> str:
    """A search filter that asks MLflow for prompts (which searches otherwise leave out) matching `filter_string`."""
    prompt_clause = f"tags.`{PROMPT_TAG}` = 'true'"
    return f"{filter_string} AND {prompt_clause}" if filter_string else prompt_clause


def is_prompt(entity: dict) -> bool:
    """Whether a registered model or version (REST shape: tags a list of key/value) is one of MLflow's prompts."""
    tags = entity.get("tags") or []
    pairs = tags.items() if isinstance(tags, dict) else ((t.get("key"), t.get("value")) for t in tags)
    return any(key == PROMPT_TAG and str(value).lower() == "true" for key, value in pairs)


def _is_prompt_model(conn: Connection, name: str) -> bool:
    from snapshot.sources.readers import reader_for

    with mlflow_errors(f"registered model {name}"):
        return is_prompt(reader_for(conn).registered_model(name))


def is_whole_model(uri: str) -> bool:
    """True for `models:/NAME` (every version), which batch capture handles."""
    return parse_model_uri(uri).every_version


def _model_must_exist(conn: Connection, name: str) -> None:
    _is_prompt_model(conn, name)  # raises ModelNotFound; read as sent, since MLflow's client refuses to get a prompt
