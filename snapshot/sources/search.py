"""What a batch capture fetches with search APIs instead of one request per version.

Checked against MLflow 3.17's server: registered-models/search returns the same
registered model as registered-models/get (tags and aliases included);
model-versions/search the same version as model-versions/get except `aliases`
(absent: taken from the registered model's alias map); runs/search the same run
as runs/get except its model inputs, which MLflow's server leaves out (the capture
records that in `unavailable`); logged-models/search the same model as
logged-models/get; experiments/get is called once per experiment. Replies are read
as sent (snapshot.sources.readers). tests/test_batch.py asserts that a batch
snapshot equals the single-version one, content hash and all.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

from mlflow.exceptions import MlflowException

from snapshot.formats.document import logged_model_id
from snapshot.sources.connection import Connection, mlflow_errors
from snapshot.sources.readers import reader_for
from snapshot.sources.resolve import is_prompt, search_versions, with_prompt_filter

PAGE = 1000
CHUNK = 100  # ids per `IN (...)` filter


class Prefetcher:
    """Batched reads for one capture session; caches experiments across models."""

    def __init__(self, conn: Connection, prompts: str = "exclude"):
        self.conn, self.reader = conn, reader_for(conn)
        self.prompts = prompts  # what --all takes of the prompts: "exclude", "include" or "only"
        self.prompts_left_out: int | None = 0  # prompts --all left out (None: the registry could not say)
        self._experiment_ids: list[str] = []  # where runs were found so far, newest first
        self._experiments: dict[str, dict] = {}
        self._lock = threading.Lock()
        # An open-source registry's download URI is the version's storage location: its
        # source, or for a `models:/m-…` source the logged model's artifact location
        # (SqlAlchemyStore.create_model_version). Elsewhere (Databricks, UC) it is fetched.
        self.derive_download_uri = conn.server_kind in ("mlflow", "local") and not conn.is_unity_catalog
        # Databricks' and Unity Catalog's search results may leave out tags and aliases:
        # there the version and registered model are fetched per version, as the single path does.
        self.trust_search = self.derive_download_uri

    def registered_models(self, filter_string: str | None) -> Iterator[dict]:
        """Every registered model matching an MLflow search filter, with or without the prompts, by name.

        MLflow keeps prompts as registered models tagged `mlflow.prompt.is_prompt`; its client and
        server leave them out of a search unless the filter asks for that tag (SqlAlchemyStore's
        `_is_querying_prompt`), and then return only prompts. So prompts are a second search.
        """
        models = [] if self.prompts == "only" else [rm for rm in self._search(filter_string) if not is_prompt(rm)]
        prompts = []
        if self.prompts != "exclude":
            prompts = [rm for rm in self._search(with_prompt_filter(filter_string)) if is_prompt(rm)]
        else:
            self.prompts_left_out = self._count_prompts(filter_string)
        yield from sorted(models + prompts, key=lambda rm: rm["name"])

    def _search(self, filter_string: str | None) -> Iterator[dict]:
        token = None
        while True:
            with mlflow_errors("registered models"):
                page, token = self.reader.registered_models(filter_string, PAGE, token)
            yield from page
            if not token:
                return

    def _count_prompts(self, filter_string: str | None) -> int | None:
        """How many prompts the filter matches, for the summary's note; None where the registry cannot say."""
        if self.conn.is_unity_catalog:  # Unity Catalog's search takes no tag filter
            return None
        try:
            return sum(1 for rm in self._search(with_prompt_filter(filter_string)) if is_prompt(rm))
        except Exception:  # noqa: BLE001 - only the note is lost: the models were found by the first search
            return None

    def registered_model(self, name: str) -> dict:
        with mlflow_errors(f"registered model {name}"):
            return self.reader.registered_model(name)

    def versions(self, rm: dict) -> list[dict]:
        """The model's versions (REST shape, aliases filled in), by version number."""
        aliases: dict[str, list[str]] = {}
        for a in rm.get("aliases") or []:
            aliases.setdefault(str(a["version"]), []).append(a["alias"])
        out = []
        for d in search_versions(self.conn, rm["name"], self.reader, prompt=is_prompt(rm)):
            d["aliases"] = sorted(aliases.get(str(d["version"]), []))
            out.append(d)
        return sorted(out, key=lambda d: int(d["version"]) if str(d["version"]).isdigit() else 0)

    def chunk(self, rm: dict, mvs: list[dict]) -> list[dict]:
        """`prefetched` dicts (see capture.capture_version) for versions of one model."""
        runs, searched = self._runs({mv["run_id"] for mv in mvs if mv.get("run_id")})
        experiments = {run["info"]["experiment_id"] for run in runs.values()}
        logged = self._logged_models(sorted(experiments), {_model_id(mv) for mv in mvs} - {None})
        out = []
        for mv in mvs:
            pre = {"model_version": mv, "registered_model": rm}
            run = runs.get(mv.get("run_id"))
            if run is not None:
                pre["run"] = run
                pre["run_from_search"] = mv["run_id"] in searched
                experiment = self.experiment(run["info"]["experiment_id"])
                if experiment is not None:
                    pre["experiment"] = experiment
            lm = logged.get(_model_id(mv))
            if lm is not None:
                pre["logged_model"] = lm
            download = self._download_uri(mv, lm)
            if download is not None:
                pre["download_uri"] = download
            out.append(pre)
        return out

    def _download_uri(self, mv: dict, lm: dict | None) -> str | None:
        if not self.derive_download_uri:
            return None
        source = mv.get("source") or ""
        if not source.startswith("models:"):
            return source or None
        model_id = _model_id(mv)
        if lm is not None and source.rstrip("/") == f"models:/{model_id}":
            return lm.get("info", {}).get("artifact_uri")
        return None

    def experiment(self, experiment_id: str) -> dict | None:
        with self._lock:
            if experiment_id in self._experiments:
                return self._experiments[experiment_id]
        try:
            found = self.reader.experiment(experiment_id)
        except MlflowException:  # left for the per-version path to report
            found = None
        with self._lock:
            self._experiments[experiment_id] = found
        return found

    def _runs(self, run_ids: set[str]) -> tuple[dict[str, dict], set[str]]:
        """Runs by id, and which came from search_runs (the rest from get_run).

        search_runs over experiments seen so far; a get_run finds each new
        experiment, whose search then returns that run too, so that every run of a
        batch is read the same way.
        """
        found: dict[str, dict] = {}
        from_get_run: set[str] = set()
        missing = set(run_ids)
        if self._experiment_ids:
            found.update(self._search_runs(self._experiment_ids, missing))
            missing -= set(found)
        while missing:
            probe = min(missing)
            try:
                run = self.reader.run(probe)
            except MlflowException:  # deleted or forbidden: the per-version path says which
                missing.discard(probe)
                continue
            experiment_id = run["info"]["experiment_id"]
            with self._lock:
                if experiment_id not in self._experiment_ids:
                    self._experiment_ids.insert(0, experiment_id)
            found.update(self._search_runs([experiment_id], missing))
            missing -= set(found)
            if probe in missing:  # not found by search after all: what get_run said
                found[probe] = run
                from_get_run.add(probe)
                missing.discard(probe)
        return found, set(found) - from_get_run

    def _search_runs(self, experiment_ids: list[str], run_ids: set[str]) -> dict[str, dict]:
        found = {}
        ids = sorted(run_ids)
        for start in range(0, len(ids), CHUNK):
            quoted = ", ".join(f"'{r}'" for r in ids[start:start + CHUNK])
            for exp_start in range(0, len(experiment_ids), CHUNK):
                token = None
                while True:
                    with mlflow_errors("runs"):
                        runs, token = self._runs_page(experiment_ids[exp_start:exp_start + CHUNK],
                                                      f"attributes.run_id IN ({quoted})", token)
                    found.update((run["info"]["run_id"], run) for run in runs)
                    if not token:
                        break
        return found

    def _runs_page(self, experiment_ids: list[str], filter_string: str, token: str | None):
        """One page of search_runs: (runs in REST shape, next page token or None)."""
        return self.reader.runs(experiment_ids, filter_string, PAGE, token)

    def _logged_models(self, experiment_ids: list[str], model_ids: set[str]) -> dict[str, dict]:
        if not experiment_ids or not model_ids:
            return {}
        found = {}
        ids = sorted(model_ids)
        for start in range(0, len(ids), CHUNK):
            quoted = ", ".join(f"'{m}'" for m in ids[start:start + CHUNK])
            token = None
            while True:
                try:
                    page, token = self.reader.logged_models(experiment_ids, f"model_id IN ({quoted})", CHUNK, token)
                except MlflowException:  # an older server: the per-version path fetches them
                    return found
                found.update((lm["info"]["model_id"], lm) for lm in page)
                if not token:
                    break
        return found


def _model_id(mv: dict) -> str | None:
    return logged_model_id(mv)

