"""`snap diff`: what changed between two versions or snapshots."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import typer

from snap.app import ModelName, RegistryUri, StoreDir, TrackingUri, app, emit, handles_errors
from snap.commands.verify import AllowModified


@app.command("diff")
@handles_errors(error_code=2)
def diff_(
    left: str = typer.Argument(..., metavar="LEFT", help="snapshot file, store reference (v5, Churn/5, Churn@champion) or models:/ URI"),
    right: str = typer.Argument(..., metavar="RIGHT", help="the same kinds as LEFT"),
    store: str | None = StoreDir,
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
    allow_modified: bool = AllowModified,
    max_chars: int | None = typer.Option(None, "--max-chars", metavar="N", help="with --format md: at most N characters, keeping the summary and breaking changes; 0: no limit [default: 60000, fits a PR comment]"),
    exit_zero: bool = typer.Option(False, "--exit-zero", help="exit 0 when there are changes too (errors still exit 2): for steps that only report"),
) -> None:
    """Compare two model versions or snapshots, offline. Exit 0: no changes, 1: changes (0 with --exit-zero), 2: error.

    Example: snap diff Churn/2 Churn/3 --format md --fail-on breaking
    """
    from diff.changes import failing_changes, make_options
    from diff.engine import diff_snapshots
    from snap.sides import load_sides
    from snapshot.formats.integrity import allowing_modified, is_modified

    options = make_options(tolerance, ignore, no_default_ignores, only)
    _check_options(fail_on, fmt, max_chars)
    with allowing_modified(allow_modified):
        docs = load_sides(left, right, store, model, tracking_uri, registry_uri)
    result = replace(diff_snapshots(*docs, options),
                     modified=tuple(side for side, doc in zip(("left", "right"), docs) if is_modified(doc)))
    emit(_rendered(result, fmt, max_chars), output)
    raise typer.Exit(1 if failing_changes(result, fail_on) and not exit_zero else 0)


def _check_options(fail_on: list[str] | None, fmt: str, max_chars: int | None) -> None:
    from diff.changes import check_fail_on
    from diff.render import check_format
    from snapshot.errors import BadOption

    check_fail_on(fail_on)
    check_format(fmt)
    if max_chars is not None and fmt != "md":
        raise BadOption("--max-chars limits Markdown: add --format md, or drop --max-chars")


def _rendered(result, fmt: str, max_chars: int | None):
    from diff.render import render_diff
    from diff.render.as_markdown import render_markdown
    from diff.render.budget import markdown_limit

    return render_markdown(result, markdown_limit(max_chars)) if fmt == "md" else render_diff(result, fmt)
