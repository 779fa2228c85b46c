"""`snap verify`: is every snapshot still what was captured?"""

from __future__ import annotations

import typer

from snap.app import app, handles_errors

# Shared by report, diff and log: read a snapshot whose content hash fails, and mark it modified.
AllowModified = typer.Option(False, "--allow-modified",
                             help="read snapshots edited after capture (content hash mismatch) anyway; "
                                  "outputs mark them as modified [also: SNAP_ALLOW_MODIFIED=1]")


@app.command("verify")
@handles_errors()
def verify(
    targets: list[str] = typer.Argument(None, metavar="STORE|FILE",
                                        help="stores (local folders or s3://, gs://, abfs:// URLs) and snapshot "
                                             "files [default: $SNAP_STORE, else ./snapshots]"),
    fmt: str = typer.Option("text", "--format", help="text or json"),
) -> None:
    """Check the content hash of every snapshot file (JSON and Parquet) in stores or files, offline.

    A store is a local folder or an object-storage URL (s3://bucket/snapshots).

    Each file is OK, MODIFIED (edited after capture) or DAMAGED (unreadable, not a snapshot).
    Exit 0: all OK, 1: some file modified or damaged, 2: bad option, 3: nothing to check,
    5: the object store refused access.

    Example: snap verify snapshots --format json
    """
    from snapshot.errors import BadOption
    from snapshot.formats.integrity import EXIT_PROBLEMS, all_intact, render_checks, verify_files
    from snapshot.store.layout import default_store

    if fmt not in ("text", "json"):
        raise BadOption(f"--format {fmt!r} is not one of text, json")
    checks = verify_files(list(targets) if targets else [default_store(None)])
    typer.echo(render_checks(checks, fmt), nl=False)
    raise typer.Exit(0 if all_intact(checks) else EXIT_PROBLEMS)
