"""Where the dataset's files are, without importing pyarrow (so `snap sql` starts fast).

    STORE/parquet/<table>/captured_month=YYYY-MM/part-<time>-<id>.parquet
"""

from __future__ import annotations

import posixpath

DATASET_DIR = "parquet"
PARTITION = "captured_month"
TABLE_NAMES = ("snapshots", "values", "requirements", "metrics", "params", "tags", "aliases", "signature")


def is_local(fs) -> bool:
    protocol = fs.protocol if isinstance(fs.protocol, (tuple, list)) else (fs.protocol,)
    return bool({"file", "local"} & set(protocol))


def dataset_root(root: str) -> str:
    return posixpath.join(str(root).rstrip("/"), DATASET_DIR)


def list_parts(fs, folder: str) -> list[str]:
    """The visible Parquet parts under `folder` (any depth), sorted by name."""
    if not fs.exists(folder):
        return []
    return sorted(p for p in fs.find(folder)
                  if p.endswith(".parquet") and not posixpath.basename(p).startswith((".", "_")))
