"""The snapshot document: canonical JSON, content hash, capture time."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from typing import Any

from snapshot import SCHEMA_VERSION
from snapshot.errors import SnapshotCorrupt, SnapshotTooNew
from snapshot.formats.validate import MAX_DEPTH, structure_problems

SECTIONS = (
    "model_version", "registered_model", "run", "logged_model", "experiment",
    "mlmodel", "environment", "artifacts", "permissions",
)


def dumps(doc: dict) -> str:
    """Canonical JSON text: sorted keys, two-space indent, UTF-8, final newline."""
    return json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def content_hash(doc: dict) -> str:
    """sha256 of the document without its capture time and its own hash."""
    manifest = {k: v for k, v in doc.get("manifest", {}).items() if k not in ("captured_at", "content_hash")}
    body = {**doc, "manifest": manifest}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def seal(doc: dict, captured_at: str | None = None) -> dict:
    """Set the capture time (now, unless given) and the content hash."""
    manifest = doc["manifest"]
    manifest["captured_at"] = captured_at or utc_now()
    manifest["content_hash"] = content_hash(doc)
    return doc


def utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def check(doc: Any, where: str) -> dict:
    """Refuse documents that are not snapshots, or come from a newer snap."""
    if not isinstance(doc, dict) or "manifest" not in doc or "schema_version" not in doc:
        raise SnapshotCorrupt(f"{where} is not a snap snapshot (no manifest); capture it again with `snap capture`")
    version = doc["schema_version"]
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise SnapshotCorrupt(f"{where} has an invalid schema_version {version!r}; "
                              "it is not a snap snapshot or it is damaged: capture it again")
    if version > SCHEMA_VERSION:
        raise SnapshotTooNew(
            f"{where} was written with snapshot schema {version}, this snap reads up to {SCHEMA_VERSION}; "
            "upgrade snap (pip install -U snap-mlflow)"
        )
    _check_shape(doc, where)
    return doc


def _check_shape(doc: dict, where: str) -> None:
    """The structure every reader relies on; a damaged file is refused here, not deep in a renderer."""
    manifest = doc["manifest"]
    problems = []
    if not isinstance(manifest, dict) or not manifest.get("model_name") or not manifest.get("model_version"):
        problems.append("manifest without model_name and model_version")
    for section in SECTIONS + ("unavailable",):
        if section not in doc:
            problems.append(f"no {section!r} section")
        elif not isinstance(doc[section], (dict, type(None))):
            problems.append(f"{section!r} is a {type(doc[section]).__name__}, not an object")
    for section in ("model_version", "registered_model", "environment", "artifacts", "unavailable"):
        if section in doc and not isinstance(doc[section], dict):
            problems.append(f"{section!r} is missing its object")
    if not problems:
        problems = structure_problems(doc)
    if problems:
        raise SnapshotCorrupt(f"{where} is a damaged snapshot ({'; '.join(dict.fromkeys(problems))}); capture it again")


def parse_json(text: str, where: str) -> Any:
    """JSON text as Python data; nesting too deep for the parser is a damaged file, not a crash."""
    try:
        return json.loads(text)
    except RecursionError:
        raise SnapshotCorrupt(f"{where} nests deeper than any snapshot does (over {MAX_DEPTH} levels); "
                              "it is damaged or not a snap snapshot: capture it again") from None


def title(doc: dict) -> str:
    """`Churn v3`, for headers and listings."""
    m = doc["manifest"]
    return f"{m.get('model_name')} v{m.get('model_version')}"


def logged_model_id(model_version: dict) -> str | None:
    """The MLflow 3 logged model of a version: its `model_id`, else the id in a `models:/m-…` source."""
    source = str(model_version.get("source") or "")
    from_source = source[len("models:/"):].split("/")[0] if source.startswith("models:/m-") else None
    return model_version.get("model_id") or from_source


_NOT_CONTENT = ("captured_at", "content_hash", "reused", "requested_uri")


def dedupe_key(doc: dict) -> str:
    """The hash of what was captured: the content hash's canonical JSON without how it was asked for or reused."""
    manifest = {k: v for k, v in doc["manifest"].items() if k not in _NOT_CONTENT}
    text = json.dumps({**doc, "manifest": manifest}, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()
