"""The store's index: one row per snapshot, so listing and lookups open no snapshot.

    STORE/.index/models/<model folder>/<time>-<random>[-sorted].jsonl   rows of one model, never rewritten
    STORE/.index/claims/<key>.json                                      who writes which new snapshot (writer.py)

A row: model, version, stem (capture time as in the file name), captured_at, content_hash, aliases (of this
version at capture), model_aliases (the model's alias map at capture), path (the snapshot's folder and stem,
relative to the store) and formats (json, parquet). Rows are kept per model (the model's folder name), so a
reference like NAME/5 reads one model's rows, not the whole store's.

Lock-free with many writers, on object storage too: a writer never changes a segment, it adds a new one
(written whole, after the snapshot it names, so no row names a missing snapshot), and a model's rows are the
union of its segments, rows of the same path merged. Compaction writes one segment holding the rows of the
segments it read, then removes exactly those; a segment added meanwhile is left alone, and a row read twice
merges with itself.

A model folder in the store with no segments (a store written by an older snap, a model copied in, the index
deleted), or with a segment that does not parse, is not trusted: its rows are rebuilt from its snapshots.
Readers rebuild in memory; writers and `snap reindex` also write the rebuilt rows back.
"""

from __future__ import annotations

import json
import secrets
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from snapshot.formats.document import dedupe_key  # noqa: F401  (where writers and tests have found it)
from snapshot.store import columns
from snapshot.store.backend import Store

INDEX_DIR = ".index"
MODELS = f"{INDEX_DIR}/models"
CLAIMS = f"{INDEX_DIR}/claims"
SORTED = "-sorted.jsonl"  # a segment written in index order by compact(): read back without sorting


class IndexDamaged(Exception):
    """A segment that does not parse as index rows."""


def warn(message: str) -> None:
    """One warning line on stderr (control characters shown as escapes)."""
    from snapshot.formats.inert import terminal_safe

    sys.stderr.write(f"Warning: {terminal_safe(message)}\n")


def version_key(version: str):
    return (0, int(version), "") if version.isdigit() else (1, 0, version)


def row_key(row: dict):
    return (row["model"], version_key(row["version"]), row["stem"])


def row_of(doc: dict, path: str, formats: list[str]) -> dict:
    """The index row of a snapshot document stored at `path` (folder/stem, no suffix)."""
    m = doc["manifest"]
    version = str(m["model_version"])
    rm, mv = doc.get("registered_model") or {}, doc.get("model_version") or {}
    model_aliases = {str(a): str(v) for a, v in (rm.get("aliases") or {}).items()}
    aliases = mv.get("aliases") or sorted(a for a, v in model_aliases.items() if v == version)
    from snapshot.store.layout import store_name  # `WORKSPACE:NAME` outside the default workspace (#14)

    return {"model": store_name(m), "version": version, "stem": path.rsplit("/", 1)[-1],
            "captured_at": m.get("captured_at"), "content_hash": m.get("content_hash"),
            "aliases": list(aliases), "model_aliases": model_aliases, "path": path, "formats": sorted(formats),
            **({"kind": "prompt"} if m.get("kind") == "prompt" else {})}


def folder_of(row: dict) -> str:
    return row["path"].split("/", 1)[0]


COLUMNS = ("model", "version", "stem", "captured_at", "content_hash", "aliases", "model_aliases", "path", "formats")
OPTIONAL_COLUMNS = ("kind",)  # only in a segment holding a prompt (row `kind: "prompt"`, #14): others keep their bytes


def columns_of(cols: Mapping) -> tuple[str, ...]:
    """The columns a segment holds: COLUMNS, and the optional ones it was written with."""
    return COLUMNS + tuple(c for c in OPTIONAL_COLUMNS if c in cols)


def encode(rows: list[dict]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in rows).encode("utf-8")


def encode_columns(rows: list[dict]) -> bytes:
    """A sorted segment: columns, several times faster to read back than one row a line (columns.py)."""
    optional = tuple(c for c in OPTIONAL_COLUMNS if any(r.get(c) is not None for r in rows))
    return columns.encode_columns(COLUMNS + optional, rows)


def decode(data: bytes, name: str) -> list[dict] | Mapping:
    """A segment's rows, or its columns (a mapping of equal-length lists) for a sorted segment."""
    try:
        if data.startswith(b'{"columns"'):
            return _checked_columns(columns.decode_columns(data, COLUMNS, OPTIONAL_COLUMNS), name)
        text = data.decode("utf-8")
        # one parse of all lines as a JSON array: several times faster than a parse per line
        rows = json.loads("[" + ",".join(line for line in text.splitlines() if line.strip()) + "]")
    except (UnicodeDecodeError, ValueError) as exc:
        raise IndexDamaged(f"index segment {name} does not parse ({exc})") from None
    for row in rows:
        if not isinstance(row, dict) or not all(isinstance(row.get(k), str) for k in ("model", "version", "path")):
            raise IndexDamaged(f"index segment {name} holds a row that is not an index row")
    return rows


def _checked_columns(cols, name: str) -> Mapping:
    """Columns of equal length, model and path strings. A lazy segment's checksum vouches for the rest."""
    lazy = isinstance(cols, columns.Columns)
    if not lazy and (not isinstance(cols, dict) or not all(isinstance(cols.get(c), list) for c in COLUMNS)):
        raise IndexDamaged(f"index segment {name} does not hold the index's columns")
    n = len(cols["path"])
    if not lazy and any(len(cols[c]) != n for c in COLUMNS):
        raise IndexDamaged(f"index segment {name} holds columns of different lengths")
    if set(map(type, cols["model"])) | set(map(type, cols["path"])) != {str} and n:
        raise IndexDamaged(f"index segment {name} holds columns that are not index rows")
    return cols


@dataclass
class Rows:
    """One model folder's rows, by path, read from `segments`; a sorted segment's columns stay columns until
    a row is asked for (`snap list` reads them as they are)."""

    folder: str
    segments: list[str] = field(default_factory=list)
    rebuilt: bool = False
    in_order: bool = False  # read from one sorted segment, nothing added since
    cols: Mapping | None = None
    _rows: dict[str, dict] = field(default_factory=dict)
    _by_version: dict[str, dict[str, dict]] = field(default_factory=dict)

    def _materialize(self) -> None:
        cols, self.cols = self.cols, None
        if cols:
            in_order = self.in_order
            for row in _rows_of(cols):
                self.add(row)
            self.in_order = in_order

    @property
    def rows(self) -> dict[str, dict]:
        if self.cols is not None:
            self._materialize()
        return self._rows

    @property
    def by_version(self) -> dict[str, dict[str, dict]]:
        if self.cols is not None:
            self._materialize()
        return self._by_version

    def add(self, row: dict) -> None:
        rows = self.rows
        self.in_order = False
        old = rows.get(row["path"])
        if old is not None and old.get("formats") != row.get("formats"):
            row = {**row, "formats": sorted(set(old.get("formats") or []) | set(row.get("formats") or []))}
        rows[row["path"]] = row
        self._by_version.setdefault(row["version"], {})[row["path"]] = row

    def sorted_rows(self) -> list[dict]:
        return list(self.rows.values()) if self.in_order else sorted(self.rows.values(), key=row_key)

    def models(self) -> set[str]:
        return set(self.cols["model"]) if self.cols is not None else {r["model"] for r in self._rows.values()}


def segment_names(store: Store, folder: str) -> list[str]:
    return sorted(i.name for i in store.listdir(f"{MODELS}/{folder}") if not i.is_dir and i.name.endswith(".jsonl"))


def every_segment(store: Store) -> dict[str, list[str]]:
    """Every model folder's segment names from one listing of the whole index (a request, not one a model)."""
    segments: dict[str, list[str]] = {}
    for folder, _, name in (rel[len(MODELS) + 1:].partition("/") for rel in sorted(store.find(MODELS))):
        if name.endswith(".jsonl") and "/" not in name:
            segments.setdefault(folder, []).append(name)
    return segments


def model_folders(store: Store) -> list[str]:
    """Folders of the store's top level that may hold a model's snapshots, and folders with index rows."""
    from snapshot.store.scan import is_model_folder

    found = {i.name for i in store.listdir("") if i.is_dir and is_model_folder(i.name)}
    return sorted(found | {i.name for i in store.listdir(MODELS) if i.is_dir})


_CACHE: dict[tuple, tuple] = {}  # (store, folder) -> (its segment names, rows): one read per command


def load_rows(store: Store, folder: str, names: list[str] | None = None) -> Rows:
    """One model folder's rows; rebuilt from its snapshots when it has no segments or a damaged one.

    `names`: its segments, when the caller listed them already (writer.Known.take_survey)."""
    from snapshot.store.scan import scan_rows

    names = segment_names(store, folder) if names is None else names
    key = (store.url, folder)
    if names and _CACHE.get(key, ((), None))[0] == tuple(names):
        return _CACHE[key][1]
    rows = Rows(folder, segments=[f"{MODELS}/{folder}/{n}" for n in names])
    try:
        for name in names:
            try:
                data = store.read(f"{MODELS}/{folder}/{name}")
            except FileNotFoundError:  # compacted away by another writer since the listing: read again
                return load_rows(store, folder)
            found = decode(data, name)
            if isinstance(found, Mapping) and len(names) == 1:
                rows.cols = found
            else:
                for row in (_rows_of(found) if isinstance(found, Mapping) else found):
                    rows.add(row)
        rows.in_order = len(names) == 1 and names[0].endswith(SORTED)
        if names:
            _CACHE[key] = (tuple(names), rows)
            return rows
    except IndexDamaged as exc:
        warn(f"{exc}; reading the snapshots instead (snap reindex repairs the index)")
    # Segments were listed before the snapshots are scanned: a segment listed was written after its
    # snapshot, so the scan sees that snapshot, and compacting the rebuilt rows may remove the segment.
    rebuilt = Rows(folder, segments=rows.segments, rebuilt=True)
    for row in scan_rows(store, [folder]):
        rebuilt.add(row)
    return rebuilt


def _rows_of(cols: Mapping) -> list[dict]:
    names = columns_of(cols)
    rows = [dict(zip(names, values)) for values in zip(*(cols[c] for c in names))]
    return rows if names == COLUMNS else [_without_none(row) for row in rows]


def _without_none(row: dict) -> dict:
    """A row as written: an optional column's None means the row had no such key."""
    for c in OPTIONAL_COLUMNS:
        if c in row and row[c] is None:
            del row[c]
    return row


def load_all(store: Store) -> list[Rows]:
    """Every model folder's rows (read at once on object storage, where each read is a request)."""
    folders = model_folders(store)
    if store.local or len(folders) < 2:
        return [load_rows(store, f) for f in folders]
    from concurrent.futures import ThreadPoolExecutor

    segments = every_segment(store)  # a folder without any is listed again, then rebuilt, by load_rows
    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(lambda f: load_rows(store, f, segments.get(f)), folders))


def all_rows(store: Store) -> list[dict]:
    """Every row of the store, by model, version (numeric) and capture time."""
    return [row for part in ordered_parts(store) for row in part.sorted_rows()]


def ordered_parts(store: Store) -> list[Rows]:
    """Every model folder's rows, in model-name order; one model a folder, so no row needs sorting again."""
    parts = [p for p in load_all(store) if p.cols is not None or p._rows]
    names = [p.models() for p in parts]
    if any(len(n) != 1 for n in names):  # not one model a folder (never written so): one sort of everything
        merged = Rows("*")
        for part in parts:
            for row in part.sorted_rows():
                merged.add(row)
        return [merged]
    return [p for _, p in sorted(zip([min(n) for n in names], parts), key=lambda pair: pair[0])]


def segment_name(folder: str, suffix: str = ".jsonl") -> str:
    return f"{MODELS}/{folder}/{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{secrets.token_hex(6)}{suffix}"


def append(store: Store, rows: list[dict], suffix: str = ".jsonl") -> list[str]:
    """Add rows as new segments (one per model folder, each written whole); their names."""
    by_folder: dict[str, list[dict]] = {}
    for row in rows:
        by_folder.setdefault(folder_of(row), []).append(row)
    segments = {segment_name(folder, suffix): encode(own) for folder, own in sorted(by_folder.items())}
    store.write_many(segments)
    return list(segments)


def compact(store: Store, rows: Rows) -> None:
    """One sorted segment with every row of a model folder, then remove the segments they were read from."""
    if rows.rows:
        name = segment_name(rows.folder, SORTED)
        store.write(name, encode_columns(rows.sorted_rows()))
    store.remove(list(rows.segments))
