"""An mlflow-reports archive as a Source: `snap import` assembles its document as capture does a server's.

The report is converted once, when the source is made, into answers in the
REST API's shape (snapshot.sources.base): values back to the strings MLflow
stores (snapshot.importer.values), derived `_xxx` fields dropped. What an
archive never holds (logged models, the run's artifacts, environment files,
the MLmodel's text) is in `unavailable()`, each with its reason. Reads no
server and imports no mlflow.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from snapshot.errors import ImportFailed, ModelNotFound
from snapshot.importer.times import captured_at
from snapshot.importer.values import (
    alias_entries,
    key_value_list,
    key_values,
    metric_value,
    mlflow_string,
    restore_dataset_inputs,
    restore_tags,
    run_info,
    scalar_fields,
)
from snapshot.redact import redact_uri
from snapshot.sources.base import Source
from snapshot.sources.permissions import grants_from_databricks, grants_from_unity_catalog

TOOL = "mlflow-reports"
_NO_ENVIRONMENT = "mlflow-reports archives do not include the model's environment files"
_NO_LOGGED_MODELS = "mlflow-reports archives predate MLflow 3 logged models"


class ArchiveSource(Source):
    """One mlflow-reports report.json: every answer from the archive, none from a server."""

    conn = None
    replies_drop_empty_lists = False  # the archive's run is whole: a list it lacks (model_inputs) stays out

    def __init__(self, path: Path, data: dict, raw: bytes):
        """Convert `data` (the parsed report, `raw` its bytes); a layout snap does not know raises as it is met."""
        self.path, self.data = Path(path), data
        self._unavailable = {"logged_model": _NO_LOGGED_MODELS,
                             "artifacts.run": "mlflow-reports archives do not list the run's artifacts"}
        for name in ("requirements", "conda", "python_env"):
            self._unavailable[f"environment.{name}"] = _NO_ENVIRONMENT
        self._origin = _origin(data, path, raw)
        self.name, self.version = data["model_version"].get("name"), mlflow_string(data["model_version"].get("version"))
        self._model_version, self._download_uri = self._version_answer(data)
        self._registered_model = self._model_answer(data)
        self._run = self._run_answer(data.get("run"))
        self._experiment = self._experiment_answer(data.get("experiment"))
        self._mlmodel = self._mlmodel_answer(data)
        self._model_tree = _model_tree(data, data["manifest"])
        if self._model_tree is None:
            self._unavailable["artifacts.model"] = "this mlflow-reports archive does not list the model's files"
        self._permissions = _permissions(data)

    def model_version(self, name: str, version: str) -> dict:
        return self._model_version

    def registered_model(self, name: str) -> dict:
        return self._registered_model

    def download_uri(self, name: str, version: str) -> str | None:
        return self._download_uri

    def run_id(self, version: dict) -> str | None:
        """The id of the run the archive holds (mlflow-reports may find it by the MLmodel's run_id)."""
        held = self._run["info"].get("run_id") if self._run else None
        return held or version.get("run_id")

    def run(self, run_id: str) -> dict:
        return self._run

    def experiment(self, experiment_id: str) -> dict:
        return self._experiment

    def logged_model(self, model_id: str) -> dict:
        raise ModelNotFound(f"logged model {model_id}: {_NO_LOGGED_MODELS}")

    def metric_history(self, run_id: str, key: str) -> list[dict]:
        raise ImportFailed(f"{self.path} holds each metric's last value, not its history")

    def permissions(self, name: str, experiment_id: str | None) -> tuple[dict | None, str | None]:
        return self._permissions

    def model_files(self, download_uri: str) -> tuple:
        return self._mlmodel, {"requirements": None, "conda": None, "python_env": None}, self._model_tree

    def is_prompt(self, version: dict) -> bool:
        return False  # an archive is of a model: mlflow-reports wrote its MLmodel (snapshot.importer.archive._read)

    def manifest_fields(self) -> dict:
        return self._origin

    def captured_at(self) -> str:
        return captured_at(self.path, self.data["manifest"], self.data["model_version"])

    def unavailable(self) -> dict[str, str]:
        return dict(self._unavailable)

    def _version_answer(self, data: dict) -> tuple[dict, str | None]:
        mv = scalar_fields(data["model_version"], numbers=("creation_timestamp", "last_updated_timestamp"))
        mv["tags"] = key_value_list(restore_tags(data["model_version"].get("tags")))
        aliases = alias_entries(data["model_version"].get("aliases"))
        mv["aliases"] = sorted({name for name, _ in aliases or []})
        if aliases is None:
            self._unavailable["model_version.aliases"] = "mlflow-reports archives do not record aliases"
        uris = data["manifest"].get("model_uris") or {}
        return mv, uris.get("reg_model_download_uri") or data["model_version"].get("_reg_model_download_uri")

    def _model_answer(self, data: dict) -> dict | None:
        rm = data.get("registered_model")
        if not isinstance(rm, dict):
            self._unavailable["registered_model"] = "the archive has no registered model"
            return None
        out = scalar_fields(rm, numbers=("creation_timestamp", "last_updated_timestamp"), skip=("permissions",))
        out["tags"] = key_value_list(restore_tags(rm.get("tags")))
        own = alias_entries(rm.get("aliases"))
        # Unity Catalog alias objects on the version also say which version each alias points to.
        this_version = alias_entries(data["model_version"].get("aliases")) or []
        aliases = {name: v for name, v in [*this_version, *(own or [])] if v is not None}
        out["aliases"] = [{"alias": name, "version": v} for name, v in aliases.items()]
        if own is None:
            self._unavailable["registered_model.aliases"] = ("this mlflow-reports archive records only the aliases "
                                                             "of this version" if aliases else
                                                             "mlflow-reports archives do not record aliases")
        return out

    def _run_answer(self, run: dict | None) -> dict | None:
        if not isinstance(run, dict) or not isinstance(run.get("info"), dict):
            self._unavailable["run"] = "the archive has no run"
            return None
        data = run.get("data") or {}
        metrics = []
        for key, m in key_values(data.get("metrics"), whole=True):
            m = m if isinstance(m, dict) else {"value": m}
            metrics.append({"key": key, "value": metric_value(m.get("value")), "step": m.get("step", 0),
                            "timestamp": m.get("timestamp")})
        return {
            "info": run_info(run["info"]),
            "data": {"params": [{"key": key, "value": mlflow_string(v)} for key, v in key_values(data.get("params"))],
                     "metrics": metrics,
                     "tags": key_value_list(restore_tags(data.get("tags")))},
            "inputs": {"dataset_inputs": restore_dataset_inputs((run.get("inputs") or {}).get("dataset_inputs"))},
        }

    def _experiment_answer(self, experiment: dict | None) -> dict | None:
        if not isinstance(experiment, dict):
            self._unavailable["experiment"] = "the archive has no experiment"
            return None
        experiment = experiment.get("experiment", experiment)
        out = scalar_fields(experiment, numbers=("creation_time", "last_update_time"), skip=("permissions",),
                            strings=True)
        out["tags"] = key_value_list(restore_tags(experiment.get("tags")))
        return out

    def _mlmodel_answer(self, data: dict) -> dict:
        parsed = {k: v for k, v in data["mlflow_model"].items()
                  if k not in ("artifacts", "model_flavor", "model_size_bytes")}
        if isinstance(parsed.get("signature"), dict):
            parsed["signature"] = {k: (json.loads(v) if isinstance(v, str) else v)
                                   for k, v in parsed["signature"].items()}
        self._unavailable["mlmodel.raw"] = "mlflow-reports archives hold the parsed MLmodel, not its text"
        mlmodel = {"raw": None, "parsed": parsed}
        fs = data.get("mlflow_model_raw")
        if isinstance(fs, dict) and isinstance(fs.get("mlflow_model"), dict):
            mlmodel["feature_store"] = {"raw_model": fs["mlflow_model"], "feature_spec": fs.get("feature_spec")}
        return mlmodel


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


def _origin(data: dict, path: Path, raw: bytes) -> dict:
    """The manifest's fields about where the archive came from: its server as the report names it, and the file."""
    rm = data["manifest"]
    host = _host(data)
    source = rm.get("source") or (data.get("experiment") or {}).get("_tracking_uri")
    is_uc = _is_unity_catalog(data)
    databricks = bool(host and "databricks" in host) or str(source or "").startswith("databricks")
    return {
        "mlflow_version": rm.get("mlflow_version"),
        "server_version": None,
        "server_kind": "databricks" if databricks else ("mlflow" if host else "local"),
        "tracking_uri": redact_uri(source),
        "registry_uri": ("databricks-uc" if is_uc and databricks else redact_uri(source)),
        "tracking_host": host,
        "is_unity_catalog": is_uc,
        "origin": {"kind": "import", "tool": TOOL, "file": Path(path).name,
                   "sha256": hashlib.sha256(raw).hexdigest(), "report_timestamp": rm.get("timestamp")},
    }


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


def _permissions(data: dict) -> tuple[dict | None, str | None]:
    rm_raw = (data.get("registered_model") or {}).get("permissions")
    exp_raw = (data.get("experiment") or {}).get("permissions")
    if not rm_raw and not exp_raw:
        return None, "the report was made without permissions (mlflow-reports --get-permissions)"
    uc = isinstance(rm_raw, dict) and "effective_permissions" in rm_raw
    model_grants = grants_from_unity_catalog if uc else grants_from_databricks
    return {
        "kind": "unity-catalog" if uc else "databricks",
        "registered_model": {"grants": model_grants(rm_raw), "raw": rm_raw} if isinstance(rm_raw, dict) else None,
        "experiment": ({"grants": grants_from_databricks(exp_raw), "raw": exp_raw}
                       if isinstance(exp_raw, dict) else None),
    }, None
