"""The snapshot store: a folder a person can browse by model and version.

    STORE/<model>/v<version>/<captured_at>.json (and .parquet)

Model names are escaped so that no legal name (slashes, `..`, spaces) can
reach outside the store.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from snapshot.errors import AmbiguousReference, BadReference, SnapshotNotFound

_KEEP = set("-_.@+=,")


def default_store(store: str | Path | None) -> Path:
    return Path(store or os.environ.get("SNAP_STORE") or "snapshots")


def escape_name(name: str) -> str:
    """A model name as one safe directory name; reversible with unescape_name."""
    if name.strip(".") == "":
        return "".join(f"%{b:02X}" for b in name.encode("utf-8")) or "%00"
    out = []
    for ch in name:
        if ch.isalnum() or ch in _KEEP:
            out.append(ch)
        else:
            out.append("".join(f"%{b:02X}" for b in ch.encode("utf-8")))
    if out[0] == ".":
        out[0] = "%2E"  # dot-folders are snap's own (.snap-journal) and hidden from listings
    return "".join(out)


def unescape_name(dirname: str) -> str:
    return unquote(dirname)


STORE_FORMATS = {"json": ("json",), "parquet": ("parquet",), "both": ("json", "parquet")}


def write_to_store(doc: dict, store: Path, fmt: str = "both") -> list[Path]:
    """Write a snapshot at its place in the store: <model>/v<version>/<captured_at>.<format>."""
    from snapshot.formats.files import write_snapshot

    m = doc["manifest"]
    folder = snapshot_dir(store, m["model_name"], m["model_version"])
    stem = file_stem(m["captured_at"])
    return [write_snapshot(doc, folder / f"{stem}.{ext}") for ext in STORE_FORMATS[fmt]]


def file_stem(captured_at: str) -> str:
    """`2026-11-26T21:30:00.123456Z` -> `20261126T213000.123456Z`."""
    return captured_at.replace("-", "").replace(":", "")


def snapshot_dir(store: Path, name: str, version: str) -> Path:
    path = store / escape_name(name) / f"v{escape_name(str(version))}"
    root = store.resolve()
    if root not in path.resolve().parents:
        raise ValueError(f"refusing a path outside the store: {path}")
    return path


@dataclass(frozen=True)
class Entry:
    """One snapshot in a store (either of its files)."""

    model: str
    version: str
    stem: str
    path: Path  # the JSON file when there is one, else the Parquet file

    @property
    def sort_key(self):
        return (self.model, _version_key(self.version), self.stem)


def _version_key(version: str):
    return (0, int(version), "") if version.isdigit() else (1, 0, version)


def list_entries(store: Path) -> list[Entry]:
    """Every snapshot in the store, by model, version (numeric) and capture time."""
    entries: dict[tuple, Entry] = {}
    if not store.is_dir():
        return []
    for model_dir in store.iterdir():
        if not model_dir.is_dir() or model_dir.name.startswith("."):
            continue
        for version_dir in model_dir.iterdir():
            if not (version_dir.is_dir() and version_dir.name.startswith("v")):
                continue
            for f in version_dir.iterdir():
                if f.suffix not in (".json", ".parquet") or f.name.startswith("."):
                    continue
                key = (model_dir.name, version_dir.name, f.stem)
                if key in entries and f.suffix == ".parquet":
                    continue
                entries[key] = Entry(unescape_name(model_dir.name), unescape_name(version_dir.name[1:]), f.stem, f)
    return sorted(entries.values(), key=lambda e: e.sort_key)


_REF = re.compile(r"^(?:(?P<model>.+?)(?P<sep>[/@]))?(?P<rest>[^/@]+)$")


def resolve_ref(store: Path, ref: str, model: str | None = None) -> Path:
    """A store reference to the newest matching snapshot file.

    `v5` or `5` (the store's only model, or `model`), `NAME/5`, `NAME@ALIAS`
    (the version the alias pointed to in the model's newest snapshot).
    """
    model = model or os.environ.get("SNAP_MODEL") or None
    m = _REF.match(ref)
    if not m or (m.group("sep") and not m.group("model")):
        raise BadReference(f"{ref!r} is neither a snapshot file nor a store reference like v5, NAME/5 or NAME@ALIAS")
    entries = list_entries(store)
    name = m.group("model") or _only_model(store, entries, ref, model)
    own = [e for e in entries if e.model == name]
    if not own:
        known = ", ".join(sorted({e.model for e in entries})) or "none"
        raise SnapshotNotFound(f"no snapshots of model {name!r} in store {store} (models there: {known})")
    rest = m.group("rest")
    if m.group("sep") == "@":
        return _resolve_alias(own, name, rest, store)
    version = rest[1:] if rest[:1] in ("v", "V") and rest[1:].isdigit() else rest
    matches = [e for e in own if e.version == version]
    if not matches:
        have = ", ".join(f"v{v}" for v in dict.fromkeys(e.version for e in own))
        raise SnapshotNotFound(f"no snapshot of {name} version {version} in store {store} "
                               f"(versions there: {have}); capture it first")
    return matches[-1].path


def _only_model(store: Path, entries: list[Entry], ref: str, model: str | None) -> str:
    if model:
        return model
    names = sorted({e.model for e in entries})
    if not names:
        raise SnapshotNotFound(f"{ref!r}: store {store} holds no snapshots; capture some, or pass --store")
    if len(names) > 1:
        raise AmbiguousReference(
            f"{ref!r} is ambiguous: store {store} holds {len(names)} models ({', '.join(names)}); "
            "pass --model NAME or write NAME/VERSION"
        )
    return names[0]


def _resolve_alias(own: list[Entry], name: str, alias: str, store: Path) -> Path:
    from snapshot.formats.files import load_snapshot

    newest = max(own, key=lambda e: e.stem)
    aliases = (load_snapshot(newest.path).get("registered_model") or {}).get("aliases") or {}
    if alias not in aliases:
        have = ", ".join(sorted(aliases)) or "none"
        raise SnapshotNotFound(f"alias {alias!r} of {name} is not in the newest snapshot (aliases there: {have})")
    return resolve_ref(store, f"{name}/{aliases[alias]}")
