"""`snap report`: a Markdown model report from a snapshot, in mlflow-reports' layout.

The sections of amesar/mlflow-reports come first, in its order and format, so a
report reads (and compares) like the ones teams already archive; snap's extra
sections follow. Pure functions of the snapshot document: no mlflow, no clock.
"""

from __future__ import annotations

from report.common import open_section, render_permissions
from report.extras import render_extras
from report.model import render_model_sections
from report.page import Page
from report.run import render_experiment, render_run
from report.values import Links, add_times, model_uri, primitives, run_model_download_uri
from snapshot.formats.integrity import modified_warning

REGISTERED_MODEL_ORDER = (
    "name", "creation_timestamp", "last_updated_timestamp", "user_id", "description",
    "id", "permission_level",
)
MODEL_VERSION_ORDER = (
    "name", "version", "creation_timestamp", "last_updated_timestamp", "user_id", "current_stage",
    "description", "source", "run_id", "run_link", "run_tracking_server_id", "status",
    "status_message", "storage_location", "model_id", "deployment_job_state",
)


def render_report(doc: dict) -> str:
    """The Markdown report of one snapshot document."""
    page = Page()
    links = Links(doc.get("manifest") or {})
    render_model_sections(page, doc)
    _registered_model(page, doc, links)
    _model_version(page, doc, links)
    render_run(page, doc, links)
    render_experiment(page, doc, links)
    render_extras(page, doc, links)
    warning = modified_warning(doc)  # read with --allow-modified: say so before anything the snapshot claims
    return (f"\n> **Warning: {warning}**\n" if warning else "") + page.render(report_title(doc))


def report_title(doc: dict) -> str:
    """`MLflow Model: _models:/Churn/3_`; a prompt says so, and a workspace other than the default is named."""
    manifest = doc.get("manifest") or {}
    kind = "Prompt" if manifest.get("kind") == "prompt" else "Model"
    workspace = manifest.get("workspace")
    where = f" in workspace _{workspace}_" if workspace and workspace != "default" else ""
    return f"MLflow {kind}: _{model_uri(doc)}_{where}"


def _registered_model(page: Page, doc: dict, links: Links) -> None:
    rm = open_section(page, doc, "registered_model", "Registered Model")
    if rm is None:
        return
    row = primitives(rm, REGISTERED_MODEL_ORDER)
    add_times(row, rm, ("creation_timestamp", "last_updated_timestamp"))
    row["_is_unity_catalog"] = bool((doc.get("manifest") or {}).get("is_unity_catalog"))
    row.update(links.registered_model(rm.get("name", "")))
    page.dict_table(row, "Details", 2)
    page.dict_table(rm.get("tags") or {}, "Tags", 2)
    render_permissions(page, doc, "registered_model")


def _model_version(page: Page, doc: dict, links: Links) -> None:
    mv = doc.get("model_version") or {}
    page.header(1, "Registered Model Version")
    row = primitives(mv, MODEL_VERSION_ORDER, skip=("download_uri",))
    add_times(row, mv, ("creation_timestamp", "last_updated_timestamp"))
    row["_is_unity_catalog"] = bool((doc.get("manifest") or {}).get("is_unity_catalog"))
    row["_reg_model_download_uri"] = mv.get("download_uri")
    row["_run_model_download_uri"] = run_model_download_uri(doc)
    row.update(links.model_version(mv.get("name", ""), mv.get("version", "")))
    page.dict_table(row, "Details", 2)
    page.dict_table(mv.get("tags") or {}, "Tags", 2)
