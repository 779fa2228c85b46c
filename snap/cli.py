"""The `snap` command. Each command parses options, calls one library function,
and turns a SnapError into one line on stderr and a documented exit code."""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import typer

from snapshot.errors import SnapError

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="Offline snapshots, reports and diffs of MLflow model versions.")
_state = {"debug": False}

TrackingUri = typer.Option(None, "--tracking-uri", help="MLflow tracking URI [default: $MLFLOW_TRACKING_URI, else MLflow's default]")
RegistryUri = typer.Option(None, "--registry-uri", help="MLflow registry URI [default: $MLFLOW_REGISTRY_URI, else the tracking URI]")
StoreDir = typer.Option(None, "--store", help="snapshot store [default: $SNAP_STORE, else ./snapshots]")
ModelName = typer.Option(None, "--model", help="model for bare version references like v5 [default: $SNAP_MODEL]")


def _fail(message: str, code: int) -> None:
    """One line on stderr (credentials removed, whatever the message quotes), then exit."""
    from snapshot.redact import redact_secrets

    if _state["debug"] and sys.exc_info()[0] is not None:
        import traceback

        traceback.print_exc()
    first_line = redact_secrets(message).strip().splitlines()[0] if message.strip() else "unknown error"
    typer.echo(f"Error: {first_line}", err=True)
    raise typer.Exit(code)


def _unforeseen(exc: Exception) -> str:
    if isinstance(exc, ModuleNotFoundError):
        return f"a Python package this needs is missing ({exc.name}); install it, e.g. pip install {exc.name}"
    return f"{type(exc).__name__}: {exc} (run again with --debug for the traceback)"


def handles_errors(error_code: int | None = None):
    """Map SnapError to one stderr line and its exit code (or `error_code` for every error).

    With --debug the traceback is printed too; the exit code stays the documented one.
    """
    def wrap(func):
        @functools.wraps(func)
        def run(*args, **kwargs):
            try:
                return func(*args, **kwargs)
            except (typer.Exit, typer.Abort, KeyboardInterrupt):
                raise
            except SnapError as exc:
                _fail(str(exc), error_code or exc.exit_code)
            except Exception as exc:  # noqa: BLE001 - a bug, or a failure snap did not foresee
                _fail(_unforeseen(exc), error_code or 2)
        return run
    return wrap


@app.callback()
def _main(debug: bool = typer.Option(False, "--debug", help="show tracebacks")) -> None:
    _state["debug"] = debug


@app.command()
@handles_errors()
def capture(
    uris: list[str] = typer.Argument(None, metavar="URI...", help="models:/NAME/VERSION, models:/NAME@ALIAS, models:/NAME/latest, models:/NAME"),
    tracking_uri: str | None = TrackingUri,
    registry_uri: str | None = RegistryUri,
    store: Path | None = StoreDir,
    output: Path | None = typer.Option(None, "-o", "--output", help="write one snapshot to exactly this file (.json or .parquet)"),
    fmt: str = typer.Option("both", "--format", help="json, parquet or both"),
    metric_history: bool = typer.Option(False, "--metric-history", help="also capture every metric's full history"),
    checksums: bool = typer.Option(False, "--checksums", help="add sha256 of model files up to --checksum-limit bytes"),
    checksum_limit: int = typer.Option(50_000_000, "--checksum-limit", min=0, help="largest file to checksum, in bytes"),
    all_models: bool = typer.Option(False, "--all", help="capture every version of every registered model"),
    filter_string: str | None = typer.Option(None, "--filter", help="with --all: an MLflow search filter, e.g. \"name LIKE 'fraud%'\""),
    workers: int = typer.Option(8, "--workers", min=1, max=32, help="versions captured at once by whole-model and --all captures"),
    resume: bool = typer.Option(True, "--resume/--no-resume", help="finish an interrupted whole-model or --all capture"),
) -> None:
    """Capture model versions from an MLflow registry into snapshots.

    Whole models (models:/NAME) and --all are captured in batches, skip versions
    whose snapshot is unchanged, and resume when interrupted. Exit code 7 when
    some versions failed (the others are captured).

    Example: snap capture models:/Churn/6 --tracking-uri http://127.0.0.1:5000

    Example: snap capture --all --filter "name LIKE 'fraud%'" --workers 8
    """
    from snapshot.capture.request import CaptureOptions, CaptureRequest

    options = CaptureOptions(metric_history=metric_history, checksums=checksums, checksum_limit=checksum_limit)
    request = CaptureRequest(uris or (), all_models, filter_string, tracking_uri, registry_uri, store, output, fmt,
                             options, workers, resume)
    from snapshot.capture.files import capture_to_files  # imports mlflow
    from snapshot.sources.connection import fast_fail_databricks_probes

    fast_fail_databricks_probes()
    if request.is_batch:
        _capture_batch(request)
        return
    for line in capture_to_files(request):
        typer.echo(line)


def _capture_batch(request) -> None:
    from snapshot.capture.files import capture_batch
    from snapshot.capture.progress import progress_for_terminal, render_summary
    from snapshot.errors import EXIT_PARTIAL

    progress = progress_for_terminal(typer.echo)
    try:
        result = capture_batch(request, progress)
    finally:
        progress.close()
    for line in render_summary(result):
        typer.echo(line)
    if result.interrupted:
        typer.echo(f"Interrupted: finished snapshots are kept. Run the same command again to resume "
                   f"(journal {result.journal}).", err=True)
        raise typer.Exit(130)
    if result.failed:
        total = result.captured + result.unchanged + len(result.failed)
        typer.echo(f"Error: {len(result.failed)} of {total} versions failed (listed above); "
                   "the others were captured", err=True)
        raise typer.Exit(EXIT_PARTIAL)


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


@app.command()
@handles_errors()
def report(
    target: str = typer.Argument(..., help="snapshot file, store reference (Churn/3, v3) or models:/ URI"),
    output: Path | None = typer.Option(None, "-o", "--output", help="write the Markdown here instead of stdout"),
    store: Path | None = StoreDir,
    model: str | None = ModelName,
    tracking_uri: str | None = TrackingUri,
    registry_uri: str | None = RegistryUri,
) -> None:
    """Render a Markdown model report from a snapshot, offline.

    Example: snap report snapshots/Churn/v3/20261126T213000.123456Z.json -o churn-v3.md
    """
    from report.render import render_report
    from snap.sides import load_target

    text = render_report(load_target(target, store, model, tracking_uri, registry_uri))
    _emit(text, output)


@app.command("import")
@handles_errors()
def import_(
    files: list[Path] = typer.Argument(..., help="mlflow-reports report.json files"),
    store: Path | None = StoreDir,
    output: Path | None = typer.Option(None, "-o", "--output", help="write the one snapshot to this file"),
) -> None:
    """Convert mlflow-reports report.json archives into snap snapshots.

    Example: snap import old/report.json -o churn-v6.json
    """
    from snapshot.importer.archive import import_files

    for line in import_files(files, store, output):
        typer.echo(line)


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
    _emit(render_diff(result, fmt), output)
    raise typer.Exit(1 if failing_changes(result, fail_on) else 0)


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

    _emit(render_log(version_timeline(default_store(store), ref, model), fmt), None)


def _emit(rendered, output: Path | None) -> None:
    """Text or a rich renderable to stdout (colour where the terminal has it), or as plain text to a file."""
    if output is not None:
        from diff.render import plain_text
        from snapshot.formats.files import write_atomic

        write_atomic(output, plain_text(rendered).encode("utf-8"))
    elif isinstance(rendered, str):
        sys.stdout.write(rendered)
    else:
        from rich.console import Console

        Console().print(rendered)


@app.command()
def demo(
    workdir: Path = typer.Option(Path("demo"), "--dir", help="where the demo registry and snapshots go"),
) -> None:
    """Build a local MLflow registry, log three versions of a model, capture and diff them.

    Example: snap demo --dir /tmp/snap-demo
    """
    from snap.demo import run_demo

    handles_errors()(run_demo)(workdir, typer.echo)


def main() -> None:
    """Run the app; usage errors (unknown option, missing argument) also get one line and exit 2."""
    try:
        code = app(standalone_mode=False, prog_name="snap")
    except typer.Abort:
        typer.echo("Error: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:
        kinds = {k.__name__ for k in type(exc).__mro__}
        if "NoArgsIsHelpError" in kinds:  # bare `snap`: the help, as usual
            typer.echo(exc.format_message())
            sys.exit(0)
        if "UsageError" not in kinds:  # typer vendors click in new releases: match by name
            raise
        command = exc.ctx.command_path if getattr(exc, "ctx", None) else "snap"
        typer.echo(f"Error: {exc.format_message()} (see {command} --help)", err=True)
        sys.exit(2)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
