"""One model's history at a time, on every core when there is much to do.

`snap changes` over a night in which 1,000 versions changed opens 2,000
snapshots (each parsed, hash-checked and structure-checked) and diffs 1,000
pairs; each model's events depend on that model's snapshots only. With many
models in the window, the work is split over forked workers: they inherit the
store's view (its 100,000 index rows) for free and send back only events. Small
windows, object-storage stores (their clients keep threads, which a fork does not
carry over) and systems without fork run in this process.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable

MIN_MODELS = 100  # below this, starting workers costs more than it saves
MAX_WORKERS = 4

_JOB: tuple | None = None  # (function, view), set in the parent just before forking


def map_models(fn: Callable, view, models: list[str], workers: int | None = None) -> list:
    """`[fn(view, m) for m in models]`, in that order, in `workers` processes (default: the cores, when worth it)."""
    if workers is None:
        workers = min(os.cpu_count() or 1, MAX_WORKERS) if len(models) >= MIN_MODELS else 1
    if workers < 2 or not view.root.local or "fork" not in multiprocessing.get_all_start_methods():
        return [fn(view, m) for m in models]
    global _JOB
    _JOB = (fn, view)
    try:
        with multiprocessing.get_context("fork").Pool(workers, initializer=_quiet) as pool:
            return pool.map(_one, models, chunksize=max(1, len(models) // (workers * 8)))
    finally:
        _JOB = None


def _one(model: str):
    fn, view = _JOB
    return fn(view, model)


def _quiet() -> None:
    """A worker leaves Ctrl-C and SIGTERM to the parent, which ends the pool (snap/cli.py's handler is not for it)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
