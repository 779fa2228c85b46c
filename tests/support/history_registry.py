"""A registry with a history, and a migrated copy of it, for `snap changes`, `@{WHEN}` and `snap compare`.

`build_history(tracking_uri, store)` logs tests/support/registry.py's registry
into `tracking_uri` with MLflow's client, then captures it with `snap capture
--all` three times, planting events between the captures (the facts returned name
each one). `migrate(source_uri, target_uri)` copies versions into
a second registry the way mlflow-export-import does: each version's run (params,
metrics, tags, dataset inputs, run artifacts) and its model files into a new
logged model, registered in another order, so the numbers differ; one version is
left out and one is changed on the way.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from tests.support.commands import snap
from tests.support.registry import AWKWARD, CHURN, ECHO, _tracking, populate

NEW_MODEL = "Retention"

# The events planted between the first and second capture, and the second and third.
FIRST = {
    "alias_moved": ("champion", "2", "3"),
    "model_tag_changed": ("domain", "retention", "customer-retention"),
    "deleted": "1",  # Churn v1, which no alias points to
    "echo_description_set": ("1", "first echo"),
    "version_tag_changed": ("2", "validation_status", "pending", "retired"),
}
SECOND = {
    "alias_moved_back": ("champion", "3", "2"),
    "new_version": "4",  # Churn v4: one more required input than v3
    "new_input": "region",
    "model_description": ("Predicts which customers leave next month.", "Who leaves next month, and why."),
    "version_tag_removed": ("3", "owner", "team-churn"),
    "new_model": NEW_MODEL,
}
LEFT_OUT = (CHURN, "4")  # not migrated
CHANGED = (ECHO, "1", "prefix", "hello", "hallo")  # migrated with another param value


def _stems(store: Path) -> set[str]:
    """Capture times of the snapshot files (not the index's or journal's own files, in dot-folders)."""
    return {p.stem for p in store.rglob("*.json") if not any(part.startswith(".") for part in p.relative_to(store).parts)}


def _capture(uri: str, store: Path) -> list[str]:
    """`snap capture --all` once; the capture times of the snapshots it wrote, oldest first."""
    before = _stems(store)
    snap("capture", "--all", "--tracking-uri", uri, "--store", str(store), "--format", "json")
    written = sorted(_stems(store) - before)
    time.sleep(1.5)  # the next events, and capture, come clearly after (tests pass --gap 1)
    return written


def _log_pyfunc(client, experiment_id: str, columns: list[str], run_name: str, metrics: dict):
    """A small pyfunc model whose signature takes `columns` (all required doubles); returns (run_id, model_info)."""
    import mlflow
    from mlflow.models import ModelSignature
    from mlflow.types import ColSpec, Schema

    from tests.support.populate import _echo_model

    signature = ModelSignature(inputs=Schema([ColSpec("double", c) for c in columns]),
                               outputs=Schema([ColSpec("double")]))
    with mlflow.start_run(experiment_id=experiment_id, run_name=run_name) as run:
        mlflow.log_params({"C": "0.1", "max_iter": "300"})
        mlflow.log_metrics(metrics)
        info = mlflow.pyfunc.log_model(name="model", python_model=_echo_model(), signature=signature,
                                       pip_requirements=["mlflow==3.17.2", "numpy==1.26.4"])
    return run.info.run_id, info


def _first_events(client) -> None:
    alias, _, to = FIRST["alias_moved"]
    client.set_registered_model_alias(CHURN, alias, to)
    key, _, new = FIRST["model_tag_changed"]
    client.set_registered_model_tag(CHURN, key, new)
    client.delete_model_version(CHURN, FIRST["deleted"])
    version, text = FIRST["echo_description_set"]
    client.update_model_version(ECHO, version, description=text)
    version, key, _, new = FIRST["version_tag_changed"]
    client.set_model_version_tag(CHURN, version, key, new)


def _second_events(client, facts: dict) -> None:
    alias, _, to = SECOND["alias_moved_back"]
    client.set_registered_model_alias(CHURN, alias, to)
    columns = facts["churn"]["versions"]["3"]["input_columns"] + [SECOND["new_input"]]
    run_id, info = _log_pyfunc(client, facts["experiment_id"], columns, "churn-v4", {"accuracy": 0.85, "f1": 0.8})
    mv = client.create_model_version(CHURN, info.model_uri, run_id=run_id, model_id=info.model_id)
    assert str(mv.version) == SECOND["new_version"], mv.version
    client.update_registered_model(CHURN, description=SECOND["model_description"][1])
    version, key, _ = SECOND["version_tag_removed"]
    client.delete_model_version_tag(CHURN, version, key)
    client.create_registered_model(NEW_MODEL, description="Which customers come back.")
    run_id, info = _log_pyfunc(client, facts["experiment_id"], ["tenure_months", "visits"], "retention-v1",
                               {"recall": 0.6})
    client.create_model_version(NEW_MODEL, info.model_uri, run_id=run_id, model_id=info.model_id)


def build_history(tracking_uri: str, store: Path) -> dict:
    """The registry, captured three times with events between; returns populate's facts plus
    `captures`: [[stems written by capture 1], [by capture 2], [by capture 3]]."""
    from mlflow import MlflowClient

    facts = populate(tracking_uri)
    client = MlflowClient(tracking_uri, registry_uri=tracking_uri)
    captures = [_capture(tracking_uri, store)]
    with _tracking(tracking_uri):
        _first_events(client)
    captures.append(_capture(tracking_uri, store))
    with _tracking(tracking_uri):
        _second_events(client, facts)
    captures.append(_capture(tracking_uri, store))
    return {**facts, "captures": captures}


# (model, source version) in the order they are registered in the target: other numbers than the source's.
MIGRATION_ORDER = ((CHURN, "3"), (CHURN, "2"), (ECHO, "2"), (ECHO, "1"), (AWKWARD, "1"), (NEW_MODEL, "1"))


def migrate(source_uri: str, target_uri: str) -> dict:
    """Copy MIGRATION_ORDER's versions into `target_uri`; returns {(model, source version): target version}."""
    from mlflow import MlflowClient

    source = MlflowClient(source_uri, registry_uri=source_uri)
    target = MlflowClient(target_uri, registry_uri=target_uri)
    numbers: dict[tuple[str, str], str] = {}
    with _tracking(target_uri):
        experiments: dict[str, str] = {}
        for name, version in MIGRATION_ORDER:
            numbers[(name, version)] = _copy_version(source, target, (name, version), experiments, source_uri)
        for name in {n for n, _ in MIGRATION_ORDER}:
            for alias, version in source.get_registered_model(name).aliases.items():
                if (name, str(version)) in numbers:
                    target.set_registered_model_alias(name, alias, numbers[(name, str(version))])
    return numbers


def _copy_experiment(source, target, experiment_id: str, experiments: dict) -> str:
    if experiment_id not in experiments:
        exp = source.get_experiment(experiment_id)
        experiments[experiment_id] = target.create_experiment(exp.name, tags=exp.tags)  # the server keeps artifacts
    return experiments[experiment_id]


def _copy_version(source, target, key: tuple[str, str], experiments: dict, source_uri: str) -> str:
    import mlflow

    name, version = key
    mv = source.get_model_version(name, version)
    run = source.get_run(mv.run_id)
    experiment_id = _copy_experiment(source, target, run.info.experiment_id, experiments)
    params = dict(run.data.params)
    if key == CHANGED[:2]:
        params[CHANGED[2]] = CHANGED[4]
    user_tags = {k: v for k, v in run.data.tags.items() if not k.startswith("mlflow.")}
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = mlflow.artifacts.download_artifacts(source.get_model_version_download_uri(name, version),
                                                        dst_path=f"{tmp}/model", tracking_uri=source_uri)
        with mlflow.start_run(experiment_id=experiment_id, run_name=run.info.run_name) as new_run:
            run_id = new_run.info.run_id
            for path in ("notes",):
                if any(a.path == path for a in source.list_artifacts(mv.run_id)):
                    local = mlflow.artifacts.download_artifacts(run_id=mv.run_id, artifact_path=path,
                                                                dst_path=f"{tmp}/run", tracking_uri=source_uri)
                    mlflow.log_artifacts(local, path)
        # The REST reply of a version may leave model_id out; its source `models:/<model id>` names it too.
        model_id = mv.model_id or mv.source.removeprefix("models:/")
        logged = source.get_logged_model(model_id)
        model = target.create_logged_model(experiment_id, name=logged.name, source_run_id=run_id, params=params,
                                           model_type=logged.model_type or None,
                                           tags={k: v for k, v in logged.tags.items() if not k.startswith("mlflow.")})
        target.log_model_artifacts(model.model_id, model_dir)
    for metric_key, value in run.data.metrics.items():
        target.log_metric(run_id, metric_key, value, step=0, model_id=model.model_id)
    target.log_batch(run_id, params=[mlflow.entities.Param(k, v) for k, v in params.items()],
                     tags=[mlflow.entities.RunTag(k, v) for k, v in user_tags.items()])
    if run.inputs and run.inputs.dataset_inputs:
        target.log_inputs(run_id, datasets=list(run.inputs.dataset_inputs))
    target.finalize_logged_model(model.model_id, "READY")
    target.set_terminated(run_id)
    return _register(source, target, mv, (run_id, model.model_id))


def _register(source, target, mv, ids: tuple[str, str]) -> str:
    from mlflow.exceptions import MlflowException

    try:
        target.get_registered_model(mv.name)
    except MlflowException:
        rm = source.get_registered_model(mv.name)
        target.create_registered_model(mv.name, tags=rm.tags, description=rm.description)
    run_id, model_id = ids
    new = target.create_model_version(mv.name, f"models:/{model_id}", run_id=run_id, model_id=model_id,
                                      tags=mv.tags, description=mv.description)
    return str(new.version)
