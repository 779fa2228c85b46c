"""`snap import`: mlflow-reports `report.json` archives as snap snapshots.

mlflow-reports parsed JSON out of string values (a param "1" became 1, the
cluster.info tag became an object) and added derived `_xxx` fields. The import
turns values back into the strings MLflow stores, drops derived fields (the
renderer recomputes them) and records what the archive does not hold.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterator
from pathlib import Path

from snapshot import SCHEMA_VERSION, __version__
from snapshot.errors import ImportFailed, SnapshotNotFound
from snapshot.formats.document import seal
from snapshot.formats.files import write_snapshot
from snapshot.formats.inert import one_line
from snapshot.importer.times import captured_at
from snapshot.importer.values import (
    alias_entries,
    mlflow_string,
    restore_dataset_inputs,
    restore_tags,
    run_info,
    scalar_fields,
)
from snapshot.redact import redact_tree, redact_uri
from snapshot.sources.permissions import grants_from_databricks, grants_from_unity_catalog
from snapshot.store.layout import default_store, write_to_store

TOOL = "mlflow-reports"


def import_report(path: Path) -> dict:
    """The snap snapshot document of one mlflow-reports report.json file."""
    data, raw = _read(path)
    try:
        doc = _document(data, path, raw)
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise ImportFailed(f"{path} has an mlflow-reports layout snap does not know ({type(exc).__name__}: {exc}); "
                           "report it with the file attached") from None
    return seal(redact_tree(doc), captured_at(path, data["manifest"], data["model_version"]))


def _document(data: dict, path: Path, raw: bytes) -> dict:
    unavailable: dict[str, str] = {
        "logged_model": "mlflow-reports archives predate MLflow 3 logged models",
        "artifacts.run": "mlflow-reports archives do not list the run's artifacts",
    }
    for name in ("requirements", "conda", "python_env"):
        unavailable[f"environment.{name}"] = "mlflow-reports archives do not include the model's environment files"
    doc = {
        "schema_version": SCHEMA_VERSION,
        "manifest": _manifest(data, path, raw),
        "model_version": _model_version(data, unavailable),
        "registered_model": _registered_model(data, unavailable),
        "run": _run(data.get("run"), unavailable),
        "logged_model": None,
        "experiment": _experiment(data.get("experiment"), unavailable),
        "mlmodel": _mlmodel(data, unavailable),
        "environment": {"requirements": None, "conda": None, "python_env": None},
        "artifacts": {"model": _model_tree(data, data["manifest"]), "run": None},
        "permissions": _permissions(data, unavailable),
    }
    if doc["artifacts"]["model"] is None:
        unavailable["artifacts.model"] = "this mlflow-reports archive does not list the model's files"
    doc["unavailable"] = dict(sorted(unavailable.items()))
    return doc


def import_files(files: list[Path], store, output) -> Iterator[str]:
    """Import each file; with `output`, exactly one file, written there. Yields one line per file.

    Lines are terminal-safe (snapshot.formats.inert.one_line): the archive names the model, a file name is anything.
    """
    files = [Path(f) for f in files]
    if output is not None and len(files) != 1:
        raise ImportFailed(f"-o/--output takes exactly one report.json, got {len(files)}; use --store for several")
    if output is not None:
        doc = import_report(files[0])
        written = write_snapshot(doc, Path(output))
        yield one_line(f"imported {files[0]} -> {written}")
        return
    root = default_store(store)
    for path in files:
        written = write_to_store(import_report(path), root)
        yield one_line(f"imported {path} -> {written[0]}")


def _read(path: Path) -> tuple[dict, bytes]:
    path = Path(path)
    if not path.is_file():
        raise SnapshotNotFound(f"no report file at {path}; pass the report.json that mlflow-reports wrote")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ImportFailed(f"cannot read {path}: {exc.strerror}; "
                           "pass the report.json that mlflow-reports wrote") from None
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ImportFailed(f"{path} is not JSON; pass the report.json data file mlflow-reports wrote "
                           "(--output-data-file), not its Markdown") from None
    manifest = data.get("manifest") if isinstance(data, dict) else None
    if not (isinstance(manifest, dict) and manifest.get("model_uri") and isinstance(data.get("model_version"), dict)
            and isinstance(data.get("mlflow_model"), dict)):
        raise ImportFailed(f"{path} is JSON but not an mlflow-reports model report (no manifest.model_uri, "
                           "model_version and mlflow_model); pass a report.json written by mlflow-reports")
    version = data["model_version"]
    if not version.get("name") or version.get("version") in (None, ""):
        raise ImportFailed(f"{path} has no model_version name and version; it cannot be a whole mlflow-reports report")
    return data, raw


def _host(data: dict) -> str | None:
    for section in ("registered_model", "model_version", "experiment"):
        link = (data.get(section) or {}).get("_api_link") or ""
        if "/api/" in link:
            return link.split("/api/", 1)[0]
    for section in ("registered_model", "model_version"):
        link = (data.get(section) or {}).get("_web_ui_link") or ""
        m = re.match(r"(https?://[^/#]+)", link)
        if m:
            return m.group(1)
    return None


def _is_unity_catalog(data: dict) -> bool:
    for section in ("model_version", "registered_model"):
        value = (data.get(section) or {}).get("_is_unity_catalog")
        if isinstance(value, bool):
            return value
    rm = data.get("registered_model") or {}
    return "/explore/data/models/" in (rm.get("_web_ui_link") or "") or "/unity-catalog/" in (rm.get("_api_link") or "")


def _manifest(data: dict, path: Path, raw: bytes) -> dict:
    rm = data["manifest"]
    mv = data["model_version"]
    host = _host(data)
    source = rm.get("source") or (data.get("experiment") or {}).get("_tracking_uri")
    is_uc = _is_unity_catalog(data)
    databricks = bool(host and "databricks" in host) or str(source or "").startswith("databricks")
    return {
        "snap_version": __version__,
        "mlflow_version": rm.get("mlflow_version"),
        "server_version": None,
        "server_kind": "databricks" if databricks else ("mlflow" if host else "local"),
        "tracking_uri": redact_uri(source),
        "registry_uri": ("databricks-uc" if is_uc and databricks else redact_uri(source)),
        "tracking_host": host,
        "requested_uri": rm.get("model_uri"),
        "model_name": mv.get("name"),
        "model_version": mlflow_string(mv.get("version")),
        "is_unity_catalog": is_uc,
        "origin": {"kind": "import", "tool": TOOL, "file": Path(path).name,
                   "sha256": hashlib.sha256(raw).hexdigest(), "report_timestamp": rm.get("timestamp")},
        "options": {"metric_history": False, "checksums": False},
    }


def _model_version(data: dict, unavailable: dict) -> dict:
    mv = scalar_fields(data["model_version"], numbers=("creation_timestamp", "last_updated_timestamp"))
    mv["tags"] = restore_tags(data["model_version"].get("tags"))
    aliases = alias_entries(data["model_version"].get("aliases"))
    mv["aliases"] = sorted({name for name, _ in aliases or []})
    if aliases is None:
        unavailable["model_version.aliases"] = "mlflow-reports archives do not record aliases"
    uris = data["manifest"].get("model_uris") or {}
    mv["download_uri"] = uris.get("reg_model_download_uri") or data["model_version"].get("_reg_model_download_uri")
    return mv


def _registered_model(data: dict, unavailable: dict) -> dict | None:
    rm = data.get("registered_model")
    if not isinstance(rm, dict):
        unavailable["registered_model"] = "the archive has no registered model"
        return None
    out = scalar_fields(rm, numbers=("creation_timestamp", "last_updated_timestamp"), skip=("permissions",))
    out["tags"] = restore_tags(rm.get("tags"))
    own = alias_entries(rm.get("aliases"))
    # Unity Catalog alias objects on the version also say which version each alias points to.
    this_version = alias_entries(data["model_version"].get("aliases")) or []
    out["aliases"] = dict(sorted({name: v for name, v in [*this_version, *(own or [])] if v is not None}.items()))
    if own is None:
        unavailable["registered_model.aliases"] = ("this mlflow-reports archive records only the aliases of this "
                                                   "version" if out["aliases"] else
                                                   "mlflow-reports archives do not record aliases")
    return out


def _run(run: dict | None, unavailable: dict) -> dict | None:
    if not isinstance(run, dict) or not isinstance(run.get("info"), dict):
        unavailable["run"] = "the archive has no run"
        return None
    data = run.get("data") or {}
    metrics = {}
    for key, m in _pairs(data.get("metrics"), whole=True):
        m = m if isinstance(m, dict) else {"value": m}
        metrics[key] = {"value": _number(m.get("value")), "step": m.get("step", 0), "timestamp": m.get("timestamp")}
    return {
        "info": run_info(run["info"]),
        "params": {key: mlflow_string(value) for key, value in _pairs(data.get("params"))},
        "metrics": dict(sorted(metrics.items())),
        "tags": restore_tags(data.get("tags")),
        "dataset_inputs": restore_dataset_inputs((run.get("inputs") or {}).get("dataset_inputs")),
    }


def _pairs(items, whole: bool = False) -> list[tuple[str, object]]:
    """(key, value) from a `{key: value}` object or a `[{"key", "value", ...}]` list (whole item if asked)."""
    if isinstance(items, dict):
        return [(str(k), v) for k, v in items.items()]
    return [(str(i["key"]), i if whole else i.get("value")) for i in items or [] if isinstance(i, dict)]


def _number(value):
    """Metric values are numbers; JSON cannot hold NaN or infinities, so those stay as MLflow's words."""
    if isinstance(value, float) and not math.isfinite(value):
        return mlflow_string(value)
    return value


def _experiment(experiment: dict | None, unavailable: dict) -> dict | None:
    if not isinstance(experiment, dict):
        unavailable["experiment"] = "the archive has no experiment"
        return None
    experiment = experiment.get("experiment", experiment)
    out = scalar_fields(experiment, numbers=("creation_time", "last_update_time"), skip=("permissions",),
                        strings=True)
    out["tags"] = restore_tags(experiment.get("tags"))
    return out


def _mlmodel(data: dict, unavailable: dict) -> dict:
    parsed = {k: v for k, v in data["mlflow_model"].items()
              if k not in ("artifacts", "model_flavor", "model_size_bytes")}
    if isinstance(parsed.get("signature"), dict):
        parsed["signature"] = {k: (json.loads(v) if isinstance(v, str) else v) for k, v in parsed["signature"].items()}
    unavailable["mlmodel.raw"] = "mlflow-reports archives hold the parsed MLmodel, not its text"
    mlmodel = {"raw": None, "parsed": parsed}
    fs = data.get("mlflow_model_raw")
    if isinstance(fs, dict) and isinstance(fs.get("mlflow_model"), dict):
        mlmodel["feature_store"] = {"raw_model": fs["mlflow_model"], "feature_spec": fs.get("feature_spec")}
    return mlmodel


def _model_tree(data: dict, report_manifest: dict) -> dict | None:
    artifacts = data["mlflow_model"].get("artifacts")
    if not isinstance(artifacts, dict):
        return None
    prefix = str(data["mlflow_model"].get("artifact_path") or "").strip("/")
    files: list[dict] = []
    _flatten(artifacts.get("files") or [], prefix, files)
    files.sort(key=lambda f: f["path"])
    only_files = [f for f in files if not f["is_dir"]]
    root = (report_manifest.get("model_uris") or {}).get("run_model_download_uri") or artifacts.get("root_uri")
    return {"root_uri": root, "files": files, "file_count": len(only_files),
            "total_size": sum(f["size"] or 0 for f in only_files)}


def _flatten(entries: list, prefix: str, out: list) -> None:
    for entry in entries:
        path = str(entry.get("path", ""))
        if prefix and path.startswith(prefix + "/"):
            path = path[len(prefix) + 1:]
        is_dir = bool(entry.get("is_dir"))
        out.append({"path": path, "is_dir": is_dir, "size": None if is_dir else entry.get("file_size")})
        _flatten(((entry.get("artifacts") or {}).get("files")) or [], prefix, out)


def _permissions(data: dict, unavailable: dict) -> dict | None:
    rm_raw = (data.get("registered_model") or {}).get("permissions")
    exp_raw = (data.get("experiment") or {}).get("permissions")
    if not rm_raw and not exp_raw:
        unavailable["permissions"] = "the report was made without permissions (mlflow-reports --get-permissions)"
        return None
    uc = isinstance(rm_raw, dict) and "effective_permissions" in rm_raw
    model_grants = grants_from_unity_catalog if uc else grants_from_databricks
    return {
        "kind": "unity-catalog" if uc else "databricks",
        "registered_model": {"grants": model_grants(rm_raw), "raw": rm_raw} if isinstance(rm_raw, dict) else None,
        "experiment": ({"grants": grants_from_databricks(exp_raw), "raw": exp_raw}
                       if isinstance(exp_raw, dict) else None),
    }
