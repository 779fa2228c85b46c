"""A fault is never data (#12): server faults fail the capture on every endpoint; answers are recorded.

Every fault comes from a real proxy (tests/support/servers.py `fault_proxy`) in front
of the real MLflow server the suite starts: HTTP 503 after the retries, 429 asking for
longer than --max-wait, a connection reset, a reply cut short, a well-framed reply that
is not the JSON it was, a request never answered. Nothing is mocked.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from snap.cli import app
from snapshot.errors import EXIT_PARTIAL, EXIT_UNREACHABLE, EXIT_USAGE
from tests.support.populate import populate_model
from tests.support.servers import Fault, fault_proxy

pytestmark = pytest.mark.server
MODEL = "Faults"
VERSIONS = 6

# Which request of a single-version capture each endpoint is (paths as MLflow's client sends them).
ENDPOINTS = {
    "model version": lambda path: "/model-versions/get?" in path,
    "run": lambda path: "/runs/get?" in path,
    "experiment": lambda path: "/experiments/get?" in path,
    "logged model": lambda path: "/logged-models/m-" in path,
    "model listing": lambda path: "/mlflow-artifacts/artifacts?path=" in path and "%2Fmodels%2F" in path,
    "run listing": lambda path: "/mlflow-artifacts/artifacts?path=" in path and "%2Fmodels%2F" not in path,
    "MLmodel": lambda path: path.endswith("/MLmodel"),
    "permissions": lambda path: "/users/list" in path,
}
FAULTS = {
    "503": Fault("status", 503),
    "429 Retry-After 600": Fault("status", 429, retry_after="600"),
    "reset": Fault("reset"),
    "truncated": Fault("truncate"),
    "invalid JSON": Fault("invalid"),
}
# A file's body cut short with a matching Content-Length is a shorter file to any client, and the
# plain server's users/list is a 404 whose body no one reads: neither is a fault a client can see.
UNSEEABLE = {("invalid JSON", "MLmodel"), ("invalid JSON", "permissions")}


@pytest.fixture(scope="module")
def faults_registry(mlflow_server):
    facts = populate_model(mlflow_server, MODEL, VERSIONS, params=2, metrics=2, tags=2, workers=3)
    return {"uri": mlflow_server, **facts}


@pytest.fixture
def quick_retries(monkeypatch):
    """One retry and no backoff: each fault ends in well under a second."""
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "1")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "0")


def capture(*args):
    return CliRunner().invoke(app, ["capture", *args], catch_exceptions=False)


def snapshots(store: Path) -> list[Path]:
    """Snapshot files in a store (not its journal or other bookkeeping under dot-folders)."""
    return [p for p in store.rglob("*.json") if not any(part.startswith(".") for part in p.relative_to(store).parts)]


def error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("Error:")]


def when(endpoint: str, fault: Fault, times: int | None = None):
    """A proxy rule: `fault` for requests to `endpoint` (the first `times` of them, or all)."""
    hits = [0]

    def rule(method, path):
        if not ENDPOINTS[endpoint](path) or (times is not None and hits[0] >= times):
            return None
        hits[0] += 1
        return fault

    return rule


CASES = [(kind, endpoint) for kind in FAULTS for endpoint in ENDPOINTS if (kind, endpoint) not in UNSEEABLE]


@pytest.mark.parametrize(("kind", "endpoint"), CASES, ids=[f"{k}-{e}" for k, e in CASES])
def test_a_fault_fails_the_capture_and_writes_nothing(faults_registry, tmp_path, quick_retries, kind, endpoint):
    out = tmp_path / "one.json"
    with fault_proxy(faults_registry["uri"], when(endpoint, FAULTS[kind])) as proxy:
        result = capture(f"models:/{MODEL}/1", "--tracking-uri", proxy.uri, "-o", str(out))
        assert proxy.faulted >= 1
    assert result.exit_code == EXIT_UNREACHABLE, result.output
    (line,) = error_lines(result.output)
    assert line.startswith("Error: the MLflow server failed while") and "capture again" in line
    assert not out.exists() and list(tmp_path.iterdir()) == []


ANSWERS = [
    ("run listing", 403, "artifacts.run", "answered HTTP 403 (forbidden) to listing"),
    ("MLmodel", 404, "mlmodel", "answered HTTP 404 (not found) to reading the model's metadata files"),
    ("logged model", 404, "logged_model", "is not on the server"),
    ("permissions", 403, "permissions", "may not list other users' permissions (403)"),
]


@pytest.mark.parametrize(("endpoint", "status", "key", "reason"), ANSWERS, ids=[f"{a[1]}-{a[0]}" for a in ANSWERS])
def test_absent_or_forbidden_is_recorded_with_its_reason(faults_registry, tmp_path, endpoint, status, key, reason):
    out = tmp_path / "one.json"
    with fault_proxy(faults_registry["uri"], when(endpoint, Fault("status", status))) as proxy:
        result = capture(f"models:/{MODEL}/1", "--tracking-uri", proxy.uri, "-o", str(out))
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    assert reason in doc["unavailable"][key]


def test_the_plain_servers_missing_permission_api_is_recorded(faults_registry, tmp_path):
    out = tmp_path / "one.json"
    assert capture(f"models:/{MODEL}/1", "--tracking-uri", faults_registry["uri"], "-o", str(out)).exit_code == 0
    doc = json.loads(out.read_text())
    assert doc["permissions"] is None and "basic-auth" in doc["unavailable"]["permissions"]


def test_a_fault_reading_an_alias_is_not_a_missing_alias(faults_registry, tmp_path, quick_retries):
    def rule(method, path):
        return Fault("status", 503) if "/registered-models/alias" in path else None

    with fault_proxy(faults_registry["uri"], rule) as proxy:
        result = capture(f"models:/{MODEL}@champion", "--tracking-uri", proxy.uri, "-o", str(tmp_path / "a.json"))
    assert result.exit_code == EXIT_UNREACHABLE, result.output
    (line,) = error_lines(result.output)
    assert "alias 'champion'" in line and "HTTP 503" in line


@pytest.mark.parametrize("retry_after", ["600", "1"])
def test_retry_after_is_honoured_only_up_to_max_wait(faults_registry, tmp_path, retry_after):
    out = tmp_path / "one.json"
    with fault_proxy(faults_registry["uri"], when("run", Fault("status", 429, retry_after=retry_after))) as proxy:
        started = time.monotonic()
        result = capture(f"models:/{MODEL}/1", "--tracking-uri", proxy.uri, "-o", str(out), "--max-wait", "2")
        elapsed = time.monotonic() - started
    assert result.exit_code == EXIT_UNREACHABLE, result.output
    assert elapsed < 20
    (line,) = error_lines(result.output)
    assert "HTTP 429" in line and "--max-wait 2" in line
    assert not out.exists()


def test_a_short_retry_after_is_waited_for_and_the_capture_completes(faults_registry, tmp_path):
    out = tmp_path / "one.json"
    with fault_proxy(faults_registry["uri"], when("run", Fault("status", 429, retry_after="1"), times=2)) as proxy:
        result = capture(f"models:/{MODEL}/1", "--tracking-uri", proxy.uri, "-o", str(out))
        assert proxy.faulted == 2
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["run"]["info"]["run_name"] == "train-0"


@pytest.mark.parametrize("endpoint", ["model version", "permissions", "MLmodel"])
def test_a_hung_server_ends_at_the_read_timeout(faults_registry, tmp_path, monkeypatch, endpoint):
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "1")
    out = tmp_path / "one.json"
    with fault_proxy(faults_registry["uri"], when(endpoint, Fault("hang"))) as proxy:
        started = time.monotonic()
        result = capture(f"models:/{MODEL}/1", "--tracking-uri", proxy.uri, "-o", str(out))
        elapsed = time.monotonic() - started
    assert result.exit_code == EXIT_UNREACHABLE, result.output
    assert elapsed < 15
    (line,) = error_lines(result.output)
    assert "ReadTimeout" in line
    assert not out.exists()


def test_a_missing_client_library_fails_the_version(faults_registry, tmp_path):
    """A gs:// artifact location without google-cloud-storage (not a dependency) is no "refused to list"."""
    import importlib.util

    from mlflow import MlflowClient

    try:
        installed = importlib.util.find_spec("google.cloud.storage") is not None
    except ModuleNotFoundError:  # not even google.cloud
        installed = False
    if installed:
        pytest.skip("google-cloud-storage is installed here")
    client = MlflowClient(faults_registry["uri"], registry_uri=faults_registry["uri"])
    experiment = client.create_experiment("gcs-located", artifact_location="gs://snap-test-bucket/exp")
    run = client.create_run(experiment)
    client.create_registered_model("OnGcs")
    client.create_model_version("OnGcs", f"{run.info.artifact_uri}/model", run_id=run.info.run_id)
    out = tmp_path / "one.json"
    try:
        result = capture("models:/OnGcs/1", "--tracking-uri", faults_registry["uri"], "-o", str(out))
    finally:  # the session's server is shared: other tests capture --all from it
        client.delete_registered_model("OnGcs")
    assert result.exit_code == EXIT_UNREACHABLE, result.output
    (line,) = error_lines(result.output)
    assert "cannot capture while listing gs://snap-test-bucket/exp/" in line and "is not installed" in line
    assert not out.exists()


def test_a_permission_fault_fails_every_version_of_a_batch(faults_registry, tmp_path, quick_retries):
    with fault_proxy(faults_registry["uri"], when("permissions", Fault("status", 503))) as proxy:
        result = capture(f"models:/{MODEL}", "--tracking-uri", proxy.uri, "--store", str(tmp_path))
    assert result.exit_code == EXIT_PARTIAL, result.output
    assert f"0 captured, 0 unchanged, {VERSIONS} failed" in result.output
    assert not snapshots(tmp_path)


def test_ctrl_c_ends_a_capture_stuck_in_a_retry(faults_registry, tmp_path):
    out = tmp_path / "one.json"
    with fault_proxy(faults_registry["uri"], when("run", Fault("status", 503, retry_after="30"))) as proxy:
        proc = subprocess.Popen([sys.executable, "-m", "snap.cli", "capture", f"models:/{MODEL}/1", "--tracking-uri",
                                 proxy.uri, "-o", str(out), "--max-wait", "120"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        while proxy.faulted == 0 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
        time.sleep(0.5)  # now inside the 30 s wait
        os.kill(proc.pid, signal.SIGINT)
        interrupted = time.monotonic()
        proc.communicate(timeout=60)
        took = time.monotonic() - interrupted
    assert proc.returncode != 0
    assert took < 5
    assert not out.exists()


def test_a_server_gone_mid_batch_stops_within_seconds_and_a_rerun_completes(faults_registry, tmp_path):
    """The proxy dies mid-batch (connections refused and reset, as a killed server's are), then comes back."""
    store = tmp_path / "store"
    cmd = [f"models:/{MODEL}", "--store", str(store), "--workers", "1", "--format", "json"]
    with fault_proxy(faults_registry["uri"], delay_s=0.15) as proxy:
        port = int(proxy.uri.rsplit(":", 1)[1])
        proc = subprocess.Popen([sys.executable, "-m", "snap.cli", "capture", *cmd, "--tracking-uri", proxy.uri],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        while not snapshots(store) and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        proxy.kill()
        killed = time.monotonic()
        out, err = proc.communicate(timeout=120)
        took = time.monotonic() - killed
    assert proc.returncode == EXIT_PARTIAL, (out, err)
    assert took < 20, (took, out)
    assert "stopped: the server stopped answering" in out and "run the same command again to resume" in out
    kept = len(snapshots(store))
    assert 1 <= kept < VERSIONS
    with fault_proxy(faults_registry["uri"], port=port) as proxy:  # the server is back at its address
        result = capture(*cmd, "--tracking-uri", proxy.uri)
    assert result.exit_code == 0, result.output
    assert f"resumed: {kept} versions" in result.output
    assert len(snapshots(store)) == VERSIONS


def test_a_sqlite_store_that_does_not_exist_is_an_error_and_nothing_is_created(tmp_path):
    missing = tmp_path / "typo" / "mlflow.db"
    proc = _snap_in(tmp_path, "capture", "models:/M/1", "--tracking-uri", f"sqlite:///{missing}")
    assert proc.returncode == EXIT_USAGE, proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith("Error: the SQLite store sqlite:///")
    assert "does not exist" in proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_no_tracking_uri_is_an_error_saying_how_to_set_one(tmp_path):
    proc = _snap_in(tmp_path, "capture", "models:/M/1")
    assert proc.returncode == EXIT_USAGE, proc.stderr
    assert proc.stderr.strip() == ("Error: no tracking URI: pass --tracking-uri http://HOST:5000 "
                                   "(or sqlite:///PATH/mlflow.db) or set MLFLOW_TRACKING_URI")
    assert list(tmp_path.iterdir()) == []


def _snap_in(folder: Path, *args):
    env = {k: v for k, v in os.environ.items() if k not in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])  # this checkout's snap, from another folder
    return subprocess.run([sys.executable, "-m", "snap.cli", *args], cwd=folder, env=env, capture_output=True,
                          text=True, timeout=120)
