"""Pieces several report sections share: "not captured" notes and permission blocks."""

from __future__ import annotations

from report.page import NONE_FOUND, Page


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
