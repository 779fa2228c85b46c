"""A diff for the terminal: a headline, then one table per section, old and new side by side."""

from __future__ import annotations

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from diff.changes import Change, DiffResult
from diff.describe import display_path, headline, new_text, note, old_text

_KIND_STYLE = {"added": "green", "removed": "red", "changed": "yellow", "moved": "cyan", "reordered": "magenta"}


def render_text(result: DiffResult) -> RenderableType:
    """A rich renderable of the diff; unchanged items are not shown."""
    parts: list[RenderableType] = [Text(headline(result), style="bold")]
    for section in result.sections:
        parts.append(Text(""))
        parts.append(_section_table(section, [c for c in result.changes if c.section == section]))
    return Group(*parts)


def _section_table(section: str, changes: list[Change]) -> Table:
    table = Table(title=f"{section} ({len(changes)})", title_justify="left", title_style="bold",
                  box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    widest = max(len(display_path(c)) for c in changes)
    table.add_column("path", overflow="fold", min_width=min(widest, 32))
    table.add_column("change", no_wrap=True)
    for name in ("old", "new", "note"):
        table.add_column(name, overflow="fold", max_width=28)
    for change in changes:
        style = _KIND_STYLE.get(change.kind, "")
        table.add_row(
            display_path(change), Text(change.kind, style=style), old_text(change), new_text(change),
            Text(note(change), style="bold red" if change.breaking else "dim"),
        )
    return table

