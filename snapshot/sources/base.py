"""What every source of snapshot content must answer.

Capture (snapshot.capture.version) assembles a document from a Source and never
knows which one it has: the MLflow client one object at a time
(snapshot.sources.client.ClientSource), a batch's search results with the
client behind them for whatever the searches did not return
(snapshot.sources.client.PrefetchedSource), or an mlflow-reports archive
(snapshot.importer.source.ArchiveSource, which reads no server). Answers are in
the REST API's JSON shape (snapshot.sources.connection.to_dict). A missing
object raises the SnapError subclass named for it (ModelVersionNotFound,
ModelNotFound); a refusal CredentialsRefused; a lost server
TrackingServerUnreachable.

A source that does not hold a part of the document says so in `unavailable()`:
capture records each reason in the document's `unavailable` map and does not
ask for that part. Imports no mlflow (an archive is read offline); the defaults
that need MLflow's code import it when called.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from snapshot.sources.connection import Connection


class Source(ABC):
    """Where one capture's registry, tracking and permission data come from."""

    # None for a source that reads no server (an archive): it holds the model's files itself (`model_files`),
    # so capture never reads an artifact store for it.
    conn: Connection | None

    # MLflow's REST replies (protobuf JSON) leave out empty lists, so capture writes an absent model_inputs as
    # empty; a source whose answers are whole (an archive) says False, and a field it lacks stays out.
    replies_drop_empty_lists: bool = True

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

    def run_id(self, version: dict) -> str | None:
        """The id of the run that logged `version` (the model version answer): its `run_id`."""
        return version.get("run_id")

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

    def is_prompt(self, version: dict) -> bool:
        """Whether the version is one of MLflow's prompts (a template in its tags, no model files)."""
        from snapshot.sources.resolve import is_prompt

        return is_prompt(version)

    def manifest_fields(self) -> dict:
        """The manifest's fields about where the content came from: the connection's, and `origin`."""
        return {**self.conn.manifest_fields(), "origin": {"kind": "capture"}}

    def captured_at(self) -> str | None:
        """The capture time to record: None for now (a live read), or an archive's own time."""
        return None

    def unavailable(self) -> dict[str, str]:
        """Parts of the document this source does not hold (dotted keys, as in `unavailable`), each with why."""
        return {}
