"""The store's index: one row per snapshot, so listing and lookups open no snapshot.

    STORE/.index/segments/<time>-<random>.jsonl   one JSON row per line, never rewritten
    STORE/.index/claims/<key>.json                 who writes which new snapshot (see writer.py)

A row: model, version, stem (capture time as in the file name), captured_at,
content_hash, dedupe (the content without how it was asked for), aliases (of this
version at capture), model_aliases (the model's alias map at capture), path (the
snapshot's folder and stem, relative to the store) and formats (json, parquet).

Lock-free with many writers, on object storage too: a writer never changes a
segment, it adds a new one (written whole, after the snapshot it names, so no row
names a missing snapshot), and the index is the union of all segments, rows of the
same path merged. Compaction writes one segment holding the rows of the segments it
read, then removes exactly those; a segment added meanwhile is left alone, and a
row read twice merges with itself.

An index with no segments while the store holds snapshots (a store written by an
older snap, or the index deleted), or with a segment that does not parse, is not
trusted: the rows are rebuilt from the snapshots themselves. Readers rebuild in
memory only; writers and `snap reindex` also write the rebuilt index.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sys
import time
from dataclasses import dataclass, field

from snapshot.store.backend import Store

INDEX_DIR = ".index"
SEGMENTS = f"{INDEX_DIR}/segments"
CLAIMS = f"{INDEX_DIR}/claims"
FIELDS = ("model", "version", "stem", "captured_at", "content_hash", "aliases", "path", "formats")


class IndexDamaged(Exception):
    """A segment that does not parse as index rows."""


def warn(message: str) -> None:
    """One warning line on stderr (control characters shown as escapes)."""
    from snapshot.formats.inert import terminal_safe

    sys.stderr.write(f"Warning: {terminal_safe(message)}\n")


def version_key(version: str):
    return (0, int(version), "") if version.isdigit() else (1, 0, version)


_NOT_CONTENT = ("captured_at", "content_hash", "reused", "requested_uri")


def dedupe_key(doc: dict) -> str:
    """The hash of what was captured: the content hash's canonical JSON without how it was asked for or reused."""
    manifest = {k: v for k, v in doc["manifest"].items() if k not in _NOT_CONTENT}
    text = json.dumps({**doc, "manifest": manifest}, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def row_of(doc: dict, path: str, formats: list[str]) -> dict:
    """The index row of a snapshot document stored at `path` (folder/stem, no suffix)."""
    m = doc["manifest"]
    version = str(m["model_version"])
    rm, mv = doc.get("registered_model") or {}, doc.get("model_version") or {}
    model_aliases = {str(a): str(v) for a, v in (rm.get("aliases") or {}).items()}
    aliases = mv.get("aliases") or sorted(a for a, v in model_aliases.items() if v == version)
    return {"model": m["model_name"], "version": version, "stem": path.rsplit("/", 1)[-1],
            "captured_at": m.get("captured_at"), "content_hash": m.get("content_hash"),
            "dedupe": dedupe_key(doc), "aliases": list(aliases), "model_aliases": model_aliases,
            "path": path, "formats": sorted(formats)}


def segment_name() -> str:
    return f"{SEGMENTS}/{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{secrets.token_hex(6)}.jsonl"


def encode(rows: list[dict]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in rows).encode("utf-8")


def decode(data: bytes, name: str) -> list[dict]:
    try:
        rows = [json.loads(line) for line in data.decode("utf-8").splitlines() if line.strip()]
    except (UnicodeDecodeError, ValueError) as exc:
        raise IndexDamaged(f"index segment {name} does not parse ({exc})") from None
    for row in rows:
        if not isinstance(row, dict) or not all(isinstance(row.get(k), (str, list)) for k in ("model", "path")):
            raise IndexDamaged(f"index segment {name} holds a row that is not an index row")
    return rows


@dataclass
class Index:
    """Every row of a store, by path and by version; `segments` are the files they were read from."""

    rows: dict[str, dict] = field(default_factory=dict)
    segments: list[str] = field(default_factory=list)
    rebuilt: bool = False
    _by_version: dict[tuple[str, str], dict[str, dict]] = field(default_factory=dict)

    def add(self, row: dict) -> None:
        old = self.rows.get(row["path"])
        if old is not None and old.get("formats") != row.get("formats"):
            row = {**row, "formats": sorted(set(old.get("formats") or []) | set(row.get("formats") or []))}
        self.rows[row["path"]] = row
        self._by_version.setdefault((row["model"], row["version"]), {})[row["path"]] = row

    def sorted_rows(self) -> list[dict]:
        return sorted(self.rows.values(), key=lambda r: (r["model"], version_key(r["version"]), r["stem"]))

    def of_version(self, model: str, version: str) -> list[dict]:
        return sorted(self._by_version.get((model, version), {}).values(), key=lambda r: r["stem"])

    def newest(self, model: str, version: str) -> dict | None:
        own = self._by_version.get((model, version))
        return max(own.values(), key=lambda r: r["stem"]) if own else None


def read_segments(store: Store) -> Index:
    """The union of every segment; raises IndexDamaged on a segment that does not parse."""
    index = Index()
    for name in segment_names(store):
        try:
            data = store.read(f"{SEGMENTS}/{name}")
        except FileNotFoundError:  # compacted away by another writer since the listing: its rows moved on
            return read_segments(store)
        for row in decode(data, name):
            index.add(row)
        index.segments.append(f"{SEGMENTS}/{name}")
    return index


def segment_names(store: Store) -> list[str]:
    return sorted(i.name for i in store.listdir(SEGMENTS) if not i.is_dir and i.name.endswith(".jsonl"))


_CACHE: dict[tuple, Index] = {}  # (store, its segment names) -> rows: one read per command, however many lookups


def load_index(store: Store) -> Index:
    """The store's index, rebuilt from the snapshots when it is missing or damaged."""
    from snapshot.store.scan import has_snapshot_folders, scan_rows

    key = (store.url, tuple(segment_names(store)))
    if key[1] and key in _CACHE:
        return _CACHE[key]
    try:
        index = read_segments(store)
    except IndexDamaged as exc:
        warn(f"{exc}; reading the snapshots instead (snap reindex repairs the index)")
        index = None
    if index is not None and (index.segments or not has_snapshot_folders(store)):
        if tuple(n.rsplit("/", 1)[-1] for n in index.segments) == key[1]:
            _CACHE.clear()
            _CACHE[key] = index
        return index
    # Segments are listed before the snapshots are scanned: a segment listed was written after its
    # snapshot, so the scan sees that snapshot, and compacting the rebuilt index may remove the segment.
    rebuilt = Index(rebuilt=True, segments=[f"{SEGMENTS}/{n}" for n in segment_names(store)])
    for row in scan_rows(store):
        rebuilt.add(row)
    return rebuilt


def append(store: Store, rows: list[dict]) -> str | None:
    """Add rows as one new segment (written whole); its name."""
    if not rows:
        return None
    name = segment_name()
    store.write(name, encode(rows))
    return name


def compact(store: Store, index: Index) -> None:
    """One segment with every row of `index`, then remove the segments it was read from (and only those)."""
    append(store, index.sorted_rows())
    store.remove(list(index.segments))
