"""Values a report derives at render time: readable times, exploded tag values, links.

Nothing here is stored in a snapshot; renderers compute it from what is.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import quote

from snapshot.formats.tags import SPARK_DATASOURCE_TAG
from snapshot.formats.validate import MAX_DEPTH, nesting_depth


def fmt_millis(millis: Any) -> str | None:
    """Epoch milliseconds as `2023-07-31 20:22:38` (UTC, rounded to the second), or None."""
    if not millis:
        return None
    try:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(round(int(millis) / 1000)))
    except (TypeError, ValueError, OverflowError, OSError):  # not a time a server writes: no readable time
        return None


def fmt_iso(iso: str | None) -> str | None:
    """`2023-07-31T21:06:27.000000Z` as `2023-07-31 21:06:27`."""
    return iso[:19].replace("T", " ") if iso else None


def add_times(row: dict, source: dict, keys: tuple[str, ...]) -> None:
    for key in keys:
        text = fmt_millis(source.get(key))
        if text:
            row[f"_{key}"] = text


def parse_spark_datasources(text: str) -> list[dict]:
    """The `sparkDatasourceInfo` tag: one source per line, `key=value` pairs split by commas."""
    sources = []
    for line in text.split("\n"):
        pairs = [tok.split("=", 1) for tok in line.split(",") if tok]
        sources.append({p[0]: (p[1] if len(p) > 1 else "") for p in pairs})
    return sources


def explode(value: Any, key: str | None = None, _depth: int = 0) -> Any:
    """JSON text inside string values parsed, recursively (what mlflow-reports shows).

    Text whose JSON nests deeper than a snapshot may (validate.MAX_DEPTH), counting
    JSON inside JSON, stays text: the report never recurses without bound.
    """
    if _depth > MAX_DEPTH:
        return value
    if isinstance(value, str):
        if key == SPARK_DATASOURCE_TAG:
            return parse_spark_datasources(value)
        try:
            parsed = json.loads(value)
        except (ValueError, RecursionError):  # not JSON, or nested past what the parser takes
            return value
        if not isinstance(parsed, (dict, list)):
            return parsed
        if _depth + nesting_depth(parsed) > MAX_DEPTH:
            return value
        return explode(parsed, None, _depth)
    if isinstance(value, dict):
        return {k: explode(v, k, _depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [explode(v, None, _depth + 1) for v in value]
    return value


def shown(value: Any, key: str | None = None) -> Any:
    """A tag, param or run field as the report shows it.

    Objects, lists, booleans and null written as JSON text are shown parsed
    (Python style), as mlflow-reports does; numbers and plain text stay exactly
    as stored.
    """
    if not isinstance(value, str):
        return value
    parsed = explode(value, key)
    if isinstance(parsed, (dict, list, bool)) or parsed is None:
        return parsed
    return value


def primitives(data: dict | None, order: tuple[str, ...], skip: tuple[str, ...] = ()) -> dict:
    """Scalar fields (no None, objects or lists) in API order, then the rest sorted."""
    data = data or {}
    keys = [k for k in order if k in data] + sorted(k for k in data if k not in order)
    return {k: data[k] for k in keys
            if k not in skip and isinstance(data[k], (str, int, float, bool))}


class Links:
    """Web UI and REST links for the server a snapshot came from (none for a local store)."""

    def __init__(self, manifest: dict) -> None:
        self.host = (manifest.get("tracking_host") or "").rstrip("/") or None
        self.kind = manifest.get("server_kind")
        self.uc = bool(manifest.get("is_unity_catalog"))

    def _ui(self) -> str:
        return f"{self.host}#mlflow" if self.kind == "databricks" else f"{self.host}/#"

    def _api(self, path: str) -> str:
        return f"{self.host}/api/2.0/mlflow/{path}"

    def registered_model(self, name: str) -> dict:
        if not self.host:
            return {}
        if self.uc:
            return {"_web_ui_link": f"{self.host}/explore/data/models/{_q(name)}",
                    "_api_link": self._api(f"unity-catalog/registered-models/get?name={_q(name)}")}
        return {"_web_ui_link": f"{self._ui()}/models/{_q(name)}",
                "_api_link": self._api(f"registered-models/get?name={_q(name)}")}

    def model_version(self, name: str, version: str) -> dict:
        if not self.host:
            return {}
        query = f"name={_q(name)}&version={_q(version)}"
        if self.uc:
            return {"_web_ui_link": f"{self.host}/explore/data/models/{_q(name)}/version/{_q(version)}",
                    "_api_link": self._api(f"unity-catalog/model-versions/get?{query}")}
        return {"_web_ui_link": f"{self._ui()}/models/{_q(name)}/versions/{_q(version)}",
                "_api_link": self._api(f"model-versions/get?{query}")}

    def run(self, experiment_id: str, run_id: str) -> dict:
        if not self.host:
            return {}
        return {"_web_ui_link": f"{self._ui()}/experiments/{_q(experiment_id)}/runs/{_q(run_id)}",
                "_api_link": self._api(f"runs/get?run_id={_q(run_id)}")}

    def experiment(self, experiment_id: str) -> dict:
        if not self.host:
            return {}
        return {"_web_ui_link": f"{self._ui()}/experiments/{_q(experiment_id)}",
                "_api_link": self._api(f"experiments/get?experiment_id={_q(experiment_id)}")}

    def logged_model(self, experiment_id: str | None, model_id: str) -> dict:
        if not self.host:
            return {}
        links = {"_api_link": self._api(f"logged-models/{_q(model_id)}")}
        if experiment_id:
            links = {"_web_ui_link": f"{self._ui()}/experiments/{_q(experiment_id)}/models/{_q(model_id)}", **links}
        return links


def model_uri(doc: dict) -> str:
    """The URI the user asked for (version, alias, stage, latest), unless it named every version."""
    m = doc.get("manifest") or {}
    requested = m.get("requested_uri")
    if not requested or requested.rstrip("/") == f"models:/{m.get('model_name')}":
        return f"models:/{m.get('model_name')}/{m.get('model_version')}"
    return requested


def run_model_download_uri(doc: dict) -> str | None:
    """Where the model's files live under its run (MLflow 3: the logged model's location)."""
    logged = doc.get("logged_model") or {}
    if logged.get("artifact_uri") or logged.get("artifact_location"):
        return logged.get("artifact_uri") or logged.get("artifact_location")
    info = (doc.get("run") or {}).get("info") or {}
    path = ((doc.get("mlmodel") or {}).get("parsed") or {}).get("artifact_path")
    if path and ("://" in path or path.startswith("/")):
        return path
    if info.get("artifact_uri") and path:
        return f"{info['artifact_uri']}/{path}"
    return (doc.get("model_version") or {}).get("source")


def _q(text: Any) -> str:
    return quote(str(text), safe="")
