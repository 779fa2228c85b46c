"""One snapshot document as rows of the dataset's typed tables (everything but `values`)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from snapshot.dataset.requirement_rows import requirement_rows


def parse_time(text: str | None) -> datetime | None:
    """`2026-11-26T21:42:48.652548Z` as an aware UTC datetime (None if absent or unreadable)."""
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=timezone.utc) if parsed.tzinfo is None else parsed.astimezone(timezone.utc)


def from_millis(value) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return datetime.fromtimestamp(value / 1000, tz=timezone.utc)


def as_int(text) -> int | None:
    text = str(text) if text is not None else ""
    return int(text) if text.isdigit() else None


def snapshot_key(doc: dict) -> dict:
    m = doc["manifest"]
    version = str(m.get("model_version"))
    return {"model": m.get("model_name"), "version": version, "version_int": as_int(version),
            "captured_at": parse_time(m.get("captured_at"))}


def _section(doc: dict, name: str) -> dict:
    value = doc.get(name)
    return value if isinstance(value, dict) else {}


def _text(value) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, ensure_ascii=False)


def snapshot_row(doc: dict, path: str | None) -> dict:
    m, mv = doc["manifest"], _section(doc, "model_version")
    version = str(m.get("model_version"))
    aliases = mv.get("aliases")
    if not isinstance(aliases, list):
        aliases = [a for a, v in (_section(doc, "registered_model").get("aliases") or {}).items() if str(v) == version]
    return {
        "content_hash": m.get("content_hash"), "aliases": sorted(str(a) for a in aliases),
        "status": mv.get("status"), "current_stage": mv.get("current_stage"),
        "description": mv.get("description"), "source": mv.get("source"), "run_id": mv.get("run_id"),
        "model_id": _section(doc, "logged_model").get("model_id"),
        "experiment_id": _section(doc, "experiment").get("experiment_id"), "user_id": mv.get("user_id"),
        "created_at": from_millis(mv.get("creation_timestamp")),
        "updated_at": from_millis(mv.get("last_updated_timestamp")),
        "origin": (m.get("origin") or {}).get("kind"), "server_kind": m.get("server_kind"),
        "mlflow_version": m.get("mlflow_version"), "snap_version": m.get("snap_version"), "path": path,
    }


def metric_rows(doc: dict) -> list[dict]:
    rows = []
    for key, metric in sorted((_section(doc, "run").get("metrics") or {}).items()):
        metric = metric if isinstance(metric, dict) else {"value": metric}
        rows.append(_metric("run", key, metric))
    for metric in _section(doc, "logged_model").get("metrics") or []:
        if isinstance(metric, dict):
            rows.append(_metric("logged_model", metric.get("key"), metric))
    return rows


def _metric(obj: str, key, metric: dict) -> dict:
    value, step = metric.get("value"), metric.get("step")
    return {"object": obj, "key": key,
            "value": float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None,
            "step": step if isinstance(step, int) and not isinstance(step, bool) else None,
            "timestamp": from_millis(metric.get("timestamp"))}


def param_rows(doc: dict) -> list[dict]:
    return [{"object": obj, "key": key, "value": _text(value)}
            for obj in ("run", "logged_model")
            for key, value in sorted((_section(doc, obj).get("params") or {}).items())]


_TAGGED = ("model_version", "registered_model", "run", "experiment", "logged_model")


def tag_rows(doc: dict) -> list[dict]:
    rows = []
    for obj in _TAGGED:
        tags = _section(doc, obj).get("tags") or {}
        if isinstance(tags, list):  # [{key, value}], as some APIs return them
            tags = {t.get("key"): t.get("value") for t in tags if isinstance(t, dict)}
        rows.extend({"object": obj, "key": key, "value": _text(value)} for key, value in sorted(tags.items()))
    return rows


def alias_rows(doc: dict) -> list[dict]:
    aliases = _section(doc, "registered_model").get("aliases") or {}
    return [{"alias": alias, "alias_version": str(version), "alias_version_int": as_int(version)}
            for alias, version in sorted(aliases.items())]


def signature_rows(doc: dict) -> list[dict]:
    signature = (_section(doc, "mlmodel").get("parsed") or {}).get("signature") or {}
    rows = []
    for role in ("inputs", "outputs", "params"):
        columns = signature.get(role) or []
        if isinstance(columns, str):  # an MLmodel written by hand may keep the JSON string
            try:
                columns = json.loads(columns)
            except json.JSONDecodeError:
                columns = []
        for position, column in enumerate(columns if isinstance(columns, list) else []):
            column = column if isinstance(column, dict) else {}
            detail = {k: v for k, v in column.items() if k not in ("name", "type", "required")}
            rows.append({"role": role, "position": position, "name": column.get("name"),
                         "type": _text(column.get("type")),
                         "required": column.get("required") if isinstance(column.get("required"), bool) else None,
                         "detail": _text(detail) if detail else None})
    return rows


def typed_rows(doc: dict, path: str | None = None) -> dict[str, list[dict]]:
    """{table: rows} of one document, each row with the snapshot's key columns."""
    key = snapshot_key(doc)
    tables = {
        "snapshots": [snapshot_row(doc, path)],
        "requirements": requirement_rows(doc),
        "metrics": metric_rows(doc),
        "params": param_rows(doc),
        "tags": tag_rows(doc),
        "aliases": alias_rows(doc),
        "signature": signature_rows(doc),
    }
    return {name: [{**key, **row} for row in rows] for name, rows in tables.items()}
