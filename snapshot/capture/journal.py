"""A small progress journal in the store, so an interrupted batch capture can resume.

    STORE/.snap-journal/<key>.json   {"selection": ..., "started_at": ..., "done": {model: [versions]}}

`key` is a hash of what was asked for (tracking and registry URI, URIs or --all
and --filter, format, options), so only the same command resumes. The file is
rewritten atomically (temporary file, then rename) at most every
`FLUSH_SECONDS`, and on exit; a version finished after the last flush of a run
killed outright is captured again, and dedupe then writes nothing for it. The
journal is removed when a run attempts every version, even if some failed: the
next run starts afresh (tomorrow's nightly capture must not skip today's work).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
import time

from snapshot.errors import SnapError
from snapshot.formats.document import utc_now
from snapshot.store.backend import open_store

FLUSH_SECONDS = 2.0
DIRNAME = ".snap-journal"


class Journal:
    def __init__(self, store, selection: dict, resume: bool = True):
        key = hashlib.sha256(json.dumps(selection, sort_keys=True).encode("utf-8")).hexdigest()[:16]
        self.store = open_store(store)
        self.rel = f"{DIRNAME}/{key}.json"
        self.path = self.store.file(self.rel)  # shown to the user: a Path, or a URL on object storage
        self.selection = selection
        self._lock = threading.Lock()
        self._last_flush = 0.0
        self.started_at = utc_now()
        self.done: dict[str, set[str]] = {}
        if resume:
            self._load()

    def _load(self) -> None:
        try:
            data = json.loads(self.store.read(self.rel).decode("utf-8"))
        except (OSError, ValueError, SnapError):
            return
        if data.get("selection") != self.selection:
            return
        self.started_at = data.get("started_at", self.started_at)
        self.done = {name: set(versions) for name, versions in (data.get("done") or {}).items()}

    @property
    def resumed(self) -> int:
        """How many versions an earlier, interrupted run already finished."""
        return sum(len(v) for v in self.done.values())

    def is_done(self, name: str, version: str) -> bool:
        with self._lock:
            return version in self.done.get(name, ())

    def mark_done(self, name: str, version: str) -> None:
        with self._lock:
            self.done.setdefault(name, set()).add(version)
            due = time.monotonic() - self._last_flush >= FLUSH_SECONDS
        if due:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            body = {"selection": self.selection, "started_at": self.started_at,
                    "done": {name: sorted(v) for name, v in sorted(self.done.items())}}
            self._last_flush = time.monotonic()
            self.store.write(self.rel, (json.dumps(body, indent=1, sort_keys=True) + "\n").encode("utf-8"))

    def remove(self) -> None:
        self.store.remove([self.rel])
        if self.store.local:
            with contextlib.suppress(OSError):  # other journals remain
                self.path.parent.rmdir()
