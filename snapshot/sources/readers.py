"""How registry and tracking objects are read: as the server sent them, or through MLflow's entities.

MLflow's client turns every reply into entities, and entities fill in fields the
server never sent: `ModelVersion.user_id` "", `RegisteredModel.deployment_job_state`
"DEPLOYMENT_JOB_CONNECTION_STATE_UNSPECIFIED", and from a 2.x server
`Experiment.workspace` "default" and `Run.outputs` {} (checked against MLflow 2.22
and 3.17 servers; tests/test_mlflow2.py). A snapshot holds what the server
returned, so an open-source server's REST API is read directly (`RestReader`),
with the client's credentials, TLS settings and retries, and its JSON kept as sent.
Stores with no REST server behind them (a local `sqlite:///` store) and Databricks
(whose client adds workspace-specific handling) are read through entities (`EntityReader`).

Both readers answer in the REST API's JSON shape and raise MlflowException as the client does.
"""

from __future__ import annotations

import json

from mlflow.entities import ViewType

from snapshot.sources.connection import Connection, to_dict

Page = tuple[list[dict], str | None]  # one page of search results and the next page token


def reader_for(conn: Connection) -> EntityReader:
    return RestReader(conn) if conn.server_kind == "mlflow" else EntityReader(conn)


class EntityReader:
    """Through MLflow's client and its entities."""

    def __init__(self, conn: Connection):
        self.client = conn.client

    def model_version(self, name: str, version: str) -> dict:
        return to_dict(self.client.get_model_version(name, version))

    def registered_model(self, name: str) -> dict:
        return to_dict(self.client.get_registered_model(name))

    def run(self, run_id: str) -> dict:
        return to_dict(self.client.get_run(run_id))

    def experiment(self, experiment_id: str) -> dict:
        return to_dict(self.client.get_experiment(experiment_id))

    def logged_model(self, model_id: str) -> dict:
        return to_dict(self.client.get_logged_model(model_id))

    def registered_models(self, filter_string: str | None, max_results: int, token: str | None) -> Page:
        page = self.client.search_registered_models(filter_string, max_results=max_results, page_token=token)
        return [to_dict(rm) for rm in page], page.token

    def model_versions(self, filter_string: str, max_results: int, token: str | None) -> Page:
        page = self.client.search_model_versions(filter_string, max_results=max_results, page_token=token)
        return [to_dict(mv) for mv in page], page.token

    def runs(self, experiment_ids: list[str], filter_string: str, max_results: int, token: str | None) -> Page:
        page = self.client.search_runs(experiment_ids, filter_string, run_view_type=ViewType.ALL,
                                       max_results=max_results, page_token=token)
        return [to_dict(run) for run in page], page.token

    def logged_models(self, experiment_ids: list[str], filter_string: str, max_results: int,
                      token: str | None) -> Page:
        page = self.client.search_logged_models(experiment_ids, filter_string, max_results=max_results,
                                                page_token=token)
        return [to_dict(lm) for lm in page], page.token


class RestReader(EntityReader):
    """An open-source MLflow server's REST API, replies kept as sent."""

    def __init__(self, conn: Connection):
        from mlflow.utils.credentials import get_default_host_creds

        super().__init__(conn)
        self._tracking = get_default_host_creds(conn.tracking_uri)
        self._registry = get_default_host_creds(conn.registry_uri)

    def _call(self, creds, endpoint: str, method: str = "GET", **kwargs) -> dict:
        from mlflow.utils.rest_utils import http_request_safe

        return json.loads(http_request_safe(creds, endpoint, method, **kwargs).text)

    def _page(self, reply: dict, key: str) -> Page:
        return reply.get(key) or [], reply.get("next_page_token") or None

    def model_version(self, name: str, version: str) -> dict:
        params = {"name": name, "version": version}
        return self._call(self._registry, "/api/2.0/mlflow/model-versions/get", params=params)["model_version"]

    def registered_model(self, name: str) -> dict:
        reply = self._call(self._registry, "/api/2.0/mlflow/registered-models/get", params={"name": name})
        return reply["registered_model"]

    def run(self, run_id: str) -> dict:
        return self._call(self._tracking, "/api/2.0/mlflow/runs/get", params={"run_id": run_id})["run"]

    def experiment(self, experiment_id: str) -> dict:
        params = {"experiment_id": experiment_id}
        return self._call(self._tracking, "/api/2.0/mlflow/experiments/get", params=params)["experiment"]

    def logged_model(self, model_id: str) -> dict:
        return self._call(self._tracking, f"/api/2.0/mlflow/logged-models/{model_id}")["model"]

    def registered_models(self, filter_string: str | None, max_results: int, token: str | None) -> Page:
        params = _params(filter=filter_string, max_results=max_results, page_token=token)
        reply = self._call(self._registry, "/api/2.0/mlflow/registered-models/search", params=params)
        return self._page(reply, "registered_models")

    def model_versions(self, filter_string: str, max_results: int, token: str | None) -> Page:
        params = _params(filter=filter_string, max_results=max_results, page_token=token)
        reply = self._call(self._registry, "/api/2.0/mlflow/model-versions/search", params=params)
        return self._page(reply, "model_versions")

    def runs(self, experiment_ids: list[str], filter_string: str, max_results: int, token: str | None) -> Page:
        body = _params(experiment_ids=experiment_ids, filter=filter_string, run_view_type="ALL",
                       max_results=max_results, page_token=token)
        return self._page(self._call(self._tracking, "/api/2.0/mlflow/runs/search", "POST", json=body), "runs")

    def logged_models(self, experiment_ids: list[str], filter_string: str, max_results: int,
                      token: str | None) -> Page:
        body = _params(experiment_ids=experiment_ids, filter=filter_string, max_results=max_results,
                       page_token=token)
        reply = self._call(self._tracking, "/api/2.0/mlflow/logged-models/search", "POST", json=body)
        return self._page(reply, "models")


def _params(**values) -> dict:
    return {key: value for key, value in values.items() if value is not None}
