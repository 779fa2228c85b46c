"""`snap changes` and `snap compare`: the registry's history from a snapshot store (#11)."""

from __future__ import annotations

import gc
from pathlib import Path

import typer

from snap.app import StoreDir, app, emit, handles_errors

_WHEN = "an ISO date or time, a capture time (20261126T213000.123456Z), yesterday, now, or a span such as 7d"


@app.command("changes")
@handles_errors(error_code=2)
def changes(
    since: str | None = typer.Option(None, "--since", metavar="WHEN", help=f"from this moment: {_WHEN} [default: the end of the second newest capture]"),
    until: str | None = typer.Option(None, "--until", metavar="WHEN", help="up to this moment (same forms) [default: the newest capture]"),
    model: list[str] = typer.Option(None, "--model", metavar="NAME", help="only this registered model (repeatable)"),
    store: str | None = StoreDir,
    fmt: str = typer.Option("text", "--format", metavar="FORMAT", help="text, md or json"),
    fail_on: list[str] = typer.Option(None, "--fail-on", metavar="SECTION", help="exit 1 only for these: models, versions, aliases, tags, description, status, content, breaking, or a diff section such as signature (repeatable)"),
    gap: float = typer.Option(300.0, "--gap", metavar="SECONDS", help="snapshots written less than this apart are one capture (for the default window)"),
    output: Path | None = typer.Option(None, "-o", "--output", help="write the changelog here instead of stdout"),
) -> None:
    """Show what changed in the registry between two moments, from the store. Exit 0: none, 1: changes, 2: error.

    Example: snap changes --since 7d --fail-on breaking --format md
    """
    from diff.render import check_format
    from history.changes import changelog, default_window
    from history.events import check_fail_on, failing_events
    from history.render import render_changelog
    from history.source import StoreView
    from history.when import parse_when
    from snapshot.errors import BadOption

    check_format(fmt)
    check_fail_on(fail_on)
    gc.disable()  # 100,000 index rows live until exit; the collector walking them again and again took ~1 s
    if not gap >= 0:
        raise BadOption(f"--gap {gap} is not a number of seconds (0 or more)")
    view = StoreView(store)
    end = parse_when(until, option="--until") if until else None
    first, last = default_window(view, gap, model or None, end)
    start = parse_when(since, option="--since") if since else first
    end = end or last
    if start and start > end:
        raise BadOption(f"--since {since or start} is after --until {until or end}; give the earlier moment to --since")
    log = changelog(view, start, end, model or None, gap)
    emit(render_changelog(log, fmt), output)
    raise typer.Exit(1 if failing_events(log, fail_on) else 0)


@app.command("compare")
@handles_errors(error_code=2)
def compare(
    left: str = typer.Argument(..., metavar="LEFT", help="a store (path), optionally with @{WHEN}: snapshots@{2026-11-01}"),
    right: str = typer.Argument(..., metavar="RIGHT", help="the same kinds as LEFT"),
    model: list[str] = typer.Option(None, "--model", metavar="NAME", help="only this registered model, on both sides (repeatable)"),
    fmt: str = typer.Option("text", "--format", metavar="FORMAT", help="text, md or json"),
    output: Path | None = typer.Option(None, "-o", "--output", help="write the comparison here instead of stdout"),
) -> None:
    """Compare two stores version by version, matched by content, not number. Exit 0: they agree, 1: they differ, 2: error.

    Example: snap compare old-workspace/snapshots new-workspace/snapshots --format md
    """
    from diff.render import check_format
    from history.compare import compare_stores
    from history.render_compare import render_comparison

    check_format(fmt)
    result = compare_stores(left, right, model or None)
    emit(render_comparison(result, fmt), output)
    raise typer.Exit(0 if result.agree else 1)
