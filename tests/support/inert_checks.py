"""What inert output means, checked the way a reader's tools would see it (#12).

Markdown is rendered with a CommonMark renderer that passes raw HTML through (as
GitHub's does) and the resulting HTML is searched for anything a value added;
terminal text is searched for control characters a terminal would obey.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt

# ESC, BEL, BS, CR and the other C0 controls but tab and newline, DEL, C1, bidi overrides and isolates.
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

# The tags snap's own Markdown produces; a value must add none (no <img>, <script>, <a href=http...>).
SNAP_TAGS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td", "ul", "li",
             "a", "code", "pre", "strong", "em", "b", "font", "br", "details", "summary", "hr"}

# A message that is an exception's own text rather than snap's (`AttributeError: 'list' object ...`).
INTERNAL_MESSAGE = re.compile(r"^Error: (?:(?:left|right) side: )?[A-Za-z_.]*(?:Error|Exception)\b")

# Typed into a value, this must show as typed; a renderer that decodes it shows `<entity>`.
ENTITY_PAYLOAD = "&lt;entity&gt;"

_MARKDOWN = MarkdownIt("commonmark").enable("table")


def markdown_problems(text: str) -> list[str]:
    """Why `text` is not inert Markdown; empty when it is."""
    problems = []
    if RAW_CONTROL.search(text):
        problems.append(f"raw control character {RAW_CONTROL.search(text).group()!r}")
    html = _MARKDOWN.render(text)
    extra = set(re.findall(r"<([a-zA-Z][a-zA-Z0-9]*)[\s/>]", html)) - SNAP_TAGS
    if extra:
        problems.append(f"HTML tags from a value: {sorted(extra)}")
    outside = [h for h in re.findall(r'<a href="([^"]*)"', html) if not h.startswith("#")]
    if outside:
        problems.append(f"live links: {outside[:3]}")
    if "&lt;entity" in html:  # ENTITY_PAYLOAD shown as `<entity>`, not as typed
        problems.append("an HTML entity in a value was decoded")
    return problems


def terminal_problems(text: str) -> list[str]:
    found = RAW_CONTROL.search(text)
    return [f"raw control character {found.group()!r}"] if found else []


def error_line_problems(stderr: str) -> list[str]:
    """An error must be exactly one `Error: ...` line, snap's own words, no traceback, nothing a terminal obeys."""
    problems = []
    lines = stderr.splitlines()
    if len(lines) != 1 or not lines[0].startswith("Error: "):
        problems.append(f"not one Error: line: {stderr[:300]!r}")
    if "Traceback" in stderr:
        problems.append("a traceback")
    if lines and INTERNAL_MESSAGE.match(lines[0]):
        problems.append(f"an internal exception as the message: {lines[0][:200]!r}")
    return problems + terminal_problems(stderr)
