"""Sections snap adds after mlflow-reports' own: aliases, metric steps, the logged
model, the environment, the model's artifact tree and what the snapshot could not capture."""

from __future__ import annotations

from report.common import none_found
from report.page import NONE_FOUND, Page
from report.values import Links, fmt_iso, fmt_millis, primitives
from snapshot.model_files.environment import with_pip_options

FOLD_OVER = 25  # artifact trees with more entries than this are folded in <details>
LOGGED_MODEL_ORDER = (
    "model_id", "name", "experiment_id", "source_run_id", "status", "status_message", "model_type",
    "artifact_uri", "artifact_location", "creation_timestamp_ms", "last_updated_timestamp_ms",
    "creation_timestamp", "last_updated_timestamp",
)
# REST names (…_ms) and the Python client's names, as a capture may hold either.
_LOGGED_MODEL_TIMES = (
    ("creation_timestamp_ms", "_creation_timestamp"), ("last_updated_timestamp_ms", "_last_updated_timestamp"),
    ("creation_timestamp", "_creation_timestamp"), ("last_updated_timestamp", "_last_updated_timestamp"),
)


def render_extras(page: Page, doc: dict, links: Links) -> None:
    _aliases(page, doc)
    _metric_details(page, doc)
    _logged_model(page, doc, links)
    _environment(page, doc)
    _artifacts(page, doc)
    _snapshot(page, doc)


def _aliases(page: Page, doc: dict) -> None:
    mv = doc.get("model_version") or {}
    rm = doc.get("registered_model") or {}
    page.header(1, "Aliases")
    version_aliases = mv.get("aliases")
    page.header(2, "Version Aliases")
    if version_aliases:
        page.table(("Alias", "Version"), [[a, mv.get("version")] for a in version_aliases])
    else:
        none_found(page, doc, "model_version.aliases")
    model_aliases = rm.get("aliases")
    page.header(2, "Registered Model Aliases")
    if model_aliases:
        page.table(("Alias", "Version"), sorted(model_aliases.items()))
    else:
        none_found(page, doc, "registered_model.aliases")


def _metric_details(page: Page, doc: dict) -> None:
    metrics = (doc.get("run") or {}).get("metrics") or {}
    page.header(1, "Metric Details")
    rows = []
    for key, m in metrics.items():
        m = m if isinstance(m, dict) else {"value": m}
        rows.append([key, m.get("value"), m.get("step"), m.get("timestamp"), fmt_millis(m.get("timestamp"))])
    if rows:
        page.table(("Metric", "Value", "Step", "Timestamp", "Time"), rows)
    else:
        page.line(NONE_FOUND)


def _logged_model(page: Page, doc: dict, links: Links) -> None:
    logged = doc.get("logged_model")
    page.header(1, "Logged Model")
    if not logged:
        none_found(page, doc, "logged_model")
        return
    row = primitives(logged, LOGGED_MODEL_ORDER)
    for key, label in _LOGGED_MODEL_TIMES:
        text = fmt_millis(logged.get(key))
        if text and label not in row:
            row[label] = text
    row.update(links.logged_model(logged.get("experiment_id"), logged.get("model_id", "")))
    page.dict_table(row, "Details", 2)
    page.dict_table(logged.get("params") or {}, "Params", 2, columns=("Param", "Value"))
    metrics = logged.get("metrics") if isinstance(logged.get("metrics"), list) else []
    metric_rows = [[m.get("key"), m.get("value"), m.get("step"), m.get("dataset_name")]
                   for m in metrics if isinstance(m, dict)]
    page.header(2, "Metrics")
    page.table(("Metric", "Value", "Step", "Dataset"), metric_rows) if metric_rows else page.line(NONE_FOUND)
    page.dict_table(logged.get("tags") or {}, "Tags", 2, columns=("Key", "Value"))


def _environment(page: Page, doc: dict) -> None:
    env = doc.get("environment") or {}
    page.header(1, "Environment")
    pythons = {name: (env.get(name) or {}).get("python") for name in ("requirements", "conda", "python_env")}
    page.dict_table({k: v for k, v in pythons.items() if v}, "Python Version", 2, columns=("File", "Python"))
    files = (("requirements", "requirements.txt"), ("conda", "conda.yaml"), ("python_env", "python_env.yaml"))
    for name, title in files:
        section = env.get(name)
        page.header(2, title)
        if not section:
            none_found(page, doc, f"environment.{name}", "environment")
            continue
        _env_file(page, with_pip_options(name, section))


def _env_file(page: Page, section: dict) -> None:
    """One environment file: its packages, then what else it tells pip (options, extras, hashes, build)."""
    packages = section.get("packages") or {}
    options = section.get("options") or []
    build = section.get("build_packages") or {}
    if packages:
        page.table(("Package", "Specifier"), list(packages.items()))
    elif options or build:  # the file exists: its packages come through an option (`-r requirements.txt`)
        page.note("No packages listed directly.")
    else:
        page.line(NONE_FOUND)
    conda_packages = section.get("conda_packages") or {}
    if conda_packages:
        page.header(3, "Conda Packages")
        page.table(("Package", "Specifier"), list(conda_packages.items()))
    _options(page, options, "pip Options")
    extras, hashes = section.get("extras") or {}, section.get("hashes") or {}
    if extras:
        page.header(3, "Extras")
        page.table(("Package", "Extras"), [[k, ", ".join(v)] for k, v in extras.items()])
    if hashes:
        page.header(3, "Hashes")
        page.table(("Package", "Hash"), [[k, h] for k, v in hashes.items() for h in v])
    if "build_packages" in section:
        page.header(3, "Build Dependencies")
        page.table(("Package", "Specifier"), list(build.items())) if build else page.line(NONE_FOUND)
        _options(page, section.get("build_options") or [], "Build pip Options")


def _options(page: Page, options: list, title: str) -> None:
    """pip's option lines in file order: where packages come from (`--index-url`), what else is read (`-r`)."""
    rows = [[o.get("option"), "" if o.get("value") is None else o.get("value")] for o in options if isinstance(o, dict)]
    if rows:
        page.header(3, title)
        page.table(("Option", "Value"), rows)


def _artifacts(page: Page, doc: dict) -> None:
    artifacts = doc.get("artifacts") or {}
    for key, title in (("model", "Model Artifacts"), ("run", "Run Artifacts")):
        tree = artifacts.get(key)
        page.header(1, title)
        if not tree:
            none_found(page, doc, f"artifacts.{key}", "artifacts")
            continue
        page.dict_table({"root_uri": tree.get("root_uri"), "file_count": tree.get("file_count"),
                         "total_size": f"{tree.get('total_size') or 0:,}"}, "Summary", 2)
        page.header(2, "Files")
        rows = artifact_rows(tree.get("files") or [])
        if not rows:
            page.line(NONE_FOUND)
        elif len(rows) > FOLD_OVER:  # a long tree folds, as the diff's long sections do
            page.line(f"<details><summary>{len(rows)} entries</summary>\n")
            page.table(("Path", "Type", "Size"), rows)
            page.line("</details>\n")
        else:
            page.table(("Path", "Type", "Size"), rows)


def artifact_rows(files: list[dict]) -> list[list]:
    """One row per file or directory; a directory's size is the sum of the files under it."""
    sizes: dict[str, int] = {}
    for f in files:
        if not f.get("is_dir"):
            parts = f["path"].split("/")
            for i in range(1, len(parts)):
                prefix = "/".join(parts[:i])
                sizes[prefix] = sizes.get(prefix, 0) + (f.get("size") or 0)
    rows = []
    for f in files:
        depth = f["path"].count("/")
        name = "\u00a0\u00a0" * depth + f["path"].rsplit("/", 1)[-1] + ("/" if f.get("is_dir") else "")
        size = sizes.get(f["path"], 0) if f.get("is_dir") else f.get("size")
        rows.append([name, "dir" if f.get("is_dir") else "file", f"{size:,}" if size is not None else ""])
    return rows


def _snapshot(page: Page, doc: dict) -> None:
    m = doc.get("manifest") or {}
    origin = m.get("origin") or {}
    page.header(1, "Snapshot")
    row = {
        "captured_at": m.get("captured_at"), "captured_at_utc": fmt_iso(m.get("captured_at")),
        "content_hash": m.get("content_hash"), "origin": origin.get("kind"),
        "snap_version": m.get("snap_version"), "mlflow_version": m.get("mlflow_version"),
        "server_version": m.get("server_version"), "server_kind": m.get("server_kind"),
        "tracking_uri": m.get("tracking_uri"), "registry_uri": m.get("registry_uri"),
        "tracking_host": m.get("tracking_host"),
    }
    row.update({f"origin_{k}": v for k, v in origin.items() if k != "kind"})
    page.dict_table({k: v for k, v in row.items() if v is not None}, "Manifest", 2)
    unavailable = doc.get("unavailable") or {}
    page.header(2, "Not Captured")
    if unavailable:
        page.table(("Section", "Reason"), sorted(unavailable.items()))
    else:
        page.line("Every section was captured.")
