"""The store on local disk (#10, #12, #14): its index, long names, damaged and misplaced snapshots,
twins that are whole or absent, orphan temporary files, and `snap reindex`.

Real files in pytest's temporary folders; the snap command is run as a user runs it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time

import pytest

from snapshot.formats.document import seal
from snapshot.formats.files import load_snapshot, write_snapshot
from snapshot.store.backend import open_store
from snapshot.store.index import MODELS, segment_names
from snapshot.store.layout import MAX_NAME_BYTES, escape_name, list_entries, resolve_ref, write_to_store
from tests.support.commands import snap
from tests.support.documents import make_doc

T0, T1, T2 = "2026-11-26T21:30:00.000000Z", "2026-11-27T08:00:00.000000Z", "2026-11-28T08:00:00.000000Z"


def doc_of(name: str = "Churn", version: str = "3", at: str = T0, **params) -> dict:
    doc = make_doc(version, captured_at=at)
    doc["manifest"]["model_name"] = doc["model_version"]["name"] = name
    doc["registered_model"]["name"] = name
    doc["run"]["params"].update(params)
    return seal(doc, at)


def snapshot_files(store) -> list:
    return sorted(p.relative_to(store) for p in store.rglob("*") if p.suffix in (".json", ".parquet")
                  and ".index" not in p.parts)


def test_list_reads_the_index_and_the_index_rebuilds_when_missing(tmp_path):
    store = tmp_path / "store"
    for version, at in (("2", T0), ("3", T1)):
        write_to_store(doc_of(version=version, at=at), store)
    assert segment_names(open_store(store), "Churn")
    rows = json.loads(snap("list", "--store", str(store), "--format", "json").stdout)
    assert [(r["model"], r["version"], r["captured_at"]) for r in rows] == [("Churn", "2", T0), ("Churn", "3", T1)]
    assert all(r["content_hash"].startswith("sha256:") for r in rows)
    shutil.rmtree(store / ".index")  # an index deleted (or a store written by an older snap): not trusted, rebuilt
    again = json.loads(snap("list", "--store", str(store), "--format", "json").stdout)
    assert again == rows


def test_a_snapshot_copied_in_is_listed_after_reindex(tmp_path):
    store = tmp_path / "store"
    write_to_store(doc_of(version="2", at=T0), store)
    copied = doc_of(version="4", at=T1)
    write_snapshot(copied, store / "Churn" / "v4" / "20261127T080000.000000Z.json")  # as `cp` would
    assert [e.version for e in list_entries(store)] == ["2"]
    proc = snap("reindex", "--store", str(store))
    assert proc.stdout == "indexed 2 snapshots (replaced 1 index segments)\n"
    assert [e.version for e in list_entries(store)] == ["2", "4"]
    assert len(segment_names(open_store(store), "Churn")) == 1


def test_damaged_index_segment_is_not_trusted(tmp_path):
    store = tmp_path / "store"
    write_to_store(doc_of(version="2", at=T0), store)
    [segment] = segment_names(open_store(store), "Churn")
    (store / MODELS / "Churn" / segment).write_text('{"model": "Ghost", "path": "Ghost/v1/x"')  # cut short
    proc = snap("list", "--store", str(store), "--format", "json")
    assert [(r["model"], r["version"]) for r in json.loads(proc.stdout)] == [("Churn", "2")]
    assert proc.stderr.startswith("Warning: index segment") and "snap reindex repairs the index" in proc.stderr


def test_a_damaged_snapshot_is_skipped_with_a_warning(tmp_path):
    store = tmp_path / "store"
    write_to_store(doc_of(version="2", at=T0), store, "json")
    bad = store / "Churn" / "v3" / "20261127T080000.000000Z.json"
    bad.parent.mkdir(parents=True)
    bad.write_text('{"schema_version": 1, "manifest": {"model_name": "Ch')
    proc = snap("reindex", "--store", str(store))
    assert proc.returncode == 0 and proc.stdout.startswith("indexed 1 snapshots")
    assert proc.stderr.startswith("Warning: skipped a damaged snapshot:") and str(bad) in proc.stderr
    table = snap("list", "--store", str(store)).stdout
    assert "Churn  2" in table and " 3 " not in table


def test_a_snapshot_in_another_models_folder_is_not_listed_there(tmp_path):
    store = tmp_path / "store"
    write_to_store(doc_of(name="Bench", version="4", at=T0), store, "json")
    other = doc_of(name="Other", version="1", at=T1)
    write_snapshot(other, store / "Bench" / "v5" / "20261127T080000.000000Z.json")
    proc = snap("reindex", "--store", str(store))
    assert "its manifest names Other v1, which belongs in another folder" in proc.stderr
    assert [(e.model, e.version) for e in list_entries(store)] == [("Bench", "4")]
    refused = snap("report", "Bench/5", "--store", str(store), check=False)
    assert refused.returncode == 3 and "no snapshot of Bench version 5" in refused.stderr


@pytest.mark.parametrize("name", ["🦊" * 30, "信用风险评估模型" * 11, "x" * 300])
def test_long_names_get_bounded_folders_and_keep_their_references(tmp_path, name):
    store = tmp_path / "store"
    write_to_store(doc_of(name=name, version="1", at=T0), store)
    write_to_store(doc_of(name=name + "-other", version="1", at=T0), store)
    folders = sorted(p.name for p in store.iterdir() if not p.name.startswith(".") and p.name != "parquet")
    assert len(folders) == 2 and all(len(f.encode("utf-8")) <= MAX_NAME_BYTES for f in folders)
    assert all("~" in f for f in folders)  # a readable prefix, then a hash of the whole name
    assert {e.model for e in list_entries(store)} == {name, name + "-other"}
    path = resolve_ref(store, f"{name}/1")
    assert load_snapshot(path)["manifest"]["model_name"] == name
    proc = snap("report", f"{name}/1", "--store", str(store))
    assert proc.returncode == 0


def test_short_names_keep_their_folders_and_the_dataset_folder_is_reserved():
    assert escape_name("Churn") == "Churn" and escape_name("a/b") == "a%2Fb"
    assert escape_name("parquet") == "%70arquet"  # STORE/parquet/ holds the analysts' dataset
    assert escape_name("x~y") == "x%7Ey"  # `~` marks bounded names only


def test_a_twin_lost_to_a_failed_write_is_written_by_the_next_capture(tmp_path):
    """The Parquet twin's place is taken (as a full disk would refuse it): the JSON is written, the capture fails.
    The next capture of the same content completes that snapshot instead of calling it unchanged or adding one."""
    from snapshot.errors import StoreNotWritable

    store = tmp_path / "store"
    write_to_store(doc_of(version="2", at=T0), store, "both")
    blocker = store / "Churn" / "v3" / "20261126T213000.000000Z.parquet"
    blocker.mkdir(parents=True)
    with pytest.raises(StoreNotWritable):
        write_to_store(doc_of(at=T0), store, "both")
    assert [e.version for e in list_entries(store)] == ["2"]  # no row names a snapshot that is not whole
    blocker.rmdir()
    written = write_to_store(doc_of(at=T1), store, "both")  # the same content, captured later
    assert [p.name for p in written] == ["20261126T213000.000000Z.json", "20261126T213000.000000Z.parquet"]
    v3 = [f for f in snapshot_files(store) if f.parent.name == "v3"]
    assert v3 == [blocker.relative_to(store).with_suffix(".json"), blocker.relative_to(store)]
    assert load_snapshot(written[1]) == load_snapshot(written[0])
    assert [(e.version, e.formats) for e in list_entries(store)] == [("2", ("json", "parquet")),
                                                                     ("3", ("json", "parquet"))]


def test_changed_content_gets_a_new_snapshot_even_when_it_changes_back(tmp_path):
    store = tmp_path / "store"
    for at, lr in ((T0, "0.1"), (T1, "0.2"), (T2, "0.1")):
        write_to_store(doc_of(at=at, lr=lr), store, "json")
    assert [e.captured_at for e in list_entries(store)] == [T0, T1, T2]


def test_orphan_temporary_files_are_removed_by_the_next_write(tmp_path):
    store = tmp_path / "store"
    write_to_store(doc_of(at=T0), store, "json")
    orphan = store / "Churn" / "v3" / ".snap-abc123.tmp"
    orphan.write_bytes(b'{"half": ')
    old = time.time() - 3600
    os.utime(orphan, (old, old))
    write_to_store(doc_of(at=T1, lr="0.3"), store, "json")
    assert not orphan.exists()


def _writer_stopped_at_the_rename(path, then: str) -> subprocess.Popen:
    """A process whose write_atomic of `path` stops where a kill -9 would leave its temporary file: it ends
    there at once (`then="exit"`) or waits there (`then="wait"`), as a writer still at work."""
    stop = "os._exit(9)" if then == "exit" else "time.sleep(60)"
    code = (f"import os, time; os.replace = lambda *a: {stop}; "
            f"from snapshot.formats.files import write_atomic; write_atomic({str(path)!r}, b'half')")
    proc = subprocess.Popen([sys.executable, "-c", code])
    deadline = time.monotonic() + 30
    while not [p for p in path.parent.glob(".snap-*.tmp") if f"-{proc.pid}-" in p.name]:
        assert time.monotonic() < deadline and proc.poll() in (None, 9), "the writer did not start its write"
        time.sleep(0.05)
    return proc


def test_a_killed_writers_fresh_temporary_file_goes_but_a_live_writers_stays(tmp_path):
    store = tmp_path / "store"
    write_to_store(doc_of(at=T0), store, "json")
    folder = store / "Churn" / "v3"
    killed = _writer_stopped_at_the_rename(folder / "killed.json", "exit")
    killed.wait(timeout=30)
    live = _writer_stopped_at_the_rename(folder / "live.json", "wait")
    try:
        write_to_store(doc_of(at=T1, lr="0.3"), store, "json")  # the next write into the folder tidies it
        left = sorted(p.name for p in folder.glob(".snap-*.tmp"))
        assert len(left) == 1 and f"-{live.pid}-" in left[0]  # the killed one's went; the live one's is kept
    finally:
        live.kill()
        live.wait(timeout=30)


def test_a_failed_write_leaves_the_index_unchanged(tmp_path):
    store = tmp_path / "store"
    write_to_store(doc_of(version="2", at=T0), store)
    before = {p: p.read_bytes() for p in (store / MODELS / "Churn").iterdir()}
    (store / "Churn" / "v3").write_text("a file where the version's folder should be")
    proc = snap("import", "--store", str(store), str(tmp_path / "missing.json"), check=False)
    assert proc.returncode != 0
    from snapshot.errors import StoreNotWritable

    with pytest.raises(StoreNotWritable, match="is a file, not a folder"):
        write_to_store(doc_of(version="3", at=T1), store)
    assert {p: p.read_bytes() for p in (store / MODELS / "Churn").iterdir()} == before
    assert [e.version for e in list_entries(store)] == ["2"]


def test_a_capture_run_merges_the_segments_many_earlier_writes_left(tmp_path):
    """Each write outside a run adds a segment; the next run into that model leaves one sorted segment
    holding every row, and a run into a model with few segments leaves them as they are."""
    from snapshot.store.writer import COMPACT_ABOVE, capture_run

    store = tmp_path / "store"
    for n in range(COMPACT_ABOVE + 1):
        write_to_store(doc_of(version=str(n + 1), at=T0), store)
    write_to_store(doc_of(name="Fraud", version="1", at=T0), store)
    assert len(segment_names(open_store(store), "Churn")) == COMPACT_ABOVE + 1
    with capture_run(store) as run:
        write_to_store(doc_of(version="99", at=T1), run)
        write_to_store(doc_of(name="Fraud", version="2", at=T1), run)
    [merged] = segment_names(open_store(store), "Churn")
    assert merged.endswith("-sorted.jsonl")
    assert len(segment_names(open_store(store), "Fraud")) == 2
    listed = json.loads(snap("list", "--store", str(store), "--format", "json").stdout)
    assert sorted(int(r["version"]) for r in listed if r["model"] == "Churn") == [*range(1, COMPACT_ABOVE + 2), 99]
