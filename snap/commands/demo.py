"""`snap demo`: the embedded walk-through."""

from __future__ import annotations

from pathlib import Path

import typer

from snap.app import app, handles_errors


@app.command()
def demo(
    workdir: Path = typer.Option(Path("demo"), "--dir", help="where the demo registry and snapshots go"),
) -> None:
    """Build a local MLflow registry, log three versions of a model, capture and diff them.

    Example: snap demo --dir /tmp/snap-demo
    """
    from snap.demo import run_demo

    handles_errors()(run_demo)(workdir, typer.echo)
