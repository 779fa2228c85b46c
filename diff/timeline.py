"""`snap log`: one version's history across its snapshots in a store, oldest first."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from rich.console import Group, RenderableType
from rich.text import Text

from diff.changes import Change
from diff.engine import diff_snapshots
from diff.render import check_format
from diff.render.as_json import DIFF_SCHEMA_VERSION
from diff.render.as_markdown import code_cell, escape
from diff.render.describe import new_text, note, old_text
from snapshot.errors import BadReference
from snapshot.formats.files import load_snapshot
from snapshot.formats.inert import json_controls, md_mentions, terminal_safe
from snapshot.store.layout import find_entry, model_entries


@dataclass(frozen=True)
class Step:
    """One capture and what changed since the capture before it (nothing for the first)."""

    captured_at: str
    file: str
    changes: list[Change]


@dataclass(frozen=True)
class Timeline:
    model: str
    version: str
    steps: list[Step]


def version_timeline(store, ref: str, model: str | None = None, note=None) -> Timeline:
    """Every snapshot of the version `ref` names (`NAME/5`, `v5`, `NAME@ALIAS`), each diffed with the one before.

    A point-in-time reference (`NAME@ALIAS@{WHEN}`, `NAME/5@{WHEN}`) is resolved as
    `snap diff` and `snap report` resolve it (history/refs.py); the timeline then ends
    at the snapshot current at WHEN, and what is known of it goes to `note`.
    """
    if ref.startswith("models:/") or ref.endswith((".json", ".parquet")):
        raise BadReference(f"snap log takes a store reference like Churn/5 or v5, not {ref!r}; "
                           "its history comes from the store's snapshots of that version")
    if "@{" in ref:
        from history.refs import history_at  # history/ sits above diff/ (it uses the engine)

        entries = history_at(store, ref, model, note)
    else:
        newest = find_entry(store, ref, model)
        entries = [e for e in model_entries(store, newest.model) if e.version == newest.version]
    steps, previous = [], None
    for entry in entries:
        doc = load_snapshot(entry.path)
        changes = diff_snapshots(previous, doc).changes if previous is not None else []
        captured = (doc.get("manifest") or {}).get("captured_at") or entry.stem
        steps.append(Step(captured, str(entry.path), changes))
        previous = doc
    return Timeline(entries[-1].model, entries[-1].version, steps)


def render_log(timeline: Timeline, fmt: str) -> str | RenderableType:
    """`text` gives a rich renderable; `md` and `json` give strings."""
    check_format(fmt)
    if fmt == "json":
        data = {"schema_version": DIFF_SCHEMA_VERSION, "model": timeline.model, "version": timeline.version,
                "steps": [asdict(s) for s in timeline.steps]}
        return json_controls(json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n")
    if fmt == "md":
        return _markdown(timeline)
    return _rich(timeline)


def _heading(timeline: Timeline) -> str:
    n = len(timeline.steps)
    return f"{timeline.model} v{timeline.version}: {n} snapshot{'s' if n != 1 else ''}"


def _summary(step: Step, first: bool) -> str:
    if first:
        return "first snapshot"
    n = len(step.changes)
    return "no changes" if not n else f"{n} change{'s' if n != 1 else ''}"


def _rich(timeline: Timeline) -> RenderableType:
    parts: list[RenderableType] = [Text(terminal_safe(_heading(timeline)), style="bold")]
    for i, step in enumerate(timeline.steps):
        parts.append(Text(f"{step.captured_at}  {_summary(step, i == 0)}"))
        for c in step.changes:
            extra = f"  ({note(c)})" if note(c) else ""
            line = f"    {c.section}: {c.path} {c.kind}: {old_text(c)} → {new_text(c)}{extra}"
            parts.append(Text(terminal_safe(line.replace("\n", " ↵ "))))
    return Group(*parts)


def _markdown(timeline: Timeline) -> str:
    lines = [f"## {_md(_heading(timeline))}", ""]
    for i, step in enumerate(timeline.steps):
        lines += [f"### {_md(step.captured_at)}: {_summary(step, i == 0)}", ""]
        if step.changes:
            lines += ["| section | path | change | old | new |", "|---|---|---|---|---|"]
            lines += [f"| {c.section} | {_path_cell(c.path)} | {c.kind} | {_md(old_text(c, 80))} "
                      f"| {_md(new_text(c, 80))} |" for c in step.changes]
            lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def _md(text: str) -> str:
    """Registry text in Markdown: no HTML, link, image or emphasis, and no mention, issue link or bare URL."""
    return md_mentions(escape(text))


def _path_cell(path: str) -> str:
    """A path (tag keys are the registry's) as inline code, which no mention or link crosses into."""
    return _md(path) if "`" in path or "\n" in path else code_cell(path)
