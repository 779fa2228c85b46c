"""Running one case of the #12 campaign and judging how it ended (tests/test_campaign_inputs.py).

A case writes its own files into a fresh folder, runs one snap command in-process
and must end with a documented exit code and exactly one `Error:` line in snap's
words, or with inert output.
"""

from __future__ import annotations

import io
import sys
import tempfile
from collections.abc import Callable
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import typer.main
import typer.testing
from typer.testing import CliRunner

from snap.cli import app, main
from snapshot.formats.document import dumps
from snapshot.store.layout import file_stem, snapshot_dir
from tests.support.inert_checks import error_line_problems, markdown_problems, terminal_problems

USAGE, NOT_FOUND, WRITE = 2, 3, 6  # README "Exit codes"


@dataclass(frozen=True)
class Case:
    """One input: the files it needs (written under a fresh folder), the command, and what it must end as."""

    name: str
    write: Callable[[Path], list[str]]  # writes its files, returns the snap arguments
    codes: tuple[int, ...]  # the documented exit codes this case may end with
    output: str = ""  # "md" or "text": also check stdout is inert
    entry_point: bool = False  # run as the installed `snap` (usage errors are turned into one line there)


def run_main(args: list[str]) -> SimpleNamespace:
    """`snap ARGS` through its entry point (snap/cli.py main), in-process."""
    out, err = io.StringIO(), io.StringIO()
    saved = sys.argv
    sys.argv = ["snap", *args]
    try:
        with redirect_stdout(out), redirect_stderr(err):
            main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    finally:
        sys.argv = saved
    return SimpleNamespace(exit_code=code, stdout=out.getvalue(), stderr=err.getvalue())


@contextmanager
def one_command():
    """Build the click command from the typer app once for a whole category, not once per case.

    typer's CliRunner rebuilds it on every invoke (about 40 ms, more than most cases take);
    the command is the same object `snap` runs.
    """
    built = typer.main.get_command(app)
    saved = typer.testing._get_command
    typer.testing._get_command = lambda _app: built
    try:
        yield
    finally:
        typer.testing._get_command = saved


def run_case(case: Case) -> list[str]:
    """What went wrong with `case`; empty when it ended as it must."""
    with tempfile.TemporaryDirectory() as tmp:
        args = case.write(Path(tmp))
        result = run_main(args) if case.entry_point else CliRunner().invoke(app, args)
    problems = []
    if result.exit_code not in case.codes:
        problems.append(f"exit {result.exit_code}, expected {case.codes}: {result.stderr[:300]!r}")
    if result.exit_code in (USAGE, NOT_FOUND) or result.stderr:
        problems += error_line_problems(result.stderr)
    if case.output == "md":
        problems += markdown_problems(result.stdout)
    elif case.output == "text":
        problems += terminal_problems(result.stdout)
    return [f"{case.name}: {p}" for p in problems]




def put(store: Path, doc: dict) -> Path:
    """A snapshot at its place in a store (plain write: the campaign needs no fsync per file)."""
    m = doc["manifest"]
    path = snapshot_dir(store, m["model_name"], m["model_version"]) / f"{file_stem(m['captured_at'])}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dumps(doc), encoding="utf-8")
    return path
