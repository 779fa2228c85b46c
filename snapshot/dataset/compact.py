"""`snap compact`: merge each partition's parts into one, dropping snapshots written twice."""

from __future__ import annotations

import contextlib
import os
import posixpath
import time

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from snapshot.dataset.parts import PartFile, dataset_root, is_local, list_parts, remove_parts
from snapshot.dataset.schemas import TABLES

_BATCH_ROWS = 1_000_000
_KEY = ["model", "version", "captured_at"]


def _keys(table: pa.Table) -> pa.Array:
    """One string per row naming its snapshot."""
    parts = [pc.fill_null(pc.cast(table.column(c), pa.string()), "") for c in _KEY]
    return pc.binary_join_element_wise(*parts, "\x1f")


def _batches(fs, path: str, schema: pa.Schema):
    with fs.open(path, "rb") as handle:
        for batch in pq.ParquetFile(handle).iter_batches(batch_size=_BATCH_ROWS):
            yield pa.Table.from_batches([batch]).cast(schema)


def _merge(fs, folder: str, parts: list[str], schema: pa.Schema) -> str:
    """Copy `parts` into one new part; a snapshot already taken from an earlier part is skipped."""
    out = PartFile(fs, folder, schema)
    earlier: set[str] = set()
    pending: list[pa.Table] = []  # small parts coalesce into row groups of a useful size
    try:
        for path in parts:
            current: set[str] = set()
            for table in _batches(fs, path, schema):
                keys = _keys(table)
                unique = set(pc.unique(keys).to_pylist())
                repeated = unique & earlier
                if repeated:
                    table = table.filter(pc.invert(pc.is_in(keys, value_set=pa.array(sorted(repeated)))))
                current |= unique
                pending.append(table)
                if sum(t.num_rows for t in pending) >= _BATCH_ROWS:
                    out.write(pa.concat_tables(pending))
                    pending = []
            earlier |= current
        if pending:
            out.write(pa.concat_tables(pending))
        return out.commit()
    except BaseException:
        out.abort()
        raise


def _partitions(fs, table_dir: str) -> dict[str, list[str]]:
    by_folder: dict[str, list[str]] = {}
    for path in list_parts(fs, table_dir):
        by_folder.setdefault(posixpath.dirname(path), []).append(path)
    return by_folder


_STALE_S = 3600


def _remove_stale_temporaries(fs, base: str) -> None:
    """A writer killed mid-part (kill -9, out of memory) leaves its hidden temporary file; an hour on, it is litter."""
    if not is_local(fs) or not fs.exists(base):
        return
    now = time.time()
    for path in fs.find(base):
        name = posixpath.basename(path)
        if name.startswith(".part-") and name.endswith(".tmp") and now - os.path.getmtime(path) > _STALE_S:
            with contextlib.suppress(FileNotFoundError):
                fs.rm(path)


def compact_dataset(fs, root: str) -> dict[str, dict[str, int]]:
    """Merge every partition of every table to one part; returns {table: {partition: parts before}}.

    Temporary files a killed writer left (over an hour old) are removed. The
    merged part is published before the parts it replaces are removed, so a
    reader never misses rows (for a moment it may see them twice); a failure
    leaves the parts as they were.
    """
    base = dataset_root(root)
    _remove_stale_temporaries(fs, base)
    before: dict[str, dict[str, int]] = {}
    for table, schema in TABLES.items():
        counts = before.setdefault(table, {})
        for folder, parts in sorted(_partitions(fs, posixpath.join(base, table)).items()):
            counts[posixpath.basename(folder)] = len(parts)
            if len(parts) > 1:
                _merge(fs, folder, parts, schema)
                remove_parts(fs, parts)
    return before


def part_counts(fs, root: str) -> dict[str, dict[str, int]]:
    """{table: {partition folder: number of parts}}."""
    base = dataset_root(root)
    return {table: {posixpath.basename(folder): len(parts)
                    for folder, parts in sorted(_partitions(fs, posixpath.join(base, table)).items())}
            for table in TABLES}
