"""Requirement files read with `packaging`: packages, pip options, hashes and credentials."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest

from diff.engine import diff_snapshots
from snapshot.model_files.environment import parse_conda, parse_python_env, parse_requirements
from snapshot.model_files.requirements import parse_requirement_line, parse_requirements_text
from tests.support.commands import snap
from tests.support.fidelity import TOKEN, assistant_store

ROOT = Path(__file__).resolve().parents[1]
CAPTURED = ROOT / "fixtures" / "captured"
SCHEMA = json.loads((ROOT / "snapshot" / "schema.json").read_text())

_FILE = """\
--index-url https://deploy:s3cret@pypi.example.invalid/simple
--extra-index-url=https://extra.example.invalid/simple
-f ./wheels
-r base.txt
-c constraints.txt
--trusted-host pypi.example.invalid
--pre
Requests[socks,security] >= 1.2, < 1.5 ; python_version < "3.12"  # why: old TLS
numpy==1.26.4 \\
    --hash=sha256:aaa \\
    --hash=sha256:bbb
git+https://glpat-abcdefghijklmnopqrst12@gitlab.example.invalid/org/Private_Pkg.git@v1.0#egg=Private_Pkg
"""


def test_packages_are_read_by_packaging():
    parsed = parse_requirements_text(_FILE)
    packages = parsed["packages"]
    assert sorted(packages) == ["numpy", "private-pkg", "requests"]
    requests = packages["requests"]
    assert requests["extras"] == ["security", "socks"]
    assert requests["markers"] == 'python_version < "3.12"'
    assert requests["pinned"] is None
    assert requests["canonical"] == 'requests[security,socks]<1.5,>=1.2; python_version < "3.12"'
    numpy = packages["numpy"]
    assert numpy["specifier"] == "==1.26.4" and numpy["pinned"] == "1.26.4"
    assert numpy["hashes"] == ["sha256:aaa", "sha256:bbb"]


def test_equivalent_specifiers_have_one_canonical_form():
    one = parse_requirement_line("Foo.Bar >= 1.2, < 1.5")
    two = parse_requirement_line("foo_bar<1.5,>=1.2")
    assert one["name"] == two["name"] == "foo-bar"
    assert one["canonical"] == two["canonical"]
    assert one["specifier"] == ">= 1.2, < 1.5"  # the document keeps what the file says


def test_pip_options_are_entries_in_file_order():
    options = parse_requirements_text(_FILE)["options"]
    assert [(o["option"], o["value"]) for o in options] == [
        ("--index-url", "https://[REDACTED]@pypi.example.invalid/simple"),
        ("--extra-index-url", "https://extra.example.invalid/simple"),
        ("--find-links", "./wheels"),
        ("--requirement", "base.txt"),
        ("--constraint", "constraints.txt"),
        ("--trusted-host", "pypi.example.invalid"),
        ("--pre", None),
    ]
    assert parse_requirement_line("-i https://attacker.invalid/simple")["option"] == "--index-url"


def test_credentials_never_survive_parsing():
    text = "\n".join([_FILE, "pkg2 @ git+https://TOKEN@gitlab.example.invalid/org/pkg2.git",
                      "--extra-index-url https://u:p@x.invalid/simple?token=abc"])
    parsed = parse_requirements_text(text)
    flat = repr(parsed)
    for secret in ("s3cret", "deploy:", "glpat-", "TOKEN@", "u:p@", "token=abc"):
        assert secret not in flat
    private = parsed["packages"]["private-pkg"]
    assert private["url"] == "git+https://[REDACTED]@gitlab.example.invalid/org/Private_Pkg.git@v1.0#egg=Private_Pkg"
    assert parsed["packages"]["pkg2"]["url"] == "git+https://[REDACTED]@gitlab.example.invalid/org/pkg2.git"
    # ssh's ordinary git@ user is not a credential
    assert "git@github.com" in parse_requirement_line("-e git+ssh://git@github.com/org/e.git#egg=e")["url"]


def test_comments_blank_lines_and_unreadable_lines():
    assert parse_requirement_line("   # only a comment") is None
    assert parse_requirement_line("") is None
    parsed = parse_requirements_text("ok==1\nnot a requirement!!\n")
    assert list(parsed["packages"]) == ["ok"]
    assert parsed["unparsed"] == ["not a requirement!!"]


# Against a real registry: tests/support/fidelity.py logs Assistant v1-v3 and captures them.


@pytest.fixture(scope="module")
def assistant(mlflow_server, tmp_path_factory):
    return assistant_store(mlflow_server, tmp_path_factory.mktemp("assistant"))


def test_capture_keeps_pip_options_and_removes_the_token(assistant):
    env = assistant["docs"]["1"]["environment"]["requirements"]
    assert env["options"] == [{"option": "--index-url", "value": "https://example.invalid/simple"}]
    assert env["packages"]["numpy"] == "==1.26.4"  # the hash is set aside, not part of the specifier
    assert env["hashes"]["numpy"] == ["sha256:" + "ab" * 32]
    assert env["packages"]["private-pkg"] == \
        "@ git+https://[REDACTED]@gitlab.example.invalid/org/private-pkg.git@v1.0"
    v3 = assistant["docs"]["3"]["environment"]["requirements"]["options"]
    assert [o["option"] for o in v3] == ["--index-url", "--extra-index-url"]
    for path in assistant["files"].values():
        assert TOKEN.encode() not in path.read_bytes(), path


def _diff(assistant, left, right, *extra):
    files = assistant["files"]
    return snap("diff", str(files[str(left)]), str(files[str(right)]), *extra, check=False)


def test_an_index_change_fails_the_requirements_gate(assistant):
    gate = _diff(assistant, 1, 2, "--fail-on", "requirements")
    assert gate.returncode == 1, gate.stdout + gate.stderr
    assert "https://example.invalid/simple" in gate.stdout and "https://attacker.invalid/simple" in gate.stdout
    data = json.loads(_diff(assistant, 1, 2, "--format", "json").stdout)
    moves = [(c["path"], c["kind"], c["old"], c["new"]) for c in data["changes"] if c["section"] == "requirements"]
    assert moves == [("environment.requirements.options.--index-url", "changed",
                      "https://example.invalid/simple", "https://attacker.invalid/simple")]


def test_an_added_extra_index_and_equivalent_specifiers(assistant):
    data = json.loads(_diff(assistant, 2, 3, "--format", "json").stdout)
    requirements = {c["path"]: c for c in data["changes"] if c["section"] == "requirements"}
    extra = requirements["environment.requirements.options.--extra-index-url"]
    assert (extra["kind"], extra["new"]) == ("added", "https://mirror.invalid/simple")
    # `pandas >= 2.0, < 3` and `pandas<3,>=2.0` are one requirement
    assert not any("pandas" in path for path in requirements)
    git = requirements["environment.requirements.packages.private-pkg"]
    assert git["kind"] == "changed" and git["new"].endswith("private-pkg.git@v1.1") and "[REDACTED]@" in git["new"]
    assert _diff(assistant, 2, 3, "--fail-on", "requirements").returncode == 1


def test_conda_pip_list_and_python_env_keep_their_options():
    conda = parse_conda("dependencies:\n- python=3.11.7\n- pip:\n  - --extra-index-url https://u:pw@mirror.invalid/simple\n"
                        "  - numpy==1.26.4\n")
    assert conda["options"] == [{"option": "--extra-index-url", "value": "https://[REDACTED]@mirror.invalid/simple"}]
    assert "pw@" not in conda["raw"] and "pw@" not in repr(conda["parsed"])
    py = parse_python_env("python: 3.11.7\nbuild_dependencies:\n- pip==24.0\ndependencies:\n- -r requirements.txt\n")
    assert py["options"] == [{"option": "--requirement", "value": "requirements.txt"}]
    assert py["build_packages"] == {"pip": "==24.0"}


def test_an_old_snapshot_compares_equal_to_a_new_one_of_the_same_files():
    """A snapshot written before options were recorded: they are read from its raw text."""
    old = json.loads(next((CAPTURED / "Churn" / "v3").glob("*.json")).read_text())
    assert "options" not in old["environment"]["python_env"]
    new = copy.deepcopy(old)
    for name, parse in (("requirements", parse_requirements), ("conda", parse_conda),
                        ("python_env", parse_python_env)):
        new["environment"][name] = parse(old["environment"][name]["raw"])
    assert new["environment"]["python_env"]["options"] == [{"option": "--requirement", "value": "requirements.txt"}]
    assert diff_snapshots(old, new).changes == []
    new["environment"]["requirements"]["options"] = [{"option": "--index-url", "value": "https://x.invalid/simple"}]
    (change,) = diff_snapshots(old, new).changes
    assert (change.section, change.path, change.kind) == (
        "requirements", "environment.requirements.options.--index-url", "added")


def test_captured_documents_match_the_schema(assistant):
    for doc in assistant["docs"].values():
        jsonschema.Draft202012Validator(SCHEMA).validate(doc)


def test_python_version_kept_as_written_in_python_env():
    # YAML reads `python: 3.10` as the number 3.1; the file means Python 3.10.
    assert parse_python_env("python: 3.10\nbuild_dependencies:\n- pip\n")["python"] == "3.10"
    assert parse_python_env('python: "3.9"\n')["python"] == "3.9"
    assert parse_python_env("python: 3.11.7\n")["python"] == "3.11.7"
