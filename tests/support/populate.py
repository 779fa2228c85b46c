"""Fill a tracking server with one registered model of many versions, with MLflow's own client.

Each version has its own run (params, metrics, tags) and its own small logged
pyfunc model, as real training pipelines produce them. Logging runs in threads
(MLflow's active-run stack is thread-local) so 200 versions take seconds, not minutes.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")


def _echo_model():
    import mlflow.pyfunc

    class Echo(mlflow.pyfunc.PythonModel):
        def predict(self, context, model_input, params=None):
            return model_input

    return Echo()


def _signature():
    from mlflow.models.signature import ModelSignature
    from mlflow.types.schema import ColSpec, Schema

    inputs = Schema([ColSpec("double", f"feature_{i}") for i in range(8)])
    return ModelSignature(inputs=inputs, outputs=Schema([ColSpec("double", "score")]))


def _log_version(client, experiment_id: str, index: int, sizes: dict) -> tuple[str, str, str]:
    """One run with params, metrics and tags, and one logged model; returns (run_id, model_uri, model_id)."""
    import mlflow
    import pandas
    from mlflow.entities import Metric, Param, RunTag

    with mlflow.start_run(experiment_id=experiment_id, run_name=f"train-{index}") as run:
        run_id = run.info.run_id
        client.log_batch(
            run_id,
            metrics=[Metric(f"metric_{k}", index * 0.001 + k, 1_700_000_000_000 + index, k) for k in range(sizes["metrics"])],
            params=[Param(f"param_{k}", f"value-{index}-{k}") for k in range(sizes["params"])],
            tags=[RunTag(f"tag_{k}", f"tag value {index} {k}") for k in range(sizes["tags"])],
        )
        frame = pandas.DataFrame({"feature_0": [0.1 * index, 1.0], "score": [0.0, 1.0]})
        mlflow.log_input(mlflow.data.from_pandas(frame, name="scores-train", targets="score"), context="training")
        info = mlflow.pyfunc.log_model(name="model", python_model=_echo_model(), signature=_signature(),
                                       pip_requirements=["mlflow==3.17.2", f"numpy=={1 + index % 3}.26.4"])
    return run_id, info.model_uri, info.model_id


# Many arguments on purpose: the keyword-only sizes are the knobs tests and bench/run.py call with; an options object would only wrap them.
def populate_model(tracking_uri: str, name: str, versions: int = 200, *, params: int = 20,
                   metrics: int = 20, tags: int = 30, workers: int = 8,
                   experiment: str | None = None) -> dict:
    """Register `versions` versions of `name` (each with its own run and logged model).

    Returns {"name", "experiment_id", "versions": [str, ...]}.
    """
    import mlflow
    from mlflow import MlflowClient

    mlflow.set_tracking_uri(tracking_uri)
    client = MlflowClient(tracking_uri, registry_uri=tracking_uri)
    experiment_id = client.create_experiment(experiment or f"{name}-training", tags={"team": "bench"})
    client.create_registered_model(name, tags={"owner": "bench", "domain": "scoring"},
                                   description=f"{name}: {versions} versions for the benchmark")
    sizes = {"params": params, "metrics": metrics, "tags": tags}
    with ThreadPoolExecutor(workers) as pool:
        logged = list(pool.map(lambda i: _log_version(client, experiment_id, i, sizes), range(versions)))
    numbers = []
    for index, (run_id, model_uri, model_id) in enumerate(logged):
        mv = client.create_model_version(name, model_uri, run_id=run_id, model_id=model_id,
                                         tags={"stage": "candidate", "batch": str(index // 50)},
                                         description=f"version from run {index}")
        numbers.append(str(mv.version))
    client.set_registered_model_alias(name, "champion", numbers[-1])
    client.set_registered_model_alias(name, "previous", numbers[max(0, len(numbers) - 2)])
    return {"name": name, "experiment_id": experiment_id, "versions": numbers}


if __name__ == "__main__":
    import argparse
    import time

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("tracking_uri")
    parser.add_argument("--name", default="BenchModel")
    parser.add_argument("--versions", type=int, default=200)
    args = parser.parse_args()
    start = time.monotonic()
    facts = populate_model(args.tracking_uri, args.name, args.versions)
    print(f"{len(facts['versions'])} versions of {args.name} in {time.monotonic() - start:.1f}s")
