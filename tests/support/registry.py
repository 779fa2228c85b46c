"""Build a realistic model registry with MLflow's own client, for capture tests.

`populate(tracking_uri)` logs real models into a real tracking store (a running
`mlflow server` or a server-less `sqlite:///` store) and returns the facts the
tests assert against. Nothing here is mocked; every value below was written
through MLflow's public API.

The returned facts dict:

- `tracking_uri`: the URI populated.
- `experiment_id`, `experiment_name`, `experiment_tags` ({key: value}).
- `churn`: the "Churn" model (scikit-learn LogisticRegression on a pandas frame):
    - `name`: "Churn"
    - `description`, `tags`: the registered model's description and tags
    - `aliases`: final {alias: version}: champion→"2", challenger→"3", candidate→"3"
    - `moved_alias`: {"name": "candidate", "from": "1", "to": "3"}
    - `versions`: {"1"|"2"|"3": facts of that version}, each with
      `run_id`, `model_id` (the MLflow 3 LoggedModel id), `model_uri`,
      `params` ({key: str}), `metrics` ({key: float}), `run_tags`,
      `version_tags`, `description`, `input_columns` (signature input names in order),
      `pip_requirements` (list as given to log_model), `dataset_name`,
      `run_artifacts` (paths logged with log_text, besides the model)
    - `diff_v2_v3`: what changes between v2 and v3, by section:
      `params_changed` {key: [old, new]}, `params_added` {key: new},
      `params_removed` {key: old}, `metrics_moved` {key: [old, new]},
      `input_column_added`, `requirement_bumped` {pkg: [old_spec, new_spec]},
      `requirement_added` {pkg: spec}, `version_tag_changed` {key: [old, new]},
      `run_artifact_added` (path only v3's run has)
- `echo`: the "Echo" model (a `mlflow.pyfunc` PythonModel with signature and input
  example): `name`, `versions` {"1", "2": {run_id, model_id, model_uri, params,
  input_columns, pip_requirements}}, `aliases` {"prod": "2"}.
- `awkward`: a model whose name has a space, `..`, parentheses and non-ASCII
  letters: `name`, `versions` {"1": {run_id, model_id, model_uri}} (registered from
  Churn v1's logged model, so the same run and LoggedModel as Churn v1).
- `model_name_rules`: what MLflow accepts as a model name, as checked against this
  store: {"slash": bool, "colon": bool, "dotdot_inside": bool, "leading_dotdot": bool,
  "space": bool, "unicode": bool}.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import NamedTuple

CHURN = "Churn"
ECHO = "Echo"
AWKWARD = "Fraud score (EU) ..v2 ü"
EXPERIMENT = "churn-experiment"

# Pinned requirements written verbatim (pip_requirements skips MLflow's inference,
# which would load the model in a subprocess and cost seconds per version).
_REQS_V12 = ["mlflow==3.17.2", "scikit-learn==1.3.2", "pandas==2.1.4", "numpy==1.26.4"]
_REQS_V3 = ["mlflow==3.17.2", "scikit-learn==1.4.2", "pandas==2.1.4", "numpy==1.26.4", "pyarrow==15.0.2"]

class _ChurnRun(NamedTuple):
    """One planted Churn version: its run's params and metrics, validation tag, data, pins and files."""

    params: dict
    metrics: dict
    validation: str
    extra_column: bool
    reqs: list
    artifacts: dict

    @property
    def version_tags(self) -> dict:
        return {"owner": "team-churn", "validation_status": self.validation}


_CHURN_RUNS = {
    "1": _ChurnRun({"C": "1.0", "max_iter": "100", "penalty": "l2"}, {"accuracy": 0.71, "f1": 0.64},
                   "rejected", False, _REQS_V12, {"notes/readme.txt": "first try\n"}),
    "2": _ChurnRun({"C": "0.5", "max_iter": "200", "penalty": "l2", "solver": "lbfgs"}, {"accuracy": 0.78, "f1": 0.7},
                   "pending", False, _REQS_V12, {"notes/readme.txt": "tuned C\n"}),
    "3": _ChurnRun({"C": "0.1", "max_iter": "200", "penalty": "l2", "class_weight": "balanced"},
                   {"accuracy": 0.83, "f1": 0.77}, "approved", True, _REQS_V3,
                   {"notes/readme.txt": "added support_calls\n", "notes/extra.txt": "only in v3\n"}),
}


def _churn_frame(extra_column: bool):
    import pandas as pd

    frame = pd.DataFrame(
        {
            "tenure_months": [1, 5, 12, 24, 36, 48, 3, 60, 7, 18, 30, 2],
            "monthly_charges": [70.5, 20.0, 55.2, 99.9, 35.0, 80.1, 65.0, 25.5, 90.0, 45.0, 60.0, 85.0],
            "churned": [1, 0, 0, 1, 0, 0, 1, 0, 1, 0, 0, 1],
        }
    )
    if extra_column:
        frame.insert(2, "support_calls", [4, 0, 1, 3, 0, 1, 5, 0, 2, 1, 0, 6])
    return frame


@contextlib.contextmanager
def _tracking(uri: str):
    """Point MLflow's fluent API at `uri` for the block, then put back what was set before.

    The previous values are read from MLflow's module state: `set_tracking_uri("")`
    would mean ./mlruns, while None means "not set" (fall back to the environment).
    """
    import mlflow
    from mlflow.tracking._model_registry import utils as registry_utils
    from mlflow.tracking._tracking_service import utils as tracking_utils

    env_vars = ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")  # set_*_uri write these too
    saved_env = {var: os.environ.get(var) for var in env_vars}
    saved_tracking, saved_registry = tracking_utils._tracking_uri, registry_utils._registry_uri
    os.environ["MLFLOW_TRACKING_URI"] = uri
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    try:
        yield
    finally:
        mlflow.set_tracking_uri(saved_tracking)
        mlflow.set_registry_uri(saved_registry)
        for var, value in saved_env.items():
            if value is None:
                os.environ.pop(var, None)
            else:
                os.environ[var] = value


def _log_churn_version(client, experiment_id: str, version: str) -> dict:
    import mlflow
    from mlflow.models import infer_signature
    from sklearn.linear_model import LogisticRegression

    spec = _CHURN_RUNS[version]
    frame = _churn_frame(spec.extra_column)
    features = frame.drop(columns=["churned"])
    params = spec.params
    model = LogisticRegression(
        C=float(params["C"]),
        max_iter=int(params["max_iter"]),
        class_weight=params.get("class_weight"),
    ).fit(features, frame["churned"])
    with mlflow.start_run(experiment_id=experiment_id, run_name=f"churn-v{version}") as run:
        mlflow.log_params(params)
        mlflow.log_metrics(spec.metrics)
        mlflow.set_tags({"team": "churn", "stage_note": f"attempt {version}"})
        dataset = mlflow.data.from_pandas(frame, name="churn-train", targets="churned")
        mlflow.log_input(dataset, context="training")
        for path, text in spec.artifacts.items():
            mlflow.log_text(text, path)
        info = mlflow.sklearn.log_model(
            model,
            name="model",
            signature=infer_signature(features, model.predict(features)),
            input_example=features.head(3),
            pip_requirements=spec.reqs,
        )
    mv = client.create_model_version(CHURN, info.model_uri, run_id=run.info.run_id, model_id=info.model_id,
                                     description=f"Churn model, attempt {version}")
    assert str(mv.version) == version, (mv.version, version)
    for key, value in spec.version_tags.items():
        client.set_model_version_tag(CHURN, version, key, value)
    return {
        "run_id": run.info.run_id,
        "model_id": info.model_id,
        "model_uri": info.model_uri,
        "params": dict(params),
        "metrics": dict(spec.metrics),
        "run_tags": {"team": "churn", "stage_note": f"attempt {version}"},
        "version_tags": dict(spec.version_tags),
        "description": f"Churn model, attempt {version}",
        "input_columns": list(features.columns),
        "pip_requirements": list(spec.reqs),
        "dataset_name": "churn-train",
        "run_artifacts": sorted(spec.artifacts),
    }


def _populate_churn(client, experiment_id: str) -> dict:
    client.create_registered_model(
        CHURN, tags={"domain": "retention", "pii": "false"},
        description="Predicts which customers leave next month.",
    )
    versions = {}
    for version in ("1", "2", "3"):
        versions[version] = _log_churn_version(client, experiment_id, version)
        if version == "1":
            client.set_registered_model_alias(CHURN, "candidate", "1")
        if version == "2":
            client.set_registered_model_alias(CHURN, "champion", "2")
    client.set_registered_model_alias(CHURN, "challenger", "3")
    client.set_registered_model_alias(CHURN, "candidate", "3")  # moves from v1
    return {
        "name": CHURN,
        "description": "Predicts which customers leave next month.",
        "tags": {"domain": "retention", "pii": "false"},
        "aliases": {"candidate": "3", "challenger": "3", "champion": "2"},
        "moved_alias": {"name": "candidate", "from": "1", "to": "3"},
        "versions": versions,
        "diff_v2_v3": {
            "params_changed": {"C": ["0.5", "0.1"]},
            "params_added": {"class_weight": "balanced"},
            "params_removed": {"solver": "lbfgs"},
            "metrics_moved": {"accuracy": [0.78, 0.83], "f1": [0.7, 0.77]},
            "input_column_added": "support_calls",
            "requirement_bumped": {"scikit-learn": ["==1.3.2", "==1.4.2"]},
            "requirement_added": {"pyarrow": "==15.0.2"},
            "version_tag_changed": {"validation_status": ["pending", "approved"]},
            "run_artifact_added": "notes/extra.txt",
        },
    }


def _echo_model_class():
    import mlflow.pyfunc

    class EchoModel(mlflow.pyfunc.PythonModel):
        """Returns its input text upper-cased: a pyfunc flavor besides sklearn."""

        def predict(self, context, model_input, params=None):
            return [str(t).upper() for t in model_input["text"]]

    return EchoModel


def _populate_echo(client, experiment_id: str) -> dict:
    import mlflow
    import pandas as pd
    from mlflow.models import ModelSignature
    from mlflow.types import ColSpec, ParamSchema, ParamSpec, Schema

    client.create_registered_model(ECHO, description="Echoes text back, upper-cased.")
    versions = {}
    for version, prefix in (("1", "hello"), ("2", "bonjour")):
        signature = ModelSignature(
            inputs=Schema([ColSpec("string", "text")]),
            outputs=Schema([ColSpec("string")]),
            params=ParamSchema([ParamSpec("shout", "boolean", True)]),
        )
        reqs = ["mlflow==3.17.2", "pandas==2.1.4"]
        with mlflow.start_run(experiment_id=experiment_id, run_name=f"echo-v{version}") as run:
            mlflow.log_param("prefix", prefix)
            info = mlflow.pyfunc.log_model(
                name="echo",
                python_model=_echo_model_class()(),
                signature=signature,
                input_example=pd.DataFrame({"text": [prefix, "world"]}),
                pip_requirements=reqs,
            )
        client.create_model_version(ECHO, info.model_uri, run_id=run.info.run_id, model_id=info.model_id)
        versions[version] = {
            "run_id": run.info.run_id, "model_id": info.model_id, "model_uri": info.model_uri,
            "params": {"prefix": prefix}, "input_columns": ["text"], "pip_requirements": reqs,
        }
    client.set_registered_model_alias(ECHO, "prod", "2")
    return {"name": ECHO, "versions": versions, "aliases": {"prod": "2"}}


def _name_allowed(client, name: str) -> bool:
    from mlflow.exceptions import MlflowException

    try:
        client.create_registered_model(name)
    except MlflowException:
        return False
    client.delete_registered_model(name)
    return True


def _model_name_rules(client) -> dict:
    return {
        "slash": _name_allowed(client, "name-rules/slash"),
        "colon": _name_allowed(client, "name-rules:colon"),
        "dotdot_inside": _name_allowed(client, "name-rules ..inside"),
        "leading_dotdot": _name_allowed(client, "..name-rules"),
        "space": _name_allowed(client, "name rules space"),
        "unicode": _name_allowed(client, "name-rules-ü-模型"),
    }


def populate(tracking_uri: str, artifact_root: str | Path | None = None) -> dict:
    """Log the registry described in this module's docstring into `tracking_uri`.

    `artifact_root`: where the experiment keeps artifacts. Needed for a
    server-less store (else MLflow picks ./mlruns); leave None for a server that
    serves artifacts.
    """
    from mlflow import MlflowClient

    with _tracking(tracking_uri):
        client = MlflowClient(tracking_uri, registry_uri=tracking_uri)
        experiment_tags = {"project": "retention", "owner": "ml-platform"}
        location = Path(artifact_root).resolve().as_uri() if artifact_root else None
        experiment_id = client.create_experiment(EXPERIMENT, artifact_location=location, tags=experiment_tags)
        churn = _populate_churn(client, experiment_id)
        echo = _populate_echo(client, experiment_id)
        client.create_registered_model(AWKWARD, description="A name with a space, '..', parentheses and ü.")
        churn_v1 = churn["versions"]["1"]
        awkward_mv = client.create_model_version(AWKWARD, churn_v1["model_uri"], run_id=churn_v1["run_id"],
                                                 model_id=churn_v1["model_id"])
        return {
            "tracking_uri": tracking_uri,
            "experiment_id": experiment_id,
            "experiment_name": EXPERIMENT,
            "experiment_tags": experiment_tags,
            "churn": churn,
            "echo": echo,
            "awkward": {"name": AWKWARD, "versions": {str(awkward_mv.version): {
                k: churn_v1[k] for k in ("run_id", "model_id", "model_uri")}}},
            "model_name_rules": _model_name_rules(client),
        }



def populate_secured(tracking_uri: str) -> dict:
    """A small registry for the basic-auth server: one experiment, one "Churn" version.

    Run it with admin credentials in the environment. Returns {"model_name",
    "experiment_id", "experiment_name", "version", "run_id"}.
    """
    from mlflow import MlflowClient

    with _tracking(tracking_uri):
        client = MlflowClient(tracking_uri, registry_uri=tracking_uri)
        experiment_id = client.create_experiment("secured-experiment", tags={"project": "retention"})
        client.create_registered_model(CHURN, description="Churn model behind basic auth.")
        facts = _log_churn_version(client, experiment_id, "1")
    return {"model_name": CHURN, "experiment_id": experiment_id, "experiment_name": "secured-experiment",
            "version": "1", "run_id": facts["run_id"]}
