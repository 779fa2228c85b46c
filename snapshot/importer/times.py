"""The capture time of an imported archive: the time it was made, and only a real, past time."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

from snapshot.errors import ImportFailed

_CLOCK_SKEW = timedelta(days=1)  # a report made on a machine whose clock ran ahead is still accepted
_STAMP = re.compile(r"(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.\d+)?(?:Z|[+-]00:?00)?")


def captured_at(path: Path, report_manifest: dict, model_version: dict) -> str:
    """The archive's own time (else the version's last update), refused unless it is a real, past time.

    It becomes the snapshot's capture time, so a stamp like `9999-99-99` would otherwise be the
    "newest" snapshot of its version for ever: every diff, alias lookup and dedupe would pick it.
    """
    stamp = report_manifest.get("timestamp")
    if stamp not in (None, ""):
        when, what = _parse_stamp(str(stamp)), f"is stamped {str(stamp)!r} (manifest.timestamp)"
    else:
        millis = model_version.get("last_updated_timestamp")
        when, what = _from_millis(millis), f"has model_version.last_updated_timestamp {millis!r}"
    if when is None:
        raise ImportFailed(f"{path} {what}, which is not a valid time; correct it to YYYY-MM-DD HH:MM:SS (UTC) "
                           "and import again")
    if when > datetime.now(timezone.utc) + _CLOCK_SKEW:
        raise ImportFailed(f"{path} {what}, which is in the future; correct it to the time the report was made "
                           "and import again")
    return when.strftime("%Y-%m-%dT%H:%M:%S.000000Z")


def _parse_stamp(stamp: str) -> datetime | None:
    m = _STAMP.fullmatch(stamp.strip())
    try:
        return datetime.strptime(f"{m.group(1)} {m.group(2)}", "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc)
    except (AttributeError, ValueError):  # no match, or an impossible date or time (month 99, 25:00)
        return None


def _from_millis(millis) -> datetime | None:
    if millis in (None, ""):
        return datetime.fromtimestamp(0, timezone.utc)  # nothing to go by: the oldest time, never "newest"
    try:
        return datetime.fromtimestamp(int(millis) // 1000, timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        return None
