"""`snap verify` (#14 item 5): every snapshot file in a store or given, OK, MODIFIED or DAMAGED.

The store is a real capture of every Churn version (JSON and Parquet) from the suite's MLflow server.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from snapshot.store.layout import list_entries
from tests.support.commands import snap
from tests.support.stores import capture_versions, copy_of

pytestmark = pytest.mark.server
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def captured(registry, mlflow_server, tmp_path_factory):
    return capture_versions(tmp_path_factory.mktemp("verify-store"), mlflow_server, "Churn",
                            registry["churn"]["versions"])


@pytest.fixture
def store(captured, tmp_path):
    return copy_of(captured, tmp_path)


def _all_files(store: Path) -> list[Path]:
    return sorted(p for e in list_entries(store) for p in (e.path, e.path.with_suffix(".parquet")))


def _tamper_and_truncate(store: Path) -> tuple[Path, Path]:
    files = _all_files(store)
    tampered, truncated = files[0], files[-1]
    doc = json.loads(tampered.read_text(encoding="utf-8"))
    doc["model_version"]["description"] = "approved by nobody"
    tampered.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    data = truncated.read_bytes()
    truncated.write_bytes(data[: len(data) // 2])
    return tampered, truncated


def test_a_good_store_verifies(store):
    files = _all_files(store)
    assert len(files) >= 6
    proc = snap("verify", str(store))
    lines = proc.stdout.splitlines()
    assert sorted(line.split()[1] for line in lines[:-1]) == [str(f) for f in files]
    assert all(line.startswith("OK        ") for line in lines[:-1])
    assert lines[-1] == f"{len(files)} snapshot files: {len(files)} ok, 0 modified, 0 damaged"


def test_one_tampered_one_truncated_and_the_rest_good(store):
    tampered, truncated = _tamper_and_truncate(store)
    files = _all_files(store)
    proc = snap("verify", str(store), check=False)
    assert proc.returncode == 1 and proc.stderr == ""
    by_path = {line.split()[1]: line for line in proc.stdout.splitlines()[:-1]}
    assert by_path[str(tampered)].startswith(f"MODIFIED  {tampered}  its content hashes to sha256:")
    assert by_path[str(truncated)].startswith(f"DAMAGED   {truncated}  ")
    assert "capture it again" in by_path[str(truncated)]
    good = [f for f in files if f not in (tampered, truncated)]
    assert all(by_path[str(f)] == f"OK        {f}" for f in good)
    assert proc.stdout.splitlines()[-1] == f"{len(files)} snapshot files: {len(good)} ok, 1 modified, 1 damaged"

    data = json.loads(snap("verify", str(store), "--format", "json", check=False).stdout)
    assert data["summary"] == {"files": len(files), "ok": len(good), "modified": 1, "damaged": 1}
    status = {f["path"]: f["status"] for f in data["files"]}
    assert status[str(tampered)] == "modified" and status[str(truncated)] == "damaged"
    assert {status[str(f)] for f in good} == {"ok"}


def test_files_named_and_the_default_store(store):
    tampered, _ = _tamper_and_truncate(store)
    good = next(f for f in _all_files(store) if f.suffix == ".parquet" and f.parent != tampered.parent)
    assert snap("verify", str(good)).stdout == f"OK        {good}\n1 snapshot file: 1 ok, 0 modified, 0 damaged\n"
    assert snap("verify", str(good), str(tampered), check=False).returncode == 1
    from_env = snap("verify", env={"SNAP_STORE": str(store)}, check=False)
    assert from_env.returncode == 1 and from_env.stdout.splitlines()[-1].endswith("1 modified, 1 damaged")


def test_bad_input(tmp_path):
    missing = snap("verify", str(tmp_path / "nope"), check=False)
    assert (missing.returncode, missing.stderr) == (
        3, f"Error: no snapshot file or store at {tmp_path / 'nope'}; pass a store folder or snapshot files\n")
    empty = snap("verify", str(tmp_path), check=False)
    assert empty.returncode == 3 and empty.stderr.startswith(f"Error: no snapshot files (.json, .parquet) under {tmp_path}")
    bad = snap("verify", str(tmp_path), "--format", "xml", check=False)
    assert (bad.returncode, bad.stderr) == (2, "Error: --format 'xml' is not one of text, json\n")


def test_verify_is_offline(store, tmp_path):
    """mlflow shadowed by a module that raises: verify never imports it."""
    shadow = tmp_path / "no-mlflow" / "mlflow"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('no mlflow here')\n")
    env = {**os.environ, "PYTHONPATH": str(shadow.parent)}
    proc = subprocess.run([sys.executable, "-m", "snap.cli", "verify", str(store)], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_the_index_journal_and_dataset_are_not_snapshots(store):
    files = _all_files(store)
    for junk in (".index/segments/0001.json", ".snap-journal/abc.json", "parquet/params/captured_month=2026-11/p.parquet",
                 "Churn/v2/.snap-1234.tmp.json"):
        (store / junk).parent.mkdir(parents=True, exist_ok=True)
        (store / junk).write_text("not a snapshot", encoding="utf-8")
    proc = snap("verify", str(store))
    assert proc.stdout.splitlines()[-1] == f"{len(files)} snapshot files: {len(files)} ok, 0 modified, 0 damaged"
