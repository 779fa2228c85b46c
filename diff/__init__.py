"""Comparing and rendering snapshots. Never imports mlflow.

The public Python API (documented in README, "Python API"):

    import diff, snapshot
    result = diff.diff(snapshot.load("Churn/2"), snapshot.load("Churn/3"), tolerance={"auc": 0.001})
    result.changes, result.breaking            # frozen Change records: section, path, kind, old, new, ...
    print(diff.render_diff(result, "md", max_chars=60_000))
    data = diff.diff_as_data(result)           # the JSON document (schemas/diff.schema.json)

A side may also be a snapshot file or store reference (`str` or `Path`), loaded with
`snapshot.load`. The renderer is `render_diff`, not `render`: `diff.render` is the
subpackage of renderers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from diff.changes import SECTIONS, Change, DiffOptions, DiffResult, Side, Tolerance

if TYPE_CHECKING:
    from diff.timeline import Timeline

__all__ = [
    "SECTIONS",
    "Change",
    "DiffOptions",
    "DiffResult",
    "Side",
    "Tolerance",
    "diff",
    "diff_as_data",
    "failing_changes",
    "history",
    "render_diff",
    "render_history",
]

Document = dict | str | Path


def diff(left: Document, right: Document, *, tolerance: Mapping[str, float | str] | None = None,
         ignore: Iterable[str] = (), default_ignores: bool = True, only: Iterable[str] = ()) -> DiffResult:
    """Every change from `left` to `right`, as `snap diff` finds them.

    `tolerance` maps a metric name (or glob) to an absolute amount (`0.001`) or a
    percentage (`"1%"`); `ignore` adds path globs to skip; `default_ignores=False`
    also compares capture times, hashes and ids; `only` restricts to those sections.
    """
    from diff.changes import make_options
    from diff.engine import diff_snapshots

    options = make_options([f"{metric}={amount}" for metric, amount in (tolerance or {}).items()],
                           list(ignore), not default_ignores, list(only))
    return diff_snapshots(_document(left), _document(right), options)


def render_diff(result: DiffResult, format: str = "text", *, max_chars: int | None = None,
                width: int = 120) -> str:
    """The diff as `text` (plain, `width` columns), `md` (GitHub Markdown; `max_chars` caps its size) or `json`."""
    from diff.render import check_format, plain_text
    from diff.render import render_diff as _render

    check_format(format)
    if format == "md" and max_chars is not None:
        from diff.render.as_markdown import render_markdown

        return render_markdown(result, max_chars=max_chars)
    return plain_text(_render(result, format), width=width)


def diff_as_data(result: DiffResult) -> dict:
    """The JSON document `snap diff --format json` prints, as Python data."""
    from diff.render.as_json import diff_as_data as _as_data

    return _as_data(result)


def failing_changes(result: DiffResult, fail_on: Iterable[str] | None = None) -> list[Change]:
    """The changes that make `snap diff` exit 1: all of them, or those in `fail_on` sections (or "breaking")."""
    from diff.changes import failing_changes as _failing

    return _failing(result, list(fail_on) if fail_on is not None else None)


def history(ref: str, store: str | Path | None = None, model: str | None = None) -> Timeline:
    """One version's snapshots in a store, oldest first, each with its changes since the one before (`snap log`)."""
    from diff.timeline import version_timeline
    from snapshot.store.layout import default_store

    return version_timeline(default_store(Path(store) if isinstance(store, str) and "://" not in store else store),
                            ref, model)


def render_history(timeline: Timeline, format: str = "text", width: int = 120) -> str:
    """A history as `text`, `md` or `json`, as `snap log` prints it."""
    from diff.render import plain_text
    from diff.timeline import render_log

    return plain_text(render_log(timeline, format), width=width)


def _document(side: Document) -> dict:
    if isinstance(side, dict):
        return side
    import snapshot

    return snapshot.load(side)


def __dir__() -> list[str]:
    """What a notebook's completion offers: the public API, not this module's imports."""
    return sorted(__all__)
