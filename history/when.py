"""WHEN: a moment given as an ISO date or time, a capture time, `yesterday`, `now`, or a span back from now.

Every moment becomes a capture-time stem (`20261126T213000.123456Z`, as in the
store's file names): stems are fixed-width, so comparing two as strings compares
the moments, and 100,000 entries need no date parsing.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from snapshot.errors import BadOption

STEM_FORMAT = "%Y%m%dT%H%M%S.%fZ"
_SPAN = re.compile(r"^(\d+)\s*([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_STEM = re.compile(r"^\d{8}T\d{6}(\.\d{1,6})?Z?$")
HELP = ("an ISO date or time (2026-11-01, 2026-11-01T21:30Z), a capture time (20261126T213000.123456Z), "
        "yesterday, now, or a span back from now (7d, 12h, 30m, 2w)")


def parse_when(text: str, now: datetime | None = None, option: str = "WHEN") -> str:
    """The stem of the moment `text` names. A date alone means its start, 00:00 UTC.

    `yesterday` is the start of yesterday (UTC); `7d` is seven days before now.
    A time without a zone is UTC.
    """
    now = now or datetime.now(UTC)
    value = text.strip()
    lowered = value.lower()
    if lowered == "now":
        return to_stem(now)
    if lowered == "yesterday":
        return to_stem(datetime.combine(now.date() - timedelta(days=1), datetime.min.time(), UTC))
    span = _SPAN.match(lowered)
    if span:
        return to_stem(now - timedelta(**{_UNITS[span.group(2)]: int(span.group(1))}))
    if _STEM.match(value):
        return to_stem(_parse_stem(value, text, option))
    return to_stem(_parse_iso(value, text, option))


def to_stem(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(STEM_FORMAT)


def stem_to_iso(stem: str) -> str:
    """`20261126T213000.123456Z` -> `2026-11-26T21:30:00.123456Z` (the manifest's form)."""
    return f"{stem[0:4]}-{stem[4:6]}-{stem[6:8]}T{stem[9:11]}:{stem[11:13]}:{stem[13:]}"


def _parse_stem(value: str, text: str, option: str) -> datetime:
    digits = value.rstrip("Z")
    fmt = "%Y%m%dT%H%M%S.%f" if "." in digits else "%Y%m%dT%H%M%S"
    try:
        return datetime.strptime(digits, fmt).replace(tzinfo=UTC)
    except ValueError:
        raise _bad(text, option) from None


def _parse_iso(value: str, text: str, option: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        raise _bad(text, option) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _bad(text: str, option: str) -> BadOption:
    return BadOption(f"{option} {text!r} is not a moment; give {HELP}")
