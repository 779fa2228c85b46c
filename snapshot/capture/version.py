"""Capture one model version, with everything it is made of, into a snapshot document.

Imports no mlflow: an archive's document is assembled here offline
(snapshot.importer.source). What reads a server or an artifact store is
imported where a source with a connection needs it.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from snapshot import SCHEMA_VERSION, __version__
from snapshot.capture.request import CaptureOptions
from snapshot.capture.shape import pairs, shape_run
from snapshot.errors import CredentialsRefused, ModelNotFound, ModelVersionNotFound
from snapshot.formats.document import logged_model_id, seal
from snapshot.model_files.environment import parse_conda, parse_python_env, parse_requirements
from snapshot.model_files.mlmodel import parse_mlmodel
from snapshot.redact import redact_tree
from snapshot.sources.base import Source
from snapshot.sources.transport import active as active_transport

if TYPE_CHECKING:
    from snapshot.sources.connection import Connection

_PARSERS = {"requirements.txt": ("requirements", parse_requirements),
            "conda.yaml": ("conda", parse_conda),
            "python_env.yaml": ("python_env", parse_python_env)}


# MLflow keeps a prompt's template in its version's tags (mlflow.prompt.text), not in files; its client refuses
# a prompt's download URI, and the version's source is a placeholder ("dummy-source").
PROMPT_HAS_NO_FILES = "a prompt (tag {tag}) has no model files: its template is the version's tags"

# MLflow's SqlAlchemyStore.search_runs (3.x) returns no model inputs; get_run does.
SEARCH_LEAVES_OUT_MODEL_INPUTS = ("a whole-model capture reads runs with search_runs, which leaves out model inputs "
                                  "on MLflow's server; capture models:/NAME/VERSION alone to record them")


__all__ = ["CaptureOptions", "capture_one", "capture_version"]


def capture_one(uri: str, tracking_uri: str | None = None, registry_uri: str | None = None,
                options: CaptureOptions | None = None) -> dict:
    """One snapshot document for a URI naming one version (a version, an alias or latest)."""
    from snapshot.sources.connection import connect, http_settings
    from snapshot.sources.resolve import resolve_versions

    options = options or CaptureOptions()
    with http_settings() as policy:
        policy.limit(options.max_rps, options.max_wait)
        conn = connect(tracking_uri, registry_uri)
        versions = resolve_versions(conn, uri)
        if len(versions) != 1:
            raise ModelVersionNotFound(f"{uri} names {len(versions)} versions; "
                                       "name one: models:/NAME/VERSION or models:/NAME@ALIAS")
        name, version = versions[0]
        return capture_version(conn, name, version, uri, options)


def capture_version(conn: Connection | None, name: str, version: str, requested_uri: str,  # noqa: PLR0913 (public: source and pools are optional)
                    options: CaptureOptions, source: Source | None = None,
                    pools: tuple[ThreadPoolExecutor, ThreadPoolExecutor] | None = None) -> dict:
    """The snapshot document of one version, read from `source` (MLflow's client on `conn` by default).

    A batch hands in a PrefetchedSource answering from its search results
    (snapshot.sources.client), `snap import` an ArchiveSource (conn None);
    capture asks the Source interface the same questions either way
    (snapshot.sources.base).

    `pools`: (section pool, I/O pool) shared by a batch's versions, instead of two
    new pools per version; section tasks wait only on I/O tasks, never the reverse.
    """
    if source is None:
        from snapshot.sources.client import ClientSource

        source = ClientSource(conn)
    policy = active_transport()
    if policy is not None:
        policy.limit(options.max_rps, options.max_wait)
    if pools is not None:
        doc = _Capture(source, name, version, options, pools[0], pools[1]).run()
    else:
        with ThreadPoolExecutor(8, thread_name_prefix="snap-section") as pool, \
                ThreadPoolExecutor(options.workers, thread_name_prefix="snap-io") as io_pool:
            try:
                doc = _Capture(source, name, version, options, pool, io_pool).run()
            except KeyboardInterrupt:  # end the other sections' waits now, not after their retries
                if policy is not None:
                    policy.cancel("the capture was interrupted")
                raise
    doc["manifest"].update(requested_uri=requested_uri)
    return seal(redact_tree(doc), source.captured_at())


class _Capture:
    """The requests for one version, issued as concurrently as their dependencies allow."""

    def __init__(self, source: Source, name, version, options, pool, io_pool):
        self.source, self.conn = source, source.conn
        self.name, self.version, self.options = name, version, options
        self.pool, self.io_pool = pool, io_pool
        self.listings = None
        if self.conn is not None:  # a source without one holds its model files: no artifact store is read
            from snapshot.sources.artifacts import Listings

            self.listings = Listings(io_pool)
        self.not_held = source.unavailable()  # recorded, and never asked for
        self.unavailable: dict[str, str] = dict(self.not_held)

    def run(self) -> dict:
        f_rm = self.pool.submit(self._registered_model)
        f_dl = self.pool.submit(self.source.download_uri, self.name, self.version)
        mv = dict(self.source.model_version(self.name, self.version))
        mv["tags"] = pairs(mv.get("tags"))
        mv["aliases"] = sorted(mv.get("aliases") or [])
        prompt = self.source.is_prompt(mv)
        mv["download_uri"] = _prompt_download_uri(f_dl) if prompt else f_dl.result()
        f_run = self.pool.submit(self._run, self.source.run_id(mv))
        f_lm = self.pool.submit(self._logged_model, mv)
        f_model = self.pool.submit(self._no_model_files if prompt else self._model_files, mv["download_uri"])
        run, experiment = f_run.result()
        f_run_art = self.pool.submit(self._run_artifacts, run)
        f_perm = self.pool.submit(self._permissions, experiment)
        mlmodel, environment, model_tree = f_model.result()
        doc = {
            "schema_version": SCHEMA_VERSION,
            "manifest": self._manifest(),
            "model_version": mv,
            "registered_model": f_rm.result(),
            "run": run,
            "logged_model": f_lm.result(),
            "experiment": experiment,
            "mlmodel": mlmodel,
            "environment": environment,
            "artifacts": {"model": model_tree, "run": f_run_art.result()},
            "permissions": f_perm.result(),
        }
        doc["unavailable"] = dict(sorted(self.unavailable.items()))
        if prompt:  # written only for prompts: a registered model's snapshot stays as it always was
            doc["manifest"]["kind"] = "prompt"
        return doc

    def _manifest(self) -> dict:
        return {
            "snap_version": __version__,
            **self.source.manifest_fields(),
            "model_name": self.name,
            "model_version": self.version,
            "options": {"metric_history": self.options.metric_history, "checksums": self.options.checksums},
        }

    def _registered_model(self) -> dict | None:
        if "registered_model" in self.not_held:
            return None
        rm = dict(self.source.registered_model(self.name))
        rm["tags"] = pairs(rm.get("tags"))
        rm["aliases"] = {a["alias"]: a["version"] for a in sorted(rm.get("aliases") or [], key=lambda a: a["alias"])}
        return rm

    def _run(self, run_id: str | None):
        if "run" in self.not_held:
            return None, None
        if not run_id:
            self.unavailable["run"] = "the model version has no run_id"
            self.unavailable["experiment"] = "the model version has no run"
            return None, None
        try:
            raw = self.source.run(run_id)
        except (ModelNotFound, ModelVersionNotFound):
            self.unavailable["run"] = f"run {run_id} no longer exists on the tracking server"
            self.unavailable["experiment"] = "the model version's run no longer exists"
            return None, None
        run = shape_run(raw, self.source.replies_drop_empty_lists)
        if self.source.run_from_search(run_id) and not run.get("model_inputs") \
                and self.conn.server_kind in ("mlflow", "local"):
            self.unavailable["run.model_inputs"] = SEARCH_LEAVES_OUT_MODEL_INPUTS
        if self.options.metric_history:
            run["metric_history"] = self._metric_history(run_id, sorted(run["metrics"]))
        if "experiment" in self.not_held:
            return run, None
        experiment = dict(self.source.experiment(run["info"].get("experiment_id")))
        experiment["tags"] = pairs(experiment.get("tags"))
        return run, experiment

    def _metric_history(self, run_id: str, keys: list[str]) -> dict:
        def history(key):
            points = self.source.metric_history(run_id, key)
            return sorted(({"step": int(p.get("step", 0)), "timestamp": p.get("timestamp"), "value": p.get("value")}
                           for p in points), key=lambda p: (p["step"], p["timestamp"]))
        return dict(zip(keys, self.io_pool.map(history, keys)))

    def _logged_model(self, mv: dict):
        model_id = logged_model_id(mv)
        if not model_id or "logged_model" in self.not_held:
            return None
        try:
            raw = self.source.logged_model(model_id)
        except ModelNotFound:  # deleted, or an older server without the LoggedModel API (404)
            self.unavailable["logged_model"] = (f"logged model {model_id} is not on the server "
                                                "(deleted, or a server without the LoggedModel API)")
            return None
        except CredentialsRefused as exc:
            self.unavailable["logged_model"] = f"the server refused to show logged model {model_id}: {exc}"
            return None
        info, data = dict(raw.get("info", {})), raw.get("data", {})
        info["tags"] = pairs(info.get("tags"))
        info["params"] = pairs(data.get("params") or info.pop("params", None))
        info["metrics"] = sorted(data.get("metrics") or [], key=lambda m: (m.get("key", ""), m.get("step", 0)))
        return info

    def _no_model_files(self, _uri: str | None):
        from snapshot.sources.resolve import PROMPT_TAG

        for key in ("artifacts.model", "mlmodel", "environment"):
            self.unavailable[key] = PROMPT_HAS_NO_FILES.format(tag=PROMPT_TAG)
        return None, {"requirements": None, "conda": None, "python_env": None}, None

    def _model_files(self, uri: str):
        known = self.source.model_files(uri)
        if known is not None:  # an earlier snapshot's, of the same immutable model source; an archive's own
            return known
        from snapshot.sources.artifacts import METADATA_FILES, add_checksums, list_tree, read_files
        from snapshot.sources.faults import fail_unless_answer

        no_environment = {"requirements": None, "conda": None, "python_env": None}
        try:
            tree = list_tree(uri, self.conn.tracking_uri, self.conn.registry_uri, self.listings)
        except Exception as exc:  # noqa: BLE001 - an answer (absent, forbidden) is recorded; fail_unless_answer raises the rest
            reason = f"the artifact store answered {fail_unless_answer(exc, f'listing {uri}')} to listing {uri}"
            for key in ("artifacts.model", "mlmodel", "environment"):
                self.unavailable[key] = reason
            return None, no_environment, None
        present = [n for n in METADATA_FILES if any(f["path"] == n and not f["is_dir"] for f in tree["files"])]
        try:
            texts = read_files(uri, present, self.conn.tracking_uri, self.conn.registry_uri, self.io_pool)
        except Exception as exc:  # noqa: BLE001 - as above
            answer = fail_unless_answer(exc, f"reading the metadata files under {uri}")
            reason = f"the artifact store answered {answer} to reading the model's metadata files under {uri}"
            texts, self.unavailable["mlmodel"], self.unavailable["environment"] = None, reason, reason
        mlmodel, environment = None, no_environment
        if texts is not None:
            try:
                mlmodel, environment = _parse_model_files(texts)
            except Exception as exc:  # noqa: BLE001 - a malformed file as stored is a fact about the model: record it
                reason = f"the model's metadata files under {uri} are malformed: {_first_line(exc)}"
                self.unavailable["mlmodel"] = self.unavailable["environment"] = reason
        if self.options.checksums:
            add_checksums(tree, uri, self.options.checksum_limit, self.conn.tracking_uri,
                          self.conn.registry_uri, self.io_pool)
        return mlmodel, environment, tree

    def _run_artifacts(self, run):
        if not run or "artifacts.run" in self.not_held:
            return None
        from snapshot.sources.artifacts import list_tree
        from snapshot.sources.faults import fail_unless_answer

        uri = run["info"]["artifact_uri"]
        try:
            return list_tree(uri, self.conn.tracking_uri, self.conn.registry_uri, self.listings)
        except Exception as exc:  # noqa: BLE001 - an answer is recorded; fail_unless_answer raises the rest
            answer = fail_unless_answer(exc, f"listing {uri}")
            self.unavailable["artifacts.run"] = f"the artifact store answered {answer} to listing {uri}"
            return None

    def _permissions(self, experiment):
        section, reason = self.source.permissions(self.name, (experiment or {}).get("experiment_id"))
        if reason:
            self.unavailable["permissions"] = reason
        return section


def _prompt_download_uri(future) -> None:
    """A prompt has none: MLflow's client refuses to give one (as "not found"), a batch derives the placeholder."""
    future.exception()  # waited for, and its refusal dropped
    return None


def _parse_model_files(texts: dict[str, str]) -> tuple[dict | None, dict]:
    mlmodel = None
    if "MLmodel" in texts:
        mlmodel = {"raw": texts["MLmodel"], "parsed": parse_mlmodel(texts["MLmodel"])}
    environment = {key: (parse(texts[file]) if file in texts else None) for file, (key, parse) in _PARSERS.items()}
    return mlmodel, environment


def _first_line(exc: Exception) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:200]
