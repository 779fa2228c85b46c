"""The dataset's tables and their column types.

Every table starts with the snapshot's key: `model`, `version` (as MLflow wrote it),
`version_int` (the same as an integer, so 10 sorts after 2) and `captured_at`
(a UTC timestamp). Files are partitioned by `captured_month` (Hive style,
`captured_month=2026-11`), which is in the folder name, not in the files.
"""

from __future__ import annotations

import pyarrow as pa

from snapshot.dataset.layout import PARTITION, TABLE_NAMES
from snapshot.formats.parquet import SCHEMA as LONG_SCHEMA

TIMESTAMP = pa.timestamp("us", tz="UTC")

KEY = [
    ("model", pa.string()),
    ("version", pa.string()),
    ("version_int", pa.int64()),
    ("captured_at", TIMESTAMP),
]

_STRING_LIST = pa.list_(pa.string())

_COLUMNS = {
    "snapshots": [
        ("content_hash", pa.string()),
        ("aliases", _STRING_LIST),
        ("status", pa.string()),
        ("current_stage", pa.string()),
        ("description", pa.string()),
        ("source", pa.string()),
        ("run_id", pa.string()),
        ("model_id", pa.string()),
        ("experiment_id", pa.string()),
        ("user_id", pa.string()),
        ("created_at", TIMESTAMP),
        ("updated_at", TIMESTAMP),
        ("origin", pa.string()),
        ("server_kind", pa.string()),
        ("mlflow_version", pa.string()),
        ("snap_version", pa.string()),
        ("path", pa.string()),
    ],
    "values": [(name, LONG_SCHEMA.field(name).type) for name in LONG_SCHEMA.names
               if name not in ("model", "version", "captured_at")],
    "requirements": [
        ("file", pa.string()),
        ("section", pa.string()),
        ("name", pa.string()),
        ("specifier", pa.string()),
        ("extras", _STRING_LIST),
        ("markers", pa.string()),
        ("url", pa.string()),
        ("pinned", pa.string()),
        ("pinned_key", pa.string()),
        ("upper_key", pa.string()),
        ("line", pa.string()),
    ],
    "metrics": [
        ("object", pa.string()),
        ("key", pa.string()),
        ("value", pa.float64()),
        ("step", pa.int64()),
        ("timestamp", TIMESTAMP),
    ],
    "params": [
        ("object", pa.string()),
        ("key", pa.string()),
        ("value", pa.string()),
    ],
    "tags": [
        ("object", pa.string()),
        ("key", pa.string()),
        ("value", pa.string()),
    ],
    "aliases": [
        ("alias", pa.string()),
        ("alias_version", pa.string()),
        ("alias_version_int", pa.int64()),
    ],
    "signature": [
        ("role", pa.string()),
        ("position", pa.int64()),
        ("name", pa.string()),
        ("type", pa.string()),
        ("required", pa.bool_()),
        ("detail", pa.string()),
    ],
}

TABLES: dict[str, pa.Schema] = {name: pa.schema(KEY + _COLUMNS[name]) for name in TABLE_NAMES}


def with_partition(schema: pa.Schema) -> pa.Schema:
    """A table's schema as readers see it: its columns and the partition column."""
    return schema.append(pa.field(PARTITION, pa.string()))
