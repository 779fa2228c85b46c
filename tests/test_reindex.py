"""`snap reindex` on a local store (#10): the dataset rebuilt as the snapshots are read, never holding them
all, and a dataset that cannot be rebuilt leaves the index rebuilt and the old dataset whole.

The snapshots are the real captured ones in fixtures/captured/, copied into pytest's temporary folders.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow.dataset as pads
import pyarrow.parquet as pq

from snapshot.dataset import writer
from snapshot.dataset.schemas import TABLES
from snapshot.store.reindex import reindex
from tests.support.commands import snap

CAPTURED = Path(__file__).resolve().parents[1] / "fixtures" / "captured"


def _store(tmp_path: Path) -> Path:
    store = tmp_path / "store"
    shutil.copytree(CAPTURED, store)
    return store


def _tables(store: Path) -> dict[str, list[dict]]:
    out = {}
    for name in TABLES:
        rows = pads.dataset(store / "parquet" / name, format="parquet", partitioning="hive").to_table().to_pylist()
        out[name] = sorted(rows, key=repr)
    return out


def _parts(store: Path) -> list[Path]:
    return sorted((store / "parquet").rglob("*.parquet"))


def test_a_rebuild_held_to_a_tiny_buffer_writes_the_same_dataset(tmp_path, monkeypatch):
    store = _store(tmp_path)
    assert reindex(store)["snapshots"] == 3
    expected, parts = _tables(store), _parts(store)
    assert expected["snapshots"] and expected["values"]
    monkeypatch.setattr(writer, "_BUFFER_BYTES", 1)  # every document's rows written as soon as they arrive
    assert reindex(store)["snapshots"] == 3
    assert _tables(store) == expected
    rebuilt = _parts(store)
    assert len(rebuilt) == len(parts)  # still one part per table and partition, none left from before
    assert not set(rebuilt) & set(parts)
    values = [p for p in rebuilt if "/values/" in p.as_posix()]
    assert pq.ParquetFile(values[0]).metadata.num_row_groups == 3  # one row group a snapshot: flushed early


def test_a_dataset_that_cannot_be_rebuilt_leaves_the_index_rebuilt(tmp_path):
    store = _store(tmp_path)
    snap("reindex", "--store", str(store))
    old = {p: p.read_bytes() for p in _parts(store) if "/values/" not in p.as_posix()}
    shutil.rmtree(store / "parquet" / "values")
    (store / "parquet" / "values").write_text("a file where the values table's folder should be")
    shutil.rmtree(store / ".index")
    proc = snap("reindex", "--store", str(store), check=False)
    assert proc.returncode == 6, proc.stderr  # the store cannot be written (README, Exit codes)
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: the snapshots were written, but the Parquet dataset "
                                                   f"in {store} could not be rebuilt")
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    assert {p: p.read_bytes() for p in _parts(store)} == old  # the old parts stay whole, no new part
    assert not [p for p in store.rglob("*") if p.name.endswith(".tmp")]  # nothing half-written
    assert sorted(p.name for p in (store / ".index" / "models").iterdir()) == ["Churn", "Echo"]
