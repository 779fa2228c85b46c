"""What every source of snapshot content must answer.

Capture (snapshot.capture.version) assembles a document from a Source and never
knows which one it has: the MLflow client one object at a time
(snapshot.sources.client.ClientSource), or a batch's search results with the
client behind them for whatever the searches did not return
(snapshot.sources.client.PrefetchedSource). Answers are in the REST API's JSON
shape (snapshot.sources.connection.to_dict). A missing object raises the
SnapError subclass named for it (ModelVersionNotFound, ModelNotFound); a refusal
CredentialsRefused; a lost server TrackingServerUnreachable.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from snapshot.sources.connection import Connection


class Source(ABC):
    """Where one capture's registry, tracking and permission data come from."""

    conn: Connection

    @abstractmethod
    def model_version(self, name: str, version: str) -> dict:
        """The model version (tags and aliases included)."""

    @abstractmethod
    def registered_model(self, name: str) -> dict:
        """The registered model (tags and aliases included)."""

    @abstractmethod
    def download_uri(self, name: str, version: str) -> str | None:
        """Where the version's files are stored."""

    @abstractmethod
    def run(self, run_id: str) -> dict:
        """The run that logged the version; ModelNotFound when it no longer exists."""

    def run_from_search(self, run_id: str) -> bool:
        """True when `run` came from search_runs, which leaves out model inputs on MLflow's server."""
        return False

    @abstractmethod
    def experiment(self, experiment_id: str) -> dict:
        """The run's experiment."""

    @abstractmethod
    def logged_model(self, model_id: str) -> dict:
        """The logged model (MLflow 3's LoggedModel API)."""

    @abstractmethod
    def metric_history(self, run_id: str, key: str) -> list[dict]:
        """Every logged point of one metric."""

    @abstractmethod
    def permissions(self, name: str, experiment_id: str | None) -> tuple[dict | None, str | None]:
        """(permissions section, reason it is unavailable or None)."""

    def model_files(self, download_uri: str) -> tuple | None:
        """(mlmodel, environment, artifact tree) known without reading them, else None: read them."""
        return None
