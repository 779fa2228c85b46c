"""Changelogs and comparisons as text, Markdown or JSON: pure functions of plain data, deterministic.

Each renderer reads the same rows (`changelog_rows`), built once, so the three
formats cannot drift apart.
"""

from __future__ import annotations

import json
from dataclasses import asdict

from diff.render import check_format
from diff.render.as_markdown import escape
from diff.render.describe import value_text
from history.events import Changelog, Event, Summary
from snapshot.formats.inert import json_controls, md_mentions

SCHEMA_VERSION = 1


def summary_text(summary: Summary | None) -> str:
    """`3 changes (signature 1, requirements 2), 1 breaking: inputs.x: new required input; scikit-learn: …`."""
    if summary is None:
        return ""
    if not summary.changes:
        return "no content changes"
    sections = ", ".join(f"{name} {n}" for name, n in summary.sections.items())
    parts = [f"{summary.changes} change{'s' if summary.changes != 1 else ''} ({sections})"]
    if summary.breaking:
        parts.append(f"{len(summary.breaking)} breaking: " + "; ".join(summary.breaking))
    parts += list(summary.requirements) + list(summary.metrics)
    return "; ".join(parts)


def _what(event: Event) -> str:
    """`champion moved`, `v4 appeared`, `tag owner changed`."""
    target = f"v{event.version}" if event.version else "model"
    if event.section == "aliases":
        return f"alias {event.key} {event.kind}"
    if event.section in ("versions", "models"):
        return f"{target} {event.kind}"
    if event.section == "content":
        return f"{target} content changed"
    if event.section == "tags":
        return f"{target} tag {event.key} {event.kind}"
    return f"{target} {event.key} {event.kind}"


def _values(event: Event) -> str:
    if event.section == "aliases":
        return f"{_version(event.old)} → {_version(event.new)}"
    if event.section in ("versions", "models", "content"):
        return ""
    return f"{value_text(event.old)} → {value_text(event.new)}"


def _version(value) -> str:
    return f"v{value}" if value is not None else "—"


def changelog_rows(log: Changelog) -> list[dict]:
    rows = []
    for e in log.events:
        parts = (summary_text(e.summary), f"full diff: {e.detail}") if e.section == "content" else \
            (e.detail, summary_text(e.summary))
        note = "; ".join(p for p in parts if p)
        rows.append({"model": e.model, "what": _what(e), "values": _values(e), "note": note,
                     "seen": f"{e.before or '—'} → {e.after}", "breaking": e.breaking})
    return rows


def headline(log: Changelog) -> str:
    n = len(log.events)
    models = len({e.model for e in log.events})
    scope = f" ({', '.join(log.models)})" if log.models else ""
    counts = "no changes" if not n else (f"{_plural(n, 'event')} in {_plural(models, 'model')}, "
                                        f"{len(log.breaking)} breaking")
    return f"Registry changes{scope} {log.since or 'beginning'} → {log.until}: {counts}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def render_changelog(log: Changelog, fmt: str) -> str:
    check_format(fmt)
    if fmt == "json":
        data = {"schema_version": SCHEMA_VERSION, "since": log.since, "until": log.until, "models": list(log.models),
                "events": [asdict(e) for e in log.events]}
        return json_controls(json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n")
    rows = changelog_rows(log)
    return _markdown(headline(log), rows) if fmt == "md" else _text(headline(log), rows)


def _text(title: str, rows: list[dict]) -> str:
    lines = [_inert(title)]
    model = None
    for row in rows:
        if row["model"] != model:
            model = row["model"]
            lines += ["", _inert(model)]
        flag = "  BREAKING" if row["breaking"] else ""
        body = " ".join(p for p in (row["what"], row["values"]) if p)
        lines.append(_inert(f"  {body}{flag}  [{row['seen']}]"))
        if row["note"]:
            lines.append(_inert(f"      {row['note']}"))
    return "\n".join(lines) + "\n"


def _markdown(title: str, rows: list[dict]) -> str:
    lines = [f"## {_md(title)}", ""]
    if rows:
        lines += ["| model | change | values | seen between | note |", "|---|---|---|---|---|"]
        for row in rows:
            what = ("**BREAKING** " if row["breaking"] else "") + _md(row["what"])
            lines.append(f"| {_md(row['model'])} | {what} | {_md(row['values'])} "
                         f"| {_md(row['seen'])} | {_md(row['note'])} |")
    return "\n".join(lines).rstrip("\n") + "\n"


def _md(text: str) -> str:
    """Registry text in Markdown: no HTML, link, image or emphasis, and no mention, issue link or bare URL."""
    return md_mentions(escape(text))


def _inert(text: str) -> str:
    """No control characters reach a terminal: names and values come from the registry."""
    return "".join(ch if ch.isprintable() else "\N{REPLACEMENT CHARACTER}" for ch in text)
