"""A bounded kill -9 loop (#12): `snap capture --all` killed at varied moments, then run to completion.

Six SIGKILLs, each after a different delay (from before mlflow has loaded to mid-write),
against the real server the suite starts; then one run to the end. The store must hold
every snapshot whole (its content hash verifies, as `snap verify` checks), JSON and
Parquet twins equal, no `.snap-*.tmp` left, and each version exactly once, as a clean
capture has it. Bounded: the kills take under a minute in all.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from snap.cli import app
from snapshot.formats.files import load_snapshot
from tests.support.populate import populate_model

pytestmark = pytest.mark.server
PREFIX = "KillLoop"
DELAYS_S = (0.8, 1.6, 2.4, 3.2, 4.5, 6.0)


@pytest.fixture(scope="module")
def kill_registry(mlflow_server):
    for n in range(2):
        populate_model(mlflow_server, f"{PREFIX}{n}", 5, params=3, metrics=3, tags=3, workers=3)
    return mlflow_server


def _args(server: str, store: Path) -> list[str]:
    return ["capture", "--all", "--filter", f"name LIKE '{PREFIX}%'", "--tracking-uri", server, "--store", str(store),
            "--format", "both", "-q"]  # twins: a kill between them is repaired by the next run


def _snapshots(store: Path, ext: str) -> list[Path]:
    return sorted(p for p in store.rglob(f"*.{ext}") if not any(part.startswith(".") or part == "parquet"
                                                                 for part in p.relative_to(store).parts))


def _versions(store: Path) -> dict[str, int]:
    """Snapshot count per version folder (model/vN)."""
    counts: dict[str, int] = {}
    for path in _snapshots(store, "json"):
        key = str(path.parent.relative_to(store))
        counts[key] = counts.get(key, 0) + 1
    return counts


def test_kill_9_at_varied_moments_then_a_complete_run_leaves_a_whole_store(kill_registry, tmp_path):
    store, clean = tmp_path / "store", tmp_path / "clean"
    started = time.monotonic()
    for delay in DELAYS_S:
        proc = subprocess.Popen([sys.executable, "-m", "snap.cli", *_args(kill_registry, store)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert time.monotonic() - started < 60
    runner = CliRunner()
    final = runner.invoke(app, _args(kill_registry, store), catch_exceptions=False)
    assert final.exit_code == 0, final.output
    assert runner.invoke(app, _args(kill_registry, clean), catch_exceptions=False).exit_code == 0

    verify = runner.invoke(app, ["verify", str(store)], catch_exceptions=False)
    assert verify.exit_code == 0, verify.output  # every snapshot parses and its content hash verifies
    for json_path in _snapshots(store, "json"):
        twin = json_path.with_suffix(".parquet")
        assert twin.exists(), f"{json_path} has no Parquet twin"
        assert load_snapshot(twin) == load_snapshot(json_path)
    assert [p for p in store.rglob(".snap-*.tmp")] == []
    assert _versions(store) == _versions(clean)
    assert set(_versions(store).values()) == {1}
