"""Inert capture and import output (#12): a registry name never drives the terminal.

A model named with ESC, BEL and CR bytes (an OSC 8 hyperlink, a clear-screen and a
carriage return that would overwrite the line) is registered on the real server the
suite starts; MLflow refuses only '/' and ':' in a name. Every line `snap capture`
prints about it (progress, per-model lines, failures, the summary, the Error line)
and `snap import`'s lines must show those bytes as escapes, on a pipe and on a
terminal (a real pseudo-terminal, where the rich progress bar draws).
"""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from snap.cli import app
from snapshot.errors import EXIT_PARTIAL
from tests.support.inert_checks import terminal_problems
from tests.support.populate import populate_model
from tests.support.servers import Fault, fault_proxy

pytestmark = pytest.mark.server
EVIL = "evil\x1b]8;;x.example\x07link\x1b]8;;\x07\x1b[2J\rspoof"
SHOWN = "evil\\x1b]8;;x.example\\x07link\\x1b]8;;\\x07\\x1b[2J\\rspoof"  # as snap prints it
VERSIONS = 2


@pytest.fixture(scope="module")
def evil_registry(mlflow_server):
    populate_model(mlflow_server, EVIL, VERSIONS, params=2, metrics=2, tags=2, workers=2, experiment="evil-training")
    yield mlflow_server
    from mlflow import MlflowClient

    MlflowClient(mlflow_server, registry_uri=mlflow_server).delete_registered_model(EVIL)  # the server is shared


@pytest.fixture
def quick_retries(monkeypatch):
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "1")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "0")


def run(*args):
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return result, result.stdout, result.stderr


def assert_inert(*texts: str) -> None:
    for text in texts:
        assert terminal_problems(text) == [], text
    assert any(SHOWN in text for text in texts), texts  # the name is shown, escaped, not dropped


def test_a_batch_capture_prints_the_name_escaped(evil_registry, tmp_path):
    result, out, err = run("capture", f"models:/{EVIL}", "--tracking-uri", evil_registry, "--store", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert_inert(out, err)
    assert f"{SHOWN}: {VERSIONS} captured" in out


def test_a_single_version_capture_prints_the_name_escaped(evil_registry, tmp_path):
    result, out, err = run("capture", f"models:/{EVIL}/1", "--tracking-uri", evil_registry, "--store", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert_inert(out, err)
    assert out.startswith(f"captured {SHOWN} v1 -> ")


def test_failure_lines_and_the_error_line_print_the_name_escaped(evil_registry, tmp_path, quick_retries):
    with fault_proxy(evil_registry, lambda method, path: Fault("status", 503) if "/runs/" in path else None) as proxy:
        result, out, err = run("capture", f"models:/{EVIL}", "--tracking-uri", proxy.uri, "--store", str(tmp_path))
    assert result.exit_code == EXIT_PARTIAL, result.output
    assert_inert(out, err)
    assert f"failed: {SHOWN} v1: " in out and err.startswith("Error: ")


def test_quiet_failures_on_stderr_print_the_name_escaped(evil_registry, tmp_path, quick_retries):
    with fault_proxy(evil_registry, lambda method, path: Fault("status", 503) if "/runs/" in path else None) as proxy:
        result, out, err = run("capture", f"models:/{EVIL}", "--tracking-uri", proxy.uri, "--store", str(tmp_path),
                               "-q")
    assert result.exit_code == EXIT_PARTIAL
    assert out == ""
    assert_inert(err)


def test_the_progress_on_a_terminal_prints_the_name_escaped(evil_registry, tmp_path, quick_retries):
    """A real pseudo-terminal: snap draws its rich bars and prints each failure above them."""
    leader, follower = pty.openpty()
    env = {**os.environ, "COLUMNS": "200"}
    with fault_proxy(evil_registry, lambda method, path: Fault("status", 503) if "/runs/" in path else None) as proxy:
        proc = subprocess.Popen([sys.executable, "-m", "snap.cli", "capture", f"models:/{EVIL}", "--tracking-uri",
                                 proxy.uri, "--store", str(tmp_path)], stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=follower, env=env)
        os.close(follower)
        seen = _read_all(leader)
        out = proc.stdout.read().decode()
        assert proc.wait(timeout=60) == EXIT_PARTIAL, (out, seen)
    name_lines = [line for line in seen.splitlines() if "evil" in line]
    assert any(line.startswith(f"failed {SHOWN} v") for line in name_lines), seen
    assert all(terminal_problems(line) == [] for line in name_lines), seen
    assert_inert(out)


def _read_all(fd: int) -> str:
    """Everything the terminal was sent, until the process closes it. Rich's own cursor moves are kept."""
    chunks, deadline = [], time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            data = os.read(fd, 65536)
        except OSError:  # the process ended and closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(fd)
    text = b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")  # the terminal's own line ends
    # Rich's own sequences: colours (ESC[..m), line erase and cursor up (ESC[2K, ESC[1A), cursor hide and show.
    # Taken out; the name's OSC 8 (ESC]) and clear-screen (ESC[2J) are none of these, so they would remain.
    return re.sub(r"\x1b\[(?:\?25[lh]|[0-9;]*m|\d*[AK])", "", text)


def test_import_prints_the_name_escaped(tmp_path):
    report = {
        "manifest": {"model_uri": f"models:/{EVIL}/2", "source": "databricks://prof", "mlflow_version": "2.5.0",
                     "timestamp": "2023-07-31 21:06:27"},
        "mlflow_model": {"artifact_path": "model", "run_id": "r1", "flavors": {"python_function": {}}},
        "registered_model": {"name": EVIL, "tags": {}},
        "model_version": {"name": EVIL, "version": "2", "tags": {}},
    }
    archive = tmp_path / "evil\x1b[2J.json"
    archive.write_text(json.dumps(report), encoding="utf-8")
    result, out, err = run("import", str(archive), "--store", str(tmp_path / "store"))
    assert result.exit_code == 0, result.output
    assert terminal_problems(out + err) == []
    assert out.startswith("imported ") and "evil\\x1b[2J.json -> " in out
    assert list(Path(tmp_path / "store").rglob("*.json"))
