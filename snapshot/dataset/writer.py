"""Writing the dataset: each call writes at most one new part per table per partition.

    STORE/parquet/<table>/captured_month=YYYY-MM/part-<time>-<id>.parquet

A capture run calls `append_to_dataset` with the documents it wrote; `snap
reindex` calls `rebuild_dataset` with every document in the store. Rows are
buffered and written as row groups as they accumulate, so memory stays bounded
however many documents pass through.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable

import pyarrow as pa

from snapshot.dataset.parts import PartFile, dataset_root, is_local, list_parts, remove_parts
from snapshot.dataset.rows import snapshot_key, typed_rows
from snapshot.dataset.schemas import PARTITION, TABLES
from snapshot.formats.parquet import to_table

# Rows held before a row group is written (the long table's rows are narrow).
_FLUSH_ROWS = {"values": 1_000_000}
_DEFAULT_FLUSH = 200_000
# Typed rows become Arrow this often: Python dicts cost far more memory than Arrow's columns.
_ARROW_EVERY = 10_000
# Arrow bytes held across all tables and partitions before the largest buffer is written as a row group: the
# row counts above alone would let `snap reindex` hold a whole store's values (~250 MB at 5,000 snapshots).
_BUFFER_BYTES = 64 * 1024 * 1024
# `snapshots` is committed last: a snapshot listed there always has its other rows.
_KEY = ["model", "version", "captured_at"]
_COMMIT_ORDER = [name for name in TABLES if name != "snapshots"] + ["snapshots"]


def partition_of(key: dict) -> str:
    captured = key["captured_at"]
    return captured.strftime("%Y-%m") if captured is not None else "unknown"


def snapshot_path(doc: dict) -> str:
    """Where the store keeps this snapshot's JSON, relative to the store's root."""
    from snapshot.store.layout import file_stem, store_name, version_folder

    m = doc["manifest"]
    return f"{version_folder(store_name(m), str(m['model_version']))}/{file_stem(m['captured_at'])}.json"


def _values_table(doc: dict, key: dict) -> pa.Table:
    long = to_table(doc)
    n = long.num_rows
    columns = {"model": pa.repeat(pa.scalar(key["model"], pa.string()), n),
               "version": pa.repeat(pa.scalar(key["version"], pa.string()), n),
               "version_int": pa.repeat(pa.scalar(key["version_int"], pa.int64()), n),
               "captured_at": pa.repeat(pa.scalar(key["captured_at"], TABLES["values"].field("captured_at").type), n)}
    arrays = [columns[name] if name in columns else long.column(name) for name in TABLES["values"].names]
    return pa.Table.from_arrays(arrays, schema=TABLES["values"])


class DatasetWriter:
    """Parts for one call, one per (table, partition), committed together at the end."""

    def __init__(self, fs, root: str, replacing: bool = False):
        self.fs, self.base, self.replacing = fs, dataset_root(root), replacing
        self.parts: dict[tuple[str, str], PartFile] = {}
        self.buffers: dict[tuple[str, str], list[pa.Table]] = {}
        self.rows: dict[tuple[str, str], list[dict]] = {}  # typed rows not yet Arrow
        self.sizes: dict[tuple[str, str], int] = {}
        self.held: dict[tuple[str, str], int] = {}  # Arrow bytes buffered
        self.partitions: set[str] = set()

    def add(self, doc: dict, path: str | None = None) -> None:
        key = snapshot_key(doc)
        partition = partition_of(key)
        self.partitions.add(partition)
        for table, rows in typed_rows(doc, path if path is not None else snapshot_path(doc)).items():
            self._buffer(table, partition, rows, len(rows))
        values = _values_table(doc, key)
        self._buffer("values", partition, values, values.num_rows)

    def _buffer(self, table: str, partition: str, rows, count: int) -> None:
        if not count:
            return
        slot = (table, partition)
        if isinstance(rows, list):
            pending = self.rows.setdefault(slot, [])
            pending.extend(rows)
            if len(pending) >= _ARROW_EVERY:
                self._to_arrow(slot)
        else:
            self._hold(slot, rows)
        self.sizes[slot] = self.sizes.get(slot, 0) + count
        if self.sizes[slot] >= _FLUSH_ROWS.get(table, _DEFAULT_FLUSH):
            self._flush(slot)
        while sum(self.held.values()) > _BUFFER_BYTES:
            self._flush(max(self.held, key=self.held.__getitem__))

    def _hold(self, slot: tuple[str, str], data: pa.Table) -> None:
        self.buffers.setdefault(slot, []).append(data)
        self.held[slot] = self.held.get(slot, 0) + data.nbytes

    def _to_arrow(self, slot: tuple[str, str]) -> None:
        pending = self.rows.pop(slot, [])
        if pending:
            self._hold(slot, pa.Table.from_pylist(pending, schema=TABLES[slot[0]]))

    def _flush(self, slot: tuple[str, str]) -> None:
        table, partition = slot
        self._to_arrow(slot)
        buffered = self.buffers.pop(slot, [])
        self.sizes.pop(slot, None)
        self.held.pop(slot, None)
        if not buffered:
            return
        schema = TABLES[table]
        data = pa.concat_tables(buffered)
        if slot not in self.parts:
            folder = posixpath.join(self.base, table, f"{PARTITION}={partition}")
            self.parts[slot] = PartFile(self.fs, folder, schema)
        self.parts[slot].write(data)

    def commit(self) -> list[str]:
        """Write what is buffered and publish every part; on any failure none is left half-written."""
        try:
            for slot in sorted(set(self.buffers) | set(self.rows)):
                self._flush(slot)
            self._empty_tables()
        except BaseException:
            self.abort()
            raise
        order = [slot for table in _COMMIT_ORDER for slot in sorted(s for s in self.parts if s[0] == table)]
        others = [self.parts.pop(slot) for slot in order if slot[0] != "snapshots"]
        last = [self.parts.pop(slot) for slot in order if slot[0] == "snapshots"]
        return _commit_parts(others, self.fs) + _commit_parts(last, self.fs)

    def _empty_tables(self) -> None:
        """A table no snapshot has rows for yet (no params anywhere) gets an empty part: every table is
        a folder that readers open with its schema, which Spark and pandas cannot do with a missing one."""
        if not self.partitions:
            return
        for table, schema in TABLES.items():
            if any(slot[0] == table for slot in self.parts):
                continue
            folder = posixpath.join(self.base, table)
            if self.replacing or not list_parts(self.fs, folder):
                partition = min(self.partitions)
                self.parts[(table, partition)] = PartFile(self.fs, posixpath.join(folder, f"{PARTITION}={partition}"),
                                                          schema)

    def abort(self) -> None:
        for part in self.parts.values():
            part.abort()
        self.parts.clear()
        self.buffers.clear()
        self.rows.clear()
        self.held.clear()


def _commit_parts(parts: list[PartFile], fs) -> list[str]:
    """Publish parts; on an object store their uploads go at once (a request each, not one after another)."""
    if len(parts) < 2 or is_local(fs):
        return [part.commit() for part in parts]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(min(8, len(parts)), thread_name_prefix="snap-dataset") as pool:
        return list(pool.map(PartFile.commit, parts))


class _Seen:
    """Snapshot keys already written: loaded per partition from the `snapshots` table when first needed."""

    def __init__(self, fs, root: str | None):
        self.fs, self.root = fs, root
        self.keys: set[tuple] = set()
        self.loaded: set[str] = set()

    def add(self, doc: dict) -> bool:
        """True if the document is new (and now counted as written)."""
        key = snapshot_key(doc)
        partition = partition_of(key)
        if self.root is not None and partition not in self.loaded:
            self.loaded.add(partition)
            self.keys |= _existing_keys(self.fs, self.root, partition)
        item = (key["model"], key["version"], key["captured_at"])
        if item in self.keys:
            return False
        self.keys.add(item)
        return True


def _existing_keys(fs, root: str, partition: str) -> set[tuple]:
    """(model, version, captured_at) of the snapshots already in one partition."""
    import pyarrow.parquet as pq

    folder = posixpath.join(dataset_root(root), "snapshots", f"{PARTITION}={partition}")
    keys: set[tuple] = set()
    for path in list_parts(fs, folder):
        with fs.open(path, "rb") as handle:
            table = pq.read_table(handle, columns=_KEY)
        keys.update(zip(*(table.column(c).to_pylist() for c in _KEY)))
    return keys


def _write(fs, root: str, docs: Iterable[dict], seen: _Seen) -> list[str]:
    writer = DatasetWriter(fs, root, replacing=seen.root is None)
    try:
        for doc in docs:
            if seen.add(doc):
                writer.add(doc)
    except BaseException:
        writer.abort()
        raise
    return writer.commit()


def append_to_dataset(fs, root: str, docs: Iterable[dict]) -> list[str]:
    """Add these snapshot documents to the dataset of the store at `root`; returns the parts written.

    Snapshots the dataset already holds are skipped, so calling it again with the
    same documents (a resumed capture) adds nothing. `docs` may be a generator.
    """
    return _write(fs, root, docs, _Seen(fs, root))


def rebuild_dataset(fs, root: str, docs: Iterable[dict]) -> list[str]:
    """Replace the dataset with one built from `docs` (every snapshot of the store), one part per partition.

    The new parts are published before the old ones are removed; a failure leaves the old dataset as it was.
    """
    old = list_parts(fs, dataset_root(root))
    written = _write(fs, root, docs, _Seen(fs, None))
    remove_parts(fs, [p for p in old if p not in set(written)])
    return written
