"""`snap list`: the snapshots in a store, as a table or JSON."""

from __future__ import annotations

import json
from pathlib import Path

from snapshot.errors import BadOption, SnapshotNotFound
from snapshot.formats.files import load_snapshot
from snapshot.formats.inert import terminal_safe
from snapshot.store.layout import default_store, list_entries


def list_store(store: str | Path | None) -> list[dict]:
    root = default_store(store)
    if root.exists() and not root.is_dir():
        raise BadOption(f"store {root} is a file, not a folder; pass --store with a snapshot folder")
    if not root.exists():
        raise SnapshotNotFound(f"no store at {root}; capture into it first, or pass --store / set SNAP_STORE")
    rows = []
    for entry in list_entries(root):
        doc = load_snapshot(entry.path)
        rm = doc.get("registered_model") or {}
        mv = doc.get("model_version") or {}
        aliased_here = sorted(a for a, v in (rm.get("aliases") or {}).items() if v == entry.version)
        rows.append({
            "model": entry.model,
            "version": entry.version,
            "aliases": mv.get("aliases") or aliased_here,
            "captured_at": doc["manifest"].get("captured_at"),
            "path": str(entry.path),
        })
    return rows


def render_listing(rows: list[dict], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(rows, indent=2, ensure_ascii=False) + "\n"
    if fmt != "table":
        raise BadOption(f"--format must be table or json, not {fmt!r}")
    if not rows:
        return "no snapshots\n"
    header = ("MODEL", "VERSION", "ALIASES", "CAPTURED AT", "PATH")
    table = [header] + [(r["model"], r["version"], ",".join(r["aliases"]), r["captured_at"], r["path"]) for r in rows]
    table = [tuple(terminal_safe(c) for c in row) for row in table]  # registry names never drive the terminal
    widths = [max(len(str(row[i])) for row in table) for i in range(len(header))]
    return "".join("  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip() + "\n" for row in table)
