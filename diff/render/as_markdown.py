"""A diff as GitHub-flavoured Markdown, for a pull-request comment or a CI step summary."""

from __future__ import annotations

from diff.changes import Change, DiffResult
from diff.render.describe import counts, display_path, new_text, note, old_text, title
from snapshot.formats.inert import escape_controls
from snapshot.formats.integrity import modified_notes

FOLD_OVER = 10  # sections with more rows than this are folded in <details>


def render_markdown(result: DiffResult, max_chars: int | None = None) -> str:
    """A heading, a summary table, then one table per changed section.

    Within `max_chars` (diff/render/budget.py) when given; mentions and issue references are made inert.
    """
    from diff.render.budget import fit_markdown

    lines = [f"## {escape(title(result.left, result.right))}", "", f"{escape(counts(result))}", ""]
    lines += [line for n in modified_notes(result) for line in (f"> **{escape(n)}**", "")]
    if result.changes:
        lines += ["| section | changes | breaking |", "|---|---:|---:|"]
        for section in result.sections:
            own = [c for c in result.changes if c.section == section]
            lines.append(f"| {section} | {len(own)} | {sum(c.breaking for c in own)} |")
        lines.append("")
    sections = [(s, [c for c in result.changes if c.section == s]) for s in result.sections]
    return fit_markdown(lines, sections, max_chars or 0, _row, _section)


def _section(section: str, changes: list[Change]) -> list[str]:
    rows = ["| path | change | old | new | note |", "|---|---|---|---|---|"]
    rows += [_row(c) for c in changes]
    if len(changes) <= FOLD_OVER:
        return [f"### {section}", ""] + rows + [""]
    return [f"### {section}", "", f"<details><summary>{len(changes)} changes</summary>", ""] + rows + \
        ["", "</details>", ""]


def _row(change: Change) -> str:
    cells = [code_cell(display_path(change)), change.kind, escape(old_text(change, 80)),
             escape(new_text(change, 80)), escape(note(change))]
    if change.breaking:
        cells[4] = f"**{cells[4]}**"
    return "| " + " | ".join(cells) + " |"


def escape(text: str) -> str:
    """Text safe in a table cell: no HTML, no emphasis, `|` escaped, newlines as <br>."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for ch in "\\`*_[]|":
        text = text.replace(ch, "\\" + ch)
    return escape_controls(text.replace("\r\n", "\n").replace("\n", "<br>"))


def code_cell(text: str) -> str:
    """A path as inline code in a table cell."""
    if "`" in text or "\n" in text:
        return escape(text)
    return "`" + escape_controls(text).replace("|", "\\|") + "`"
