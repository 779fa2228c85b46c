"""`snap demo`: a local MLflow registry (SQLite, no server), three versions of a
churn model, captured into a store, then diffed."""

from __future__ import annotations

import os
import shutil
import warnings
from collections.abc import Callable
from pathlib import Path

from snapshot.sources.demo_registry import MODEL, build_registry

MARKER = ".snap-demo"


def _prepare(workdir: Path) -> None:
    from snapshot.errors import BadOption

    if workdir.exists() and any(workdir.iterdir()):
        if not (workdir / MARKER).exists():
            raise BadOption(f"{workdir} exists and is not a snap demo folder; pass --dir with a new folder")
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / MARKER).write_text("made by snap demo; safe to delete\n")


def run_demo(workdir: Path, say: Callable[[str], None]) -> None:
    warnings.filterwarnings("ignore")
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")  # read when mlflow is first imported
    os.environ.setdefault("GIT_PYTHON_REFRESH", "quiet")
    workdir = workdir.resolve()
    _prepare(workdir)
    tracking_uri = f"sqlite:///{workdir / 'mlflow.db'}"
    os.environ["MLFLOW_TRACKING_URI"] = tracking_uri
    os.chdir(workdir)  # MLflow's default artifact root (./mlruns) lands inside the demo folder
    say(f"Building a local MLflow registry at {tracking_uri} ...")
    versions = build_registry(tracking_uri)
    say(f"Logged {MODEL} versions {', '.join(versions)}.")

    from snapshot.capture.files import capture_to_files
    from snapshot.capture.request import CaptureRequest

    store = workdir / "snapshots"
    for line in capture_to_files(CaptureRequest(uris=(f"models:/{MODEL}",), tracking_uri=tracking_uri, store=store)):
        say(line)
    say(f"Snapshots are in {store} (browse by model and version; `snap list --store {store}`).")
    _show_diff(store, versions[1], versions[2], say)


def _show_diff(store: Path, left: str, right: str, say: Callable[[str], None]) -> None:
    from diff.changes import make_options
    from diff.engine import diff_snapshots
    from diff.render.as_text import render_text
    from snapshot.formats.files import load_snapshot
    from snapshot.store.layout import resolve_ref

    say(f"\nWhat changed from v{left} to v{right} (snap diff v{left} v{right} --store {store}):\n")
    docs = [load_snapshot(resolve_ref(store, f"{MODEL}/{v}")) for v in (left, right)]
    from snap.app import emit  # as `snap diff` prints it: identifiers whole, nothing cropped

    emit(render_text(diff_snapshots(docs[0], docs[1], make_options(None, None, False, None))), None)
