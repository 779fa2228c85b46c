"""Integrity: does a snapshot still hold what was captured?

Every snapshot is sealed with `manifest.content_hash` (snapshot/formats/document.py).
Loading one recomputes that hash; a file edited after capture hashes differently and
is refused (`SnapshotModified`, exit 2), unless the reader asked to read it anyway
(`allowing_modified()`, which commands turn on with `--allow-modified`, or
`SNAP_ALLOW_MODIFIED=1`). Then every output marks it as modified.

`verify_files` checks whole stores and files for `snap verify`: OK, MODIFIED or DAMAGED.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass
from pathlib import Path

from snapshot.errors import CredentialsRefused, SnapError, SnapshotCorrupt, SnapshotNotFound
from snapshot.formats.document import content_hash
from snapshot.formats.inert import terminal_safe

ALLOW_ENV = "SNAP_ALLOW_MODIFIED"
OK, MODIFIED, DAMAGED = "ok", "modified", "damaged"
_HASH = re.compile(r"sha256:[0-9a-f]{64}")
_STAMP = re.compile(r"(\d{8}T\d{6}(?:\.\d{1,6})?Z)\.(?:json|parquet)")
EXIT_PROBLEMS = 1  # `snap verify`: some file is modified or damaged (documented in README)


class SnapshotModified(SnapshotCorrupt):
    """The snapshot's content no longer hashes to the content_hash it was sealed with."""


@dataclass(frozen=True)
class Seal:
    """What a document's manifest records against what its content hashes to now."""

    stored: str | None
    computed: str
    stamp: str | None = None  # the capture time its store file is named for, when the manifest says another

    @property
    def intact(self) -> bool:
        return self.stored == self.computed and self.stamp is None


def seal_of(doc: dict, where: str | os.PathLike | None = None) -> Seal:
    """The document's seal; with `where`, a store file's name is checked against `manifest.captured_at` too
    (the content hash leaves the capture time out, so two captures of the same content hash alike)."""
    manifest = doc.get("manifest") if isinstance(doc.get("manifest"), dict) else {}
    stored = manifest.get("content_hash")
    try:
        computed = content_hash(doc)
    except (ValueError, TypeError, RecursionError):  # values JSON cannot hold, or nesting too deep
        computed = "unhashable"
    return Seal(stored if isinstance(stored, str) else None, computed, _stamp_mismatch(manifest, where))


def _stamp_mismatch(manifest: dict, where) -> str | None:
    """The stamp of a file named as a store names it (`<capture time>.json`) when its captured_at differs."""
    name = _STAMP.fullmatch(str(where or "").replace("\\", "/").rsplit("/", 1)[-1])
    if name is None:
        return None
    captured_at = manifest.get("captured_at")
    written = captured_at.replace("-", "").replace(":", "") if isinstance(captured_at, str) else None
    return None if written == name.group(1) else name.group(1)


def is_modified(doc: dict) -> bool:
    return not seal_of(doc).intact


def _mismatch(seal: Seal) -> str:
    if seal.stamp is not None and seal.stored == seal.computed:
        return f"its captured_at is not the capture time {seal.stamp} its store file is named for"
    if seal.stored is None:
        return f"it has no content hash (its content hashes to {seal.computed})"
    if not _HASH.fullmatch(seal.stored):  # file content: quoted only when it is a hash, never as text to render
        return f"its content_hash is not a sha256 hash (its content hashes to {seal.computed})"
    return f"its content hashes to {seal.computed}, not the {seal.stored} it was sealed with"


def modified_warning(doc: dict) -> str | None:
    """The sentence every output shows for a modified snapshot; None when it is intact."""
    seal = seal_of(doc)
    if seal.intact:
        return None
    return f"this snapshot was modified after capture: {_mismatch(seal)}; do not treat it as captured evidence"


def modified_notes(result) -> list[str]:
    """The diff's warning for each side of a DiffResult read modified (`result.modified`)."""
    notes = []
    for name in result.modified:
        side = getattr(result, name)
        notes.append(f"Warning: the {name} snapshot ({side.model} v{side.version}) was modified after capture: "
                     "its content no longer matches its content hash")
    return notes


# Files read modified while `allowing_modified()` is active: None means refuse them.
_allowed: ContextVar[list[str] | None] = ContextVar("snap_allow_modified", default=None)


@contextmanager
def allowing_modified(allow: bool = True) -> Iterator[list[str]]:
    """Within this block, loading a modified snapshot returns it instead of refusing it.

    Yields the list of files read modified (for a warning). `allow=False` leaves
    the refusal on, unless SNAP_ALLOW_MODIFIED=1 is set.
    """
    seen: list[str] = []
    token = _allowed.set(seen) if allow or _env_allows() else None
    try:
        yield seen
    finally:
        if token is not None:
            _allowed.reset(token)


def _env_allows() -> bool:
    return os.environ.get(ALLOW_ENV, "").strip().lower() in ("1", "true", "yes")


def enforce(doc: dict, where: str) -> dict:
    """Return `doc` if its content hash holds, or if modified snapshots are allowed; else refuse it."""
    seal = seal_of(doc, where)
    if seal.intact:
        return doc
    seen = _allowed.get()
    if seen is None and not _env_allows():
        raise SnapshotModified(f"{where} was modified after capture: {_mismatch(seal)}; "
                               "capture it again, or read it anyway with --allow-modified "
                               f"(or {ALLOW_ENV}=1)")
    if seen is not None:
        seen.append(where)
    return doc


@dataclass(frozen=True)
class FileCheck:
    """One file's verdict in `snap verify`."""

    path: str
    status: str  # ok, modified, damaged
    detail: str = ""


def verify_files(targets: list) -> list[FileCheck]:
    """Check every snapshot file named, or found under a named store: a local folder or an object-storage URL."""
    files: list = []
    for target in targets:
        files += _files_of(target)
    return [verify_file(f) for f in dict.fromkeys(files)]


def _files_of(target) -> list:
    """The snapshot files `target` names: itself (a file), or every one under it (a store), on any backend."""
    from snapshot.store.backend import Store, local_path, open_store

    if isinstance(target, Store):  # the default store, already opened
        target = target.url if not target.local else target.root
    path = local_path(target)
    if path is not None and path.is_file():
        return [path]
    store = open_store(path if path is not None else str(target))
    under = store.find("")
    found = [store.file(rel) for rel in under if _is_snapshot_file(rel)]
    if found:
        return found
    if path is None and not under and _remote_file(str(target)):
        return [str(target)]
    if under or (path is not None and path.is_dir()):
        raise SnapshotNotFound(f"no snapshot files (.json, .parquet) under {target}; "
                               "pass a store or snapshot files")
    raise SnapshotNotFound(f"no snapshot file or store at {target}; pass a store folder or snapshot files")


def _is_snapshot_file(rel: str) -> bool:
    """Not in dot-folders or dot-files (index, journal, temporary files), not in a store's dataset
    folder (`parquet/`, whose tables are not snapshots)."""
    from snapshot.store.layout import RESERVED

    parts = rel.split("/")
    return (not any(p.startswith(".") for p in parts) and not (len(parts) > 1 and parts[0].lower() in RESERVED)
            and parts[-1].lower().endswith((".json", ".parquet")))


def _remote_file(url: str) -> bool:
    """Whether an object-storage URL names one object (a snapshot file), not a folder."""
    from snapshot.store.backend import open_store

    parent, _, name = url.rstrip("/").rpartition("/")
    return "://" in parent and bool(name) and open_store(parent).exists(name)


def verify_file(path: Path | str) -> FileCheck:
    from snapshot.formats.files import load_snapshot

    try:
        with allowing_modified():
            doc = load_snapshot(path)
    except CredentialsRefused:
        raise  # the store said no: nothing was checked, so nothing is reported damaged
    except SnapError as exc:
        detail = str(exc).removeprefix(str(path)).lstrip(" :")  # the line already names the file
        return FileCheck(str(path), DAMAGED, detail)
    seal = seal_of(doc, path)
    return FileCheck(str(path), OK) if seal.intact else FileCheck(str(path), MODIFIED, _mismatch(seal))


def summary(checks: list[FileCheck]) -> dict:
    return {"files": len(checks), **{s: sum(c.status == s for c in checks) for s in (OK, MODIFIED, DAMAGED)}}


def render_checks(checks: list[FileCheck], fmt: str) -> str:
    """`text`: one line per file and a summary line; `json`: {"files": [...], "summary": {...}}."""
    if fmt == "json":
        data = {"files": [asdict(c) for c in checks], "summary": summary(checks)}
        return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    lines = []
    for c in checks:
        detail = f"  {terminal_safe(c.detail)}" if c.detail else ""
        lines.append(f"{c.status.upper():<8}  {terminal_safe(c.path)}{detail}")
    counts = summary(checks)
    lines.append(f"{counts['files']} snapshot file{'s' if counts['files'] != 1 else ''}: "
                 f"{counts[OK]} ok, {counts[MODIFIED]} modified, {counts[DAMAGED]} damaged")
    return "\n".join(lines) + "\n"


def all_intact(checks: list[FileCheck]) -> bool:
    return all(c.status == OK for c in checks)
