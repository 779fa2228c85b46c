"""Issue #14's trial, against registries the project never saw: are its nine failures gone?

Builds, with MLflow's own client (bench/fidelity_trial_registry.py, nothing mocked):
a server-less `sqlite:///` store, an `mlflow server` of this checkout's MLflow 3 and,
from tests/support/mlflow2.py's virtualenv, an MLflow 2.22 server, all on 127.0.0.1
with SQLite and a temporary artifact root; and an MLflow 3 server with workspaces.
Then runs `.venv/bin/snap` as a user would (capture, list, report, diff in text, md
and json, verify, a hand-edited snapshot, import of the reference archives, no
tracking URI in an empty folder) and prints one PASS or FAIL line per check, then the
count. Exit 1 when any check fails.

    .venv/bin/python bench/fidelity_trial.py [--no-mlflow2] [--no-workspaces] [--keep]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import fidelity_trial_checks as checks
from bench import fidelity_trial_sources as sources
from bench.fidelity_trial_common import ROOT, Trial, clean_env, said, snap
from tests.support import mlflow2
from tests.support.servers import mlflow_server

REGISTRY_SCRIPT = ROOT / "bench" / "fidelity_trial_registry.py"
TEAM = "legal-ops"  # the second workspace


def populate(python: Path, uri: str, work: Path, workspace: str | None = None) -> dict:
    """Run the registry script with `python` (the registry's own MLflow); what it planted."""
    work.mkdir(parents=True, exist_ok=True)
    env = clean_env(**({"MLFLOW_WORKSPACE": workspace} if workspace else {}))
    proc = subprocess.run([str(python), str(REGISTRY_SCRIPT), uri, str(work)], cwd=work, env=env,
                          capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        raise RuntimeError(f"populating {uri} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def capture_all(uri: str, store: Path, *extra: str) -> int:
    """`snap capture --all --prompts include` into `store`; its exit code."""
    proc = snap("capture", "--all", "--prompts", "include", "--tracking-uri", uri, "--store", str(store), *extra)
    if proc.returncode != 0:
        print(f"  capture of {uri}: {said(proc)}", flush=True)
    return proc.returncode


def trial_registry(trial: Trial, label: str, uri: str, python: Path, work: Path) -> None:
    """Populate one registry, capture it whole, and run every per-registry check on the store."""
    planted = populate(python, uri, work / "registry")
    store = work / "store"
    exit_code = capture_all(uri, store, "--format", "both")  # check_tampering edits a Parquet twin too
    checks.check_pip_options(trial, label, store)
    checks.check_long_names(trial, label, store, uri, exit_code)
    checks.check_report_facts(trial, label, store)
    checks.check_diff_display(trial, label, store)
    checks.check_hidden_changes(trial, label, store)
    checks.check_tampering(trial, label, store, work)
    if uri.startswith("http"):
        sources.check_server_fields(trial, label, store, uri)
    else:
        trial.skip(f"{label} 6 fields the server did not send", "a server-less store has no REST replies")
    if planted["prompt"]:
        sources.check_prompts(trial, label, store, uri, work)
    else:
        trial.skip(f"{label} 9 prompts", "this MLflow has no mlflow.genai.register_prompt")


def trial_workspaces(trial: Trial, work: Path) -> None:
    """A server started with --enable-workspaces: the same registry in the default workspace and in TEAM."""
    with mlflow_server(work / "server", ("--enable-workspaces",)) as uri:
        request = urllib.request.Request(f"{uri}/api/3.0/mlflow/workspaces", method="POST",
                                         data=json.dumps({"name": TEAM}).encode(),
                                         headers={"Content-Type": "application/json"})
        urllib.request.urlopen(request, timeout=30).close()
        populate(Path(sys.executable), uri, work / "default")
        populate(Path(sys.executable), uri, work / TEAM, workspace=TEAM)
        store = work / "store"
        exit_code = capture_all(uri, store, "--all-workspaces")
        trial.check("workspaces 9 capture --all --all-workspaces exits 0", exit_code == 0, f"exit {exit_code}")
        sources.check_workspaces(trial, store, TEAM)


def run(args: argparse.Namespace, work: Path) -> Trial:
    trial = Trial()
    sqlite = work / "sqlite"
    sqlite.mkdir()
    trial_registry(trial, "sqlite", f"sqlite:///{sqlite}/mlflow.db", Path(sys.executable), sqlite)
    with mlflow_server(work / "mlflow3" / "server") as uri:
        trial_registry(trial, "mlflow3", uri, Path(sys.executable), work / "mlflow3")
    if args.no_mlflow2:
        trial.skip("mlflow2 registry", "--no-mlflow2")
    else:
        with mlflow2.mlflow2_server(work / "mlflow2" / "server") as uri:
            trial_registry(trial, "mlflow2", uri, mlflow2.python(), work / "mlflow2")
    if args.no_workspaces:
        trial.skip("workspaces registry", "--no-workspaces")
    else:
        trial_workspaces(trial, work / "workspaces")
    sources.check_import(trial, work)
    sources.check_no_tracking_uri(trial, work)
    return trial


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-mlflow2", action="store_true", help="leave out the MLflow 2.22 server")
    parser.add_argument("--no-workspaces", action="store_true", help="leave out the server with workspaces")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder and say where it is")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="fidelity-trial-"))
    try:
        trial = run(args, work)
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            with contextlib.suppress(OSError):
                shutil.rmtree(work)
    print(f"{trial.passed} passed, {trial.failed} failed" + (f": {', '.join(trial.failures)}" if trial.failed else ""))
    return 1 if trial.failed else 0


if __name__ == "__main__":
    sys.exit(main())
