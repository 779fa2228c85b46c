"""The `snap` command. Each command parses options, calls one library function,
and turns a SnapError into one line on stderr and a documented exit code.

Commands live in `snap/commands/`, one module per area; importing one registers it.
"""

from __future__ import annotations

import gc
import signal
import sys

import typer

from snap.app import EXIT_TERMINATED, app, terminated
from snap.app import on_sigterm as _on_sigterm
from snap.commands import capture, demo, diff, history, report, sql, store, verify  # noqa: F401 - registers the commands

__all__ = ["app", "main"]


def _take_debug(argv: list[str]) -> tuple[list[str], bool]:
    """`--debug` is accepted anywhere before a `--`, not only before the subcommand."""
    end = argv.index("--") if "--" in argv else len(argv)
    head = [a for a in argv[:end] if a != "--debug"]
    return head + argv[end:], len(head) != end


def main() -> None:
    """Run the app; usage errors (unknown option, missing argument) also get one line and exit 2."""
    try:
        _run(sys.argv[1:])
    finally:
        # The process ends here: its objects go back to the OS, without the last full garbage collection
        # Python runs at exit (0.3 s once mlflow is loaded, 0.6 s with an object store's client too).
        gc.freeze()


def _run(argv: list[str]) -> None:
    args, debug = _take_debug(argv)
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        code = app(args=args, standalone_mode=False, prog_name="snap", obj={"debug": debug})
    except typer.Abort:
        if terminated():
            typer.echo("Error: terminated (SIGTERM); finished snapshots are kept, run the same command "
                       "again to resume", err=True)
            sys.exit(EXIT_TERMINATED)
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
