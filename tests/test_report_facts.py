"""The report shows a reviewer every fact the snapshot holds (#14): read as a reviewer reads it.

Assistant v3 is logged into a real MLflow server and captured by tests/support/fidelity.py.
"""

from __future__ import annotations

import re

import pytest

from tests.support.commands import snap
from tests.support.fidelity import RUN_FILES, assistant_store


@pytest.fixture(scope="module")
def report(mlflow_server, tmp_path_factory):
    assistant = assistant_store(mlflow_server, tmp_path_factory.mktemp("assistant"))
    return snap("report", str(assistant["files"]["3"])).stdout


def _section(text: str, heading: str) -> str:
    """From `heading` to the next heading of the same or a higher level."""
    level = heading.split(" ", 1)[0]
    start = text.index(f"\n{heading}\n")
    rest = text[start + len(heading) + 2:]
    end = re.search(rf"\n#{{1,{len(level)}}} ", rest)
    return rest[: end.start()] if end else rest


def test_signature_params_with_types_defaults_and_shapes(report):
    params = _section(report, "### Params")
    assert "|Param|Type|Default|Shape|" in params
    assert "|temperature|double|0.7||" in params
    assert '|max_tokens|string|"16"||' in params  # the string "16", not the number
    assert '|stop|string|["\\n"]|[-1]|' in params


def test_output_column_names(report):
    outputs = _section(report, "### Output Columns")
    assert "|answer|string|True|" in outputs and "|score|double|True|" in outputs


def test_python_env_yaml_is_shown(report):
    python_env = _section(report, "## python_env.yaml")
    assert "None found" not in python_env
    assert "|--requirement|requirements.txt|" in python_env
    build = _section(python_env, "### Build Dependencies")
    assert re.search(r"\|pip\|==[\d.]+\|", build) and "|setuptools|" in build and "|wheel||" in build


def test_pip_options_and_hashes_beside_the_packages(report):
    requirements = _section(report, "## requirements.txt")
    assert "|--index-url|https://attacker.invalid/simple|" in requirements
    assert "|--extra-index-url|https://mirror.invalid/simple|" in requirements
    assert "|numpy|==1.26.4|" in requirements and "|numpy|sha256:" + "ab" * 32 + "|" in requirements
    assert "|private-pkg|@ git+https://[REDACTED]@gitlab.example.invalid/org/private-pkg.git@v1.1|" in requirements


def test_run_artifact_tree_with_sizes_folded_when_long(report):
    files = _section(_section(report, "# Run Artifacts"), "## Files")
    assert "<details><summary>" in files and "</details>" in files
    assert "|notes/|dir|" in files
    assert sum(1 for line in files.splitlines() if re.match(r"\|\s*note-\d\d\.txt\|file\|[78]\|", line.replace(
        "\u00a0", " "))) == RUN_FILES
    assert re.search(r"\|\s*requirements\.txt\|file\|\d+\|", files.replace("\u00a0", " "))


def test_json_valued_tags_as_stored(report):
    stored = _section(report, "## Values As Stored")
    assert '|run tag|config|{"a": 1}|' in stored
    assert "{'a': 1}" not in stored
