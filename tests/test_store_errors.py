"""A full disk and a read-only store (#10, Errors): every command that writes a store fails with one line on
stderr and exit 6 (README, Exit codes), no traceback, and leaves the store as it was: no file added, changed
or half-written, no empty folder, the index and the dataset byte for byte.

The faults are real: a tmpfs of a few MB filled to its last byte (ENOSPC), a read-only bind mount (EROFS,
which root cannot write through either), and RLIMIT_FSIZE in the snap process (EFBIG, no root needed).
Mounting needs root; those tests are skipped with the reason where it is not permitted. The snapshots come
from the real MLflow server of tests/conftest.py.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.support.commands import snap
from tests.support.stores import capture_versions, fill, full_disk, read_only, snap_with_file_limit, tree_state

EXIT_WRITE = 6  # README, Exit codes: the store or output file cannot be written

REPORT = {  # a minimal mlflow-reports report.json, for snap import
    "manifest": {"model_uri": "models:/Imported/2", "source": "databricks://prof", "mlflow_version": "2.5.0",
                 "timestamp": "2023-07-31 21:06:27"},
    "mlflow_model": {"artifact_path": "model", "run_id": "r1", "flavors": {"python_function": {}}},
    "registered_model": {"name": "Imported", "tags": {}},
    "model_version": {"name": "Imported", "version": "2", "tags": {}},
    "run": {"info": {"run_id": "r1", "experiment_id": 1, "start_time": 1, "end_time": 2},
            "data": {"params": [{"key": "alpha", "value": 0.5}], "metrics": [], "tags": {}}, "inputs": {}},
    "experiment": {"experiment_id": 1, "name": "/Users/a", "tags": {}},
}


@pytest.fixture(scope="module")
def seeded(mlflow_server, registry, tmp_path_factory) -> Path:
    """A store holding Churn v1 and Echo v1, captured in two runs (two dataset parts a partition to compact)."""
    store = tmp_path_factory.mktemp("seeded") / "store"
    capture_versions(store, mlflow_server, registry["churn"]["name"], ["1"])
    capture_versions(store, mlflow_server, registry["echo"]["name"], ["1"])
    return store


def _commands(uri: str, store: Path, report: Path) -> dict[str, list[str]]:
    s = str(store)
    return {"capture one": ["capture", "models:/Churn/2", "--tracking-uri", uri, "--store", s],
            "capture all": ["capture", "--all", "--tracking-uri", uri, "--store", s],
            "import": ["import", str(report), "--store", s],
            "reindex": ["reindex", "--store", s],
            "compact": ["compact", "--store", s]}


# A batch stops at the first write the store refuses (exit 6), rather than failing each version (exit 7).
COMMANDS = ["capture one", "capture all", "import", "reindex", "compact"]


@pytest.fixture
def report(tmp_path) -> Path:
    path = tmp_path / "report.json"  # outside the store: only the store's disk is full
    path.write_text(json.dumps(REPORT), encoding="utf-8")
    return path


def assert_refused(proc, store: Path, before: dict, problem: str, fix: str) -> None:
    """What a user checks after the failure: the exit code, one line naming the problem and the fix, the store."""
    assert proc.returncode == EXIT_WRITE, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("Error: ") and problem in lines[0] and fix in lines[0], lines[0]
    assert tree_state(store) == before  # nothing added or half-written, no empty folder, index and dataset whole


@pytest.mark.parametrize("command", COMMANDS)
def test_a_full_disk_fails_the_command_and_leaves_the_store_as_it_was(command, seeded, mlflow_server, report,
                                                                      tmp_path):
    with full_disk(tmp_path / "disk") as disk:
        store = disk / "store"
        shutil.copytree(seeded, store)
        fill(disk)
        before = tree_state(store)
        proc = snap(*_commands(mlflow_server, store, report)[command], check=False)
        assert_refused(proc, store, before, "No space left on device", "free some space")


def test_reindex_of_a_store_without_index_on_a_full_disk_leaves_no_empty_folder(seeded, tmp_path):
    with full_disk(tmp_path / "disk") as disk:
        store = disk / "store"
        shutil.copytree(seeded, store)
        shutil.rmtree(store / ".index")  # a missing index is rebuilt by reindex: here it cannot be written
        fill(disk)
        before = tree_state(store)
        proc = snap("reindex", "--store", str(store), check=False)
        assert_refused(proc, store, before, "No space left on device", "free some space")
        assert not (store / ".index").exists()


@pytest.mark.parametrize("command", COMMANDS)
def test_a_read_only_store_fails_the_command_and_is_left_as_it_was(command, seeded, mlflow_server, report,
                                                                   tmp_path):
    source = tmp_path / "store"
    shutil.copytree(seeded, source)
    with read_only(source, tmp_path / "ro") as store:
        before = tree_state(store)
        proc = snap(*_commands(mlflow_server, store, report)[command], check=False)
        assert_refused(proc, store, before, "Read-only file system", "read-write")


@pytest.mark.parametrize("command", ["import", "reindex", "compact"])
def test_a_file_size_limit_fails_the_command_and_leaves_the_store_as_it_was(command, seeded, mlflow_server,
                                                                            report, tmp_path):
    """No root needed: RLIMIT_FSIZE is a limit the kernel enforces on every write of the snap process. Not for
    capture: the limit also stops the MLflow client's downloads into the temporary folder, before the store."""
    store = tmp_path / "store"
    shutil.copytree(seeded, store)
    before = tree_state(store)
    proc = snap_with_file_limit(256, *_commands(mlflow_server, store, report)[command])
    assert_refused(proc, store, before, "File too large", "raise the limit")
