"""`snap compare` results as text, Markdown or JSON, from rows built once; deterministic."""

from __future__ import annotations

import json
from dataclasses import asdict

from diff.render import check_format
from diff.render.as_markdown import escape
from diff.render.describe import new_text, old_text
from history.compare import Comparison
from history.render import SCHEMA_VERSION, _inert
from snapshot.formats.inert import json_controls


def comparison_rows(result: Comparison) -> list[dict]:
    rows = []
    for p in result.pairs:
        state = "differs" if p.changes else "same"
        notes = [f"{c.section}: {c.path} {old_text(c)} → {new_text(c)}" for c in p.changes]
        rows.append({"state": state, "left": p.left.label, "right": p.right.label,
                     "note": f"matched by {', '.join(p.matched_by)}", "changes": notes})
    rows += [_row("left only", v.label, "—") for v in result.left_only]
    rows += [_row("right only", "—", v.label) for v in result.right_only]
    for a in result.ambiguous:
        others = ", ".join(c.label for c in a.candidates)
        left, right = (a.version.label, "?") if a.side == "left" else ("?", a.version.label)
        rows.append(_row("ambiguous", left, right, f"equally good matches: {others}"))
    return rows


def _row(state: str, left: str, right: str, note: str = "") -> dict:
    return {"state": state, "left": left, "right": right, "note": note, "changes": []}


def headline(result: Comparison) -> str:
    differing = sum(1 for p in result.pairs if p.changes)
    verdict = "agree" if result.agree else "differ"
    return (f"{result.left} ↔ {result.right}: {verdict}; {len(result.pairs)} matched ({differing} with differences), "
            f"{len(result.left_only)} left only, {len(result.right_only)} right only, "
            f"{len(result.ambiguous)} ambiguous")


def render_comparison(result: Comparison, fmt: str) -> str:
    check_format(fmt)
    if fmt == "json":
        data = {"schema_version": SCHEMA_VERSION, "agree": result.agree, **asdict(result)}
        return json_controls(json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n")
    rows = comparison_rows(result)
    if fmt == "md":
        lines = [f"## {escape(headline(result))}", ""]
        if rows:
            lines += ["| | left | right | note |", "|---|---|---|---|"]
            for r in rows:
                note = "<br>".join([escape(r["note"])] + [escape(c) for c in r["changes"]])
                lines.append(f"| {r['state']} | {escape(r['left'])} | {escape(r['right'])} | {note} |")
        return "\n".join(lines) + "\n"
    lines = [_inert(headline(result))]
    for r in rows:
        lines.append(_inert(f"  {r['state']:<10}  {r['left']}  ↔  {r['right']}  {r['note']}".rstrip()))
        lines += [_inert(f"      {c}") for c in r["changes"]]
    return "\n".join(lines) + "\n"
