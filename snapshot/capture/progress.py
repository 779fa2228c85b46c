"""Progress of a batch capture: a rich bar on a terminal, a few plain lines otherwise.

Only the CLI builds these; the batch code calls the methods below from its worker
threads, so each method is thread-safe. Every line goes out through one_line
(snapshot.formats.inert): a model name or a server's message is whatever the
registry holds, ESC, BEL and CR included, and must not drive the terminal or
forge a line of its own.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable

from snapshot.formats.inert import one_line


class PlainProgress:
    """One line per finished model and per failure: quiet enough for a nightly log."""

    def __init__(self, echo: Callable[[str], None]):
        self.echo = echo
        self._lock = threading.Lock()

    def start(self, models: int | None) -> None:
        pass

    def add_versions(self, n: int) -> None:
        pass

    def version_done(self, status: str) -> None:
        pass

    def model_done(self, name: str, counts: dict) -> None:
        parts = ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "no versions"
        self.note(f"{name}: {parts}")

    def failure(self, name: str, version: str, reason: str) -> None:
        self.note(f"failed {name} v{version}: {reason}")

    def note(self, text: str) -> None:
        with self._lock:
            self.echo(one_line(text))

    def close(self) -> None:
        pass


class RichProgress(PlainProgress):
    """Models and versions bars with rate and ETA; notes print above the bars."""

    def __init__(self, echo: Callable[[str], None]):
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        super().__init__(echo)
        self.console = Console(stderr=True)
        self.bar = Progress(TextColumn("{task.description:<9}"), BarColumn(), MofNCompleteColumn(),
                            TaskProgressColumn(), TextColumn("{task.fields[rate]}"),
                            TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                            console=self.console, transient=False)
        self.models = self.bar.add_task("models", total=None, rate="")
        self.versions = self.bar.add_task("versions", total=0, rate="")
        self.bar.start()

    def start(self, models: int | None) -> None:
        self.bar.update(self.models, total=models)

    def add_versions(self, n: int) -> None:
        with self._lock:
            total = self.bar.tasks[self.versions].total or 0
            self.bar.update(self.versions, total=total + n)

    def version_done(self, status: str) -> None:
        with self._lock:
            self.bar.advance(self.versions)
            speed = self.bar.tasks[self.versions].speed
            self.bar.update(self.versions, rate=f"{speed:.1f} v/s" if speed else "")

    def model_done(self, name: str, counts: dict) -> None:
        with self._lock:
            self.bar.advance(self.models)

    def note(self, text: str) -> None:
        with self._lock:
            self.console.print(one_line(text), markup=False, highlight=False)

    def close(self) -> None:
        self.bar.stop()


def progress_for_terminal(echo: Callable[[str], None]) -> PlainProgress:
    return RichProgress(echo) if sys.stderr.isatty() else PlainProgress(echo)


def render_summary(result) -> list[str]:
    """The closing lines of a batch capture."""
    total = result.captured + result.unchanged + len(result.failed)
    rate = total / result.seconds if result.seconds else 0.0
    lines = [f"{result.models} models, {total} versions in {result.seconds:.1f}s ({rate:.1f} versions/s): "
             f"{result.captured} captured, {result.unchanged} unchanged, {len(result.failed)} failed; "
             f"{result.requests} requests ({result.requests / total if total else 0:.1f} per version)"
             + (f"; {result.reused} reused model files" if result.reused else "")
             + (f"; {result.throttled} answered 429 (rate limited) and retried" if result.throttled else "")]
    if result.stopped:
        lines.append(f"stopped: {result.stopped}; run the same command again to resume"
                     + (f" (journal {result.journal})" if result.journal else ""))
    if result.resumed:
        lines.append(f"resumed: {result.resumed} versions were finished by the interrupted run before")
    lines += [f"failed: {name} v{version}: {reason}" for name, version, reason in result.failed]
    return [one_line(line) for line in lines]
