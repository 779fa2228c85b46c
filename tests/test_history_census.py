"""Deletions the store can only know from what `capture --all` listed: the census (snapshot/capture/census.py).

Against a real MLflow server (tests/support/servers.py): a version deleted, a
model deleted whole, a model renamed, a prompt that `--all` leaves out by
default, and a capture with `--filter`. None of these writes a snapshot (dedupe
and deletion both write none), so before the census `snap changes` said
nothing of the whole-model ones, and `snap sql --at` and `snap compare` still
held them.
"""

from __future__ import annotations

import json
import time

import pytest

from tests.support.commands import snap
from tests.support.offline import without_mlflow
from tests.support.populate import populate_model
from tests.support.servers import mlflow_server

KEPT, DROPPED, OLD_NAME, NEW_NAME, PROMPT = "Kept", "Dropped", "Before Rename", "After Rename", "hello-prompt"


def _capture(uri: str, store, *extra: str) -> str:
    """`snap capture --all` once; a moment just after it, clear of the next events."""
    snap("capture", "--all", "--tracking-uri", uri, "--store", str(store), "-q", *extra)
    time.sleep(1.2)
    moment = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
    time.sleep(1.2)
    return moment


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    """Captured before and after the departures, then once more with a --filter that leaves all but KEPT out."""
    import mlflow
    from mlflow import MlflowClient

    root = tmp_path_factory.mktemp("census")
    store = root / "store"
    with mlflow_server(root / "server") as uri:
        for name in (KEPT, DROPPED, OLD_NAME):
            populate_model(uri, name, versions=2, params=2, metrics=2, tags=1, workers=1)
        mlflow.set_tracking_uri(uri)
        mlflow.genai.register_prompt(name=PROMPT, template="Hello {{name}}", commit_message="first")
        moments = [_capture(uri, store, "--prompts", "include")]
        client = MlflowClient(uri, registry_uri=uri)
        client.delete_model_version(KEPT, "1")
        client.delete_registered_model(DROPPED)
        client.rename_registered_model(OLD_NAME, NEW_NAME)
        moments.append(_capture(uri, store))  # --prompts exclude: the prompt is left out, not gone
        moments.append(_capture(uri, store, "--filter", f"name = '{KEPT}'"))
        yield {"store": str(store), "moments": moments, "root": root}


@pytest.fixture(scope="module")
def offline(tmp_path_factory):
    return without_mlflow(tmp_path_factory.mktemp("no-mlflow"))


def _events(registry, offline, since: str, until: str) -> list[dict]:
    proc = snap("changes", "--store", registry["store"], "--since", since, "--until", until, "--format", "json",
                env=offline, check=False)
    assert proc.returncode == 1, proc.stderr
    return json.loads(proc.stdout)["events"]


def _brief(events: list[dict]) -> set[tuple]:
    return {(e["section"], e["kind"], e["model"], e["version"]) for e in events}


def test_changes_reports_a_deleted_version_a_deleted_model_and_a_rename(registry, offline):
    first, second, _ = registry["moments"]
    events = _events(registry, offline, first, second)
    assert _brief(events) == {
        ("versions", "deleted", KEPT, "1"),
        ("aliases", "removed", KEPT, None),  # MLflow drops the aliases of a version it deletes ("previous")
        ("models", "deleted", DROPPED, None),
        ("models", "renamed", OLD_NAME, None),
        ("models", "appeared", NEW_NAME, None),
        ("versions", "appeared", NEW_NAME, "1"),
        ("versions", "appeared", NEW_NAME, "2"),
    }
    renamed = next(e for e in events if e["kind"] == "renamed")
    assert (renamed["old"], renamed["new"]) == (OLD_NAME, NEW_NAME)
    deleted = next(e for e in events if e["model"] == KEPT and e["section"] == "versions")
    assert "not listed by the registry" in deleted["detail"]
    text = snap("changes", "--store", registry["store"], "--since", first, "--until", second, env=offline,
                check=False).stdout
    assert "model deleted" in text and "model renamed" in text and f"renamed to {NEW_NAME}" in text


def test_a_capture_with_a_filter_cannot_tell_deleted_from_no_longer_matching(registry, offline):
    _, second, third = registry["moments"]
    events = _events(registry, offline, second, third)
    assert _brief(events) == {("models", "disappeared", NEW_NAME, None)}
    assert "deleted, or no longer matching" in events[0]["detail"]


def test_sql_at_leaves_out_what_was_gone_then(registry, offline):
    first, second, third = registry["moments"]

    def latest(at: str) -> set[tuple[str, str]]:
        proc = snap("sql", "SELECT model, version FROM latest", "--store", registry["store"], "--at", at,
                    "--format", "json", env=offline)
        return {(r["model"], r["version"]) for r in json.loads(proc.stdout)}

    before = {(m, v) for m in (KEPT, DROPPED, OLD_NAME) for v in ("1", "2")} | {(PROMPT, "1")}
    assert latest(first) == before
    after = {(KEPT, "2"), (NEW_NAME, "1"), (NEW_NAME, "2"), (PROMPT, "1")}
    assert latest(second) == after
    assert latest(third) == after  # the filtered capture tells nothing of the models it left out


def test_references_to_a_gone_version_are_refused_and_earlier_ones_name_the_next_capture(registry, offline):
    first, second, _ = registry["moments"]
    gone = snap("report", f"{DROPPED}/1@{{{second}}}", "--store", registry["store"], env=offline, check=False)
    assert gone.returncode == 3, gone.stderr
    assert "was gone at" in gone.stderr and "Traceback" not in gone.stderr
    then = snap("report", f"{DROPPED}/1@{{{first}}}", "--store", registry["store"], env=offline)
    note = next(line for line in then.stderr.splitlines() if line.startswith("note:"))
    assert "next capture none yet" not in note  # the second capture looked, and found it gone


def test_compare_does_not_count_gone_models_as_one_sided(registry, offline):
    """Nor a prompt, matched by its template (it has no model files or run to match by)."""
    _, second, _ = registry["moments"]
    proc = snap("compare", f"{registry['store']}@{{{second}}}", registry["store"], "--format", "json",
                env=offline, check=False)
    data = json.loads(proc.stdout)
    assert data["left_only"] == [] and data["right_only"] == [], data


def test_the_default_window_ends_with_the_newest_capture_s_census(registry, offline):
    """The filtered capture wrote no snapshot (nothing changed): the two newest captures by snapshot are the first
    and second, and the second's census, written after its last snapshot, belongs to its window."""
    first, second, _ = registry["moments"]
    proc = snap("changes", "--store", registry["store"], "--gap", "1", "--format", "json", env=offline, check=False)
    assert proc.returncode == 1, proc.stderr
    assert _brief(json.loads(proc.stdout)["events"]) == _brief(_events(registry, offline, first, second))
