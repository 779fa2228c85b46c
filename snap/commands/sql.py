"""`snap sql` and `snap compact`: the store's Parquet dataset, queried and kept in few files."""

from __future__ import annotations

import typer

from snap.app import app, handles_errors

Store = typer.Option(None, "--store", help="snapshot store, a folder or an s3://, gs://, abfs:// URL [default: $SNAP_STORE, else ./snapshots]")


@app.command("sql")
@handles_errors(error_code=2)
def sql(
    query: str = typer.Argument(..., metavar="QUERY", help="one SQL statement (DuckDB's dialect)"),
    store: str | None = Store,
    fmt: str = typer.Option("table", "--format", help="table, csv or json"),
    at: str | None = typer.Option(None, "--at", metavar="WHEN", help="the registry as the store knew it then: `latest` holds each version's newest snapshot captured at or before WHEN, without the versions a capture --all found gone by then (an ISO date or time, a capture time, yesterday, now, or a span such as 7d)"),
) -> None:
    """Run SQL over the store's Parquet dataset (DuckDB), offline.

    Views: snapshots, latest (the newest snapshot of each model version; with
    --at WHEN, the newest captured at or before WHEN), values,
    requirements, metrics, params, tags, aliases, signature; version_key(text)
    turns a PEP 440 version into a key that sorts correctly. Every error exits 2.

    Example: snap sql "SELECT model, version, captured_at FROM latest ORDER BY model, version_int"
    """
    from snapshot.dataset.location import store_filesystem
    from snapshot.dataset.query import run_query
    from snapshot.dataset.render import FORMATS, render_rows
    from snapshot.errors import BadOption

    if fmt not in FORMATS:
        raise BadOption(f"--format must be table, csv or json, not {fmt!r}")
    moment, gone = None, None
    if at is not None:
        from history.state import census_gone_all
        from history.when import parse_when, stem_to_iso

        stem = parse_when(at, option="--at")
        moment, gone = stem_to_iso(stem), census_gone_all(store, stem)
    fs, root = store_filesystem(store)
    columns, rows = run_query(fs, root, query, moment, gone)
    typer.echo(render_rows(columns, rows, fmt), nl=False)


@app.command("compact")
@handles_errors()
def compact(store: str | None = Store) -> None:
    """Merge the Parquet dataset's small files: at most one per table and partition.

    Example: snap compact --store snapshots
    """
    from snapshot.dataset.compact import compact_dataset, part_counts
    from snapshot.dataset.location import store_filesystem
    from snapshot.dataset.parts import dataset_root
    from snapshot.dataset.query import DatasetNotFound

    fs, root = store_filesystem(store)
    if not fs.isdir(dataset_root(root)):
        raise DatasetNotFound(f"no Parquet dataset at {dataset_root(root)}; capture into the store first")
    before = compact_dataset(fs, root)
    after = part_counts(fs, root)
    merged = sum(1 for table in before.values() for n in table.values() if n > 1)
    files_before = sum(n for table in before.values() for n in table.values())
    files_after = sum(n for table in after.values() for n in table.values())
    typer.echo(f"compacted {merged} partitions: {files_before} files -> {files_after}")
