"""Batch capture (#5): whole models and --all, against the real MLflow server the suite starts.

The models here are logged by MLflow's own client (tests/support/populate.py); nothing is mocked.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from snap.cli import app
from snapshot.capture.files import capture_batch
from snapshot.capture.journal import DIRNAME
from snapshot.capture.progress import PlainProgress
from snapshot.capture.request import CaptureRequest
from snapshot.capture.reuse import dedupe_key
from snapshot.capture.version import SEARCH_LEAVES_OUT_MODEL_INPUTS, CaptureOptions, capture_version
from snapshot.errors import EXIT_PARTIAL
from snapshot.formats.document import content_hash
from snapshot.formats.files import load_snapshot
from snapshot.sources.connection import connect
from snapshot.store.layout import list_entries
from tests.support.populate import populate_model

pytestmark = pytest.mark.server
SIZES = {"params": 4, "metrics": 4, "tags": 4, "workers": 4}


@pytest.fixture(scope="module")
def batch_registry(mlflow_server):
    """BatchA (5 versions + a 6th registered from v1's logged model), BatchB (2), Other (1)."""
    from mlflow import MlflowClient

    a = populate_model(mlflow_server, "BatchA", 5, **SIZES)
    client = MlflowClient(mlflow_server, registry_uri=mlflow_server)
    v1 = client.get_model_version("BatchA", a["versions"][0])
    model_id = v1.source.split("/")[-1]
    shared = client.create_model_version("BatchA", v1.source, run_id=v1.run_id, model_id=model_id)
    client.set_model_version_tag("BatchA", shared.version, "note", "same logged model as v1")
    b = populate_model(mlflow_server, "BatchB", 2, **SIZES)
    other = populate_model(mlflow_server, "Other", 1, **SIZES)
    return {"uri": mlflow_server, "BatchA": a["versions"] + [str(shared.version)], "BatchB": b["versions"],
            "Other": other["versions"], "shared": (a["versions"][0], str(shared.version))}


def run_cli(*args):
    return CliRunner().invoke(app, ["capture", *args], catch_exceptions=False)


def stored(store: Path) -> dict:
    """{(model, version): [file stems]} of a store."""
    out: dict = {}
    for entry in list_entries(store):
        out.setdefault((entry.model, entry.version), []).append(entry.stem)
    return out


def files(store: Path) -> set:
    """The store's files, without the censuses each batch run adds (snapshot/capture/census.py)."""
    return {p.relative_to(store) for p in store.rglob("*") if p.is_file() and p.parent.name != ".snap-census"}


def censuses(store: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((store / ".snap-census").glob("*.json"))]


class Interrupting(PlainProgress):
    """Stands for Ctrl-C: raises KeyboardInterrupt in the main thread when the second model is planned."""

    def __init__(self):
        super().__init__(lambda line: None)
        self.models = 0

    def add_versions(self, n):
        self.models += 1
        if self.models == 2:
            raise KeyboardInterrupt


def test_whole_model_capture_writes_every_version(batch_registry, tmp_path):
    result = run_cli("models:/BatchA", "--tracking-uri", batch_registry["uri"], "--store", str(tmp_path))
    assert result.exit_code == 0, result.output
    want = {("BatchA", v) for v in batch_registry["BatchA"]}
    assert set(stored(tmp_path)) == want
    assert all(len(stems) == 1 for stems in stored(tmp_path).values())
    assert f"{len(want)} captured, 0 unchanged, 0 failed" in result.output
    assert not [p for p in tmp_path.rglob("*") if p.name.startswith(".snap") and p.name != ".snap-census"]  # no temp files, no journal left
    # the run's roll call: every version the registry listed, so a later run can tell a deleted one
    assert [(c["models"], c["failed"], c["selection"]["all"]) for c in censuses(tmp_path)] == \
        [({"BatchA": sorted(v for _, v in want)}, {}, False)]
    assert not list(tmp_path.glob("BatchA/v*/*.parquet"))  # JSON only: no twins unless --format asks
    # and the analysts' dataset beside the snapshots: one part per table for this one run
    assert {p.parent.parent.name for p in (tmp_path / "parquet").rglob("*.parquet")} == \
        {"snapshots", "values", "requirements", "metrics", "params", "tags", "aliases", "signature"}


def test_batch_snapshot_equals_single_version_snapshot(batch_registry, tmp_path):
    run_cli("models:/BatchA", "--tracking-uri", batch_registry["uri"], "--store", str(tmp_path), "--format", "json")
    conn = connect(batch_registry["uri"])
    first, shared = batch_registry["shared"]
    for entry in list_entries(tmp_path):
        batch_doc = load_snapshot(entry.path)
        single = capture_version(conn, "BatchA", entry.version, "models:/BatchA", CaptureOptions())
        # search_runs leaves out model inputs on MLflow's server; the batch snapshot says so
        assert batch_doc["unavailable"].pop("run.model_inputs") == SEARCH_LEAVES_OUT_MODEL_INPUTS
        if "reused" in batch_doc["manifest"]:  # the second version of one logged model, within the run
            assert entry.version == shared
            assert dedupe_key(batch_doc) == dedupe_key(single)
            continue
        for doc in (batch_doc, single):
            doc["manifest"].pop("captured_at")
        assert content_hash(batch_doc) == single["manifest"].pop("content_hash")
        batch_doc["manifest"].pop("content_hash")
        assert batch_doc == single
    assert any(e.version == first for e in list_entries(tmp_path))


def test_model_inputs_a_batch_cannot_see_are_marked_not_captured(batch_registry, tmp_path):
    """A run that used a logged model as input: get_run shows it, search_runs does not."""
    from mlflow import MlflowClient
    from mlflow.entities import LoggedModelInput

    client = MlflowClient(batch_registry["uri"], registry_uri=batch_registry["uri"])
    used = client.get_model_version("BatchA", batch_registry["BatchA"][0]).source.split("/")[-1]  # m-…
    version = populate_model(batch_registry["uri"], "WithInputs", 1, **SIZES)["versions"][0]
    client.log_inputs(client.get_model_version("WithInputs", version).run_id, models=[LoggedModelInput(used)])

    assert run_cli("models:/WithInputs", "--tracking-uri", batch_registry["uri"], "--store", str(tmp_path),
                   "--format", "json").exit_code == 0
    batch_doc = load_snapshot(list_entries(tmp_path)[0].path)
    single = capture_version(connect(batch_registry["uri"]), "WithInputs", version, "models:/WithInputs/1",
                             CaptureOptions())
    assert [m["model_id"] for m in single["run"]["model_inputs"]] == [used]
    assert "run.model_inputs" not in single["unavailable"]
    assert batch_doc["run"]["model_inputs"] == []
    assert batch_doc["unavailable"]["run.model_inputs"] == SEARCH_LEAVES_OUT_MODEL_INPUTS


def test_all_with_filter_captures_only_matching_models(batch_registry, tmp_path):
    result = run_cli("--all", "--filter", "name LIKE 'Batch%'", "--tracking-uri", batch_registry["uri"],
                     "--store", str(tmp_path), "--workers", "3")
    assert result.exit_code == 0, result.output
    models = {model for model, _ in stored(tmp_path)}
    assert models == {"BatchA", "BatchB"}
    assert len(stored(tmp_path)) == len(batch_registry["BatchA"]) + len(batch_registry["BatchB"])


def test_second_run_is_deduped_and_reuses_model_files(batch_registry, tmp_path):
    uri, n = batch_registry["uri"], len(batch_registry["BatchA"])
    request = CaptureRequest(("models:/BatchA",), tracking_uri=uri, store=tmp_path, fmt="both", workers=4)
    first = capture_batch(request, PlainProgress(lambda line: None))
    before = files(tmp_path)
    second = capture_batch(request, PlainProgress(lambda line: None))
    assert (first.captured, second.captured, second.unchanged, second.failed) == (n, 0, n, [])
    assert files(tmp_path) == before
    assert len(censuses(tmp_path)) == 2  # each run's roll call, the only file the second run writes
    assert second.reused == n  # no MLmodel or environment download
    assert second.requests <= 2 * n + 10  # per version only the run's artifact listing remains
    assert second.requests < first.requests / 2


def test_changed_version_gets_new_snapshot_with_reused_model_files(batch_registry, tmp_path):
    from mlflow import MlflowClient

    uri = batch_registry["uri"]
    version = batch_registry["BatchB"][0]
    request = CaptureRequest(("models:/BatchB",), tracking_uri=uri, store=tmp_path, fmt="json", workers=2)
    capture_batch(request, PlainProgress(lambda line: None))
    earlier = list_entries(tmp_path)[0].path
    MlflowClient(uri, registry_uri=uri).set_model_version_tag("BatchB", version, "reviewed", "yes")
    result = capture_batch(request, PlainProgress(lambda line: None))
    assert (result.captured, result.unchanged) == (1, 1)
    newest = [e for e in list_entries(tmp_path) if e.version == version][-1]
    doc = load_snapshot(newest.path)
    assert doc["model_version"]["tags"]["reviewed"] == "yes"
    assert doc["manifest"]["reused"] == {"model_files": str(earlier)}
    single = capture_version(connect(uri), "BatchB", version, "models:/BatchB", CaptureOptions())
    assert doc["unavailable"].pop("run.model_inputs") == SEARCH_LEAVES_OUT_MODEL_INPUTS
    assert dedupe_key(doc) == dedupe_key(single)


def test_interrupted_all_resumes_without_redoing_finished_versions(batch_registry, tmp_path):
    request = CaptureRequest((), True, "name LIKE 'Batch%'", batch_registry["uri"], None, tmp_path,
                             fmt="json", workers=1)
    stopped = capture_batch(request, Interrupting())
    assert stopped.interrupted
    assert stopped.journal.is_file() and stopped.journal.parent.name == DIRNAME
    done_first = stored(tmp_path)
    assert 0 < len(done_first) < len(batch_registry["BatchA"]) + len(batch_registry["BatchB"])
    resumed = capture_batch(request, PlainProgress(lambda line: None))
    total = len(batch_registry["BatchA"]) + len(batch_registry["BatchB"])
    assert not resumed.interrupted and resumed.failed == []
    assert resumed.resumed == len(done_first)
    assert resumed.captured + resumed.resumed + resumed.unchanged == total
    assert resumed.captured >= total - len(done_first) - 1
    assert all(len(stems) == 1 for stems in stored(tmp_path).values())  # nothing captured twice
    assert len(stored(tmp_path)) == total
    assert not stopped.journal.exists()


def test_failed_versions_are_reported_and_the_others_captured(batch_registry, tmp_path):
    a1, b = batch_registry["BatchA"][0], batch_registry["BatchB"]
    blocked = tmp_path / "BatchB" / f"v{b[1]}"
    blocked.parent.mkdir(parents=True)
    blocked.write_text("a file where the version's folder should be\n")
    result = run_cli("models:/BatchB", f"models:/BatchA/{a1}", "models:/BatchA/999", "--tracking-uri",
                     batch_registry["uri"], "--store", str(tmp_path))
    assert result.exit_code == EXIT_PARTIAL, result.output
    assert set(stored(tmp_path)) == {("BatchA", a1), ("BatchB", b[0])}
    assert "failed: BatchA v999: model version BatchA/999 does not exist" in result.output
    assert f"failed: BatchB v{b[1]}:" in result.output
    assert "2 captured, 0 unchanged, 2 failed" in result.output
    assert not [p for p in tmp_path.rglob(".snap-*") if p.name != ".snap-census"]
    # BatchB was read whole: its listed versions include the one that failed, which is not taken for deleted
    assert [(c["models"], c["failed"]) for c in censuses(tmp_path)] == \
        [({"BatchB": sorted(b, key=int)}, {"BatchA": ["999"], "BatchB": [b[1]]})]


@pytest.mark.parametrize("failing", ["run listing", "model file"])
def test_a_server_error_fails_the_version_rather_than_marking_parts_unavailable(batch_registry, tmp_path,
                                                                              monkeypatch, failing):
    """HTTP 503 after MLflow's retries, from a failing gateway in front of the real server.

    The version is reported failed and left for the next run; no snapshot claims its
    files were unavailable, which a later diff would show as files that vanished.
    """
    from mlflow import MlflowClient

    from tests.support.servers import delaying_proxy

    good, bad = batch_registry["BatchB"]
    mv = MlflowClient(batch_registry["uri"], registry_uri=batch_registry["uri"]).get_model_version("BatchB", bad)
    needle = mv.run_id if failing == "run listing" else mv.source.split("/")[-1] + "%2Fartifacts%2FMLmodel"

    def fail(method, path):
        return 503 if "mlflow-artifacts/artifacts" in path and needle in path.replace("/", "%2F") else None

    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "0")
    with delaying_proxy(batch_registry["uri"], 0, fail=fail) as uri:
        result = run_cli("models:/BatchB", "--tracking-uri", uri, "--store", str(tmp_path))
        single = run_cli(f"models:/BatchB/{bad}", "--tracking-uri", uri, "-o", str(tmp_path / "one.json"))
    assert single.exit_code == 4 and "the MLflow server failed while" in single.output
    assert not (tmp_path / "one.json").exists()
    assert result.exit_code == EXIT_PARTIAL, result.output
    assert set(stored(tmp_path)) == {("BatchB", good)}
    assert f"failed: BatchB v{bad}: the MLflow server failed" in result.output
    assert "1 captured, 0 unchanged, 1 failed" in result.output


def test_batch_options_are_checked(batch_registry, tmp_path):
    result = run_cli("models:/BatchA", "--filter", "name LIKE 'B%'", "--tracking-uri", batch_registry["uri"],
                     "--store", str(tmp_path))
    assert result.exit_code == 2
    assert "--filter selects models for --all" in result.output


@pytest.mark.parametrize("signum, code, word", [(2, 130, "Interrupted"), (15, 143, "Terminated (SIGTERM)")],
                         ids=["SIGINT", "SIGTERM"])
def test_ctrl_c_keeps_finished_snapshots_and_says_how_to_resume(batch_registry, tmp_path, signum, code, word):
    """A real SIGINT (or SIGTERM, as a CI runner's timeout sends) to a real `snap capture`, caught mid-run."""
    import os
    import subprocess
    import time

    from tests.support.servers import delaying_proxy

    total = len(batch_registry["BatchA"])
    with delaying_proxy(batch_registry["uri"], 0.15) as slow_uri:
        cmd = [sys.executable, "-m", "snap.cli", "capture", "models:/BatchA", "--tracking-uri", slow_uri,
               "--store", str(tmp_path), "--workers", "1", "--format", "json"]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        while not list(tmp_path.rglob("*.json")) and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        os.kill(proc.pid, signum)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == code, (out, err)
        assert f"{word}: finished snapshots are kept. Run the same command again to resume" in err
        kept = stored(tmp_path)
        assert 1 <= len(kept) < total
        assert not [p for p in tmp_path.rglob(".snap-*.tmp")]
        result = run_cli(*cmd[4:])  # the same command, through the same (slow) server address
    assert result.exit_code == 0, result.output
    assert f"resumed: {len(kept)} versions" in result.output
    assert len(stored(tmp_path)) == total
    assert all(len(stems) == 1 for stems in stored(tmp_path).values())
