"""The report's model sections: Model Overview, MLflow Model and the feature-store raw model."""

from __future__ import annotations

from report.common import as_json, note_unavailable
from report.page import NONE_FOUND, Page
from report.values import fmt_iso, model_uri, run_model_download_uri
from snapshot.formats.document import logged_model_id

PYFUNC = "python_function"


def render_model_sections(page: Page, doc: dict) -> None:
    mlmodel = _parsed(doc)
    _overview(page, doc, mlmodel)
    page.header(1, "MLflow Model")
    if not mlmodel:
        note_unavailable(page, doc, "mlmodel")
    _details(page, mlmodel, 2, extra=_model_extra(doc, mlmodel))
    _flavors(page, mlmodel.get("flavors") or {}, 3)
    _signature(page, mlmodel.get("signature"))
    page.dict_table(mlmodel.get("saved_input_example_info") or {}, "Saved input example info", 2)
    _feature_store(page, (doc.get("mlmodel") or {}).get("feature_store"))


def _parsed(doc: dict) -> dict:
    return (doc.get("mlmodel") or {}).get("parsed") or {}


def native_flavor(flavors: dict) -> tuple[str | None, str]:
    """(loader module, native library version) the way mlflow-reports names a model's flavor."""
    names = list(flavors)
    if len(names) == 1:
        return (flavors[names[0]] or {}).get("loader_module"), ""
    pyfunc = flavors.get(PYFUNC) or {}
    natives = [flavors[n] or {} for n in names if n != PYFUNC]
    native = natives[0] if natives else {}
    versions = [v for k, v in native.items() if k.endswith("_version")]
    return pyfunc.get("loader_module"), (versions[0] if versions else "")


def flavor_name(flavors: dict) -> str | None:
    natives = [n for n in flavors if n != PYFUNC]
    return natives[0] if natives else (PYFUNC if PYFUNC in flavors else None)


def model_size(doc: dict, mlmodel: dict) -> int | None:
    tree = (doc.get("artifacts") or {}).get("model")
    if tree and tree.get("total_size") is not None:
        return tree["total_size"]
    size = mlmodel.get("model_size_bytes")
    return size if isinstance(size, int) else None


def _overview(page: Page, doc: dict, mlmodel: dict) -> None:
    manifest = doc.get("manifest") or {}
    flavor, version = native_flavor(mlmodel.get("flavors") or {})
    size = model_size(doc, mlmodel)
    created = mlmodel.get("utc_time_created")
    page.header(1, "Model Overview")
    page.dict_table({
        "model_uri": model_uri(doc),
        "flavor": flavor,
        "flavor_version": version,
        "mlflow_version": mlmodel.get("mlflow_version"),
        "size_bytes": f"{size:,}" if size is not None else "not captured",
        "databricks_runtime": mlmodel.get("databricks_runtime", ""),
        "is_unity_catalog": bool(manifest.get("is_unity_catalog")),
        "time_created": str(created).split(".")[0] if created else None,
        "report_time": fmt_iso(manifest.get("captured_at")),
        **_identity(manifest),
    }, "MLflow Model", 0)
    page.dict_table(model_uris(doc, mlmodel), "MLflow Model URIs", 0, columns=("URI type", "URI"))


def _identity(manifest: dict) -> dict:
    """`kind` and `workspace` rows, only where the snapshot records them (a prompt; a server with workspaces)."""
    rows = {"kind": "prompt"} if manifest.get("kind") == "prompt" else {}
    if manifest.get("workspace"):
        rows["workspace"] = manifest["workspace"]
    return rows


def model_uris(doc: dict, mlmodel: dict) -> dict:
    mv = doc.get("model_version") or {}
    run_id = mlmodel.get("run_id") or mv.get("run_id")
    path = mlmodel.get("artifact_path")
    run_uri = mv["source"] if str(mv.get("source", "")).startswith("runs:/") else None
    if not run_uri and run_id and path and _relative(path):
        run_uri = f"runs:/{run_id}/{path}"
    uris = {
        "model_uri": model_uri(doc),
        "run_uri": run_uri,
        "reg_model_download_uri": mv.get("download_uri"),
        "run_model_download_uri": run_model_download_uri(doc),
    }
    model_id = logged_model_id(mv) or mlmodel.get("model_id")
    if model_id:  # MLflow 3: the model lives outside the run, as a logged model
        uris["logged_model_uri"] = f"models:/{model_id}"
    return uris


def _relative(path: str) -> bool:
    """MLflow 3 writes the model's full location as artifact_path; only a run-relative path makes a runs:/ URI."""
    return "://" not in path and not path.startswith("/")


def _model_extra(doc: dict, mlmodel: dict) -> dict:
    extra = {}
    flavor = flavor_name(mlmodel.get("flavors") or {})
    if flavor:
        extra["model_flavor"] = flavor
    size = model_size(doc, mlmodel)
    if size is not None:
        extra["model_size_bytes"] = size
    return extra


def _details(page: Page, mlmodel: dict, level: int, extra: dict | None = None) -> None:
    row = {k: v for k, v in mlmodel.items() if isinstance(v, (str, int, float, bool))}
    row.update(extra or {})
    page.dict_table(row, "Details", level)


def _flavors(page: Page, flavors: dict, level: int) -> None:
    page.header(level, "Flavors")
    for name, flavor in flavors.items():
        page.dict_table(flavor if isinstance(flavor, dict) else {}, f"Flavor '{name}'", level + 1)


def _signature(page: Page, signature: dict | None) -> None:
    page.header(2, "Signature")
    if not signature:
        page.line(NONE_FOUND)
        return
    inputs = signature.get("inputs") or []
    outputs = signature.get("outputs") or []
    page.rows_table(("Column", "Type"), [[_get(x, "name"), _get(x, "type")] for x in _as_list(inputs)],
                    "Inputs", 3)
    page.rows_table(("Type name", "Type value"), [[_get(x, "type"), _get(x, "tensor-spec")] for x in _as_list(outputs)],
                    "Outputs", 3)
    named = [x for x in _as_list(outputs) if _get(x, "name") is not None]
    if named:  # mlflow-reports' Outputs table leaves out the names
        page.rows_table(("Column", "Type", "Required"), [[x["name"], _spec(x), _get(x, "required") is not False]
                                                        for x in named], "Output Columns", 3)
    _params(page, signature.get("params"))


def _params(page: Page, params) -> None:
    """Inference params: name, type, default as stored (JSON: `16` and `"16"` differ), shape."""
    page.header(3, "Params")
    rows = [[_get(p, "name"), _spec(p), as_json(_get(p, "default")),
             "" if _get(p, "shape") is None else as_json(_get(p, "shape"))] for p in _as_list(params)]
    if not rows:
        page.line(NONE_FOUND)
        return
    page.table(("Param", "Type", "Default", "Shape"), rows)


def _spec(column) -> str:
    """A column's type; a richer spec (tensor, array, object) as its JSON."""
    rest = {k: v for k, v in column.items() if k not in ("name", "required", "default", "shape")} \
        if isinstance(column, dict) else {}
    if set(rest) == {"type"} and isinstance(rest["type"], str):
        return rest["type"]
    return as_json(rest)


def _as_list(value) -> list:
    return value if isinstance(value, list) else []


def _get(item, key):
    return item.get(key) if isinstance(item, dict) else None


def _feature_store(page: Page, feature_store: dict | None) -> None:
    """Databricks feature-store models wrap a raw model; mlflow-reports shows it and the feature spec."""
    if not feature_store:
        return
    raw = feature_store.get("raw_model") or {}
    page.header(1, "Raw Model - Feature Store")
    _details(page, raw, 2)
    _flavors(page, raw.get("flavors") or {}, 2)
    page.header(2, "Feature Spec")
    page.code_json(feature_store.get("feature_spec"))
