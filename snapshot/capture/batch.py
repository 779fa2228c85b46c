"""Registry-scale capture: every version of some models, or of the whole registry.

Few requests: registered models, versions, runs and logged models come from search
APIs, a chunk of versions at a time (snapshot.sources.search); per version only the
model's artifact listing and metadata files, and the run's listing, are fetched.
Versions are captured by a bounded pool of workers, written as each is done.
When the server is gone (the transport's circuit breaker, snapshot.sources.transport)
no more versions are launched and the journal is kept: running again resumes.

Store-aware:
- reuse: a logged model's files never change, so when the newest stored
  snapshot of the version (or a snapshot written earlier in this run) has the
  same download URI, its mlmodel, environment and model listing are reused and
  `manifest.reused = {"model_files": "<that snapshot's path>"}` says so;
- dedupe: a version whose content equals its newest stored snapshot's gets no new file;
  compared without `manifest.reused` and `manifest.requested_uri`, which say how a
  snapshot was taken, not what the model was (snapshot.capture.reuse). The stored
  `content_hash` covers the whole document, reuse note included.
- resume: a journal in the store (snapshot.capture.journal) lists finished versions.
"""

from __future__ import annotations

import contextlib
import copy
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path

from snapshot.capture.ahead import Ahead
from snapshot.capture.census import Census
from snapshot.capture.journal import Journal
from snapshot.capture.result import BatchResult, FailedVersion
from snapshot.capture.reuse import model_files_of, newest_snapshot, same_content
from snapshot.capture.version import CaptureOptions, capture_version
from snapshot.errors import SnapError
from snapshot.formats.document import seal
from snapshot.formats.files import load_snapshot
from snapshot.redact import redact_secrets
from snapshot.sources import http_count
from snapshot.sources.client import ClientSource, PrefetchedSource
from snapshot.sources.connection import Connection, http_settings
from snapshot.sources.search import CHUNK, Prefetcher
from snapshot.store.backend import write_refused
from snapshot.store.layout import qualified_name


class BatchCapture:
    """One batch run: plan models, prefetch a chunk at a time, capture with workers, record."""

    def __init__(self, conn: Connection, store: Path, fmt: str, options: CaptureOptions,  # noqa: PLR0913 (built once, by capture_batch, from a CaptureRequest's parts)
                 workers: int, progress, resume: bool, selection: dict):
        self.conn, self.store, self.fmt, self.options = conn, store, fmt, options
        self.workers = workers
        self.progress = progress
        self.prefetcher = Prefetcher(conn, options.prompts)
        self.client_source = ClientSource(conn)  # what the batch's searches did not answer
        if conn.workspace is not None:  # each workspace resumes on its own (the same name may be in several)
            selection = {**selection, "workspace": conn.workspace}
        self.journal = Journal(store, selection, resume)
        self.census = Census({**selection, "prompts": options.prompts})
        self.result = BatchResult(resumed=self.journal.resumed, journal=self.journal.path)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._refusal: SnapError | None = None  # the store refused a write (full disk, read-only): the run stops
        self._run_sources: dict[str, str] = {}  # download URI -> snapshot path written this run
        self._left: dict[str, int] = {}  # versions of each model still running
        self._per_model: dict[str, dict] = {}
        self._permissions: dict[tuple, tuple] = {}  # (model, experiment id) -> (section, reason)
        self._permission_locks: dict[tuple, threading.Lock] = {}

    def run(self, models) -> BatchResult:
        """Capture every version `models` yields (requested_uri, registered model, wanted or None)."""
        with http_settings(self.workers) as policy, http_count.counting() as counter:
            policy.limit(self.options.max_rps, self.options.max_wait)
            self.policy = policy
            try:
                return self._run(list(models), counter)
            finally:
                self.result.throttled, self.result.retried = policy.budget.throttled, policy.retried
                self.result.prompts_left_out = self.prefetcher.prompts_left_out

    def _run(self, models: list, counter: http_count.RequestCount) -> BatchResult:
        started = time.monotonic()
        pool = ThreadPoolExecutor(self.workers, thread_name_prefix="snap-version")
        self._pools = (ThreadPoolExecutor(4 * self.workers, thread_name_prefix="snap-section"),
                       ThreadPoolExecutor(4 * self.workers, thread_name_prefix="snap-io"))
        self._slots = threading.BoundedSemaphore(2 * self.workers)
        self._pending: set = set()
        try:
            planned = 0
            while planned < len(models) and not self._halted():
                self._model(pool, *models[planned])
                planned += 1
            self._drain()
            pool.shutdown(wait=True)
            if self._refusal is not None:  # the store refused a write: no version can be kept, so stop (exit 6)
                raise self._refusal
            if self._halted():  # the circuit breaker: keep the journal, so that running again resumes
                self.journal.flush()
                self.result.stop(self.policy.reason, self._left, [rm["name"] for _, rm, _ in models[planned:]])
            else:
                self.journal.remove()
                self._write_census()
        except BaseException as exc:  # Ctrl-C, or a failure outside any one version: keep what finished
            self.result.interrupted = isinstance(exc, KeyboardInterrupt)
            self._stop.set()
            self.policy.cancel("the capture was interrupted")  # retry waits end now, not after Retry-After
            pool.shutdown(wait=True, cancel_futures=True)
            with contextlib.suppress(*((OSError, SnapError) if self._refusal else ())):
                self.journal.flush()  # where the store refused writes, the journal cannot be written either
            if not self.result.interrupted:
                raise
        finally:
            for shared in self._pools:
                shared.shutdown(wait=False)
            self.result.requests = counter.requests
            self.result.seconds = time.monotonic() - started
        return self.result

    def _write_census(self) -> None:
        """Every planned version was attempted: record which the registry listed (snapshot.capture.census)."""
        if self.census.models:
            self.census.write(self.store, self.result, lambda name: qualified_name(name, self.conn.workspace))

    def _halted(self) -> bool:
        """True once the server is gone (the transport's circuit breaker) or the batch was stopped."""
        if self.policy.gone:
            self._stop.set()
        return self._stop.is_set()

    def _drain(self) -> None:
        while self._pending:  # short waits keep Ctrl-C responsive
            done, _ = wait(list(self._pending), timeout=0.5)
            self._pending -= done

    def _model(self, pool, requested_uri: str, rm: dict, wanted) -> None:
        name = rm["name"]
        self.result.models += 1
        try:
            mvs = self.prefetcher.versions(rm)
        except SnapError as exc:
            self._failed(name, "*", str(exc))
            self.progress.model_done(name, {"failed": 1})
            return
        mvs = self._wanted(name, mvs, wanted)
        if wanted is None:
            self.census.listed(qualified_name(name, self.conn.workspace), [str(mv["version"]) for mv in mvs])
        todo = [mv for mv in mvs if not self.journal.is_done(name, str(mv["version"]))]
        with self._lock:
            self._left[name] = len(todo)
            self._per_model[name] = {}
        self.progress.add_versions(len(todo))
        if not todo:
            self.progress.model_done(name, {"already done": len(mvs)})
        parts = [todo[start:start + CHUNK] for start in range(0, len(todo), CHUNK)]
        # The next chunk's search requests run while this chunk's versions are submitted
        # (submitting waits for free slots), so the server is never left idle between chunks.
        upcoming = Ahead(self._prefetch, rm, parts[0]) if parts else None
        for index in range(len(parts)):
            chunk = upcoming.result()
            upcoming = Ahead(self._prefetch, rm, parts[index + 1]) if index + 1 < len(parts) else None
            for pre in chunk:
                self._submit(pool, requested_uri, pre)

    def _prefetch(self, rm: dict, mvs: list[dict]) -> list[dict]:
        if self._stop.is_set():
            return []
        try:
            return self.prefetcher.chunk(rm, mvs)
        except SnapError as exc:  # capture these versions one request at a time instead
            self.progress.note(redact_secrets(f"{rm['name']}: batch reads failed ({exc}); fetching per version"))
            return [{"model_version": mv, "registered_model": rm} for mv in mvs]

    def _wanted(self, name: str, mvs: list[dict], wanted) -> list[dict]:
        if wanted is None:
            return mvs
        have = {str(mv["version"]) for mv in mvs}
        for version in sorted(set(wanted) - have):
            self._failed(name, version, f"model version {name}/{version} does not exist on the server")
        return [mv for mv in mvs if str(mv["version"]) in wanted]

    def _submit(self, pool, requested_uri: str, pre: dict) -> None:
        while not self._slots.acquire(timeout=0.5):
            pass
        if self._halted():  # launch nothing more once the server is gone
            self._slots.release()
            return
        future = pool.submit(self._version, requested_uri, pre)
        future.add_done_callback(lambda _: self._slots.release())
        self._pending = {f for f in self._pending if not f.done()}
        self._pending.add(future)

    def _version(self, requested_uri: str, pre: dict) -> None:
        mv = pre["model_version"]
        name, version = mv["name"], str(mv["version"])
        if self._halted():
            return
        try:
            status = self._capture(requested_uri, name, version, pre)
        except Exception as exc:  # noqa: BLE001 - one bad version must not stop the others
            if self._refused(exc):
                return
            first_line = str(exc).splitlines()[0][:300] if str(exc) else ""
            reason = str(exc) if isinstance(exc, SnapError) else f"{type(exc).__name__}: {first_line}"
            status = self._failed(name, version, reason)
        self._finish(name, version, status)

    def _refused(self, exc: Exception) -> bool:
        """Whether the store's filesystem refused a write (full, over quota, read-only): then the whole run stops."""
        refusal = write_refused(self.store, exc)
        if refusal is None:
            return False
        with self._lock:
            self._refusal = self._refusal or refusal
        self._stop.set()
        return True

    def _capture(self, requested_uri: str, name: str, version: str, pre: dict) -> str:
        earlier_path = newest_snapshot(self.store, qualified_name(name, self.conn.workspace), version)
        earlier = load_snapshot(earlier_path) if earlier_path else None
        if "download_uri" not in pre:
            pre["download_uri"] = self.client_source.download_uri(name, version)
        reused_from = self._reuse(pre, earlier, earlier_path)
        self._add_permissions(name, pre)
        if not self.prefetcher.trust_search:
            pre.pop("model_version", None)
            pre.pop("registered_model", None)
        doc = capture_version(self.conn, name, version, requested_uri, self.options,
                              PrefetchedSource(self.client_source, pre), self._pools)
        if earlier is not None and same_content(earlier, doc):
            self._remember(pre["download_uri"], doc, earlier_path)
            return "unchanged"
        if reused_from:
            doc["manifest"]["reused"] = {"model_files": reused_from}
            seal(doc, doc["manifest"]["captured_at"])
        from snapshot.store.layout import write_to_store

        paths = write_to_store(doc, self.store, self.fmt)
        self._remember(pre["download_uri"], doc, paths[0])
        return "captured"

    def _reuse(self, pre: dict, earlier: dict | None, earlier_path: Path | None) -> str | None:
        """Put reusable model files into `pre`; the path of the snapshot they came from."""
        uri = pre["download_uri"]
        files = model_files_of(earlier, uri, self.options) if earlier is not None else None
        source = str(earlier_path) if files else None
        if files is None:
            with self._lock:
                source = self._run_sources.get(uri)
            files = model_files_of(load_snapshot(source), uri, self.options) if source else None
        if files is None:
            return None
        pre["model_files"] = files
        with self._lock:
            self.result.reused += 1
        return source

    def _add_permissions(self, name: str, pre: dict) -> None:
        """One permission lookup per model and experiment, not per version."""
        if "run" not in pre:
            return
        key = (name, pre["run"]["info"]["experiment_id"])
        with self._lock:
            lock = self._permission_locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._permissions:
                self._permissions[key] = self.client_source.permissions(name, key[1])
        pre["permissions"] = copy.deepcopy(self._permissions[key])

    def _remember(self, download_uri: str, doc: dict, path: Path) -> None:
        if model_files_of(doc, download_uri, self.options) is not None:
            with self._lock:
                self._run_sources.setdefault(download_uri, str(path))

    def _failed(self, name: str, version: str, reason: str) -> str:
        reason = redact_secrets(reason)  # errors quote URLs, credentials included
        with self._lock:
            self.result.failed.append(FailedVersion(name, version, reason))
        self.progress.failure(name, version, reason)
        return "failed"

    def _finish(self, name: str, version: str, status: str) -> None:
        with self._lock:
            if status == "captured":
                self.result.captured += 1
            elif status == "unchanged":
                self.result.unchanged += 1
            counts = self._per_model[name]
            counts[status] = counts.get(status, 0) + 1
            self._left[name] -= 1
            model_finished = self._left[name] == 0
        if status != "failed":
            self.journal.mark_done(name, version)
        self.progress.version_done(status)
        if model_finished:
            self.progress.model_done(name, counts)
