"""`snap diff`: what changed between two versions or snapshots."""

from __future__ import annotations

from pathlib import Path

import typer

from snap.app import ModelName, RegistryUri, StoreDir, TrackingUri, app, emit, handles_errors


@app.command("diff")
@handles_errors(error_code=2)
def diff_(
    left: str = typer.Argument(..., metavar="LEFT", help="snapshot file, store reference (v5, Churn/5, Churn@champion) or models:/ URI"),
    right: str = typer.Argument(..., metavar="RIGHT", help="the same kinds as LEFT"),
    store: Path | None = StoreDir,
    model: str | None = ModelName,
    tracking_uri: str | None = TrackingUri,
    registry_uri: str | None = RegistryUri,
    fmt: str = typer.Option("text", "--format", metavar="FORMAT", help="text, md or json"),
    tolerance: list[str] = typer.Option(None, "--tolerance", metavar="METRIC=N[%]", help="METRIC=NUMBER or METRIC=NUMBER%: smaller moves do not count (repeatable)"),
    ignore: list[str] = typer.Option(None, "--ignore", metavar="GLOB", help="also ignore paths matching this glob, e.g. 'run.tags.mlflow.*' (repeatable)"),
    no_default_ignores: bool = typer.Option(False, "--no-default-ignores", help="also compare capture times, hashes, ids (see docs/diff.md)"),
    only: list[str] = typer.Option(None, "--only", metavar="SECTION", help="compare only this section (repeatable)"),
    fail_on: list[str] = typer.Option(None, "--fail-on", metavar="SECTION", help="exit 1 only for changes in this section, or 'breaking' (repeatable)"),
    output: Path | None = typer.Option(None, "-o", "--output", help="write the diff here instead of stdout"),
) -> None:
    """Compare two model versions or snapshots, offline. Exit 0: no changes, 1: changes, 2: error.

    Example: snap diff Churn/2 Churn/3 --format md --fail-on breaking
    """
    from diff.changes import check_fail_on, failing_changes, make_options
    from diff.engine import diff_snapshots
    from diff.render import check_format, render_diff
    from snap.sides import load_sides

    options = make_options(tolerance, ignore, no_default_ignores, only)
    check_fail_on(fail_on)
    check_format(fmt)
    result = diff_snapshots(*load_sides(left, right, store, model, tracking_uri, registry_uri), options)
    emit(render_diff(result, fmt), output)
    raise typer.Exit(1 if failing_changes(result, fail_on) else 0)
