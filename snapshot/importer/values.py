"""Values of an mlflow-reports archive back to what MLflow stores.

mlflow-reports parsed JSON out of string values (a param "1" became 1, the
cluster.info tag became an object); these helpers write them back as strings.
"""

from __future__ import annotations

import json
import math

from snapshot.formats.tags import SPARK_DATASOURCE_TAG

LOG_MODEL_HISTORY_TAG = "mlflow.log-model.history"


def mlflow_string(value) -> str:
    """The string MLflow stored for a value mlflow-reports parsed as JSON (shortest faithful form)."""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, (bool, dict, list)) or value is None:
        return json.dumps(value, ensure_ascii=False)
    return repr(value)


def _tag_string(key: str, value) -> str:
    if key == SPARK_DATASOURCE_TAG and isinstance(value, list):
        return "\n".join(",".join(f"{k}={v}" for k, v in source.items())
                         for source in value if isinstance(source, dict))
    if key == LOG_MODEL_HISTORY_TAG and isinstance(value, list):
        value = [_restringify_signature(entry) for entry in value]
    return mlflow_string(value)


def _restringify_signature(entry):
    """MLflow writes a logged model's signature inputs/outputs/params as JSON text inside the history."""
    if not isinstance(entry, dict) or not isinstance(entry.get("signature"), dict):
        return entry
    signature = {k: (v if isinstance(v, str) or v is None else json.dumps(v)) for k, v in entry["signature"].items()}
    return {**entry, "signature": signature}


def restore_tags(tags) -> dict:
    """Tags as `{key: string}`, from mlflow-reports' object or `[{key, value}]` list."""
    if isinstance(tags, list):
        tags = {t.get("key"): t.get("value") for t in tags if isinstance(t, dict)}
    return dict(sorted((str(k), _tag_string(str(k), v)) for k, v in (tags or {}).items()))


def scalar_fields(section: dict, numbers: tuple = (), skip: tuple = (), strings: bool = False) -> dict:
    """API fields without mlflow-reports' derived `_xxx` ones; ids and text back to strings."""
    out = {}
    for key, value in section.items():
        if key.startswith("_") or key in skip or key in ("tags", "aliases"):
            continue
        if key in numbers:
            out[key] = int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value
        elif isinstance(value, (dict, list)) and not strings:
            out[key] = value
        elif value is None:
            out[key] = None
        else:
            out[key] = mlflow_string(value)
    return out


def run_info(info: dict) -> dict:
    """A run's `info` without derived fields; ids and text back to strings."""
    return scalar_fields(info, numbers=("start_time", "end_time"), strings=True)


def restore_dataset_inputs(items) -> list:
    """Dataset inputs in the REST shape (`{dataset, tags}`), `source`/`schema`/`profile` back to JSON text."""
    out = []
    for item in items or []:
        dataset = (item or {}).get("dataset") or {}
        source = dataset.get("source")
        if isinstance(source, dict) and isinstance(source.get("tags"), dict):
            source = {**source, "tags": restore_tags(source["tags"])}
        out.append({
            "dataset": {"name": mlflow_string(dataset.get("name")), "digest": mlflow_string(dataset.get("digest")),
                        "source_type": dataset.get("source_type"), "source": _json_text(source),
                        "schema": _json_text(dataset.get("schema")), "profile": _json_text(dataset.get("profile"))},
            "tags": key_value_list(restore_tags(item.get("tags"))),
        })
    return out


def key_value_list(mapping: dict) -> list[dict]:
    """`{key: value}` as the REST API's `[{key, value}]` list."""
    return [{"key": key, "value": value} for key, value in mapping.items()]


def key_values(items, whole: bool = False) -> list[tuple[str, object]]:
    """(key, value) from a `{key: value}` object or a `[{"key", "value", ...}]` list (whole item if asked)."""
    if isinstance(items, dict):
        return [(str(k), v) for k, v in items.items()]
    return [(str(i["key"]), i if whole else i.get("value")) for i in items or [] if isinstance(i, dict)]


def metric_value(value):
    """Metric values are numbers; JSON cannot hold NaN or infinities, so those stay as MLflow's words."""
    if isinstance(value, float) and not math.isfinite(value):
        return mlflow_string(value)
    return value


def _json_text(value):
    return value if isinstance(value, str) or value is None else json.dumps(value, ensure_ascii=False)


def alias_entries(aliases) -> list[tuple[str, str | None]] | None:
    """(alias, version or None) from any form an archive holds; None when it records no aliases.

    Plain names (`["prod"]`), Unity Catalog alias objects (`[{"alias": "prod", "version": "1"}]`,
    or the REST names `alias_name`/`version_num`) and an `{alias: version}` map.
    """
    if isinstance(aliases, dict):
        return [(str(name), _alias_version(version)) for name, version in aliases.items()]
    if not isinstance(aliases, list):
        return None
    entries = []
    for item in aliases:
        if isinstance(item, dict):
            name = item.get("alias", item.get("alias_name"))
            if name not in (None, ""):
                entries.append((str(name), _alias_version(item.get("version", item.get("version_num")))))
        elif item not in (None, ""):
            entries.append((mlflow_string(item), None))
    return entries


def _alias_version(version) -> str | None:
    return None if version in (None, "") else mlflow_string(version)

