"""The report's Run and Experiment sections, with mlflow-reports' tag groups."""

from __future__ import annotations

from report.common import open_section, render_as_stored, render_permissions
from report.page import KEY_COLUMNS, NONE_FOUND, Page
from report.values import (
    SPARK_DATASOURCE_TAG,
    Links,
    add_times,
    explode,
    primitives,
    shown,
)

RUN_INFO_ORDER = (
    "run_id", "run_uuid", "experiment_id", "run_name", "user_id", "status",
    "start_time", "end_time", "artifact_uri", "lifecycle_stage",
)
EXPERIMENT_ORDER = (
    "experiment_id", "name", "artifact_location", "lifecycle_stage", "last_update_time", "creation_time",
)
# (title, key prefix) in the order mlflow-reports prints them; first match wins.
RUN_TAG_GROUPS = (
    ("Git Repo Tags", "mlflow.databricks.gitRepo"),
    ("Notebook Tags", "mlflow.databricks.notebook"),
    ("Cluster Tags", "mlflow.databricks.cluster"),
    ("Workspace Tags", "mlflow.databricks.w"),
    ("Source Tags", "mlflow.source."),
    ("Job Tags", "mlflow.databricks.job"),
)


def _shown_dict(data: dict) -> dict:
    return {k: shown(v, k) for k, v in data.items()}


def render_run(page: Page, doc: dict, links: Links) -> None:
    run = open_section(page, doc, "run", "Run")
    if run is None:
        return
    info = run.get("info") or {}
    row = _shown_dict(primitives(info, RUN_INFO_ORDER))
    add_times(row, info, ("start_time", "end_time"))
    if info.get("start_time") and info.get("end_time"):
        row["_duration"] = float(int(info["end_time"]) - int(info["start_time"])) / 1000
    experiment = doc.get("experiment") or {}
    if experiment.get("name") is not None:
        row["_experiment_name"] = experiment["name"]
    row.update(links.run(info.get("experiment_id", ""), info.get("run_id", "")))
    page.dict_table(row, "Info", 2)
    page.dict_table(_shown_dict(run.get("params") or {}), "Params", 2, columns=("Param", "Value"))
    metrics = {k: metric_value(m) for k, m in (run.get("metrics") or {}).items()}
    page.dict_table(metrics, "Metrics", 2, columns=("Metric", "Value"))
    _inputs(page, run.get("dataset_inputs") or [])
    _run_tags(page, run.get("tags") or {})
    render_as_stored(page, [("run param", run.get("params") or {}), ("run tag", run.get("tags") or {})])


def metric_value(metric) -> object:
    """A metric's latest value; NaN and infinities (stored as words) shown as Python prints them."""
    value = metric.get("value") if isinstance(metric, dict) else metric
    return float(value) if value in ("NaN", "Infinity", "-Infinity") else value


def _inputs(page: Page, dataset_inputs: list) -> None:
    page.header(2, "Inputs")
    for item in dataset_inputs:
        page.header(3, f"Dataset Input '{item.get('name')}'")
        tags = item.get("tags") or {}
        profile = explode(item.get("profile"))
        details = {
            "name": item.get("name"), "digest": item.get("digest"), "source_type": item.get("source_type"),
            "source": shown(item.get("source")), "context": tags.get("mlflow.data.context"),
        }
        if isinstance(profile, dict):
            details.update({f"profile_{k}": v for k, v in profile.items()})
        elif profile is not None:
            details["profile"] = profile
        page.dict_table({k: v for k, v in details.items() if v is not None}, "Dataset Info", 4)
        schema = explode(item.get("schema"))
        colspec = schema.get("mlflow_colspec") if isinstance(schema, dict) else None
        if colspec is None and isinstance(schema, dict):  # tensor datasets: features/targets specs
            page.dict_table(schema, "Schema", 4)
            continue
        rows = [[c.get("name"), c.get("type")] for c in colspec or [] if isinstance(c, dict)]
        page.rows_table(("Column", "Type"), rows, "Schema", 4)


def _run_tags(page: Page, tags: dict) -> None:
    page.header(2, "Tags")
    groups: dict[str, dict] = {title: {} for title, _ in RUN_TAG_GROUPS}
    system, user = {}, {}
    for key, value in tags.items():
        title = next((t for t, prefix in RUN_TAG_GROUPS if key.startswith(prefix)), None)
        target = groups[title] if title else (system if key.startswith("mlflow") else user)
        target[key] = shown(value, key)
    for title, _ in RUN_TAG_GROUPS:
        if groups[title]:
            page.dict_table(groups[title], title, 3, columns=KEY_COLUMNS)
    page.dict_table(system, "Other System Tags", 3, columns=KEY_COLUMNS)
    page.dict_table(user, "User Tags", 3, columns=KEY_COLUMNS)
    page.header(3, "Exploded Tags")
    _spark_datasources(page, tags.get(SPARK_DATASOURCE_TAG))
    _cluster(page, tags)


def _spark_datasources(page: Page, text: str | None) -> None:
    sources = explode(text, SPARK_DATASOURCE_TAG) if text else None
    if not sources or not isinstance(sources, list):
        page.none_found("Spark Datasources", 4)
        return
    rows = [[s.get("format"), s.get("version", ""), s.get("path")] for s in sources if isinstance(s, dict)]
    page.rows_table(("Format", "Version", "Path"), rows, "Spark Datasources", 4)


def _cluster(page: Page, tags: dict) -> None:
    cluster_id = tags.get("mlflow.databricks.cluster.id")
    if not cluster_id:
        return
    info = explode(tags.get("mlflow.databricks.cluster.info"))
    info = info if isinstance(info, dict) else {}
    page.dict_table({"cluster_id": cluster_id, **info}, "Cluster Info", 4, columns=KEY_COLUMNS)
    page.header(4, "Cluster Libraries")
    libraries = explode(tags.get("mlflow.databricks.cluster.libraries"))
    libraries = libraries if isinstance(libraries, dict) else {}
    for kind in ("installable", "redacted"):
        entries = libraries.get(kind)
        if entries and isinstance(entries, list):
            table = {}
            for entry in entries:
                if isinstance(entry, dict) and entry:
                    key = next(iter(entry))
                    table[key] = entry[key]
            page.dict_table(table, f"{kind.capitalize()} Libraries", 5)


def render_experiment(page: Page, doc: dict, links: Links) -> None:
    experiment = open_section(page, doc, "experiment", "Experiment")
    if experiment is None:
        return
    row = _shown_dict(primitives(experiment, EXPERIMENT_ORDER))
    add_times(row, experiment, ("creation_time", "last_update_time"))
    tracking_uri = (doc.get("manifest") or {}).get("tracking_uri")
    if tracking_uri:
        row["_tracking_uri"] = tracking_uri
    row.update(links.experiment(experiment.get("experiment_id", "")))
    page.dict_table(row, "Details", 2)
    _experiment_tags(page, experiment.get("tags") or {})
    render_as_stored(page, [("experiment tag", experiment.get("tags") or {})])
    render_permissions(page, doc, "experiment")


def _experiment_tags(page: Page, tags: dict) -> None:
    page.header(2, "Tags")
    if not tags:
        page.line(NONE_FOUND)
        return
    system = {k: shown(v, k) for k, v in tags.items() if k.startswith("mlflow")}
    user = {k: shown(v, k) for k, v in tags.items() if not k.startswith("mlflow")}
    page.dict_table(system, "MLflow System Tags", 3, columns=KEY_COLUMNS)
    page.dict_table(user, "User Tags", 3, columns=KEY_COLUMNS)
