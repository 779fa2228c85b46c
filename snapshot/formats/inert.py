"""Registry values made inert for output: Markdown that renders them literally, text a terminal only prints.

A value comes from whoever could write to the registry (a tag, a description, a
model name). In a report or a diff it must never become a live link, image or
HTML, and on a terminal it must never become an escape sequence (clear screen,
window title, OSC 8 hyperlink) or bidi-reordered text. Each function here is
applied at the single place a renderer turns a value into output. Ordinary
text passes through unchanged, byte for byte.
"""

from __future__ import annotations

import re
from typing import Any

# C0 controls but tab and newline, DEL, C1 controls, and the Unicode bidi
# embeddings, overrides and isolates (plus the Arabic letter mark), which
# reorder what a reader sees ("Trojan Source").
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_CONTROL_OR_NEWLINE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")

# `&` starts an HTML entity only when followed by a name or number and `;`.
_ENTITY = re.compile(r"&(?=#?[0-9A-Za-z]+;)")
# `[text](target)` is a link and `![alt](src)` an image only when `]` meets `(`:
# escaping that one `(` leaves brackets (Python lists, `[REDACTED]`) as they are.
_LINK = re.compile(r"\](?=\()")


_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _visible(match: re.Match) -> str:
    if match.group() in _NAMED:
        return _NAMED[match.group()]
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_controls(text: str) -> str:
    """Control characters as visible escapes (`\\x1b`, `\\u202e`); tab and newline kept."""
    return _CONTROL.sub(_visible, text)


def terminal_safe(value: Any) -> str:
    """A value as text a terminal prints without obeying any of it."""
    return escape_controls(str(value))


def one_line(value: Any) -> str:
    """Terminal-safe text on one line: newlines and tabs are escaped too."""
    return _CONTROL_OR_NEWLINE.sub(_visible, str(value))


def json_controls(text: str) -> str:
    """JSON text with the characters `json.dumps(ensure_ascii=False)` leaves raw written as `\\uXXXX`.

    Outside strings JSON has only ASCII, so this changes no structure and the
    text still parses to the same value.
    """
    return _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def md_inline(value: Any) -> str:
    """Markdown text that shows `value` literally: no HTML, entity, link, image or autolink, no controls."""
    text = _ENTITY.sub("&amp;", str(value)).replace("<", "&lt;").replace(">", "&gt;")
    return escape_controls(_LINK.sub(lambda _: "]\\", text))


def md_cell(value: Any) -> str:
    """Text that stays inside one Markdown table cell and shows literally (`|` escaped, newlines as `<br/>`)."""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return md_inline(text).replace("|", "\\|").replace("\n", "<br/>")


def code_fence(body: str) -> str:
    """A backtick fence longer than any backtick run in `body`, so the body cannot close it."""
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    return "`" * max(3, longest + 1)


# GitHub makes `@name` a mention (a notification to that person or team), `#123`, `GH-123` and
# `owner/repo#123` issue links, and a bare `https://…` or `www.…` a link, anywhere outside code spans.
# A URL is cut before `\` and `&`, so the escapes and entities around it still read as text.
_LIVE_TOKEN = re.compile(r"(?<!\w)(?:@[A-Za-z0-9][A-Za-z0-9-]*(?:/[A-Za-z0-9][\w.-]*)?"
                         r"|(?:[\w.-]+/[\w.-]+)?#\d+|GH-\d+)"
                         r"|(?<!\w)(?:https?://|www\.)[^\s<>`|\\&]+", re.IGNORECASE)


def md_mentions(text: str) -> str:
    """Markdown text whose every backtick is escaped (`\\``) with each mention, issue reference and bare URL
    put in a code span: still visible, copied as the same characters, but notifying, linking and fetching nothing.

    (`&#64;` is decoded before GitHub looks for mentions, and a zero-width joiner would change what a reader copies.)
    """
    return _LIVE_TOKEN.sub(lambda m: f"`{m.group(0)}`", text)
