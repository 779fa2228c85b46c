"""Sources backed by MLflow's client: one request per object, or a batch's search results first."""

from __future__ import annotations

from snapshot.errors import ModelVersionNotFound
from snapshot.sources.base import Source
from snapshot.sources.connection import Connection, mlflow_errors, to_dict
from snapshot.sources.readers import reader_for


class ClientSource(Source):
    """Each object fetched with its own request (model-versions/get, runs/get...), as the server sent it."""

    def __init__(self, conn: Connection):
        self.conn, self.client, self.reader = conn, conn.client, reader_for(conn)

    def model_version(self, name: str, version: str) -> dict:
        with mlflow_errors(f"model version {name}/{version}", ModelVersionNotFound):
            return self.reader.model_version(name, version)

    def registered_model(self, name: str) -> dict:
        with mlflow_errors(f"registered model {name}"):
            return self.reader.registered_model(name)

    def download_uri(self, name: str, version: str) -> str | None:
        with mlflow_errors(f"model version {name}/{version}", ModelVersionNotFound):
            return self.client.get_model_version_download_uri(name, version)

    def run(self, run_id: str) -> dict:
        with mlflow_errors(f"run {run_id}"):
            return self.reader.run(run_id)

    def experiment(self, experiment_id: str) -> dict:
        with mlflow_errors(f"experiment {experiment_id}"):
            return self.reader.experiment(experiment_id)

    def logged_model(self, model_id: str) -> dict:
        with mlflow_errors(f"logged model {model_id}"):
            return self.reader.logged_model(model_id)

    def metric_history(self, run_id: str, key: str) -> list[dict]:
        with mlflow_errors(f"metric history of run {run_id}"):
            return [to_dict(m) for m in self.client.get_metric_history(run_id, key)]  # NaN as "NaN", as the API

    def permissions(self, name: str, experiment_id: str | None) -> tuple[dict | None, str | None]:
        from snapshot.sources.permissions import capture_permissions

        conn = self.conn
        return capture_permissions(conn.tracking_uri, conn.server_kind, name, experiment_id, conn.is_unity_catalog)


class PrefetchedSource(Source):
    """A batch's answers for one version, from search results; anything else from `fallback`.

    `answers` keys: model_version, registered_model, download_uri, run, experiment,
    logged_model, permissions, model_files, run_from_search (snapshot.sources.search.Prefetcher.chunk).
    """

    def __init__(self, fallback: Source, answers: dict):
        self.conn, self.fallback, self.answers = fallback.conn, fallback, answers

    def _answer(self, key: str, ask, *args):
        return self.answers[key] if key in self.answers else ask(*args)

    def model_version(self, name: str, version: str) -> dict:
        return self._answer("model_version", self.fallback.model_version, name, version)

    def registered_model(self, name: str) -> dict:
        return self._answer("registered_model", self.fallback.registered_model, name)

    def download_uri(self, name: str, version: str) -> str | None:
        return self._answer("download_uri", self.fallback.download_uri, name, version)

    def run(self, run_id: str) -> dict:
        return self._answer("run", self.fallback.run, run_id)

    def run_from_search(self, run_id: str) -> bool:
        return bool(self.answers.get("run_from_search"))

    def experiment(self, experiment_id: str) -> dict:
        return self._answer("experiment", self.fallback.experiment, experiment_id)

    def logged_model(self, model_id: str) -> dict:
        return self._answer("logged_model", self.fallback.logged_model, model_id)

    def metric_history(self, run_id: str, key: str) -> list[dict]:
        return self.fallback.metric_history(run_id, key)

    def permissions(self, name: str, experiment_id: str | None) -> tuple[dict | None, str | None]:
        return self._answer("permissions", self.fallback.permissions, name, experiment_id)

    def model_files(self, download_uri: str) -> tuple | None:
        return self.answers.get("model_files")
