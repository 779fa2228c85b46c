"""`snap list`: the snapshots in a store, as a table or JSON."""

from __future__ import annotations

import json
from collections.abc import Mapping
from json.encoder import encode_basestring
from pathlib import Path

from snapshot.errors import BadOption, SnapshotNotFound
from snapshot.formats.inert import json_controls, terminal_safe
from snapshot.store.backend import Store, open_store
from snapshot.store.columns import Columns
from snapshot.store.index import ordered_parts
from snapshot.store.layout import default_store, file_suffix


def list_store(store: str | Path | None) -> list[dict]:
    """One row per snapshot, read from the store's index: no snapshot is opened."""
    root = _opened(store)
    listing = []
    for part in ordered_parts(root):
        c = _columns_of(part)
        paths = [root.file_name(f"{p}.{_suffix(f)}") for p, f in zip(c["path"], c["formats"])]
        for model, version, aliases, at, digest, path in zip(
                c["model"], c["version"], c["aliases"], c["captured_at"], c["content_hash"], paths):
            listing.append({"model": model, "version": version, "aliases": aliases or [], "captured_at": at,
                            "content_hash": digest, "path": path})
        if "kind" in c:  # a prompt's row says so (#14); a registered model's row has no `kind`
            for row, kind in zip(listing[len(listing) - len(paths):], c["kind"]):
                if kind:
                    row["kind"] = kind
    return listing


def listing_json(store: str | Path | None) -> str:
    """`list_store` as `snap list --format json` prints it: a JSON array, one row a line.

    Written from the index's columns with no row built: at 100,000 snapshots this
    is most of `snap list`'s time. Same text as `json.dumps` of `list_store`'s rows
    (ensure_ascii=False), items on their own lines."""
    root = _opened(store)
    lines = []
    for part in ordered_parts(root):
        c = _columns_of(part)
        formats, aliases = _texts(c, "formats"), _texts(c, "aliases")
        models, versions = _encoded(c["model"], memo=True), _encoded(c["version"], memo=True)
        suffix, prefix = {f: _suffix(f) for f in set(formats)}, root.file_name("")  # file_name(rel) is prefix + rel
        paths = _encoded([f"{prefix}{p}.{suffix[f]}" for p, f in zip(c["path"], formats)])
        lines += [f'  {{"model": {m}, "version": {v}, "aliases": {"[]" if a == "null" else a}, "captured_at": {t}, '
                  f'"content_hash": {h}, "path": {p}}}'
                  for m, v, a, t, h, p in zip(models, versions, aliases, _encoded(c["captured_at"]),
                                              _encoded(c["content_hash"]), paths)]
        if "kind" in c:
            _add_kinds(lines, c["kind"])
    if not lines:
        return "[]\n"
    text = "[\n" + ",\n".join(lines) + "\n]\n"
    return text if text.isascii() and "\x7f" not in text else json_controls(text)


def _add_kinds(lines: list[str], kinds: list) -> None:
    """`"kind": "prompt"` at the end of a prompt's line (the part's lines are the last len(kinds))."""
    start = len(lines) - len(kinds)
    for i, kind in enumerate(kinds):
        if kind:
            lines[start + i] = f'{lines[start + i][:-1]}, "kind": {_one(kind)}}}'


def _opened(store: str | Path | None) -> Store:
    root = open_store(default_store(store))
    if root.local and root.root.exists() and not root.root.is_dir():
        raise BadOption(f"store {root} is a file, not a folder; pass --store with a snapshot folder")
    if not root.is_store():
        raise SnapshotNotFound(f"no store at {root}; capture into it first, or pass --store / set SNAP_STORE")
    return root


def _columns_of(part) -> Mapping:
    if part.cols is not None:
        return part.cols
    rows = part.sorted_rows()
    names = ("model", "version", "captured_at", "content_hash", "aliases", "path", "formats")
    return {c: [r.get(c) for r in rows] for c in names + (("kind",) if any("kind" in r for r in rows) else ())}


def _texts(c: Mapping, name: str) -> list[str]:
    return c.text(name) if isinstance(c, Columns) else [json.dumps(v, ensure_ascii=False) for v in c[name]]


def _suffix(formats) -> str:
    """The file a row names: its JSON twin when there is one (formats as a list or as its JSON text)."""
    if isinstance(formats, str):
        return "json" if formats in ("null", "[]") or '"json"' in formats else "parquet"
    return file_suffix(formats)


def _encoded(values: list, memo: bool = False) -> list[str]:
    """Each value as JSON text (json's C string encoder; names repeat, so `memo` encodes each once)."""
    try:
        if memo:
            seen = {v: encode_basestring(v) for v in set(values)}
            return [seen[v] for v in values]
        return list(map(encode_basestring, values))
    except TypeError:  # not all strings (None for a missing time, say): json.dumps each
        return [_one(v) for v in values]


def _one(value) -> str:
    return encode_basestring(value) if type(value) is str else json.dumps(value, ensure_ascii=False)


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
    if any("kind" in r for r in rows):  # a store holding prompts: a KIND column (model or prompt), after VERSION
        table = [row[:2] + (kind,) + row[2:] for row, kind in zip(table, ["KIND"] + [r.get("kind", "model")
                                                                                      for r in rows])]
    table = [tuple(terminal_safe(c) for c in row) for row in table]  # registry names never drive the terminal
    widths = [max(len(str(row[i])) for row in table) for i in range(len(table[0]))]
    return "".join("  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip() + "\n" for row in table)
