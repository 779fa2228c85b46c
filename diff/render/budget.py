"""Markdown that fits where it is posted: a size budget, and no mentions or issue links.

A pull-request comment holds at most 65,536 characters; a diff of a retrained model
can be far longer. Within `max_chars` the heading, the summary table and every
breaking change are kept; the other rows are kept section by section, in order,
while they fit; each section says how many of its rows were left out, and a closing
note says what to run for the whole diff.

GitHub turns `@name` into a mention (a notification to that person or team) and
`#123`, `GH-123`, `owner/repo#123` into issue links, anywhere in a comment's text
but not inside code spans. Values come from a model registry, where anyone with
write access chooses them, so each such token is put in a code span: still
visible, and copied as the same characters. (`&#64;` is decoded before GitHub looks
for mentions, and a zero-width joiner would change what a reader copies.)
"""

from __future__ import annotations

import re
from collections.abc import Callable

from diff.changes import Change

DEFAULT_MAX_CHARS = 60_000  # GitHub's comment limit is 65,536: room for the text a workflow adds around it
MIN_MAX_CHARS = 2_000  # the heading, the summary table and the notes need about this much
_SECTION_COST = 320  # upper bound of a section's heading, table header, <details> and left-out note
_FIRST_FEW = 10  # rows each section shows before any section shows more
_CLOSING_COST = 400  # upper bound of the closing note, before its per-section counts
_MENTION = re.compile(r"(?<![\w`])(?:@[A-Za-z0-9][A-Za-z0-9-]*(?:/[A-Za-z0-9][\w.-]*)?"
                      r"|(?:[\w.-]+/[\w.-]+)?#\d+|GH-\d+)")
_CODE_SPAN = re.compile(r"(`[^`\n]*`)")

Row = Callable[[Change], str]
Block = Callable[[str, list[Change]], list[str]]


def markdown_limit(max_chars: int | None) -> int:
    """`--max-chars` checked: None gives the default, 0 means no limit."""
    from snapshot.errors import BadOption

    if max_chars is None:
        return DEFAULT_MAX_CHARS
    if max_chars != 0 and max_chars < MIN_MAX_CHARS:
        raise BadOption(f"--max-chars must be 0 (no limit) or at least {MIN_MAX_CHARS:,}, not {max_chars}; "
                        "the summary and the notes need that much")
    return max_chars


def neutralise_mentions(markdown: str) -> str:
    """Put each `@name`, `#123`, `GH-123` and `owner/repo#123` outside a code span into one."""
    parts = _CODE_SPAN.split(markdown)
    for i in range(0, len(parts), 2):  # even parts are outside code spans
        parts[i] = _MENTION.sub(lambda m: f"`{m.group(0)}`", parts[i])
    return "".join(parts)


def fit_markdown(head: list[str], sections: list[tuple[str, list[Change]]], max_chars: int,
                 row: Row, block: Block) -> str:
    """The Markdown of `head` and each section's block, within `max_chars` characters.

    `row(change)` is one table row and `block(section, changes)` a section's lines, as
    as_markdown renders them; this module chooses which changes to show. No limit when
    `max_chars` is 0. Mentions are neutralised before measuring, so the limit holds.
    """
    full = _join(head + [line for name, changes in sections for line in block(name, changes)])
    if max_chars <= 0 or len(full) <= max_chars:
        return full
    budget = max_chars - len(_join(head)) - _CLOSING_COST - 40 * len(sections)
    kept = _choose(sections, budget, row)
    while True:
        text = _render(head, sections, kept, max_chars, block)
        if len(text) <= max_chars or not any(kept.values()):
            return text
        _drop_last(kept, sections)  # the estimate was short (very long rows): one fewer until it fits


def _choose(sections: list[tuple[str, list[Change]]], budget: int, row: Row) -> dict[str, set[int]]:
    """Indexes of the changes to show per section: every breaking one, then the first few of each
    section (so every section shows some), then the rest in order, each while they fit."""
    kept: dict[str, set[int]] = {name: set() for name, _ in sections}
    used = 0
    for wanted in (lambda i, c: c.breaking, lambda i, c: i < _FIRST_FEW, lambda i, c: True):
        for name, changes in sections:
            for i, change in enumerate(changes):
                if i in kept[name] or not wanted(i, change):
                    continue
                cost = len(neutralise_mentions(row(change))) + 1 + (_SECTION_COST if not kept[name] else 0)
                if used + cost > budget:
                    break
                kept[name].add(i)
                used += cost
    return kept


def _render(head: list[str], sections, kept: dict[str, set[int]], max_chars: int, block: Block) -> str:
    lines = list(head)
    left_out: list[str] = []
    for name, changes in sections:
        shown = [c for i, c in enumerate(changes) if i in kept[name]]
        missing = len(changes) - len(shown)
        lines += block(name, shown) if shown else [f"### {name}", ""]
        if missing:
            breaking = sum(c.breaking for i, c in enumerate(changes) if i not in kept[name])
            extra = f", {breaking} of them breaking" if breaking else ""
            lines += [f"_{missing} of {len(changes)} changes in {name} left out to fit the size limit{extra}._", ""]
            left_out.append(f"{name} {missing}")
    total = sum(len(changes) for _, changes in sections)
    omitted = total - sum(len(k) for k in kept.values())
    lines += [f"**Left out to fit {max_chars:,} characters:** {omitted} of {total} changes "
              f"({', '.join(left_out)}). The whole diff: `snap diff --format json`, or `--max-chars 0` for no limit."]
    return _join(lines)


def _drop_last(kept: dict[str, set[int]], sections) -> None:
    """Drop the last non-breaking change shown (a breaking one only when no other is left)."""
    for want_breaking in (False, True):
        for name, changes in reversed(sections):
            for i in sorted(kept[name], reverse=True):
                if changes[i].breaking is want_breaking:
                    kept[name].discard(i)
                    return


def _join(lines: list[str]) -> str:
    return neutralise_mentions("\n".join(lines).rstrip("\n") + "\n")
