"""The Parquet dataset (#10): tables laid out for engines, appended, rebuilt and compacted.

Documents are the captured fixtures (fixtures/captured/**), loaded with snap's own
loader; a store is a real folder, read back by pandas, pyarrow.dataset and DuckDB
as each would read any Parquet folder.
"""

from __future__ import annotations

import copy
import glob
import json
import os
import subprocess
import sys

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pytest
from fsspec.implementations.local import LocalFileSystem
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from snapshot.dataset import append_to_dataset, compact_dataset, part_counts, rebuild_dataset
from snapshot.dataset.schemas import TABLES
from snapshot.dataset.versions import upper_key, version_key
from snapshot.dataset.writer import DatasetWriter
from snapshot.formats.files import load_snapshot
from snapshot.formats.parquet import from_table

FIXTURES = sorted(glob.glob("fixtures/captured/**/*.json", recursive=True))
FS = LocalFileSystem()


@pytest.fixture
def docs():
    return [load_snapshot(p) for p in FIXTURES]


def _variant(doc: dict, captured_at: str, sklearn_pin: str) -> dict:
    """The same version captured again later, its requirements.txt pinning scikit-learn differently."""
    doc = copy.deepcopy(doc)
    doc["manifest"]["captured_at"] = captured_at
    raw = doc["environment"]["requirements"]["raw"].splitlines()
    doc["environment"]["requirements"]["raw"] = "\n".join(
        [line for line in raw if not line.startswith("scikit-learn")] + [f"scikit-learn{sklearn_pin}"])
    return doc


def _sql(store, query: str, fmt: str = "json"):
    proc = subprocess.run([sys.executable, "-m", "snap.cli", "sql", query, "--store", str(store), "--format", fmt],
                          capture_output=True, text=True, timeout=120)
    return proc


def test_each_table_is_a_folder_every_reader_opens(tmp_path, docs):
    rebuild_dataset(FS, str(tmp_path), docs)
    base = tmp_path / "parquet"
    assert sorted(os.listdir(base)) == sorted(TABLES)
    assert not glob.glob(str(base / "**" / "*.json"), recursive=True)
    for table in TABLES:
        frame = pd.read_parquet(base / table)
        arrow = ds.dataset(base / table, format="parquet", partitioning="hive").to_table()
        count = duckdb.connect().execute(f"SELECT count(*) FROM read_parquet('{base / table}/**/*.parquet', hive_partitioning=true)").fetchall()[0][0]
        assert len(frame) == arrow.num_rows == count > 0, table
        assert arrow.schema.field("captured_at").type == pa.timestamp("us", tz="UTC")
        assert arrow.schema.field("version_int").type == pa.int64()
        assert set(frame["captured_month"].astype(str)) == {"2026-11"}
    snapshots = pd.read_parquet(base / "snapshots").sort_values(["model", "version_int"])
    assert list(zip(snapshots["model"], snapshots["version"])) == [("Churn", "2"), ("Churn", "3"), ("Echo", "1")]
    assert [h for h in snapshots["content_hash"]] == [d["manifest"]["content_hash"] for d in
                                                      sorted(docs, key=lambda d: (d["manifest"]["model_name"], d["manifest"]["model_version"]))]


def test_values_table_holds_each_snapshot_losslessly(tmp_path, docs):
    rebuild_dataset(FS, str(tmp_path), docs)
    values = ds.dataset(tmp_path / "parquet" / "values", format="parquet", partitioning="hive").to_table()
    for doc in docs:
        m = doc["manifest"]
        rows = values.filter((pa.compute.field("model") == m["model_name"])
                             & (pa.compute.field("version") == m["model_version"]))
        assert from_table(rows) == doc


def test_requirements_are_one_row_per_package_per_file(tmp_path, docs):
    rebuild_dataset(FS, str(tmp_path), docs)
    reqs = pd.read_parquet(tmp_path / "parquet" / "requirements")
    churn3 = reqs[(reqs["model"] == "Churn") & (reqs["version"] == "3")]
    txt = churn3[churn3["file"] == "requirements.txt"].set_index("name")
    assert sorted(txt.index) == ["mlflow", "numpy", "pandas", "pyarrow", "scikit-learn"]
    assert txt.loc["scikit-learn", "specifier"] == "==1.4.2" and txt.loc["scikit-learn", "pinned"] == "1.4.2"
    assert set(churn3["file"]) == {"requirements.txt", "conda.yaml", "python_env.yaml"}
    conda = churn3[(churn3["file"] == "conda.yaml") & (churn3["section"] == "conda")].set_index("name")
    assert conda.loc["python", "specifier"] == "=3.11.7"
    build = churn3[churn3["section"] == "build"].set_index("name")
    assert build.loc["setuptools", "pinned"] == "65.5.0"


@pytest.mark.parametrize("spec", ["<1.4", "==1.4rc1", "~=1.3.0", ">=1.2,<1.5", "==1.10.0", "==1.3.2", "==1.3.*",
                                  "<=1.4", "==1.4", ">=1.0", "~=1.3", "!=1.4", "<1.4.post1", "==1!1.0"])
def test_upper_key_agrees_with_packaging(spec):
    candidates = ["1.0", "1.2", "1.3.0", "1.3.2", "1.3.9.post1", "1.4.dev0", "1.4a1", "1.4rc1", "1.4", "1.4.0.post1",
                  "1.4.1", "1.5", "1.10.0", "2.0", "1!0.5", "1!1.0"]
    allowed = [v for v in candidates if SpecifierSet(spec).contains(v, prereleases=True)]
    key = upper_key(spec)
    for v in allowed:
        assert key is None or version_key(v) < key, (spec, v)
    below_14 = key is not None and key <= version_key("1.4")
    assert below_14 == all(Version(v) < Version("1.4") for v in allowed), spec


def test_version_keys_sort_as_pep_440():
    ordered = ["1.3.2", "1.4.dev0", "1.4a1", "1.4b2", "1.4rc1", "1.4", "1.4.post1.dev0", "1.4.post1", "1.4.1", "1.10.0",
               "2", "1!0.1"]
    assert sorted(ordered, key=version_key) == ordered == sorted(ordered, key=Version)
    assert version_key("1.4") == version_key("1.4.0") and version_key("not a version") is None


def test_append_writes_one_part_per_table_per_partition_and_skips_known_snapshots(tmp_path, docs):
    first = append_to_dataset(FS, str(tmp_path), docs)
    assert len(first) == len(TABLES)  # one month, eight tables: one part each, for three snapshots
    assert append_to_dataset(FS, str(tmp_path), docs) == []
    later = [_variant(docs[0], "2026-12-01T02:00:00.000000Z", "<1.4"), _variant(docs[1], "2026-12-01T02:00:01.000000Z", "<1.4")]
    second = append_to_dataset(FS, str(tmp_path), later)
    assert len(second) == len(TABLES)
    counts = part_counts(FS, str(tmp_path))
    assert all(counts[t] == {"captured_month=2026-11": 1, "captured_month=2026-12": 1} for t in TABLES)


def test_compact_merges_parts_and_drops_snapshots_written_twice(tmp_path, docs):
    for doc in docs:
        append_to_dataset(FS, str(tmp_path), [doc])
    writer = DatasetWriter(FS, str(tmp_path))  # a snapshot written twice, as two racing captures could
    writer.add(docs[0])
    writer.commit()
    before = pd.read_parquet(tmp_path / "parquet" / "tags")
    assert part_counts(FS, str(tmp_path))["tags"] == {"captured_month=2026-11": 4}
    proc = subprocess.run([sys.executable, "-m", "snap.cli", "compact", "--store", str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    # Echo v1 has no metrics, so that table had 3 parts, the other seven 4 each.
    assert proc.stdout == f"compacted {len(TABLES)} partitions: 31 files -> {len(TABLES)}\n"
    assert all(c == {"captured_month=2026-11": 1} for c in part_counts(FS, str(tmp_path)).values())
    after = pd.read_parquet(tmp_path / "parquet" / "tags")
    assert len(after) == len(before.drop_duplicates()) < len(before)
    assert not [p for p in glob.glob(str(tmp_path / "parquet" / "**" / ".*"), recursive=True)]


def test_latest_is_the_newest_snapshot_of_each_version(tmp_path, docs):
    churn2 = next(d for d in docs if d["manifest"]["model_version"] == "2" and d["manifest"]["model_name"] == "Churn")
    rebuild_dataset(FS, str(tmp_path), [*docs, _variant(churn2, "2026-11-27T08:00:00.000000Z", ">=1.2,<1.5")])
    proc = _sql(tmp_path, "SELECT r.model, r.version, r.specifier FROM requirements r JOIN latest USING (model, version, captured_at) "
                          "WHERE r.file = 'requirements.txt' AND r.name = 'scikit-learn' ORDER BY r.model, r.version_int")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == [{"model": "Churn", "version": "2", "specifier": ">=1.2,<1.5"},
                                       {"model": "Churn", "version": "3", "specifier": "==1.4.2"}]
    count = _sql(tmp_path, "SELECT count(*) AS n FROM snapshots", fmt="csv")
    assert count.stdout == "n\n4\n"


def test_a_table_without_rows_is_still_a_folder_readers_open(tmp_path, docs):
    echo = next(d for d in docs if d["manifest"]["model_name"] == "Echo")  # no metrics at all
    append_to_dataset(FS, str(tmp_path), [echo])
    metrics = pd.read_parquet(tmp_path / "parquet" / "metrics")
    assert len(metrics) == 0 and list(metrics.columns) == [*TABLES["metrics"].names, "captured_month"]
    rebuild_dataset(FS, str(tmp_path), [echo])  # a rebuild keeps it so, after removing the old parts
    assert len(pd.read_parquet(tmp_path / "parquet" / "metrics")) == 0
    assert part_counts(FS, str(tmp_path))["metrics"] == {"captured_month=2026-11": 1}


def test_a_failed_write_leaves_no_part_behind(tmp_path, docs):
    broken = copy.deepcopy(docs[0])
    del broken["manifest"]["model_name"]
    with pytest.raises(KeyError):
        append_to_dataset(FS, str(tmp_path), [docs[1], docs[2], broken])
    assert [p for p in glob.glob(str(tmp_path / "**"), recursive=True) if os.path.isfile(p)] == []


@pytest.mark.parametrize(("query", "message"), [
    ("SELEC 1", 'Error: Parser Error: syntax error at or near "SELEC"; views: snapshots, latest, values, requirements, '
                "metrics, params, tags, aliases, signature (see snap sql --help)"),
    ("SELECT * FROM nope", "Error: Catalog Error: Table with name nope does not exist!; views: snapshots, latest, values, "
                           "requirements, metrics, params, tags, aliases, signature (see snap sql --help)"),
])
def test_sql_errors_are_one_line_and_exit_2(tmp_path, docs, query, message):
    rebuild_dataset(FS, str(tmp_path), docs)
    proc = _sql(tmp_path, query)
    assert (proc.returncode, proc.stdout, proc.stderr) == (2, "", message + "\n")


def test_sql_without_a_dataset_or_with_a_bad_format_exits_2(tmp_path, docs):
    proc = _sql(tmp_path / "empty", "SELECT 1")
    assert (proc.returncode, proc.stderr) == (2, f"Error: no Parquet dataset at {tmp_path}/empty/parquet; capture into "
                                                 "the store first (or run snap reindex for snapshots copied in)\n")
    rebuild_dataset(FS, str(tmp_path), docs)
    proc = _sql(tmp_path, "SELECT 1", fmt="xml")
    assert (proc.returncode, proc.stderr) == (2, "Error: --format must be table, csv or json, not 'xml'\n")


def test_sql_output_is_inert_and_never_imports_mlflow(tmp_path, docs):
    rebuild_dataset(FS, str(tmp_path), docs)
    code = ("import sys; from snap.cli import main; sys.argv = ['snap', 'sql', "
            "\"SELECT 'a\\x1b[31mb' AS x, model FROM latest ORDER BY model, version_int\", '--store', sys.argv[1]]\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\nprint('mlflow' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert proc.stdout == ("x           model\n----------  -----\na\\x1b[31mb  Churn\na\\x1b[31mb  Churn\na\\x1b[31mb  Echo\n"
                           "(3 rows)\nFalse\n"), proc.stderr


@pytest.fixture(scope="module")
def s3():
    from tests.support.s3 import s3_server

    with s3_server() as server:
        yield server


def test_dataset_on_object_storage_is_written_whole_and_queried_in_place(s3, docs, monkeypatch):
    from tests.support.s3 import PLANTED_SECRET

    for name, value in s3.env.items():
        monkeypatch.setenv(name, value)
    import fsspec

    bucket = s3.bucket("dataset-bucket")
    fs = fsspec.filesystem("s3", skip_instance_cache=True)
    for doc in docs:  # three capture runs: three parts per table
        append_to_dataset(fs, "dataset-bucket/store", [doc])
    keys = s3.keys("dataset-bucket")
    assert keys and all(k.startswith("store/parquet/") and k.endswith(".parquet") and "/." not in k for k in keys)
    assert all(PLANTED_SECRET.encode() not in s3.read("dataset-bucket", k) for k in keys)
    proc = subprocess.run([sys.executable, "-m", "snap.cli", "compact", "--store", f"{bucket}/store"],
                          capture_output=True, text=True, timeout=120, env={**os.environ, **s3.env})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"compacted {len(TABLES)} partitions: 23 files -> {len(TABLES)}\n"  # Echo has no metrics
    proc = _sql_env(f"{bucket}/store", "SELECT r.model, r.version, r.specifier FROM requirements r JOIN latest "
                    "USING (model, version, captured_at) WHERE r.file = 'requirements.txt' AND r.name = 'scikit-learn' "
                    "AND r.upper_key <= version_key('1.4') ORDER BY r.model, r.version_int", s3.env)
    assert (proc.returncode, proc.stderr) == (0, "")
    assert json.loads(proc.stdout) == [{"model": "Churn", "version": "2", "specifier": "==1.3.2"}]
    frame = pd.read_parquet("s3://dataset-bucket/store/parquet/requirements")  # as an analyst would
    assert set(frame["model"]) == {"Churn", "Echo"}


def _sql_env(store: str, query: str, env: dict):
    return subprocess.run([sys.executable, "-m", "snap.cli", "sql", query, "--store", store, "--format", "json"],
                          capture_output=True, text=True, timeout=120, env={**os.environ, **env})


def test_compact_removes_a_killed_writers_old_temporary_file(tmp_path, docs):
    append_to_dataset(FS, str(tmp_path), docs)
    folder = tmp_path / "parquet" / "values" / "captured_month=2026-11"
    old, fresh = folder / ".part-20261101T000000000000Z-dead.parquet.tmp", folder / ".part-now-alive.parquet.tmp"
    old.write_bytes(b"PAR1 half")
    fresh.write_bytes(b"PAR1 being written")
    os.utime(old, (os.path.getmtime(old) - 7200,) * 2)
    compact_dataset(FS, str(tmp_path))
    assert not old.exists() and fresh.exists()  # a writer that may still be running keeps its file
