"""`snap list` and `snap log`: what a store holds."""

from __future__ import annotations

from pathlib import Path

import typer

from snap.app import ModelName, StoreDir, app, emit, handles_errors


@app.command("list")
@handles_errors()
def list_(
    store: Path | None = StoreDir,
    fmt: str = typer.Option("table", "--format", help="table or json"),
) -> None:
    """List the snapshots in a store.

    Example: snap list --store snapshots --format json
    """
    from snapshot.store.contents import list_store, render_listing

    typer.echo(render_listing(list_store(store), fmt), nl=False)




@app.command("log")
@handles_errors(error_code=2)
def log(
    ref: str = typer.Argument(..., metavar="REF", help="store reference of one version: Churn/5, v5 or Churn@champion"),
    store: Path | None = StoreDir,
    model: str | None = ModelName,
    fmt: str = typer.Option("text", "--format", help="text, md or json"),
) -> None:
    """Show one version's history across its snapshots in the store, oldest first.

    Example: snap log Churn/5 --store snapshots
    """
    from diff.timeline import render_log, version_timeline
    from snapshot.store.layout import default_store

    emit(render_log(version_timeline(default_store(store), ref, model), fmt), None)
