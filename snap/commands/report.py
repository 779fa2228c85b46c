"""`snap report` and `snap import`: Markdown reports and mlflow-reports archives."""

from __future__ import annotations

from pathlib import Path

import typer

from snap.app import ModelName, RegistryUri, StoreDir, TrackingUri, app, emit, handles_errors
from snap.commands.verify import AllowModified


@app.command()
@handles_errors()
def report(
    target: str = typer.Argument(..., help="snapshot file, store reference (Churn/3, v3) or models:/ URI"),
    output: Path | None = typer.Option(None, "-o", "--output", help="write the Markdown here instead of stdout"),
    store: str | None = StoreDir,
    model: str | None = ModelName,
    tracking_uri: str | None = TrackingUri,
    registry_uri: str | None = RegistryUri,
    allow_modified: bool = AllowModified,
) -> None:
    """Render a Markdown model report from a snapshot, offline.

    Example: snap report snapshots/Churn/v3/20261126T213000.123456Z.json -o churn-v3.md
    """
    from report.render import render_report
    from snap.sides import load_target
    from snapshot.formats.integrity import allowing_modified

    with allowing_modified(allow_modified):  # the report itself then says the snapshot was modified
        doc = load_target(target, store, model, tracking_uri, registry_uri)
    text = render_report(doc)
    emit(text, output)




@app.command("import")
@handles_errors()
def import_(
    files: list[Path] = typer.Argument(..., help="mlflow-reports report.json files"),
    store: str | None = StoreDir,
    output: Path | None = typer.Option(None, "-o", "--output", help="write the one snapshot to this file"),
) -> None:
    """Convert mlflow-reports report.json archives into snap snapshots.

    Example: snap import old/report.json -o churn-v6.json
    """
    from snapshot.importer.archive import import_files

    for line in import_files(files, store, output):
        typer.echo(line)
