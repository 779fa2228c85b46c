"""The typer app that every `snap` command registers on, the options they share,
and the one way errors leave: one line on stderr and a documented exit code."""

from __future__ import annotations

import functools
import sys
from contextvars import ContextVar
from pathlib import Path

import typer

from snapshot.errors import SnapError

# add_completion: typer's --install-completion / --show-completion for bash, zsh, fish and PowerShell.
app = typer.Typer(add_completion=True, no_args_is_help=True, rich_markup_mode=None,
                  help="Offline snapshots, reports and diffs of MLflow model versions.")

TrackingUri = typer.Option(None, "--tracking-uri", help="MLflow tracking URI [default: $MLFLOW_TRACKING_URI, else MLflow's default]")
RegistryUri = typer.Option(None, "--registry-uri", help="MLflow registry URI [default: $MLFLOW_REGISTRY_URI, else the tracking URI]")
StoreDir = typer.Option(None, "--store", help="snapshot store [default: $SNAP_STORE, else ./snapshots]")
ModelName = typer.Option(None, "--model", help="model for bare version references like v5 [default: $SNAP_MODEL]")


# Whether this run asked for tracebacks: set by `--debug` for the command being run,
# a context variable rather than a module-wide flag, so library callers never see it.
_debug: ContextVar[bool] = ContextVar("snap_debug", default=False)


def debugging() -> bool:
    return _debug.get()


EXIT_TERMINATED = 143  # 128 + SIGTERM, as shells report it
_terminated: list[bool] = []  # set by the SIGTERM handler the command line installs (snap/cli.py), never by the library


def on_sigterm(signum, frame) -> None:
    """SIGTERM ends a command as Ctrl-C does (journals kept, temp files cleaned), then exits 143 saying so."""
    _terminated.append(True)
    raise KeyboardInterrupt


def terminated() -> bool:
    return bool(_terminated)


def fail(message: str, code: int) -> None:
    """One line on stderr (credentials removed, whatever the message quotes), then exit."""
    from snapshot.redact import redact_secrets

    if debugging() and sys.exc_info()[0] is not None:
        import traceback

        traceback.print_exc()
    first_line = redact_secrets(message).strip().splitlines()[0] if message.strip() else "unknown error"
    from snapshot.formats.inert import terminal_safe

    typer.echo(f"Error: {terminal_safe(first_line)}", err=True)
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
                fail(str(exc), error_code or exc.exit_code)
            except Exception as exc:  # noqa: BLE001 - a bug, or a failure snap did not foresee
                fail(_unforeseen(exc), error_code or 2)
        return run
    return wrap


def _print_version(asked: bool) -> None:
    if asked:
        from snapshot import __version__

        typer.echo(f"snap {__version__}")
        raise typer.Exit(0)


@app.callback()
def _main(ctx: typer.Context, debug: bool = typer.Option(False, "--debug", help="show tracebacks"),
          version: bool = typer.Option(False, "--version", is_eager=True, callback=_print_version,
                                       help="print snap's version and exit")) -> None:
    _debug.set(debug or bool((ctx.obj or {}).get("debug")))


def write_bytes(data: bytes) -> None:
    """UTF-8 text to stdout as bytes: large outputs (snap list of a whole store) skip re-encoding and echo's scan."""
    sys.stdout.flush()
    out = getattr(sys.stdout, "buffer", None)  # a replaced stdout (a test's capture) may have none
    if out is None:
        sys.stdout.write(data.decode("utf-8"))
        return
    out.write(data)
    out.flush()


def emit(rendered, output: Path | None) -> None:
    """Text or a rich renderable to stdout (colour where the terminal has it), or as plain text to a file."""
    if output is not None:
        from diff.render import plain_text
        from snapshot.formats.files import write_atomic

        write_atomic(output, plain_text(rendered).encode("utf-8"))
    elif isinstance(rendered, str):
        sys.stdout.write(rendered)
    else:
        from rich.console import Console

        # Width from the terminal, else $COLUMNS, else 80. Lines are never cropped or re-wrapped here:
        # renderers fold their own cells, and an identifier longer than the width stays whole.
        Console().print(rendered, crop=False, no_wrap=True, overflow="ignore")
