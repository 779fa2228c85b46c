"""The diff shows what changed without ambiguity (#14): types, empty values, hidden changes.

Assistant v1-v3 are logged into a real MLflow server and captured by tests/support/fidelity.py.
"""

from __future__ import annotations

import json

import pytest

from tests.support.commands import snap
from tests.support.fidelity import assistant_store


@pytest.fixture(scope="module")
def files(mlflow_server, tmp_path_factory):
    return assistant_store(mlflow_server, tmp_path_factory.mktemp("assistant"))["files"]


def _diff(files, left, right, *extra):
    return snap("diff", str(files[left]), str(files[right]), *extra, check=False)


def _row(text: str, path: str) -> str:
    (line,) = [line for line in text.splitlines() if path in line]
    return line


def test_a_type_change_is_shown_as_one(files):
    """max_tokens's default went from the integer 16 to the string "16"."""
    text = _diff(files, "2", "3", "--only", "signature").stdout
    row = _row(text, "params.max_tokens.default")
    assert "16 (integer)" in row and '"16" (string)' in row
    md = _diff(files, "2", "3", "--only", "signature", "--format", "md").stdout
    row = _row(md, "`params.max_tokens.default`")
    assert "16 (integer)" in row and '"16" (string)' in row
    data = json.loads(_diff(files, "2", "3", "--format", "json").stdout)
    (change,) = [c for c in data["changes"] if c["path"].endswith("params.max_tokens.default")]
    assert (change["old"], change["new"]) == (16, "16")


def test_an_empty_value_is_not_an_absent_one(files):
    """v3 gained the version tag `reviewed` with the value ""."""
    text = _diff(files, "2", "3", "--only", "tags").stdout
    row = _row(text, "model_version.tags.reviewed")
    assert row.split()[1:] == ["added", "—", '""']
    md = _diff(files, "2", "3", "--only", "tags", "--format", "md").stdout
    assert '| `model_version.tags.reviewed` | added | — | "" |' in md


def test_changes_hidden_by_tolerance_are_counted(files):
    """accuracy moved 0.90 -> 0.901: within --tolerance, so hidden; --only hid the rest; the output says both."""
    args = ("--only", "metrics", "--tolerance", "accuracy=0.01")
    data = json.loads(_diff(files, "1", "2", *args, "--format", "json").stdout)
    assert data["summary"]["changes"] == 0 and data["summary"]["within_tolerance"] == 1
    every = json.loads(_diff(files, "1", "2", "--format", "json").stdout)["summary"]["changes"]
    others = every - 1  # all but the accuracy move are outside --only metrics
    text = _diff(files, "1", "2", *args)
    assert text.returncode == 0
    headline = f"no changes shown; 1 within tolerance, {others} outside --only, not shown"
    assert text.stdout.splitlines()[0] == f"Assistant v1 → v2: {headline}"
    md = _diff(files, "1", "2", *args, "--format", "md").stdout
    assert f"\n{headline}\n" in md


def test_changes_hidden_by_ignores_are_counted(files):
    """v1 -> v2 changed requirements.txt, so its size: ignoring artifacts hides those rows, and says how many."""
    every = json.loads(_diff(files, "1", "2", "--format", "json").stdout)["changes"]
    artifacts = sum(c["section"] == "artifacts" for c in every)
    assert artifacts >= 2
    text = _diff(files, "1", "2", "--ignore", "artifacts.*").stdout
    assert text.splitlines()[0].endswith(f"({artifacts} ignored by --ignore, not shown)")
    assert "requirements.txt.size" not in text
