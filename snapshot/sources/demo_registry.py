"""The demo's MLflow registry: three versions of a churn model, logged to a local store.

Kept here because snapshot/sources/ is the only package that imports mlflow; snap demo
calls build_registry. mlflow is imported inside the functions, after snap demo has set
MLFLOW_LOGGING_LEVEL (read at its first import).
"""

from __future__ import annotations

MODEL = "ChurnDemo"

# What changes between versions: params, metrics, signature, requirements, tags, aliases.
VERSIONS = [
    {"params": {"C": "1.0", "penalty": "l2", "max_iter": "100"}, "features": ["monthly_charges", "support_calls"],
     "extra_reqs": ["numpy<2.5"], "tags": {"stage": "candidate", "owner": "risk-team"}, "alias": "challenger"},
    {"params": {"C": "0.5", "penalty": "l2", "max_iter": "200"}, "features": ["monthly_charges", "support_calls"],
     "extra_reqs": ["numpy<2.5"], "tags": {"stage": "approved", "owner": "risk-team"}, "alias": "champion"},
    {"params": {"C": "0.25", "max_iter": "300", "class_weight": "balanced"},
     "features": ["monthly_charges", "support_calls", "tenure_months"],
     "extra_reqs": ["numpy<3", "pyarrow>=14"], "tags": {"stage": "candidate", "owner": "growth-team"},
     "alias": "challenger"},
]


def _train(spec: dict, seed: int):
    import numpy as np
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "monthly_charges": rng.uniform(20, 120, 400),
        "support_calls": rng.integers(0, 10, 400).astype("float64"),
        "tenure_months": rng.integers(1, 72, 400).astype("float64"),
    })[spec["features"]]
    churned = (frame["monthly_charges"] / 120 + frame["support_calls"] / 10 + rng.normal(0, 0.3, 400) > 1).astype(int)
    params = spec["params"]
    model = LogisticRegression(C=float(params["C"]), max_iter=int(params["max_iter"]),
                               class_weight=params.get("class_weight"))
    model.fit(frame, churned)
    return model, frame, churned


def _log_version(index: int, spec: dict) -> str:
    import mlflow
    from sklearn.metrics import accuracy_score, roc_auc_score

    model, frame, churned = _train(spec, seed=index)
    with mlflow.start_run(run_name=f"churn-train-{index + 1}"):
        mlflow.log_params(spec["params"])
        scores = model.predict_proba(frame)[:, 1]
        mlflow.log_metrics({"auc": roc_auc_score(churned, scores),
                            "accuracy": accuracy_score(churned, model.predict(frame))})
        mlflow.log_input(mlflow.data.from_pandas(frame, source="s3://demo/churn/train.parquet", name="churn-train"),
                         context="training")
        mlflow.set_tags({"team": spec["tags"]["owner"], "git_commit": f"{index + 1:07x}abc"})
        if index == 2:
            mlflow.log_text("threshold tuned to 0.42 after review\n", "notes/review.txt")
        import sklearn

        info = mlflow.sklearn.log_model(
            model, name="model", input_example=frame.head(3), registered_model_name=MODEL,
            pip_requirements=[f"scikit-learn=={sklearn.__version__}", f"mlflow=={mlflow.__version__}",
                              *spec["extra_reqs"]],
        )
    return str(info.registered_model_version)


def build_registry(tracking_uri: str) -> list[str]:
    """Log three versions of the demo model; return their version numbers."""
    import mlflow
    from mlflow import MlflowClient

    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_experiment("churn-demo")
    client = MlflowClient(tracking_uri)
    versions = []
    for index, spec in enumerate(VERSIONS):
        version = _log_version(index, spec)
        for key, value in spec["tags"].items():
            client.set_model_version_tag(MODEL, version, key, value)
        client.set_registered_model_alias(MODEL, spec["alias"], version)
        versions.append(version)
    client.update_registered_model(MODEL, description="Predicts which customers will cancel next month.")
    client.set_registered_model_tag(MODEL, "domain", "customer-retention")
    return versions
