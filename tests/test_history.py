"""`snap changes`, `@{WHEN}` references and `snap compare` on a registry the suite builds and captures
three times with `snap capture --all`, with planted events between (tests/support/history_registry.py),
and on a migrated copy of it. Every command here runs offline: mlflow cannot be imported."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.support import history_registry as hr
from tests.support.commands import snap
from tests.support.offline import without_mlflow
from tests.support.registry import AWKWARD, CHURN, ECHO
from tests.support.servers import mlflow_server

GAP = ("--gap", "1")  # captures here are seconds apart, not nights


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """A server of its own (the events change the registry), captured three times into `store`."""
    root = tmp_path_factory.mktemp("history")
    with mlflow_server(root / "server") as uri:
        facts = hr.build_history(uri, root / "store")
        yield {"uri": uri, "store": str(root / "store"), "facts": facts, "root": root}


@pytest.fixture(scope="module")
def migrated(history):
    """A second registry on a second server (the new workspace), made by migrating the first, captured into its own store."""
    root = history["root"] / "migrated"
    with mlflow_server(root / "server") as target:
        numbers = hr.migrate(history["uri"], target)
        store = root / "store"
        snap("capture", "--all", "--tracking-uri", target, "--store", str(store), "--format", "json")
        yield {"store": str(store), "numbers": numbers}


@pytest.fixture(scope="module")
def offline(tmp_path_factory):
    """An environment in which `import mlflow` fails, as on a machine without it."""
    return without_mlflow(tmp_path_factory.mktemp("no-mlflow"))


def _changes(history, offline, *args, fmt="json"):
    return snap("changes", "--store", history["store"], *GAP, "--format", fmt, *args, env=offline, check=False)


def _events(proc) -> set[tuple]:
    assert proc.returncode in (0, 1), proc.stderr
    return {(e["section"], e["kind"], e["model"], e["version"], e["key"], e["old"], e["new"])
            for e in json.loads(proc.stdout)["events"]}


def _first_expected() -> set[tuple]:
    alias, old, new = hr.FIRST["alias_moved"]
    key, tag_old, tag_new = hr.FIRST["model_tag_changed"]
    echo_v, text = hr.FIRST["echo_description_set"]
    v, vkey, vold, vnew = hr.FIRST["version_tag_changed"]
    return {
        ("aliases", "moved", CHURN, None, alias, old, new),
        ("tags", "changed", CHURN, None, key, tag_old, tag_new),
        ("versions", "deleted", CHURN, hr.FIRST["deleted"], None, None, None),
        ("description", "set", ECHO, echo_v, "description", "", text),  # MLflow returns "" for no description
        ("tags", "changed", CHURN, v, vkey, vold, vnew),
    }


def _second_expected() -> set[tuple]:
    alias, old, new = hr.SECOND["alias_moved_back"]
    desc_old, desc_new = hr.SECOND["model_description"]
    v, key, tag_old = hr.SECOND["version_tag_removed"]
    return {
        ("aliases", "moved", CHURN, None, alias, old, new),
        ("versions", "appeared", CHURN, hr.SECOND["new_version"], None, "3", None),  # old: the version it is compared with
        ("description", "changed", CHURN, None, "description", desc_old, desc_new),
        ("tags", "removed", CHURN, v, key, tag_old, None),
        ("models", "appeared", hr.NEW_MODEL, None, None, None, None),
        ("versions", "appeared", hr.NEW_MODEL, "1", None, None, None),
    }


def test_changes_over_all_captures_lists_every_planted_event_and_nothing_else(history, offline):
    captures = history["facts"]["captures"]
    proc = _changes(history, offline, "--since", captures[0][-1], "--until", captures[2][-1])
    assert proc.returncode == 1
    assert _events(proc) == _first_expected() | _second_expected()


def test_alias_moved_and_back_is_seen_between_the_right_captures(history, offline):
    first, second, third = history["facts"]["captures"]
    proc = _changes(history, offline, "--since", first[-1], "--until", third[-1])
    moves = [e for e in json.loads(proc.stdout)["events"] if e["section"] == "aliases"]
    seen = [(e["old"], e["new"], e["before"].replace("-", "").replace(":", ""), e["after"].replace("-", "").replace(":", ""))
            for e in moves]
    assert [(old, new) for old, new, _, _ in seen] == [("2", "3"), ("3", "2")]
    assert seen[0][2] in first and seen[0][3] in second
    assert seen[1][2] in second and seen[1][3] in third


def test_default_window_is_the_two_newest_captures(history, offline):
    proc = _changes(history, offline)
    assert proc.returncode == 1
    assert _events(proc) == _second_expected()


def test_new_version_with_a_breaking_signature_fails_on_breaking(history, offline):
    first, second, _ = history["facts"]["captures"]
    proc = _changes(history, offline, "--fail-on", "breaking")
    assert proc.returncode == 1
    appeared = [e for e in json.loads(proc.stdout)["events"] if e["version"] == hr.SECOND["new_version"]]
    assert appeared[0]["breaking"] is True
    assert f"inputs.{hr.SECOND['new_input']}: new required input" in appeared[0]["summary"]["breaking"]
    # champion moved from v2 to v3, whose signature needs one more input than v2's: the move is breaking
    window = ("--since", first[-1], "--until", second[-1])
    moved = _changes(history, offline, *window, "--fail-on", "breaking")
    assert moved.returncode == 1
    move = next(e for e in json.loads(moved.stdout)["events"] if e["section"] == "aliases")
    assert move["breaking"] is True
    assert "inputs.support_calls: new required input" in move["summary"]["breaking"]
    assert _changes(history, offline, *window, "--fail-on", "status").returncode == 0
    assert _changes(history, offline, *window, "--fail-on", "versions").returncode == 1


def test_model_filter_and_an_empty_window(history, offline):
    captures = history["facts"]["captures"]
    only_echo = _changes(history, offline, "--since", captures[0][-1], "--model", ECHO)
    assert _events(only_echo) == {e for e in _first_expected() if e[2] == ECHO}
    # --until alone: the window ends there, and starts where the capture before it ended
    assert _events(_changes(history, offline, "--until", _stem_after(captures[1]))) == _first_expected()
    quiet = _changes(history, offline, "--since", captures[2][-1], "--until", "now")
    assert quiet.returncode == 0 and json.loads(quiet.stdout)["events"] == []
    assert "no changes" in _changes(history, offline, "--since", captures[2][-1], fmt="text").stdout


def test_text_and_markdown_say_what_json_says(history, offline):
    captures = history["facts"]["captures"]
    window = ("--since", captures[0][-1], "--until", captures[2][-1])
    events = json.loads(_changes(history, offline, *window).stdout)["events"]
    text = _changes(history, offline, *window, fmt="text").stdout
    md = _changes(history, offline, *window, fmt="md").stdout
    assert text.startswith("Registry changes ")
    assert f"{len(events)} events in 3 models, 3 breaking" in text.splitlines()[0]
    assert md.count("\n| ") == len(events) + 1  # the header row, then one row per event
    for line in ("alias champion moved v2 → v3", "alias champion moved v3 → v2", "v1 deleted",
                 "v4 appeared  BREAKING", "tag domain changed retention → customer-retention",
                 "v2 tag validation_status changed pending → retired", "v3 tag owner removed team-churn → —",
                 "v1 description set \"\" → first echo", "model appeared"):
        assert line in text, line
    for cell in ("alias champion moved", "**BREAKING** v4 appeared", "v1 deleted", "v3 tag owner removed"):
        assert cell in md, cell


def _stem_after(stems: list[str]) -> str:
    """A moment between two captures: just after the last snapshot of `stems`."""
    return stems[-1].replace("Z", "1Z") if len(stems[-1]) < 23 else stems[-1][:-2] + "9Z"


def test_alias_at_a_moment_and_diff_shows_the_move(history, offline):
    first, second, third = history["facts"]["captures"]
    when = _stem_after(second)
    proc = snap("diff", f"Churn@champion@{{{when}}}", "Churn@champion", "--store", history["store"],
                "--format", "json", env=offline, check=False)
    assert proc.returncode == 1, proc.stderr
    result = json.loads(proc.stdout)
    assert (result["left"]["version"], result["right"]["version"]) == ("3", "2")
    moves = [c for c in result["changes"] if c["path"] == "registered_model.aliases.champion"]
    assert [(c["kind"], c["old"], c["new"]) for c in moves] == [("moved", "3", "2")]
    assert result["left"]["captured_at"].replace("-", "").replace(":", "") in second
    note = proc.stderr.strip().splitlines()[0]
    assert note.startswith(f"note: Churn@champion@{{{when}}}: Churn v3 as captured at {result['left']['captured_at']} (next capture ")
    # The next capture: a snapshot the third capture wrote, or (the model unchanged) the time that capture
    # finished, from the census `capture --all` left in the store.
    next_stem = note.split("next capture ")[1].rstrip(")").replace("-", "").replace(":", "")
    censuses = [name[:-5] for name in os.listdir(Path(history["store"]) / ".snap-census")]
    assert next_stem in third or (next_stem in censuses and third[0] <= next_stem), (next_stem, third, censuses)


def test_version_at_a_moment(history, offline):
    first, second, _ = history["facts"]["captures"]
    store = ("--store", history["store"])
    before_delete = snap("report", f"Churn/1@{{{_stem_after(first)}}}", *store, env=offline, check=False)
    assert before_delete.returncode == 0, before_delete.stderr
    assert "Churn model, attempt 1" in before_delete.stdout
    after_delete = snap("report", f"Churn/1@{{{_stem_after(second)}}}", *store, env=offline, check=False)
    assert after_delete.returncode == 3
    assert after_delete.stderr.startswith(f"Error: 'Churn/1@{{{_stem_after(second)}}}': Churn v1 was gone at ")
    too_early = snap("report", f"Churn/4@{{{_stem_after(first)}}}", *store, env=offline, check=False)
    assert too_early.returncode == 3 and "Churn v4 has no snapshot at or before" in too_early.stderr
    bad = snap("report", "Churn/2@{next tuesday}", *store, env=offline, check=False)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "is not a moment" in bad.stderr


def _log(history, offline, ref, fmt="json"):
    return snap("log", ref, "--store", history["store"], "--format", fmt, env=offline, check=False)


def _stem(iso: str) -> str:
    return iso.replace("-", "").replace(":", "")


def test_log_at_a_moment_is_the_history_that_led_there(history, offline):
    """`snap log REF@{WHEN}` resolves REF as diff and report do, and ends at the snapshot current at WHEN."""
    first, second, third = history["facts"]["captures"]
    when = _stem_after(second)
    at = _log(history, offline, f"Churn@champion@{{{when}}}")  # champion was on v3 then (moved back later)
    assert at.returncode == 0, at.stderr
    timeline = json.loads(at.stdout)
    assert (timeline["model"], timeline["version"]) == (CHURN, "3")
    steps = [_stem(s["captured_at"]) for s in timeline["steps"]]
    assert len(steps) == 2 and steps[0] in first and steps[1] in second
    assert at.stderr.startswith(f"note: Churn@champion@{{{when}}}: Churn v3 as captured at {timeline['steps'][-1]['captured_at']} "
                                "(next capture ")
    whole = json.loads(_log(history, offline, "Churn/3").stdout)
    assert whole["steps"][:2] == timeline["steps"] and _stem(whole["steps"][2]["captured_at"]) in third
    assert json.loads(_log(history, offline, "Churn@champion").stdout)["version"] == "2"  # where it points now
    early = json.loads(_log(history, offline, f"Churn/3@{{{_stem_after(first)}}}").stdout)
    assert [_stem(s["captured_at"]) for s in early["steps"]] == steps[:1]
    text = _log(history, offline, f"Churn@champion@{{{when}}}", fmt="text")
    assert text.stdout.startswith("Churn v3: 2 snapshots\n")
    too_early = _log(history, offline, f"Churn/4@{{{_stem_after(first)}}}")
    assert too_early.returncode == 2 and too_early.stdout == ""  # every snap log error exits 2
    assert too_early.stderr.startswith(f"Error: 'Churn/4@{{{_stem_after(first)}}}': Churn v4 has no snapshot at or before ")


def test_changelog_over_forked_workers_equals_one_process(history):
    """A large window spreads the models over forked workers (history.parallel): the same changelog as one process."""
    from history.changes import changelog
    from history.source import StoreView

    first, _, third = history["facts"]["captures"]
    serial = changelog(StoreView(history["store"]), first[-1], third[-1], gap_seconds=1, workers=1)
    forked = changelog(StoreView(history["store"]), first[-1], third[-1], gap_seconds=1, workers=2)
    assert forked == serial
    assert len(serial.events) == len(_first_expected() | _second_expected())


def _compare(left, right, offline, fmt="json"):
    return snap("compare", left, right, "--format", fmt, env=offline, check=False)


def test_compare_matches_every_migrated_version_by_content(history, migrated, offline):
    proc = _compare(history["store"], migrated["store"], offline)
    assert proc.returncode == 1, proc.stderr
    result = json.loads(proc.stdout)
    pairs = {(p["left"]["model"], p["left"]["version"]): p for p in result["pairs"]}
    assert {k: (p["right"]["model"], p["right"]["version"]) for k, p in pairs.items()} == {
        key: (key[0], number) for key, number in migrated["numbers"].items()}
    assert [(v["model"], v["version"]) for v in result["left_only"]] == [hr.LEFT_OUT]
    assert result["right_only"] == [] and result["ambiguous"] == []
    model, version, param, old, new = hr.CHANGED
    for key, pair in pairs.items():
        if key != (model, version):
            assert pair["changes"] == [], (key, pair["changes"])
    changed = {(c["path"], c["old"], c["new"]) for c in pairs[(model, version)]["changes"]}
    assert (f"run.params.{param}", old, new) in changed


def test_compare_in_text_and_markdown_and_against_itself(history, migrated, offline):
    text = _compare(history["store"], migrated["store"], offline, fmt="text").stdout
    md = _compare(history["store"], migrated["store"], offline, fmt="md").stdout
    assert "differ; 6 matched (1 with differences), 1 left only, 0 right only, 0 ambiguous" in text
    assert "  left only   Churn v4  ↔  —" in text
    assert "run.params.prefix hello → hallo" in text
    assert "| left only | Churn v4 | — |" in md
    assert f"| same | {AWKWARD} v1 | {AWKWARD} v1 |" in md
    same = _compare(history["store"], history["store"], offline)
    assert same.returncode == 0 and json.loads(same.stdout)["agree"] is True


def test_compare_at_a_moment_sees_the_registry_then(history, offline):
    first, _, _ = history["facts"]["captures"]
    proc = _compare(f"{history['store']}@{{{_stem_after(first)}}}", history["store"], offline)
    result = json.loads(proc.stdout)
    assert proc.returncode == 1
    assert [(v["model"], v["version"]) for v in result["left_only"]] == [(CHURN, hr.FIRST["deleted"])]
    assert sorted((v["model"], v["version"]) for v in result["right_only"]) == [(CHURN, "4"), (hr.NEW_MODEL, "1")]


# Engine tier: plain documents, no server.

def test_when_forms():
    from datetime import UTC, datetime

    from history.when import parse_when

    now = datetime(2026, 12, 2, 15, 0, 0, tzinfo=UTC)
    assert parse_when("2026-11-01", now) == "20261101T000000.000000Z"
    assert parse_when("2026-11-01T21:30+01:00", now) == "20261101T203000.000000Z"
    assert parse_when("20261126T213000.123456Z", now) == "20261126T213000.123456Z"
    assert parse_when("yesterday", now) == "20261201T000000.000000Z"
    assert parse_when("7d", now) == "20261125T150000.000000Z"
    assert parse_when("12h", now) == "20261202T030000.000000Z"
    assert parse_when("now", now) == "20261202T150000.000000Z"
    from snapshot.errors import BadOption

    with pytest.raises(BadOption, match="'last week' is not a moment"):
        parse_when("last week", now, option="--since")


def _store_of(root, docs):
    from snapshot.formats.document import seal
    from snapshot.store.layout import write_to_store

    for i, doc in enumerate(docs):
        write_to_store(seal(doc, f"2026-11-27T10:00:00.{i:06d}Z"), root, "json")
    return str(root)


def _renumbered(doc: dict, version: str) -> dict:
    import copy

    doc = copy.deepcopy(doc)
    doc["manifest"]["model_version"] = version
    doc["model_version"]["version"] = version
    return doc


def test_compare_reports_equally_good_matches_as_ambiguous(tmp_path, offline):
    from snapshot.formats.files import load_snapshot
    from tests.support.reference import REPO

    captured = REPO / "fixtures" / "captured"
    v3 = load_snapshot(next((captured / "Churn" / "v3").glob("*.json")))
    right = _store_of(tmp_path / "right", [_renumbered(v3, "7"), _renumbered(v3, "8")])
    proc = _compare(str(captured), right, offline)
    assert proc.returncode == 1, proc.stderr
    result = json.loads(proc.stdout)
    assert result["pairs"] == []
    assert sorted((v["model"], v["version"]) for v in result["left_only"]) == [(CHURN, "2"), (ECHO, "1")]
    sides = {(a["side"], a["version"]["version"]): [c["version"] for c in a["candidates"]] for a in result["ambiguous"]}
    assert sides == {("left", "3"): ["7", "8"], ("right", "7"): ["3"], ("right", "8"): ["3"]}


def test_changelog_diffs_equal_the_diff_engine_on_whole_documents():
    """history's faster diff (equal parts left out first) gives exactly what `snap diff` gives."""
    import copy

    from diff.engine import diff_snapshots
    from history.changes import diff_docs
    from snapshot.formats.files import load_snapshot
    from tests.support.reference import REPO

    captured = REPO / "fixtures" / "captured"
    v2, v3 = (load_snapshot(next((captured / "Churn" / v).glob("*.json"))) for v in ("v2", "v3"))
    echo = load_snapshot(next((captured / "Echo" / "v1").glob("*.json")))
    retagged = copy.deepcopy(v3)
    retagged["model_version"]["tags"]["owner"] = "team-retention"
    retagged["unavailable"] = {**(retagged.get("unavailable") or {}), "run.model_inputs": "not returned by search_runs"}
    retagged["run"]["model_inputs"] = None
    for left, right in ((v2, v3), (v3, v2), (v3, retagged), (retagged, v3), (v2, echo), (v3, v3)):
        fast, whole = diff_docs(left, right), diff_snapshots(left, right)
        assert (fast.left, fast.right, fast.changes, fast.tolerated) == (whole.left, whole.right, whole.changes, whole.tolerated)


def test_changes_and_compare_read_stores_on_s3(history, migrated, offline):
    """The same answers from the same stores copied to a real S3 API server (files and index, as `aws s3 sync` copies them)."""
    from pathlib import Path

    from tests.support.s3 import s3_server

    first, _, third = history["facts"]["captures"]
    window = ("--since", first[-1], "--until", third[-1])
    with s3_server() as s3:
        url = s3.bucket("history")
        client = s3.client()
        for prefix, folder in (("left", Path(history["store"])), ("right", Path(migrated["store"]))):
            for path in sorted(p for p in folder.rglob("*") if p.is_file()):
                client.put_object(Bucket="history", Key=f"{prefix}/{path.relative_to(folder).as_posix()}", Body=path.read_bytes())
        env = {**offline, **s3.env}
        remote = snap("changes", "--store", f"{url}/left", *GAP, "--format", "json", *window, env=env, check=False)
        assert _events(remote) == _events(_changes(history, offline, *window))
        at_s3 = json.loads(snap("compare", f"{url}/left", f"{url}/right", "--format", "json", env=env, check=False).stdout)
        local = json.loads(_compare(history["store"], migrated["store"], offline).stdout)
        for key in ("pairs", "left_only", "right_only", "ambiguous", "agree"):
            assert at_s3[key] == local[key], key
