"""`snap capture`: registry to snapshots."""

from __future__ import annotations

from pathlib import Path

import typer

from snap.app import EXIT_TERMINATED, RegistryUri, StoreDir, TrackingUri, app, handles_errors, terminated


@app.command()
@handles_errors()
def capture(
    uris: list[str] = typer.Argument(None, metavar="URI...", help="models:/NAME/VERSION, models:/NAME@ALIAS, models:/NAME/latest, models:/NAME"),
    tracking_uri: str | None = TrackingUri,
    registry_uri: str | None = RegistryUri,
    store: str | None = StoreDir,
    output: str | None = typer.Option(None, "-o", "--output", help="write one snapshot to exactly this file (.json or .parquet), a local path or an s3://, gs://, abfs:// URL"),
    fmt: str | None = typer.Option(None, "--format", help="a store's files for each snapshot: json (the default), parquet or both; the Parquet dataset under STORE/parquet/ is written in every case"),
    metric_history: bool = typer.Option(False, "--metric-history", help="also capture every metric's full history"),
    checksums: bool = typer.Option(False, "--checksums", help="add sha256 of model files up to --checksum-limit bytes"),
    checksum_limit: int = typer.Option(50_000_000, "--checksum-limit", min=0, help="largest file to checksum, in bytes"),
    all_models: bool = typer.Option(False, "--all", help="capture every version of every registered model"),
    filter_string: str | None = typer.Option(None, "--filter", help="with --all: an MLflow search filter, e.g. \"name LIKE 'fraud%'\""),
    prompts: str = typer.Option("exclude", "--prompts", metavar="exclude|include|only", help="with --all: MLflow's prompts (registered models tagged mlflow.prompt.is_prompt) left out (default, as MLflow's own search does), included, or captured alone; a prompt named by URI is always captured"),
    workspace: str | None = typer.Option(None, "--workspace", metavar="NAME", help="on a server with workspaces: the one to capture from (default: $MLFLOW_WORKSPACE, else the server's default); recorded in each snapshot, stored as WORKSPACE:NAME outside the default"),
    all_workspaces: bool = typer.Option(False, "--all-workspaces", help="with --all, on a server with workspaces: capture every workspace, one after another"),
    workers: int = typer.Option(8, "--workers", min=1, max=32, help="versions captured at once by whole-model and --all captures"),
    resume: bool = typer.Option(True, "--resume/--no-resume", help="finish an interrupted whole-model or --all capture"),
    max_rps: float | None = typer.Option(None, "--max-rps", min=0, help="requests per second to the server, shared by all workers (default: 30 for Databricks, no limit for an open-source server; 0: no limit)"),
    max_wait: float = typer.Option(60.0, "--max-wait", min=0, help="longest wait, in seconds, for one request's retries and Retry-After; a server asking for longer fails the version"),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="print nothing but errors (on stderr): no progress, no summary"),
    summary_json: Path | None = typer.Option(None, "--summary-json", metavar="FILE", help="write the run's summary as JSON to FILE, '-' for stdout instead of the text lines (schemas/capture-summary.schema.json)"),
) -> None:
    """Capture model versions from an MLflow registry into snapshots.

    Whole models (models:/NAME) and --all are captured in batches, skip unchanged
    versions, and resume when interrupted. Exit code 7 when some versions failed.

    Example: snap capture --all --filter "name LIKE 'fraud%'" --tracking-uri http://127.0.0.1:5000
    """
    from snapshot.capture.request import CaptureOptions, CaptureRequest

    options = CaptureOptions(metric_history=metric_history, checksums=checksums, checksum_limit=checksum_limit,
                             max_rps=max_rps, max_wait=max_wait, prompts=prompts)
    request = CaptureRequest(uris or (), all_models, filter_string, tracking_uri, registry_uri, store, output, fmt,
                             options, workers, resume, workspace, all_workspaces)
    _check_before_mlflow(tracking_uri, registry_uri)
    _run(request, typer.echo if not quiet and summary_json != Path("-") else None, summary_json)


def _run(request, echo, summary_json: Path | None) -> None:
    """Every workspace in turn, a batch, or single versions."""
    from snapshot.sources.workspaces import using_workspace

    if request.all_workspaces:
        _capture_workspaces(request, echo, summary_json)
        return
    with using_workspace(request.workspace):
        if request.is_batch:
            _capture_batch(request, echo, summary_json)
        else:
            from snapshot import run_capture

            _write_summary(run_capture(request, echo=echo), summary_json)


def _check_before_mlflow(tracking_uri: str | None, registry_uri: str | None) -> None:
    """What would fail slowly or obscurely once mlflow loads fails here, in seconds, with one line."""
    from snapshot.sources.databricks import check_databricks
    from snapshot.sources.install import check_store_support

    check_store_support(tracking_uri, registry_uri)  # a sqlite:/// store with the client-only install
    check_databricks(tracking_uri, registry_uri)  # a bad host, TLS or token fails in seconds, before mlflow loads
    from snapshot.sources.connection import fast_fail_databricks_probes  # imports mlflow

    fast_fail_databricks_probes()


def _write_summary(summary: dict, where: Path | None) -> None:
    import json

    from snapshot.formats.files import write_atomic

    text = json.dumps(summary, indent=2, sort_keys=True) + "\n"
    if where == Path("-"):
        typer.echo(text, nl=False)
    elif where is not None:
        write_atomic(where, text.encode("utf-8"))


def _capture_batch(request, echo, summary_json: Path | None) -> None:
    from snapshot import summary_of
    from snapshot.capture.files import capture_batch
    from snapshot.capture.progress import PlainProgress, progress_for_terminal, render_summary
    from snapshot.errors import EXIT_PARTIAL

    progress = progress_for_terminal(echo) if echo else PlainProgress(lambda _line: None)
    try:
        result = capture_batch(request, progress)
    finally:
        progress.close()
    for line in render_summary(result):
        if echo:
            echo(line)
        elif line.startswith("failed: "):  # quiet: the failures are the errors
            typer.echo(line, err=True)
    if echo and result.prompts_left_out:
        echo(f"left out {result.prompts_left_out} prompts (MLflow's searches leave them out); "
             "--prompts include captures them")
    _write_summary(summary_of(result), summary_json)
    if result.interrupted:
        how = "Terminated (SIGTERM)" if terminated() else "Interrupted"
        typer.echo(f"{how}: finished snapshots are kept. Run the same command again to resume "
                   f"(journal {result.journal}).", err=True)
        raise typer.Exit(EXIT_TERMINATED if terminated() else 130)
    if result.failed:
        typer.echo(f"Error: {_failure_line(result)}", err=True)
        raise typer.Exit(EXIT_PARTIAL)


def _capture_workspaces(request, echo, summary_json: Path | None) -> None:
    """--all-workspaces: --all in each of the server's workspaces, by name; exit 7 when any had failures."""
    from snapshot.errors import EXIT_PARTIAL, BadOption
    from snapshot.sources.connection import connect
    from snapshot.sources.workspaces import list_workspaces, using_workspace

    if summary_json is not None:
        raise BadOption("--summary-json writes one batch's summary; with --all-workspaces, run once per --workspace")
    partial = False
    for name in list_workspaces(connect(request.tracking_uri, request.registry_uri).tracking_uri):
        if echo:
            echo(f"workspace {name}:")
        with using_workspace(name):
            try:
                _capture_batch(request, echo, None)
            except typer.Exit as exc:  # some versions failed: the other workspaces are still captured
                if exc.exit_code != EXIT_PARTIAL:
                    raise
                partial = True
    if partial:
        raise typer.Exit(EXIT_PARTIAL)


def _failure_line(result) -> str:
    """What the batch's failures mean: a stopped batch, nothing captured, or some versions failed."""
    done = f"{result.captured} captured, {result.unchanged} unchanged"
    if result.stopped:
        return f"the batch stopped ({result.stopped}); {done}; run the same command again to resume"
    if result.captured + result.unchanged == 0:
        return "every version failed (listed above); nothing was captured"
    return f"{len(result.failed)} versions failed (listed above); {done}"
