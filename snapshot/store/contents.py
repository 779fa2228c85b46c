"""`snap list`: the snapshots in a store, as a table or JSON."""

from __future__ import annotations

import json
from pathlib import Path

from snapshot.errors import BadOption, SnapshotNotFound
from snapshot.formats.inert import json_controls, terminal_safe
from snapshot.store.backend import open_store
from snapshot.store.index import ordered_parts
from snapshot.store.layout import default_store


def list_store(store: str | Path | None) -> list[dict]:
    """One row per snapshot, read from the store's index: no snapshot is opened."""
    root = open_store(default_store(store))
    if root.local and root.root.exists() and not root.root.is_dir():
        raise BadOption(f"store {root} is a file, not a folder; pass --store with a snapshot folder")
    if not root.is_store():
        raise SnapshotNotFound(f"no store at {root}; capture into it first, or pass --store / set SNAP_STORE")
    listing = []
    for part in ordered_parts(root):
        c = part.cols if part.cols is not None else _columns(part.sorted_rows())
        for model, version, at, digest, aliases, path, formats in zip(
                c["model"], c["version"], c["captured_at"], c["content_hash"], c["aliases"], c["path"], c["formats"]):
            suffix = "json" if "json" in (formats or ("json",)) else "parquet"
            listing.append({"model": model, "version": version, "aliases": aliases or [], "captured_at": at,
                            "content_hash": digest, "path": root.file_name(f"{path}.{suffix}")})
    return listing


def _columns(rows: list[dict]) -> dict:
    return {c: [r.get(c) for r in rows] for c in ("model", "version", "captured_at", "content_hash", "aliases",
                                                  "path", "formats")}


def _json_lines(rows: list[dict]) -> str:
    """A JSON array, one row a line, by one call of json's C encoder (an indent forces its slow Python one).

    NUL separates items: JSON never holds it raw (it is escaped inside strings), and rows hold no nested
    objects, so `}NUL{` is exactly a boundary between rows."""
    if not rows:
        return "[]\n"
    text = json.dumps(rows, ensure_ascii=False, separators=("\x00", ": "))
    return json_controls("[\n  " + text[1:-1].replace("}\x00{", "},\n  {").replace("\x00", ", ") + "\n]\n")


def render_listing(rows: list[dict], fmt: str) -> str:
    if fmt == "json":
        return _json_lines(rows)
    if fmt != "table":
        raise BadOption(f"--format must be table or json, not {fmt!r}")
    if not rows:
        return "no snapshots\n"
    header = ("MODEL", "VERSION", "ALIASES", "CAPTURED AT", "PATH")
    table = [header] + [(r["model"], r["version"], ",".join(r["aliases"]), r["captured_at"], r["path"]) for r in rows]
    table = [tuple(terminal_safe(c) for c in row) for row in table]  # registry names never drive the terminal
    widths = [max(len(str(row[i])) for row in table) for i in range(len(header))]
    return "".join("  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip() + "\n" for row in table)
