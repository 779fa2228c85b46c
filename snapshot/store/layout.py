"""The snapshot store: a folder a person can browse by model and version.

    STORE/<model>/v<version>/<captured_at>.json (and .parquet)
    STORE/.index/      the index (snapshot/store/index.py)
    STORE/parquet/     the analysts' Parquet dataset (snapshot/dataset/), Parquet only

Model names are escaped so that no legal name (slashes, `..`, spaces) can
reach outside the store. A name whose escaped form passes MAX_NAME_BYTES (30
emoji, a long Chinese name) gets a readable prefix and a hash of the whole name,
`<prefix>~<16 hex>`: bounded, still browsable, and no two names share a folder
(`~` is always escaped in a short name). Such a folder cannot be read back into
the name; the index and the snapshot's manifest hold the real name, which is
what references use.

A snapshot from a workspace other than the default (`manifest.workspace`, on a
server with workspaces) is stored as `WORKSPACE:NAME` (`store_name`): its own
folder, index rows and references (`team-a:Churn/5`). MLflow refuses `:` in a
model name, so no model of the default workspace can share that folder.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from snapshot.errors import AmbiguousReference, BadReference, SnapshotNotFound
from snapshot.store.backend import Store, local_path, open_store

_KEEP = set("-_.@+=,")
MAX_NAME_BYTES = 120  # far below the 255 bytes of a file name; S3 keys (1,024 bytes) keep room for the rest
_PREFIX_BYTES = 96
RESERVED = ("parquet",)  # top-level folders that are not models: the dataset
DEFAULT_WORKSPACE = "default"  # MLflow's; a snapshot from it keeps its plain name in the store


def default_store(store: str | Path | Store | None) -> Path | Store:
    """The store meant: the argument, else $SNAP_STORE, else ./snapshots. A local one is a Path."""
    target = store if store is not None and str(store) != "" else (os.environ.get("SNAP_STORE") or "snapshots")
    if isinstance(target, Store):
        return target
    path = local_path(target)
    return path if path is not None else open_store(str(target))


def store_name(manifest: dict) -> str:
    """The model's name in the store: `WORKSPACE:NAME` for a workspace other than the default, else NAME."""
    return qualified_name(manifest["model_name"], manifest.get("workspace"))


def qualified_name(name: str, workspace: str | None) -> str:
    return f"{workspace}:{name}" if workspace and workspace != DEFAULT_WORKSPACE else name


def _pieces(name: str) -> list[str]:
    return [ch if ch.isalnum() or ch in _KEEP else "".join(f"%{b:02X}" for b in ch.encode("utf-8")) for ch in name]


def escape_name(name: str) -> str:
    """A model name (or version) as one safe, bounded directory name."""
    if name.strip(".") == "":
        out = ["".join(f"%{b:02X}" for b in name.encode("utf-8")) or "%00"]
    else:
        out = _pieces(name)
        if out[0] == ".":
            out[0] = "%2E"  # dot-folders are snap's own (.index, .snap-journal) and hidden from listings
        if name.lower() in RESERVED:
            out[0] = f"%{ord(name[0]):02X}"  # `parquet/` is the dataset's folder
    escaped = "".join(out)
    if len(escaped.encode("utf-8")) <= MAX_NAME_BYTES:
        return escaped
    prefix, size = [], 0
    for piece in out:  # cut between escapes, never inside one
        size += len(piece.encode("utf-8"))
        if size > _PREFIX_BYTES:
            break
        prefix.append(piece)
    return "".join(prefix) + "~" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:16]


def unescape_name(dirname: str) -> str:
    """The name of a folder (a bounded folder, `…~hash`, gives only its readable prefix)."""
    return unquote(dirname.split("~", 1)[0]) if "~" in dirname else unquote(dirname)


STORE_FORMATS = {"json": ("json",), "parquet": ("parquet",), "both": ("json", "parquet")}


def write_to_store(doc: dict, store, fmt: str = "json") -> list:
    """Write a snapshot at its place in the store, then its index row; the files written."""
    from snapshot.store.writer import write_snapshot_to_store

    return write_snapshot_to_store(doc, store, fmt)


def file_stem(captured_at: str) -> str:
    """`2026-11-26T21:30:00.123456Z` -> `20261126T213000.123456Z`."""
    return captured_at.replace("-", "").replace(":", "")


def version_folder(name: str, version: str) -> str:
    """`<model>/v<version>`, relative to the store."""
    return f"{escape_name(name)}/v{escape_name(str(version))}"


def snapshot_dir(store: Path, name: str, version: str) -> Path:
    path = Path(store) / escape_name(name) / f"v{escape_name(str(version))}"
    root = Path(store).resolve()
    if root not in path.resolve().parents:
        raise ValueError(f"refusing a path outside the store: {path}")
    return path


@dataclass(frozen=True)
class Entry:
    """One snapshot in a store, from its index row."""

    model: str
    version: str
    stem: str
    path: Path | str  # the JSON file when there is one, else the Parquet file (a URL on object storage)
    captured_at: str | None = None
    content_hash: str | None = None
    aliases: tuple[str, ...] = ()
    formats: tuple[str, ...] = ("json",)
    model_aliases: tuple[tuple[str, str], ...] = ()

    @property
    def sort_key(self):
        return (self.model, version_order(self.version), self.stem)


def version_order(version: str) -> tuple:
    """Sort key of a version: numbers as numbers (2 before 10), then any other name."""
    return (0, int(version), "") if version.isdigit() else (1, 0, version)


def file_suffix(formats) -> str:
    """The file an index row names: its JSON twin when it has one (no formats recorded: JSON)."""
    return "json" if not formats or "json" in formats else "parquet"


def entry_of(store: Store, row: dict) -> Entry:
    formats = tuple(row.get("formats") or ("json",))
    suffix = file_suffix(formats)
    return Entry(row["model"], row["version"], row["stem"], store.file(f"{row['path']}.{suffix}"),
                 row.get("captured_at"), row.get("content_hash"), tuple(row.get("aliases") or ()), formats,
                 tuple(sorted((row.get("model_aliases") or {}).items())))


def list_entries(store) -> list[Entry]:
    """Every snapshot in the store, by model, version (numeric) and capture time, read from the index."""
    from snapshot.store.index import all_rows

    store = open_store(store)
    if not store.is_store():
        return []
    return [entry_of(store, row) for row in all_rows(store)]


def model_entries(store, name: str) -> list[Entry]:
    """The snapshots of one model, oldest first, reading only that model's index rows."""
    from snapshot.store.index import load_rows

    store = open_store(store)
    if not store.is_store():
        return []
    rows = load_rows(store, escape_name(name)).sorted_rows()
    return [entry_of(store, row) for row in rows if row["model"] == name]


_REF = re.compile(r"^(?:(?P<model>.+?)(?P<sep>[/@]))?(?P<rest>[^/@]+)$")


def resolve_ref(store, ref: str, model: str | None = None) -> Path | str:
    """A store reference to the newest matching snapshot file.

    `v5` or `5` (the store's only model, or `model`), `NAME/5`, `NAME@ALIAS`
    (the version the alias pointed to in the model's newest snapshot).
    """
    return find_entry(store, ref, model).path


def find_entry(store, ref: str, model: str | None = None) -> Entry:
    """The newest entry a reference names; only the named model's rows are read when it names one."""
    store = open_store(store)
    m = _REF.match(ref)
    name = (m.group("model") if m else None) or model or os.environ.get("SNAP_MODEL") or None
    own = model_entries(store, name) if name else []
    return resolve_entry(own or list_entries(store), str(store), ref, model)


def resolve_entry(entries: list[Entry], where: str, ref: str, model: str | None = None) -> Entry:
    """The newest entry `ref` names among a store's entries."""
    model = model or os.environ.get("SNAP_MODEL") or None
    m = _REF.match(ref)
    if not m or (m.group("sep") and not m.group("model")):
        raise BadReference(f"{ref!r} is neither a snapshot file nor a store reference like v5, NAME/5 or NAME@ALIAS")
    name = m.group("model") or _only_model(where, entries, ref, model)
    own = [e for e in entries if e.model == name]
    if not own:
        known = ", ".join(sorted({e.model for e in entries})) or "none"
        raise SnapshotNotFound(f"no snapshots of model {name!r} in store {where} (models there: {known})")
    rest = m.group("rest")
    if m.group("sep") == "@":
        return _resolve_alias(own, name, rest, where)
    version = rest[1:] if rest[:1] in ("v", "V") and rest[1:].isdigit() else rest
    matches = [e for e in own if e.version == version]
    if not matches:
        have = ", ".join(f"v{v}" for v in dict.fromkeys(e.version for e in own))
        raise SnapshotNotFound(f"no snapshot of {name} version {version} in store {where} "
                               f"(versions there: {have}); capture it first")
    return matches[-1]


def _only_model(where: str, entries: list[Entry], ref: str, model: str | None) -> str:
    if model:
        return model
    names = sorted({e.model for e in entries})
    if not names:
        raise SnapshotNotFound(f"{ref!r}: store {where} holds no snapshots; capture some, or pass --store")
    if len(names) > 1:
        raise AmbiguousReference(
            f"{ref!r} is ambiguous: store {where} holds {len(names)} models ({', '.join(names)}); "
            "pass --model NAME or write NAME/VERSION"
        )
    return names[0]


def _resolve_alias(own: list[Entry], name: str, alias: str, where: str) -> Entry:
    aliases = dict(max(own, key=lambda e: e.stem).model_aliases)
    if alias not in aliases:
        have = ", ".join(sorted(aliases)) or "none"
        raise SnapshotNotFound(f"alias {alias!r} of {name} is not in the newest snapshot (aliases there: {have})")
    return resolve_entry(own, where, f"{name}/{aliases[alias]}")
