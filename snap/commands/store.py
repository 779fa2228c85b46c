"""`snap list` and `snap log`: what a store holds."""

from __future__ import annotations

import typer

from snap.app import ModelName, StoreDir, app, emit, handles_errors, write_bytes
from snap.commands.verify import AllowModified


@app.command("list")
@handles_errors()
def list_(
    store: str | None = StoreDir,
    fmt: str = typer.Option("table", "--format", help="table or json"),
) -> None:
    """List the snapshots in a store.

    Example: snap list --store snapshots --format json
    """
    from snapshot.store.contents import list_store, listing_json, render_listing

    if fmt == "json":  # 30 MB at 100,000 snapshots: written as bytes (echo would scan it for ANSI codes)
        write_bytes(listing_json(store).encode("utf-8"))
        return
    typer.echo(render_listing(list_store(store), fmt), nl=False)




@app.command("log")
@handles_errors(error_code=2)
def log(
    ref: str = typer.Argument(..., metavar="REF", help="store reference of one version: Churn/5, v5 or Churn@champion, optionally at a moment: Churn@champion@{2026-11-01}, Churn/6@{7d}"),
    store: str | None = StoreDir,
    model: str | None = ModelName,
    fmt: str = typer.Option("text", "--format", help="text, md or json"),
    allow_modified: bool = AllowModified,
) -> None:
    """Show one version's history across its snapshots in the store, oldest first.

    With REF@{WHEN}, the version the reference named then, up to its snapshot
    current then (what is known of it is said on stderr, as for snap diff).

    Example: snap log Churn/5 --store snapshots
    """
    from diff.timeline import render_log, version_timeline
    from snapshot.formats.inert import terminal_safe
    from snapshot.formats.integrity import allowing_modified
    from snapshot.store.layout import default_store

    with allowing_modified(allow_modified) as modified:
        timeline = version_timeline(default_store(store), ref, model)
    for path in modified:  # the history's own output has no place for it: say it on stderr
        typer.echo(f"Warning: {terminal_safe(path)} was modified after capture (content hash mismatch)", err=True)
    emit(render_log(timeline, fmt), None)


@app.command("reindex")
@handles_errors()
def reindex(
    store: str | None = StoreDir,
) -> None:
    """Rebuild the store's index (and its Parquet dataset) from the snapshots themselves.

    Picks up snapshots copied in by other tools (cp, aws s3 sync); damaged ones
    and ones in the wrong folder are skipped with a warning.

    Example: snap reindex --store s3://bucket/snapshots
    """
    from snapshot.store.layout import default_store
    from snapshot.store.reindex import reindex as rebuild

    done = rebuild(default_store(store))
    typer.echo(f"indexed {done['snapshots']} snapshots (replaced {done['segments_replaced']} index segments)")
