"""The committed fixtures work offline in a plain clone: no server, no mlflow.

fixtures/captured/ was made by snap itself from the test registry
(fixtures/make_capture_fixtures.py); fixtures/seed/ is the seed report's model.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from snapshot.formats.files import load_snapshot

ROOT = Path(__file__).resolve().parents[1]
CAPTURED = ROOT / "fixtures" / "captured"
SCHEMA = json.loads((ROOT / "snapshot" / "schema.json").read_text())
SNAPSHOTS = sorted(CAPTURED.rglob("*.json")) + sorted((ROOT / "fixtures" / "seed").glob("*.json"))


@pytest.fixture(scope="module")
def offline_env(tmp_path_factory):
    shadow = tmp_path_factory.mktemp("no-mlflow")
    (shadow / "mlflow").mkdir()
    (shadow / "mlflow" / "__init__.py").write_text("raise ImportError('no mlflow here')\n")
    return {**os.environ, "PYTHONPATH": str(shadow)}


def snap(env, *args):
    return subprocess.run([sys.executable, "-m", "snap.cli", *args], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=120)


@pytest.mark.parametrize("path", SNAPSHOTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_fixture_snapshots_are_valid(path):
    doc = load_snapshot(path)
    jsonschema.Draft202012Validator(SCHEMA).validate(doc)
    parquet = path.with_suffix(".parquet")
    if parquet.exists():
        assert load_snapshot(parquet) == doc


def test_report_from_a_fixture_offline(offline_env):
    parquet = next((CAPTURED / "Churn" / "v3").glob("*.parquet"))
    doc = load_snapshot(parquet)
    proc = snap(offline_env, "report", str(parquet))
    assert proc.returncode == 0, proc.stderr
    host = doc["manifest"]["tracking_host"]
    assert proc.stdout.startswith("\nMLflow Model: _models:/Churn/3_\n")
    assert f"|_web_ui_link|{host}/#/models/Churn/versions/3|" in proc.stdout
    assert f"|run_id|{doc['model_version']['run_id']}|" in proc.stdout


def test_diff_of_fixtures_offline(offline_env):
    proc = snap(offline_env, "diff", "Churn/2", "Churn/3", "--store", str(CAPTURED), "--format", "json")
    assert proc.returncode == 1, proc.stderr
    paths = {c["path"] for c in json.loads(proc.stdout)["changes"]}
    assert {"run.params.C", "run.params.class_weight", "run.params.solver",
            "mlmodel.parsed.signature.inputs.support_calls",
            "environment.requirements.packages.scikit-learn", "artifacts.run.files.notes/extra.txt"} <= paths
    ambiguous = snap(offline_env, "diff", "v2", "v3", "--store", str(CAPTURED))
    assert ambiguous.returncode == 2
    assert ambiguous.stderr.startswith("Error: left side: 'v2' is ambiguous: store ") and "Churn, Echo" in ambiguous.stderr
