"""Integrity (#14 item 5): a snapshot edited after capture is refused, or read anyway and marked modified.

Snapshots come from a real capture against the suite's MLflow server; the edits are
made the way a person would: in the JSON text, and in the Parquet rows with pyarrow.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from snapshot.formats.document import content_hash
from snapshot.formats.files import load_snapshot
from snapshot.formats.integrity import SnapshotModified, allowing_modified, is_modified, modified_warning
from snapshot.store.layout import list_entries
from tests.support.commands import snap
from tests.support.stores import capture_versions, copy_of

pytestmark = pytest.mark.server
ROOT = Path(__file__).resolve().parents[1]
EDITED = "999-edited-by-hand"
REFUSED = re.compile(r"^Error: (?:(left|right) side: )?(\S+) was modified after capture: its content hashes to "
                     r"sha256:[0-9a-f]{64}, not the sha256:[0-9a-f]{64} it was sealed with; capture it again, "
                     r"or read it anyway with --allow-modified \(or SNAP_ALLOW_MODIFIED=1\)\n$")


@pytest.fixture(scope="module")
def captured(registry, mlflow_server, tmp_path_factory):
    """Churn v2 and v3 captured into a store by the CLI, JSON and Parquet."""
    return capture_versions(tmp_path_factory.mktemp("integrity-store"), mlflow_server, "Churn", ("2", "3"))


@pytest.fixture
def store(captured, tmp_path):
    return copy_of(captured, tmp_path)


def _files(store: Path, version: str) -> tuple[Path, Path]:
    entry = next(e for e in list_entries(store) if e.model == "Churn" and e.version == version)
    return entry.path, entry.path.with_suffix(".parquet")


def _a_param(doc: dict) -> str:
    return sorted(doc["run"]["params"])[0]


def edit_json(path: Path) -> str:
    """Change one run param in the JSON text, leaving everything else (the hash too) as it was."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    key = _a_param(doc)
    doc["run"]["params"][key] = EDITED
    path.write_text(json.dumps(doc, indent=2, sort_keys=True), encoding="utf-8")
    return key


def edit_parquet(path: Path) -> str:
    """Change one run param's row in the Parquet file with pyarrow."""
    table = pq.read_table(path)
    rows = table.to_pylist()
    key = _a_param(load_snapshot(path))
    row = next(r for r in rows if r["path"] == f"/run/params/{key}")
    row["value_str"] = EDITED
    edited = pa.Table.from_pylist(rows, schema=table.schema).replace_schema_metadata(table.schema.metadata)
    pq.write_table(edited, path)
    return key


@pytest.mark.parametrize("edit", [edit_json, edit_parquet], ids=["json", "parquet"])
def test_report_refuses_an_edited_snapshot_and_marks_it_when_allowed(store, edit):
    json_file, parquet_file = _files(store, "3")
    target = json_file if edit is edit_json else parquet_file
    edit(target)

    refused = snap("report", str(target), check=False)
    assert refused.returncode == 2 and refused.stdout == ""
    m = REFUSED.match(refused.stderr)
    assert m and m.group(2) == str(target), refused.stderr

    for extra, env in (((("--allow-modified",)), None), ((), {"SNAP_ALLOW_MODIFIED": "1"})):
        shown = snap("report", str(target), *extra, env=env)
        first = shown.stdout.splitlines()[1]
        assert first.startswith("> **Warning: this snapshot was modified after capture: its content hashes to sha256:")
        assert first.endswith("; do not treat it as captured evidence**")
        assert f"|{EDITED}|" in shown.stdout

    untouched = snap("report", str(parquet_file if edit is edit_json else json_file))
    assert "Warning" not in untouched.stdout and untouched.stdout.startswith("\nMLflow Model: _models:/Churn/3_\n")


@pytest.mark.parametrize("edit", [edit_json, edit_parquet], ids=["json", "parquet"])
def test_diff_refuses_an_edited_side_and_marks_it_when_allowed(store, edit):
    left = _files(store, "2")[0]
    right = _files(store, "3")[0 if edit is edit_json else 1]
    key = edit(right)

    refused = snap("diff", str(left), str(right), check=False)
    assert refused.returncode == 2 and refused.stdout == ""
    m = REFUSED.match(refused.stderr)
    assert m and m.groups() == ("right", str(right)), refused.stderr

    note = "Warning: the right snapshot (Churn v3) was modified after capture: " \
           "its content no longer matches its content hash"
    text = snap("diff", str(left), str(right), "--allow-modified", check=False)
    assert text.returncode == 1 and text.stdout.splitlines()[1] == note
    md = snap("diff", str(left), str(right), "--allow-modified", "--format", "md", check=False)
    assert f"\n> **{note}**\n" in md.stdout
    data = json.loads(snap("diff", str(left), str(right), "--allow-modified", "--format", "json", check=False).stdout)
    assert data["right"]["modified"] is True and "modified" not in data["left"]
    assert {"path": f"run.params.{key}", "new": EDITED} in [{"path": c["path"], "new": c["new"]}
                                                            for c in data["changes"]]


def test_diff_of_intact_snapshots_has_no_mark(store):
    left, right = _files(store, "2")[0], _files(store, "3")[1]
    data = json.loads(snap("diff", str(left), str(right), "--format", "json", check=False).stdout)
    assert "modified" not in data["left"] and "modified" not in data["right"]
    assert "Warning" not in snap("diff", str(left), str(right), check=False).stdout


def test_log_reads_an_edited_snapshot_only_when_allowed(store):
    older = _files(store, "3")[0]
    edit_json(older)
    refused = snap("log", "Churn/3", "--store", str(store), check=False)
    assert refused.returncode == 2 and REFUSED.match(refused.stderr), refused.stderr
    allowed = snap("log", "Churn/3", "--store", str(store), "--allow-modified")
    assert allowed.stderr == f"Warning: {older} was modified after capture (content hash mismatch)\n"


def test_loader_refuses_in_process_and_allows_inside_the_block(store):
    path = _files(store, "3")[0]
    edit_json(path)
    with pytest.raises(SnapshotModified):
        load_snapshot(path)
    with allowing_modified() as seen:
        doc = load_snapshot(path)
    assert seen == [str(path)] and is_modified(doc) and modified_warning(doc)
    with pytest.raises(SnapshotModified):  # the permission ends with the block
        load_snapshot(path)


def test_captured_fixture_and_imported_snapshots_still_verify(store, tmp_path):
    from snapshot.importer.archive import import_report

    paths = [e.path for e in list_entries(store)] + sorted((ROOT / "fixtures").rglob("v*/*.*"))
    paths += [ROOT / "fixtures" / "seed" / "Conversational_Task_v6.json"]
    for path in paths:
        doc = load_snapshot(path)
        assert doc["manifest"]["content_hash"] == content_hash(doc) and not is_modified(doc), path
    report = tmp_path / "report.json"
    report.write_text(json.dumps(_small_archive()), encoding="utf-8")
    assert not is_modified(import_report(report))


def _small_archive() -> dict:
    return {
        "manifest": {"model_uri": "models:/Churn/2", "timestamp": "2023-07-31 21:06:27"},
        "mlflow_model": {"artifact_path": "model", "flavors": {}},
        "model_version": {"name": "Churn", "version": "2"},
    }


def test_env_var_must_be_set_to_allow(store, monkeypatch):
    path = _files(store, "3")[0]
    key = edit_json(path)
    monkeypatch.setenv("SNAP_ALLOW_MODIFIED", "0")
    with pytest.raises(SnapshotModified):
        load_snapshot(path)
    monkeypatch.setenv("SNAP_ALLOW_MODIFIED", "1")
    assert load_snapshot(path)["run"]["params"][key] == EDITED


def test_a_content_hash_that_is_not_a_hash_is_never_quoted(tmp_path):
    from tests.support.documents import make_doc

    doc = make_doc("3")
    doc["manifest"]["content_hash"] = "<img src=x onerror=alert(1)>"
    path = tmp_path / "s.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with allowing_modified():
        loaded = load_snapshot(path)
    warning = modified_warning(loaded)
    assert warning.startswith("this snapshot was modified after capture: its content_hash is not a sha256 hash")
    assert "<img" not in warning


def test_a_capture_time_edited_by_hand_is_refused_and_verify_reports_it(store):
    """captured_at is outside the content hash (two captures of one content hash alike); a store file is named
    for its capture time, so an edited one no longer matches its name."""
    path = sorted(Path(store).glob("Churn/v*/*.json"))[0]
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["manifest"]["captured_at"] = "2020-01-01T00:00:00.000000Z"
    path.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    proc = snap("report", str(path), check=False)
    assert proc.returncode == 2, proc.stderr
    assert "captured_at is not the capture time" in proc.stderr and "Traceback" not in proc.stderr
    verify = snap("verify", str(store), "--format", "json", check=False)
    assert verify.returncode == 1
    assert [c["path"] for c in json.loads(verify.stdout)["files"] if c["status"] == "modified"] == [str(path)]
