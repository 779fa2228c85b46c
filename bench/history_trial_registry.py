"""The registries bench/history_trial.py plants events in, built with MLflow's own client.

Every model version is a folder saved once with MLflow (`save_model`: MLmodel with
its own model_uuid, signature, requirements) and logged into a run of the server
with `log_artifacts`, then registered from that run: so a second server (the
migration) can be given exactly the same model files under other numbers, as
mlflow-export-import does.
"""

from __future__ import annotations

import warnings
from pathlib import Path

FRAUD = "Fraud Détection 🚀"  # spaces, accents, an emoji
CREDIT = "main.risk.credit_score"  # Unity-Catalog-style three-part name
LEGACY, MODERN = "Churn Legacy", "Churn Modern"  # renamed in step 2
SCRATCH = "Scratch Model"  # deleted whole in step 2
PRICING = "Pricing α"  # created in step 2

warnings.filterwarnings("ignore")


def _sklearn(folder: Path, features: list[str], reqs: list[str], seed: int) -> Path:
    import mlflow.sklearn
    import numpy as np
    import pandas as pd
    from mlflow.models import infer_signature
    from sklearn.linear_model import LogisticRegression

    rng = np.random.RandomState(seed)
    frame = pd.DataFrame(rng.rand(30, len(features)), columns=features)
    model = LogisticRegression().fit(frame, (frame.iloc[:, 0] > 0.5).astype(int))
    mlflow.sklearn.save_model(model, str(folder), signature=infer_signature(frame, model.predict(frame)),
                              pip_requirements=reqs)
    return folder


def _pyfunc(folder: Path, inputs: list[tuple[str, str]], reqs: list[str]) -> Path:
    import mlflow.pyfunc
    from mlflow.models.signature import ModelSignature
    from mlflow.types.schema import ColSpec, Schema

    class Scorer(mlflow.pyfunc.PythonModel):
        def predict(self, context, model_input, params=None):
            return model_input.iloc[:, 0]

    signature = ModelSignature(Schema([ColSpec(t, n) for n, t in inputs]), Schema([ColSpec("double")]))
    mlflow.pyfunc.save_model(str(folder), python_model=Scorer(), signature=signature, pip_requirements=reqs)
    return folder


def save_models(root: Path) -> dict[str, Path]:
    """label -> a saved model folder. Fraud v1-v8 sklearn; credit v1-v3 pyfunc (v3: a new required input)."""
    out = {}
    for i in range(1, 8):
        reqs = ["scikit-learn==1.4.2", "pandas==2.2.0"]
        out[f"fraud{i}"] = _sklearn(root / f"fraud{i}", ["amount", "hour", "merchant_risk"], reqs, seed=i)
    out["fraud8"] = _sklearn(root / "fraud8", ["amount", "hour", "merchant_risk"],
                             ["scikit-learn==1.5.1", "pandas==2.2.0"], seed=8)  # the requirement bump
    base = [("income", "double"), ("debt_ratio", "double")]
    out["credit1"] = _pyfunc(root / "credit1", base, ["pandas==2.1.4"])
    out["credit2"] = _pyfunc(root / "credit2", base, ["pandas==2.1.4"])
    out["credit3"] = _pyfunc(root / "credit3", [*base, ("region", "string")], ["pandas==2.2.3"])
    for i in (1, 2):
        out[f"legacy{i}"] = _sklearn(root / f"legacy{i}", ["tenure", "plan"], ["scikit-learn==1.3.2"], seed=20 + i)
    out["scratch1"] = _pyfunc(root / "scratch1", [("x", "double")], ["numpy==1.26.4"])
    out["pricing1"] = _pyfunc(root / "pricing1", [("sku", "string"), ("qty", "long")], ["pandas==2.2.0"])
    return out


class Registry:
    """One server's registry, through MlflowClient; `register` logs a saved folder into a new run first."""

    def __init__(self, uri: str):
        import mlflow
        from mlflow import MlflowClient

        mlflow.set_tracking_uri(uri)
        self.mlflow, self.client = mlflow, MlflowClient(uri, registry_uri=uri)
        self.runs: dict[tuple[str, str], str] = {}  # (model, version) -> run id

    def model(self, name: str, tags: dict | None = None, description: str | None = None) -> None:
        self.client.create_registered_model(name, tags=tags, description=description)

    def register(self, name: str, folder: Path, params: dict, metrics: dict, tags: dict | None = None,
                 description: str | None = None) -> str:
        mlflow = self.mlflow
        mlflow.set_experiment("trial")  # one experiment: a migration keeps its name
        with mlflow.start_run() as run:
            mlflow.log_params(params)
            mlflow.log_metrics(metrics)
            mlflow.log_artifacts(str(folder), "model")
        mv = self.client.create_model_version(name, f"{run.info.artifact_uri}/model", run.info.run_id,
                                              tags=tags, description=description)
        self.runs[(name, mv.version)] = run.info.run_id
        return mv.version


def fraud_version(i: int) -> tuple[dict, dict, dict]:
    """(params, metrics, tags) of Fraud's model i: each different, so no two versions look alike."""
    tags = {"candidate": "yes"} if i == 5 else {"trained_by": f"job-{i}"}
    return {"C": str(0.1 * i), "seed": str(i)}, {"auc": 0.80 + i / 100, "recall": 0.6 + i / 50}, tags


def build_initial(reg: Registry, saved: dict[str, Path]) -> None:
    """Capture 0's registry: four models, Fraud with six versions, aliases, tags and descriptions."""
    reg.model(FRAUD, {"team": "risk", "pii": "none"}, "Card fraud scores, **v1** of the pipeline")
    for i in range(1, 7):
        params, metrics, tags = fraud_version(i)
        reg.register(FRAUD, saved[f"fraud{i}"], params, metrics, tags, "first cut" if i == 1 else None)
    reg.client.set_registered_model_alias(FRAUD, "champion", "3")
    reg.client.set_registered_model_alias(FRAUD, "challenger", "5")
    reg.model(CREDIT, {"catalog": "main"}, "Credit score (UC-style name)")
    for i in (1, 2):
        reg.register(CREDIT, saved[f"credit{i}"], {"bins": str(10 * i)}, {"gini": round(0.4 + i / 10, 2)})
    reg.client.set_registered_model_alias(CREDIT, "prod", "1")
    reg.model(LEGACY, {"owner": "growth"})
    for i in (1, 2):
        reg.register(LEGACY, saved[f"legacy{i}"], {"depth": str(i + 2)}, {"f1": 0.5 + i / 10})
    reg.model(SCRATCH)
    reg.register(SCRATCH, saved["scratch1"], {"try": "1"}, {"loss": 1.5})


def plant_step1(reg: Registry, saved: dict[str, Path]) -> None:
    """Between capture 0 and 1."""
    c = reg.client
    c.set_registered_model_alias(FRAUD, "champion", "4")
    c.delete_registered_model_alias(FRAUD, "challenger")
    c.delete_model_version(FRAUD, "2")
    c.set_registered_model_tag(FRAUD, "team", "fraud-ops")
    c.set_registered_model_tag(FRAUD, "owner", "ana@example.com")
    c.update_registered_model(FRAUD, description="Card fraud scores, v2 of the pipeline")
    c.set_model_version_tag(FRAUD, "5", "validated", "pending")
    c.update_model_version(FRAUD, "5", description="shadow traffic since Monday")
    reg.register(CREDIT, saved["credit3"], {"bins": "30"}, {"gini": 0.61})  # v3: breaking signature


def plant_step2(reg: Registry, saved: dict[str, Path]) -> None:
    """Between capture 1 and 2."""
    c = reg.client
    c.set_registered_model_alias(FRAUD, "champion", "3")  # moved back
    c.set_model_version_tag(FRAUD, "5", "validated", "passed")
    c.delete_model_version_tag(FRAUD, "5", "candidate")
    c.update_model_version(FRAUD, "5", description="promoted after shadow traffic")
    c.delete_registered_model_tag(FRAUD, "team")
    c.update_registered_model(FRAUD, description="")
    c.transition_model_version_stage(CREDIT, "1", "Production")
    c.log_metric(reg.runs[(FRAUD, "6")], "auc", 0.91)
    params, metrics, tags = fraud_version(8)
    reg.register(FRAUD, saved["fraud8"], params, metrics, tags)  # v7: scikit-learn 1.4.2 -> 1.5.1
    c.rename_registered_model(LEGACY, MODERN)
    c.delete_registered_model(SCRATCH)
    reg.model(PRICING, {"team": "pricing"}, "List prices")
    reg.register(PRICING, saved["pricing1"], {"k": "3"}, {"mape": 0.12})


def build_migration(reg: Registry, saved: dict[str, Path]) -> dict[tuple[str, str], tuple[str, str] | None]:
    """Server B: registry A as after step 2, re-registered under other numbers; Fraud v6 left out and
    Fraud v5 changed (its run's auc). Returns A's (model, version) -> B's, or None when left out."""
    mapping: dict[tuple[str, str], tuple[str, str] | None] = {}
    reg.model(FRAUD, {"pii": "none", "owner": "ana@example.com"}, "")
    for a_version, i in (("7", 8), ("5", 5), ("1", 1), ("3", 3), ("4", 4)):  # another order: other numbers
        params, metrics, tags = fraud_version(i)
        tags = {"validated": "passed"} if i == 5 else tags
        metrics = {**metrics, "auc": 0.77} if i == 5 else metrics  # the one changed on the way
        desc = {1: "first cut", 5: "promoted after shadow traffic"}.get(i)
        mapping[(FRAUD, a_version)] = (FRAUD, reg.register(FRAUD, saved[f"fraud{i}"], params, metrics, tags, desc))
    mapping[(FRAUD, "6")] = None
    reg.client.set_registered_model_alias(FRAUD, "champion", mapping[(FRAUD, "3")][1])
    reg.model(CREDIT, {"catalog": "main"}, "Credit score (UC-style name)")
    for a_version, i, gini in (("3", 3, 0.61), ("2", 2, 0.6), ("1", 1, 0.5)):
        mapping[(CREDIT, a_version)] = (CREDIT, reg.register(CREDIT, saved[f"credit{i}"], {"bins": str(10 * i)},
                                                             {"gini": gini}))
    reg.client.set_registered_model_alias(CREDIT, "prod", mapping[(CREDIT, "1")][1])
    reg.client.transition_model_version_stage(CREDIT, mapping[(CREDIT, "1")][1], "Production")
    reg.model(MODERN, {"owner": "growth"})
    for a_version in ("2", "1"):
        i = int(a_version)
        mapping[(MODERN, a_version)] = (MODERN, reg.register(MODERN, saved[f"legacy{i}"], {"depth": str(i + 2)},
                                                             {"f1": 0.5 + i / 10}))
    reg.model(PRICING, {"team": "pricing"}, "List prices")
    mapping[(PRICING, "1")] = (PRICING, reg.register(PRICING, saved["pricing1"], {"k": "3"}, {"mape": 0.12}))
    return mapping
