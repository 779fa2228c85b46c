"""Markdown building blocks in the layout mlflow-reports writes (mdutils style).

A `Page` collects lines; helpers add headings, two-column tables, the red
"None found" marker and JSON code blocks. Every value reaches the page through
`escape_cell`, `escape_heading` or `code_json` (the title through `render`), so
no value can break a table or render live: `|`, newlines, HTML, links, images
and control characters are neutralised (snapshot/formats/inert.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from snapshot.formats.inert import code_fence, json_controls, md_cell, md_inline

NONE_FOUND = '**_<font color="red" size="+1">None found</font>_**'
NAME_COLUMNS = ("Name", "Value")
KEY_COLUMNS = ("Key", "Value")


def display(value: Any) -> str:
    """A value as mlflow-reports prints it: Python's str(), so dicts and lists in repr style."""
    return str(value)


def escape_cell(value: Any) -> str:
    """Text that stays inside one table cell and shows literally."""
    return md_cell(display(value))


def escape_heading(text: str) -> str:
    return " ".join(escape_cell(text).replace("<br/>", " ").split())


class Page:
    """The lines of one Markdown document and its level-1/2 headings (for the contents)."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.toc: list[tuple[int, str]] = []

    def header(self, level: int, title: str) -> None:
        title = escape_heading(title)
        self.parts.append(f"\n{'#' * level} {title}\n")
        if level <= 2:
            self.toc.append((level, title))

    def line(self, text: str = "") -> None:
        self.parts.append("  \n" + text)

    def bold_title(self, title: str) -> None:
        self.line(f'<b><font size="+1">{escape_heading(title)}</font></b>')

    def none_found(self, title: str | None = None, level: int = 2) -> None:
        if title:
            self.header(level, title)
        self.line(NONE_FOUND)

    def note(self, text: str) -> None:
        """A plain sentence under the current heading (e.g. why a section is missing)."""
        self.line(escape_cell(text))
        self.parts.append("\n")

    def table(self, columns: Iterable[str], rows: list[Iterable[Any]]) -> None:
        columns = list(columns)
        lines = ["|" + "|".join(columns) + "|", "| " + " | ".join(":---" for _ in columns) + " |"]
        for row in rows:
            lines.append("|" + "|".join(escape_cell(v) for v in row) + "|")
        self.line()
        self.parts.append("\n" + "\n".join(lines) + "\n")

    def dict_table(self, data: dict, title: str | None, level: int,
                   columns: Iterable[str] = NAME_COLUMNS) -> None:
        """mlflow-reports' build_table: a titled table, or the title and "None found"."""
        if title and level < 1:
            self.bold_title(title)
        elif title:
            self.header(level, title)
        if not data:
            self.line(NONE_FOUND)
            return
        self.table(columns, list(data.items()))

    def rows_table(self, columns: Iterable[str], rows: list, title: str, level: int) -> None:
        """mlflow-reports' mk_table: the title, then a table only when there are rows."""
        self.header(level, title)
        if rows:
            self.table(columns, rows)

    def code_json(self, value: Any) -> None:
        body = json_controls(json.dumps(value, indent=2, ensure_ascii=False)) + "\n"
        fence = code_fence(body)
        self.line(f"{fence}\n{body}\n{fence}")

    def render(self, title: str) -> str:
        title = md_inline(title.replace("\r", " ").replace("\n", " "))
        head = f"\n{title}\n{'=' * len(title)}\n"
        toc = "\nContents\n========\n\n" + "".join(
            ("\t" if level == 2 else "") + f"* [{text}](#{_anchor(text)})\n" for level, text in self.toc)
        return head + toc + "".join(self.parts) + "\n"


def _anchor(text: str) -> str:
    return re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")
