"""`snap sql`: DuckDB over the store's dataset, local or on object storage.

On a local disk DuckDB reads each table's part files itself; on object storage
each table is opened with `pyarrow.dataset` through the store's fsspec
filesystem (so no DuckDB extension has to be downloaded) and registered. Either
way only published parts are read, and each table is one view.
"""

from __future__ import annotations

import posixpath

from snapshot.dataset.layout import PARTITION, TABLE_NAMES, dataset_root, is_local, list_parts
from snapshot.dataset.versions import version_key
from snapshot.errors import SnapError

VIEWS = {
    "snapshots": "one row per snapshot: model, version, version_int, captured_at, content_hash, aliases, status, ...",
    "latest": "the newest snapshot of each model version (rows of `snapshots`; with --at, the newest by then)",
    "values": "every leaf value of every snapshot (section, path, kind, value_str/num/int/bool)",
    "requirements": "one row per package per environment file (file, section, name, specifier, pinned, upper_key)",
    "metrics": "run and logged-model metrics (object, key, value, step, timestamp)",
    "params": "run and logged-model params (object, key, value)",
    "tags": "tags of the model_version, registered_model, run, experiment and logged_model (object, key, value)",
    "aliases": "the registered model's aliases at capture (alias, alias_version, alias_version_int)",
    "signature": "one row per signature column (role inputs/outputs/params, position, name, type, required)",
}

_LATEST = (f"CREATE VIEW latest AS SELECT * EXCLUDE ({PARTITION}) FROM snapshots {{where}}"
           "QUALIFY row_number() OVER (PARTITION BY model, version ORDER BY captured_at DESC) = 1")
_GONE = ("NOT EXISTS (SELECT 1 FROM snap_gone g WHERE g.model = snapshots.model "
         "AND g.version = snapshots.version) ")


class DatasetNotFound(SnapError):
    pass


class QueryFailed(SnapError):
    pass


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _register(con, fs, name: str, folder: str) -> None:
    parts = list_parts(fs, folder)
    if parts and is_local(fs):
        files = ", ".join(_quote(p) for p in parts)
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet([{files}], hive_partitioning = true, "
                    f"hive_types = {{'{PARTITION}': VARCHAR}}, union_by_name = true)")
        return
    import pyarrow as pa
    import pyarrow.dataset as ds

    from snapshot.dataset.schemas import TABLES, with_partition

    schema = with_partition(TABLES[name])
    if not parts:
        con.register(name, schema.empty_table())
        return
    partitioning = ds.partitioning(pa.schema([(PARTITION, pa.string())]), flavor="hive")
    con.register(name, ds.dataset(parts, schema=schema, format="parquet", partitioning=partitioning,
                                  filesystem=fs, partition_base_dir=folder))


def latest_view(at: str | None = None, gone: bool = False) -> str:
    """`latest`: each version's newest snapshot, or (with `at`, an ISO time in UTC) its newest captured by then;
    `gone`: without the versions in the table snap_gone."""
    where = [f"captured_at <= CAST({_quote(at)} AS TIMESTAMPTZ) "] if at else []
    where += [_GONE] if gone else []
    return _LATEST.format(where=f"WHERE {'AND '.join(where)}" if where else "")


def connect(fs, root: str, at: str | None = None, gone: list[tuple[str, str]] | None = None):
    """A DuckDB connection with the documented views over the dataset of the store at `root`.

    `at` (an ISO time in UTC) makes `latest` the registry as the store knew it then (`snap sql --at`):
    `gone`, (model, version) pairs known deleted by then, are left out of it.
    """
    import duckdb

    base = dataset_root(root)
    if not fs.isdir(base):
        raise DatasetNotFound(f"no Parquet dataset at {base}; capture into the store first "
                              "(or run snap reindex for snapshots copied in)")
    # Offline: a query never makes DuckDB download an extension (httpfs for a URL, say).
    con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    for name in TABLE_NAMES:  # DuckDB keeps each registered dataset alive with the connection
        _register(con, fs, name, posixpath.join(base, name))
    if gone:
        con.execute("CREATE TEMP TABLE snap_gone (model VARCHAR, version VARCHAR)")
        con.executemany("INSERT INTO snap_gone VALUES (?, ?)", [list(pair) for pair in gone])
    con.execute(latest_view(at, bool(gone)))
    con.create_function("version_key", version_key, ["VARCHAR"], "VARCHAR")
    return con


def run_query(fs, root: str, sql: str, at: str | None = None,
              gone: list[tuple[str, str]] | None = None) -> tuple[list[str], list[tuple]]:
    """(column names, rows) of one SQL statement over the dataset (`latest` as of `at`, without `gone`)."""
    import duckdb

    con = connect(fs, root, at, gone)
    try:
        result = con.execute(sql)
        if result.description is None:
            return [], []
        columns = [d[0] for d in result.description]
        return columns, result.fetchall()
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise QueryFailed(f"{first}; views: {', '.join(VIEWS)} (see snap sql --help)") from None
    finally:
        con.close()
