"""Command-line conventions (#13): --version, shell completion, --debug anywhere, -q,
piped text that honours COLUMNS without splitting identifiers, and Markdown fit for a
pull request (--max-chars, inert mentions, --exit-zero)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from snapshot.formats.document import seal
from snapshot.formats.files import write_snapshot
from tests.support.commands import snap
from tests.support.documents import make_doc
from tests.support.reference import REPO

CAPTURED = REPO / "fixtures" / "captured"
V2 = str(next((CAPTURED / "Churn" / "v2").glob("*.json")))
V3 = str(next((CAPTURED / "Churn" / "v3").glob("*.json")))


def test_version_is_the_package_version():
    version = re.search(r'^version = "(.+)"$', (REPO / "pyproject.toml").read_text(), re.M).group(1)
    proc = snap("--version")
    assert (proc.stdout, proc.stderr) == (f"snap {version}\n", "")


def test_shell_completion_script_and_completions():
    script = snap("--show-completion", "bash").stdout
    assert "_SNAP_COMPLETE=complete_bash" in script and "complete -o default -F _snap_completion snap" in script
    env = {"_SNAP_COMPLETE": "complete_bash", "COMP_WORDS": "snap di", "COMP_CWORD": "1"}
    assert snap(env=env).stdout.split() == ["diff"]
    env = {"_SNAP_COMPLETE": "complete_bash", "COMP_WORDS": "snap diff --exit", "COMP_CWORD": "2"}
    assert snap(env=env).stdout.split() == ["--exit-zero"]


@pytest.mark.parametrize("args", [("--debug", "report", "nope.json"), ("report", "nope.json", "--debug"),
                                  ("report", "--debug", "nope.json")])
def test_debug_before_or_after_the_subcommand_shows_the_traceback(args, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "snap.cli", *args], capture_output=True, text=True, cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.returncode == 3
    assert "Traceback (most recent call last)" in proc.stderr
    assert proc.stderr.splitlines()[-1] == "Error: no snapshot file at nope.json"


def test_without_debug_one_line():
    proc = snap("report", "nope.json", check=False)
    assert (proc.returncode, proc.stderr) == (3, "Error: no snapshot file at nope.json\n")


def _diff_text(columns: int) -> str:
    return snap("diff", V2, V3, env={"COLUMNS": str(columns)}, check=False).stdout


@pytest.mark.parametrize("columns", [40, 80, 200])
def test_piped_text_never_splits_an_identifier(columns):
    out = _diff_text(columns)
    docs = [json.loads(Path(p).read_text()) for p in (V2, V3)]
    run_ids = [d["run"]["info"]["run_id"] for d in docs]
    for run_id in run_ids:
        assert re.search(rf"(^|\s){run_id}(\s|$)", out, re.M), f"{run_id} split at COLUMNS={columns}"
    for line in out.splitlines():
        if line.startswith(("model_version.", "run.", "mlmodel.", "registered_model.", "environment.")):
            assert line.split()[0] in out  # a path starts its line whole


def test_piped_text_honours_columns():
    wide, narrow = _diff_text(200), _diff_text(40)
    assert "Churn model, attempt 2   Churn model, attempt 3" in wide
    assert "Churn model, attempt 2" not in narrow  # folded at the narrow width ...
    assert "model," in narrow and "attempt 2" in narrow  # ... between words, nothing lost


def _store_two_versions(tmp_path, params: int, text: str = "value"):
    """Files of two versions: `params` added params, a new required input (breaking), a tag with `text`."""
    left, right = make_doc("2"), make_doc("3")
    right["run"]["params"].update({f"p{i:05d}": f"{text} {i}" for i in range(params)})
    right["mlmodel"]["parsed"]["signature"]["inputs"].append({"name": "tenure", "type": "double", "required": True})
    right["model_version"]["tags"]["reviewer"] = text
    paths = []
    for doc in (left, right):
        seal(doc, doc["manifest"].get("captured_at"))
        paths.append(str(write_snapshot(doc, tmp_path / f"v{doc['manifest']['model_version']}.json")))
    return paths


def test_markdown_fits_max_chars_keeping_summary_and_breaking(tmp_path):
    left, right = _store_two_versions(tmp_path, 3000)
    full = snap("diff", left, right, "--format", "md", "--max-chars", "0", check=False)
    assert full.returncode == 1 and len(full.stdout) > 100_000
    fitted = snap("diff", left, right, "--format", "md", "--max-chars", "20000", check=False).stdout
    assert len(fitted) <= 20_000
    summary = full.stdout[:full.stdout.index("\n### ")]
    assert fitted.startswith(summary)  # heading, counts and the summary table, whole
    assert "| `inputs.tenure` | added | — | double | **BREAKING: new required input** |" in fitted
    kept = len(re.findall(r"^\| `run\.params\.p\d{5}`", fitted, re.M))
    assert 0 < kept < 3000
    assert re.search(rf"_{3000 - kept} of 3000 changes in params left out to fit the size limit\._", fitted)
    assert "**Left out to fit 20,000 characters:**" in fitted
    by_default = snap("diff", left, right, "--format", "md", check=False).stdout
    assert 20_000 < len(by_default) <= 60_000


def test_max_chars_bad_values_fail_naming_the_option(tmp_path):
    left, right = _store_two_versions(tmp_path, 3)
    proc = snap("diff", left, right, "--format", "md", "--max-chars", "100", check=False)
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr == "Error: --max-chars must be 0 (no limit) or at least 2,000, not 100; " \
                          "the summary and the notes need that much\n"
    proc = snap("diff", left, right, "--max-chars", "5000", check=False)
    assert proc.stderr == "Error: --max-chars limits Markdown: add --format md, or drop --max-chars\n"


def test_mentions_and_issue_links_are_inert_in_markdown(tmp_path):
    left, right = _store_two_versions(tmp_path, 1, text="ping @octocat and @org/team, fixes #123 and org/repo#7, GH-9")
    md = snap("diff", left, right, "--format", "md", check=False).stdout
    cell = "ping `@octocat` and `@org/team`, fixes `#123` and `org/repo#7`, `GH-9`"
    assert cell in md
    outside_code = re.sub(r"`[^`\n]*`", "", md)
    assert not re.search(r"(?<![\w`])@\w|#\d|GH-\d", outside_code)


def test_exit_zero_reports_changes_but_exits_0(tmp_path):
    plain = snap("diff", V2, V3, "--format", "md", check=False)
    zero = snap("diff", V2, V3, "--format", "md", "--exit-zero", check=False)
    assert (plain.returncode, zero.returncode) == (1, 0)
    assert zero.stdout == plain.stdout
    missing = snap("diff", V2, str(tmp_path / "nope.json"), "--exit-zero", check=False)
    assert missing.returncode == 2 and missing.stderr.startswith("Error: right side: no snapshot file at")


@pytest.mark.server
def test_quiet_capture_prints_nothing_but_errors(registry, mlflow_server, tmp_path):
    store = tmp_path / "store"
    loud = snap("capture", "models:/Churn/2", "--tracking-uri", mlflow_server, "--store", str(store))
    assert loud.stdout.startswith("captured Churn v2 -> ")
    quiet = snap("capture", "models:/Churn", "-q", "--tracking-uri", mlflow_server, "--store", str(store))
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")
    assert {p.parent.name for p in store.glob("Churn/v*/*.json")} == {f"v{v}" for v in registry["churn"]["versions"]}
    failed = snap("capture", "models:/Churn/99", "-q", "--tracking-uri", mlflow_server, "--store", str(store),
                  check=False)
    assert failed.returncode == 3 and failed.stdout == ""
    assert len(failed.stderr.splitlines()) == 1 and failed.stderr.startswith("Error: ")
