"""MLflow's prompts, against a real server: registered models tagged `mlflow.prompt.is_prompt`.

MLflow's searches leave prompts out unless asked for them, and its client refuses a
prompt's download URI. `snap capture --all` leaves them out by default and says how
many; `--prompts include|only` captures them, each snapshot labelled
`manifest.kind: "prompt"`, which `snap report` and `snap diff` show. A registered
model's snapshot carries no `kind`, as before prompts were handled.
"""

from __future__ import annotations

import json

import pytest

from snapshot.formats.files import load_snapshot
from tests.support.commands import snap
from tests.support.populate import populate_model
from tests.support.servers import mlflow_server

PROMPT = "greeter"


@pytest.fixture(scope="module")
def prompt_server(tmp_path_factory):
    """A server holding one model ("Plain", one version) and one prompt ("greeter", two versions)."""
    import mlflow

    with mlflow_server(tmp_path_factory.mktemp("prompt-server")) as uri:
        populate_model(uri, "Plain", versions=1, params=2, metrics=2, tags=2, workers=1)
        mlflow.set_tracking_uri(uri)
        mlflow.genai.register_prompt(name=PROMPT, template="Hello {{name}}", commit_message="first")
        mlflow.genai.register_prompt(name=PROMPT, template="Hi {{name}}!", commit_message="second")
        yield uri


def _listed(store) -> list[tuple[str, str]]:
    rows = json.loads(snap("list", "--store", str(store), "--format", "json").stdout)
    return [(r["model"], r["version"]) for r in rows]


def _newest(store, name: str, version: str) -> dict:
    return load_snapshot(sorted((store / name / f"v{version}").glob("*.json"))[-1])


def test_all_leaves_prompts_out_by_default_and_says_so(prompt_server, tmp_path):
    store = tmp_path / "store"
    proc = snap("capture", "--all", "--tracking-uri", prompt_server, "--store", str(store))
    assert _listed(store) == [("Plain", "1")]
    assert "left out 1 prompts (MLflow's searches leave them out); --prompts include captures them" in proc.stdout
    assert "kind" not in _newest(store, "Plain", "1")["manifest"]


def test_prompts_include_captures_them_labelled(prompt_server, tmp_path):
    store = tmp_path / "store"
    proc = snap("capture", "--all", "--prompts", "include", "--tracking-uri", prompt_server, "--store", str(store))
    assert "left out" not in proc.stdout
    assert _listed(store) == [("Plain", "1"), (PROMPT, "1"), (PROMPT, "2")]
    doc = _newest(store, PROMPT, "2")
    assert doc["manifest"]["kind"] == "prompt"
    assert doc["model_version"]["tags"]["mlflow.prompt.text"] == "Hi {{name}}!"
    assert doc["model_version"]["download_uri"] is None
    assert "a prompt (tag mlflow.prompt.is_prompt) has no model files" in doc["unavailable"]["mlmodel"]
    assert "kind" not in _newest(store, "Plain", "1")["manifest"]

    for _ in ("as written", "after reindex (sorted index segments)"):
        rows = json.loads(snap("list", "--store", str(store), "--format", "json").stdout)
        assert [r.get("kind") for r in rows] == [None, "prompt", "prompt"]
        table = snap("list", "--store", str(store)).stdout.splitlines()
        assert table[0].split()[:3] == ["MODEL", "VERSION", "KIND"]
        assert [line.split()[:3] for line in table[1:]] == [["Plain", "1", "model"], [PROMPT, "1", "prompt"],
                                                             [PROMPT, "2", "prompt"]]
        snap("reindex", "--store", str(store))

    report = snap("report", f"{PROMPT}/2", "--store", str(store)).stdout
    assert report.lstrip().startswith(f"MLflow Prompt: _models:/{PROMPT}/2_\n")
    assert "|kind|prompt|" in report
    plain = snap("report", "Plain/1", "--store", str(store)).stdout
    assert plain.lstrip().startswith("MLflow Model: _models:/Plain/1_\n") and "|kind|" not in plain

    text = snap("diff", f"{PROMPT}/1", f"{PROMPT}/2", "--store", str(store), check=False).stdout
    assert text.startswith(f"prompt {PROMPT} v1 → v2: ")
    assert "mlflow.prompt.text" in text
    data = json.loads(snap("diff", f"{PROMPT}/1", f"{PROMPT}/2", "--store", str(store), "--format", "json",
                           check=False).stdout)
    assert data["left"]["kind"] == data["right"]["kind"] == "prompt"
    markdown = snap("diff", f"{PROMPT}/1", f"{PROMPT}/2", "--store", str(store), "--format", "md",
                    check=False).stdout
    assert markdown.startswith(f"## prompt {PROMPT} v1 → v2\n")


def test_prompts_only_and_a_prompt_named_by_uri(prompt_server, tmp_path):
    only = tmp_path / "only"
    snap("capture", "--all", "--prompts", "only", "--tracking-uri", prompt_server, "--store", str(only))
    assert _listed(only) == [(PROMPT, "1"), (PROMPT, "2")]
    named = tmp_path / "named"  # a prompt named by URI is captured whatever --prompts says
    snap("capture", f"models:/{PROMPT}", "--tracking-uri", prompt_server, "--store", str(named))
    assert _listed(named) == [(PROMPT, "1"), (PROMPT, "2")]
    out = tmp_path / "latest.json"
    snap("capture", f"models:/{PROMPT}/latest", "--tracking-uri", prompt_server, "-o", str(out))
    doc = load_snapshot(out)
    assert (doc["manifest"]["model_version"], doc["manifest"]["kind"]) == ("2", "prompt")


def test_prompts_option_needs_all():
    proc = snap("capture", "models:/Plain/1", "--prompts", "include", check=False)
    assert proc.returncode == 2
    assert proc.stderr == ("Error: --prompts selects what --all captures; add --all "
                           "(a prompt named by URI is always captured)\n")
