"""`snap sql`'s answer as a text table, CSV or JSON: built once, rendered three ways, inert."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timezone
from decimal import Decimal

from snapshot.errors import BadOption
from snapshot.formats.inert import json_controls, one_line, terminal_safe

FORMATS = ("table", "csv", "json")


def plain(value):
    """A DuckDB value as plain data: times in UTC ISO form ending in Z, decimals as floats."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
            return value.isoformat() + "Z"
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, bytes):
        return value.hex()
    return value


def _cell(value) -> str:
    value = plain(value)
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def render_rows(columns: list[str], rows: list[tuple], fmt: str) -> str:
    if fmt not in FORMATS:
        raise BadOption(f"--format must be table, csv or json, not {fmt!r}")
    if fmt == "json":
        records = [dict(zip(columns, (plain(v) for v in row))) for row in rows]
        return json_controls(json.dumps(records, indent=2, ensure_ascii=False)) + "\n"
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([terminal_safe(c) for c in columns])
        writer.writerows([terminal_safe(_cell(v)) for v in row] for row in rows)
        return out.getvalue()
    table = [[one_line(c) for c in columns]] + [[one_line(_cell(v)) for v in row] for row in rows]
    if not columns:
        return "ok\n"
    widths = [max(len(row[i]) for row in table) for i in range(len(columns))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines) + f"\n({len(rows)} row{'s' if len(rows) != 1 else ''})\n"
