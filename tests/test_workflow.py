"""The GitHub Actions workflow in README (examples/github/snap-nightly.yml), run as written.

Its `run:` steps go to bash the way GitHub's runner sends them (`bash --noprofile --norc
-eo pipefail`), with the job's variables pointing at the suite's MLflow server and
GITHUB_STEP_SUMMARY at a file. Two nights: the first captures everything, then a tag
is set on a version, and the second posts that change. Only the install step is left
out: the suite's own snap is the one on PATH.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.support.reference import REPO

pytestmark = pytest.mark.server

WORKFLOW = REPO / "examples" / "github" / "snap-nightly.yml"


def _steps() -> tuple[dict, list[dict]]:
    job = yaml.safe_load(WORKFLOW.read_text())["jobs"]["capture"]
    return job, [step for step in job["steps"] if "run" in step]


def _night(workdir: Path, tracking_uri: str, summary: Path) -> None:
    job, steps = _steps()
    env = {**os.environ, **{k: v for k, v in job["env"].items() if "${{" not in v}}
    env.update({"MLFLOW_TRACKING_URI": tracking_uri, "GITHUB_STEP_SUMMARY": str(summary),
                "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
                "PYTHONPATH": str(REPO)})
    env.pop("MLFLOW_TRACKING_TOKEN", None)
    summary.write_text("")
    for step in steps:
        if step.get("id") == "install":
            continue
        script = workdir / "step.sh"
        script.write_text(step["run"])
        proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=workdir,
                              env=env, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, f"step {step['name']!r} exited {proc.returncode}:\n{proc.stderr}"


def test_readme_shows_this_workflow_as_it_is():
    assert WORKFLOW.read_text() in (REPO / "README.md").read_text()


def test_install_step_installs_the_package_the_job_names():
    job, steps = _steps()
    [install] = [s for s in steps if s.get("id") == "install"]
    assert '"$SNAP_PACKAGE"' in install["run"] and job["env"]["SNAP_PACKAGE"] == "snap-mlflow"


def test_nightly_workflow_posts_new_versions_then_what_changed(registry, mlflow_server, tmp_path):
    from mlflow import MlflowClient

    summary = tmp_path / "step-summary.md"
    _night(tmp_path, mlflow_server, summary)
    first = summary.read_text()
    rows = json.loads((tmp_path / "after.json").read_text())
    assert first.startswith(f"# MLflow registry tonight: {len(rows)} captured, 0 unchanged, 0 failed\n")
    for version in registry["churn"]["versions"]:
        assert f"- new: `Churn` v{version}\n" in first
    assert "## " not in first  # nothing to diff on the first night

    client = MlflowClient(mlflow_server)
    client.set_model_version_tag("Churn", "3", "nightly_review", "@octocat signed off, see #12")
    try:
        _night(tmp_path, mlflow_server, summary)
    finally:
        client.delete_model_version_tag("Churn", "3", "nightly_review")
    second = summary.read_text()
    captured = json.loads((tmp_path / "capture-summary.json").read_text())["captured"]
    assert 1 <= captured < len(rows)
    assert second.startswith(f"# MLflow registry tonight: {captured} captured, {len(rows) - captured} unchanged, "
                             "0 failed\n")
    assert "- new:" not in second
    # Only the version that changed is posted: others re-captured with new timestamps only are not.
    assert re.findall(r"^## .*$", second, re.M) == [re.search(r"^## Churn v3 \(.+ → .+\)$", second, re.M).group(0)]
    assert "| `model_version.tags.nightly_review` | added | — | `@octocat` signed off, see `#12` |  |" in second
