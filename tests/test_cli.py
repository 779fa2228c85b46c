"""The command line itself: help, usage errors, exit codes; run as a user runs it."""

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from snap.cli import app

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "fixtures" / "seed" / "Conversational_Task_v6.json"


def snap(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "snap.cli", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=120)


def test_every_command_has_help_with_an_example_and_readme_documents_it():
    readme = (ROOT / "README.md").read_text()
    for command in app.registered_commands:
        name = command.name or command.callback.__name__
        doc = command.callback.__doc__ or ""
        assert "Example: snap " in doc, f"{name} has no example in its --help"
        assert f"snap {name}" in readme, f"README does not show snap {name}"


@pytest.mark.parametrize("args, message", [
    (["--bogus"], "Error: No such option: --bogus (see snap --help)"),
    (["diff", "only-one.json"], "Error: Missing argument 'RIGHT'. (see snap diff --help)"),
    (["capture", "--checksum-limit", "abc", "models:/x/1"], "Error: Invalid value for '--checksum-limit'"),
])
def test_usage_errors_are_one_line_exit_2(args, message):
    proc = snap(*args)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith(message), proc.stderr


def test_bare_snap_prints_help():
    proc = snap()
    assert proc.returncode == 0 and proc.stdout.startswith("Usage: snap ")


@pytest.mark.parametrize("args, code, message", [
    (["report", ""], 2, "Error: the target is empty"),
    (["report", "@champion"], 2, "Error: '@champion' is neither a snapshot file nor a store reference"),
    (["report", "A" * 5000 + "/1", "--store", "."], 3, "Error: no snapshots of model 'AAAA"),
    (["report", "."], 3, "Error: . is a directory, not a snapshot file"),
    (["list", "--store", "no/such/store"], 3, "Error: no store at no/such/store"),
    (["import", "no-such-report.json"], 3, "Error: no report file at no-such-report.json"),
    (["capture", "models://x/1"], 2, "Error: 'models://x/1' names no model"),
])
def test_bad_targets(tmp_path, args, code, message):
    proc = snap(*args, cwd=tmp_path)
    assert proc.returncode == code, proc.stderr
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith(message), proc.stderr


def test_damaged_snapshot_is_refused(tmp_path):
    doc = json.loads(SEED.read_text())
    doc["run"] = "garbage"
    del doc["experiment"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    for args, code in ((["report", str(bad)], 2), (["diff", str(bad), str(SEED)], 2)):
        proc = snap(*args)
        assert proc.returncode == code
        assert "is a damaged snapshot ('run' is a str, not an object; no 'experiment' section)" in proc.stderr


def test_written_files_follow_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        proc = snap("report", str(SEED), "-o", str(tmp_path / "r.md"))
    finally:
        os.umask(old)
    assert proc.returncode == 0, proc.stderr
    assert stat.S_IMODE((tmp_path / "r.md").stat().st_mode) == 0o644
    assert re.match(r"^\nMLflow Model: _models:/Conversational_Task/6_\n", (tmp_path / "r.md").read_text())
