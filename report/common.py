"""Pieces several report sections share: "not captured" notes and permission blocks."""

from __future__ import annotations

import json
from typing import Any

from report.page import NONE_FOUND, Page
from report.values import shown


def as_json(value: Any) -> str:
    """A value exactly as JSON writes it: `16`, `"16"`, `""`, `null`, `{"a": 1}` stay distinct."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def note_unavailable(page: Page, doc: dict, *paths: str) -> None:
    """Say why a section is missing, for each path the snapshot lists as unavailable."""
    unavailable = doc.get("unavailable") or {}
    for path in paths:
        if unavailable.get(path):
            page.note(f"Not captured: {unavailable[path]}")


def none_found(page: Page, doc: dict, *paths: str) -> None:
    """"None found", and why, for each path the snapshot lists as unavailable."""
    page.line(NONE_FOUND)
    note_unavailable(page, doc, *paths)


def open_section(page: Page, doc: dict, key: str, title: str) -> dict | None:
    """Start a top-level section; its data, or None after saying why it was not captured."""
    page.header(1, title)
    data = doc.get(key)
    if not data:
        note_unavailable(page, doc, key)
        return None
    return data


def render_permissions(page: Page, doc: dict, which: str) -> None:
    """The service's own permission payload as JSON, as mlflow-reports shows it."""
    permissions = doc.get("permissions") or {}
    raw = (permissions.get(which) or {}).get("raw")
    page.header(2, "Permissions")
    if raw:
        page.code_json(raw)
        return
    none_found(page, doc, "permissions", f"permissions.{which}")


def render_as_stored(page: Page, sources: list[tuple[str, dict]]) -> None:
    """The stored text of values the sections above show parsed, mlflow-reports' way.

    mlflow-reports prints a JSON-valued tag or param as a Python repr (`{'a': 1}`);
    the snapshot holds the JSON text the server returned (`{"a": 1}`), and that is
    what a reviewer signs off on. Nothing is shown when no value was reformatted.
    """
    rows = [[where, key, value] for where, data in sources for key, value in (data or {}).items()
            if isinstance(value, str) and shown(value, key) is not value]
    if rows:
        page.header(2, "Values As Stored")
        page.table(("Where", "Key", "Stored value"), rows)
