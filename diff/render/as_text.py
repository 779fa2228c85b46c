"""A diff for the terminal: a headline, then one table per section, old and new side by side.

The tables are laid out here, straight to rich Segments: rich's own Table measures
every cell several times, which took seconds for a diff of thousands of changes.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.segment import Segment
from rich.style import Style
from rich.text import Text

from diff.changes import Change, DiffResult
from diff.render.describe import display_path, headline, new_text, note, old_text
from snapshot.formats.inert import terminal_safe
from snapshot.formats.integrity import modified_notes

_KIND_STYLE = {"added": "green", "removed": "red", "changed": "yellow", "moved": "cyan", "reordered": "magenta"}
_HEADERS = ("path", "change", "old", "new", "note")
_GAP = "   "
_VALUE_WIDTH = 28  # old, new and note fold at this width
_PATH_MIN = 32  # the path column folds only below this width, when the terminal is narrow
_VALUE_MIN = 10
_WORD_MAX = 100  # a value word longer than this is data (a blob), not an identifier: it may fold


def render_text(result: DiffResult) -> RenderableType:
    """A rich renderable of the diff; unchanged items are not shown."""
    parts: list[RenderableType] = [Text(terminal_safe(headline(result)), style="bold")]
    parts += [Text(terminal_safe(n), style="bold red") for n in modified_notes(result)]
    for section in result.sections:
        parts.append(Text(""))
        parts.append(SectionTable(section, [c for c in result.changes if c.section == section]))
    return Group(*parts)


@dataclass
class SectionTable:
    section: str
    changes: list[Change]

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        rows = [_cells(c) for c in self.changes]
        widths = _widths(rows, options.max_width)
        yield Segment(f"{self.section} ({len(self.changes)})", Style(bold=True))
        yield Segment.line()
        yield from _line([[h] for h in _HEADERS], widths, [Style(bold=True)] * len(_HEADERS))
        yield Segment("─" * (sum(widths) + len(_GAP) * (len(widths) - 1)), Style(dim=True))
        yield Segment.line()
        for change, cells in zip(self.changes, rows):
            folded = [_fold(cell, width) for cell, width in zip(cells, widths)]
            yield from _line(folded, widths, _styles(change))


def _cells(change: Change) -> list[str]:
    """The row's five cells; registry text reaches the terminal only through terminal_safe."""
    cells = [display_path(change), change.kind, old_text(change), new_text(change), note(change)]
    return [terminal_safe(cell) for cell in cells]


def _widths(rows: list[list[str]], max_width: int) -> list[int]:
    natural = [max([len(h)] + [_longest_line(r[i]) for r in rows]) for i, h in enumerate(_HEADERS)]
    widths = [natural[0], natural[1]] + [min(w, _VALUE_WIDTH) for w in natural[2:]]
    spare = max_width - (sum(widths) + len(_GAP) * (len(widths) - 1))
    if spare < 0:  # a narrow terminal: fold the path, then the values, rather than crop lines
        shrunk = max(min(natural[0], _PATH_MIN), widths[0] + spare)
        spare += widths[0] - shrunk
        widths[0] = shrunk
    for i in (4, 3, 2):
        if spare < 0:
            shrunk = max(min(widths[i], _VALUE_MIN), widths[i] + spare)
            spare += widths[i] - shrunk
            widths[i] = shrunk
    if spare < 0:  # still too wide: the path goes below its usual minimum too
        widths[0] = max(_VALUE_MIN, widths[0] + spare)
    # An identifier (a path, a run id, a URI) is never split: it widens its column instead,
    # past the terminal if it must (the terminal wraps it; a pipe gets it whole).
    words = [max([0] + [_longest_word(r[i]) for r in rows]) for i in range(len(_HEADERS))]
    return [max(w, word if i == 0 else min(word, _WORD_MAX)) for i, (w, word) in enumerate(zip(widths, words))]


def _longest_word(text: str) -> int:
    return max((cell_len(word) for word in text.split()), default=0)


def _longest_line(text: str) -> int:
    return max((cell_len(line) for line in text.split("\n")), default=0)


def _fold(text: str, width: int) -> list[str]:
    lines: list[str] = []
    for line in text.split("\n"):
        lines.extend(textwrap.wrap(line, width, break_long_words=True, break_on_hyphens=False) or [""])
    return lines


def _styles(change: Change) -> list[Style]:
    kind = Style.parse(_KIND_STYLE.get(change.kind, "none"))
    marker = Style(bold=True, color="red") if change.breaking else Style(dim=True)
    return [Style(), kind, Style(), Style(), marker]


def _line(cells: list[list[str]], widths: list[int], styles: list[Style]):
    """One table row, as many terminal lines as its tallest cell; no trailing padding."""
    for i in range(max(len(c) for c in cells)):
        parts = [c[i] if i < len(c) else "" for c in cells]
        last = max((k for k, p in enumerate(parts) if p), default=0)
        for k, (part, width, style) in enumerate(zip(parts, widths, styles)):
            if k > last:
                break
            yield Segment(part, style)
            if k < last:
                yield Segment(" " * (width - cell_len(part)) + _GAP)
        yield Segment.line()
