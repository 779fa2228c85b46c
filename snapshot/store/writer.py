"""Writing snapshots into a store: whole or absent, indexed, deduplicated across concurrent writers.

Order of one write: claim, snapshot files (JSON, then Parquet), index row (at once, or gathered by a
capture run). So a reader never meets a row whose snapshot is missing, and a run killed in between
leaves a claim that says what it was writing.

Claims make dedupe hold with several writers and no lock. A new snapshot of a version is claimed
under a key made of the model, the version, the newest snapshot the writer knew of (its stem, or
none) and the content (dedupe_key: the document without capture time and how it was asked for). The
claim is created only if absent (O_EXCL on disk, a conditional PUT `If-None-Match: *` on S3), so of
two writers that saw the same predecessor and captured the same content, one writes and the other
finds the claim and its snapshot and writes nothing. The predecessor is part of the key so that
content that changes back (A, B, A) still gets a new snapshot. A claim whose snapshot is half there
(a run killed between the twins) is completed from the half that is: the missing twin is written
from it and the row added. A claim with no snapshot at all, older than STALE_SECONDS (or still empty
after WAIT_SECONDS), was left by a writer that died: it is taken over.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
import time

from snapshot.errors import SnapError
from snapshot.formats.document import dedupe_key
from snapshot.store import index as idx
from snapshot.store.backend import Store, open_store
from snapshot.store.layout import STORE_FORMATS, escape_name, file_stem, snapshot_dir, store_name, version_folder

WAIT_SECONDS = 10.0
STALE_SECONDS = 60.0
AFTER_WRITE_CHUNK = 1000  # documents handed to after_write at once, so a registry-wide run stays flat in memory
ROW_FLUSH_SECONDS = 5.0
COMPACT_ABOVE = 16  # segments of one model left by many runs (or killed ones) are merged by the next run
_LOCK = threading.RLock()


class Known:
    """What a writer knows of a store's index: each model folder's rows, loaded when first needed."""

    def __init__(self, store: Store):
        self.store = store
        self.parts: dict[str, idx.Rows] = {}
        self.loading: dict[str, threading.Lock] = {}  # one a model folder, held while its rows are read
        self.survey: tuple[dict[str, list[str]], set[str]] | None = None  # see take_survey

    def take_survey(self) -> None:
        """Every model folder's segment names, and the folders the store has, in two listings.

        A registry-wide capture into object storage then reads a model's rows without listing its
        index folder and scanning its snapshot folder first: two requests a model fewer (4,352 for
        2,176 models). A segment another writer adds later is not seen, as if listed a little earlier;
        claims still keep that writer's content from being written twice.
        """
        self.survey = idx.every_segment(self.store), {i.name for i in self.store.listdir("") if i.is_dir}

    def rows(self, folder: str) -> idx.Rows:
        """A model folder's rows, read once. Only writers of that model wait for the reading: on object
        storage it is several requests, and the other models' writes go on meanwhile."""
        with _LOCK:
            if folder in self.parts:
                return self.parts[folder]
            loading = self.loading.setdefault(folder, threading.Lock())
        with loading:
            if folder not in self.parts:
                rows = self._load(folder)
                if rows.rebuilt and (rows.rows or rows.segments):  # written back before a new row can hide them
                    idx.compact(self.store, rows)
                self.parts[folder] = rows
            return self.parts[folder]

    def _load(self, folder: str) -> idx.Rows:
        if self.survey is None:
            return idx.load_rows(self.store, folder)
        segments, folders = self.survey
        if folder not in segments and folder not in folders:  # nothing of this model in the store yet
            return idx.Rows(folder)
        return idx.load_rows(self.store, folder, segments.get(folder))

    def newest(self, name: str, version: str) -> dict | None:
        own = self.rows(escape_name(name)).by_version.get(version)
        return max(own.values(), key=lambda r: r["stem"]) if own else None

    def get(self, path: str) -> dict | None:
        return self.rows(path.split("/", 1)[0]).rows.get(path)

    def add(self, row: dict) -> None:
        rows = self.rows(idx.folder_of(row))
        with _LOCK:
            rows.add(row)


def index_of(store: Store) -> Known:
    """The writer's view of the store's index, one per Store object."""
    with _LOCK:
        known = getattr(store, "_known", None)
        if known is None:
            known = store._known = Known(store)
        return known


def write_snapshot_to_store(doc: dict, store, fmt: str = "json") -> list:
    store = open_store(store)
    m = doc["manifest"]
    name, version = store_name(m), str(m["model_version"])
    folder = version_folder(name, version)
    if store.local:
        snapshot_dir(store.root, name, version)  # refuses a path outside the store
    exts = STORE_FORMATS[fmt]
    index = index_of(store)
    target = f"{folder}/{file_stem(m['captured_at'])}"
    key = _claim_key(index, doc)
    chosen = _claim(store, key, target)
    if chosen != target:
        return _complete(store, chosen, exts)
    _clean_temp(store, folder)
    for n, ext in enumerate(exts):
        try:
            store.write(f"{target}.{ext}", _file_bytes(doc, ext))
        except BaseException:
            if n == 0:  # nothing of it was written: the next writer need not wait for this claim
                with contextlib.suppress(SnapError, OSError):
                    store.remove([f"{idx.CLAIMS}/{key}.json"])
            raise
    _record(store, idx.row_of(doc, target, list(exts)), doc)
    return [store.file(f"{target}.{ext}") for ext in exts]


def _claim_key(index: Known, doc: dict) -> str:
    m = doc["manifest"]
    before = index.newest(store_name(m), str(m["model_version"]))
    parts = [store_name(m), str(m["model_version"]), before["stem"] if before else "", dedupe_key(doc)]
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()[:40]


def _claim(store: Store, key: str, target: str) -> str:
    """The snapshot path to write or complete: `target`, or the one another writer claimed for this content."""
    rel = f"{idx.CLAIMS}/{key}.json"
    body = json.dumps({"path": target, "created": time.time()}).encode("utf-8")
    if store.create(rel, body):
        return target
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        try:
            claim = json.loads(store.read(rel))
            other, created = str(claim["path"]), float(claim["created"])
        except (FileNotFoundError, ValueError, KeyError, TypeError):
            other, created = None, 0.0
        if other and any(store.exists(f"{other}.{e}") for e in ("json", "parquet")):
            return other
        if time.time() - created > STALE_SECONDS or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    store.write(rel, body)  # its writer died before writing anything: take the claim over
    return target


def _complete(store: Store, path: str, exts: tuple[str, ...]) -> list:
    """Another writer's snapshot of the same content: add a missing twin and its row, write nothing else."""
    from snapshot.formats.files import load_snapshot

    have = [e for e in ("json", "parquet") if store.exists(f"{path}.{e}")]
    doc = load_snapshot(store.file(f"{path}.{have[0]}"))
    missing = [e for e in exts if e not in have]
    if missing:
        _clean_temp(store, path.rsplit("/", 1)[0])  # the half a killed writer left of the missing twin
    for ext in missing:
        store.write(f"{path}.{ext}", _file_bytes(doc, ext))
    formats = sorted(set(have) | set(missing))
    known = index_of(store).get(path)
    if known is None or sorted(known.get("formats") or []) != formats:
        _record(store, idx.row_of(doc, path, formats), doc)
    return [store.file(f"{path}.{ext}") for ext in exts]


def repair_twins(store: Store, row: dict, exts: tuple[str, ...]) -> dict:
    """Write the twins a snapshot lacks (a run killed between them, a full disk) from the one that is there."""
    missing = [e for e in exts if e not in (row.get("formats") or [])]
    if not missing:
        return row
    _complete(store, row["path"], tuple(sorted(set(exts) | set(row.get("formats") or []))))
    return index_of(store).get(row["path"]) or row


def _file_bytes(doc: dict, ext: str) -> bytes:
    if ext == "json":
        from snapshot.formats.document import dumps

        return dumps(doc).encode("utf-8")
    from snapshot.formats.parquet import parquet_bytes

    return parquet_bytes(doc)


def _clean_temp(store: Store, folder: str) -> None:
    """Remove temporary files a killed writer left in this folder (a local store only: a PUT leaves none)."""
    from snapshot.formats.files import is_orphan_temp

    if not store.local:
        return
    now = time.time()
    orphans = [f"{folder}/{i.name}" for i in store.listdir(folder) if is_orphan_temp(i.name, i.mtime, now)]
    with contextlib.suppress(OSError):
        store.remove(orphans)


class _Run:
    def __init__(self):
        self.pending: list[dict] = []  # rows not yet in a segment
        self.flushed = time.monotonic()
        self.folders: set[str] = set()
        self.docs: list[dict] = []
        self.segments: dict[str, int] = {}  # segments this run added, by model folder

    def append(self, store: Store, rows: list[dict]) -> None:
        """Rows into new segments (idx.append: one a model folder), counted by folder."""
        idx.append(store, rows)
        with _LOCK:
            for folder in {idx.folder_of(row) for row in rows}:
                self.segments[folder] = self.segments.get(folder, 0) + 1


def _record(store: Store, row: dict, doc: dict) -> None:
    """The row into a segment, and the document for after_write.

    Outside a run, the row is its own segment at once. A run gathers its rows and writes
    them every ROW_FLUSH_SECONDS and at its end, one segment per model: a request per
    snapshot fewer on object storage. A run killed in between leaves snapshots without
    rows; their claims give them their rows at the next capture of the same content
    (_complete), and `snap reindex` finds them in any case.
    """
    run = getattr(store, "_run", None)
    index_of(store).add(row)
    if run is None:
        idx.append(store, [row])
        _after_write(store, [doc])
        return
    with _LOCK:
        run.pending.append(row)
        run.folders.add(idx.folder_of(row))
        run.docs.append(doc)
        rows, docs = [], []
        if time.monotonic() - run.flushed >= ROW_FLUSH_SECONDS:
            rows, run.pending, run.flushed = run.pending, [], time.monotonic()
        if len(run.docs) >= AFTER_WRITE_CHUNK:
            docs, run.docs = run.docs, []
    run.append(store, rows)
    _after_write(store, docs)


def _after_write(store: Store, docs: list[dict]) -> None:
    if docs:
        from snapshot.store.hooks import after_write

        after_write(store, docs)


@contextlib.contextmanager
def capture_run(store):
    """Group the writes of one capture run: at the end, its rows become one segment and after_write has every doc."""
    store = open_store(store)
    run = _Run()
    store._run = run
    try:
        yield store
    finally:
        store._run = None
        try:
            _finish_run(store, run)
        except SnapError as exc:  # the snapshots and their own rows are written: only the tidying failed
            idx.warn(f"could not tidy the store's index ({exc}); snap reindex will")


def _finish_run(store: Store, run: _Run) -> None:
    with _LOCK:
        rows, run.pending = run.pending, []
    run.append(store, rows)
    _after_write(store, run.docs)
    known = index_of(store)
    for folder in sorted(run.folders):
        # A folder is listed again only when the segments it had when read, and this run's, may be too many:
        # a request a model fewer at the end of most runs. Segments other writers add meanwhile are counted
        # by the next run that reads the folder.
        if len(known.rows(folder).segments) + run.segments.get(folder, 0) <= COMPACT_ABOVE:
            continue
        if len(idx.segment_names(store, folder)) > COMPACT_ABOVE:
            idx.compact(store, idx.load_rows(store, folder))

