"""Pick a renderer by format name; turn rich renderables into plain text."""

from __future__ import annotations

import io

from rich.console import Console, RenderableType

from diff.changes import DiffResult
from snapshot.errors import BadOption

FORMATS = ("text", "md", "json")


def check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise BadOption(f"--format {fmt!r} is not one of {', '.join(FORMATS)}")


def render_diff(result: DiffResult, fmt: str) -> str | RenderableType:
    """`text` gives a rich renderable (the CLI prints it with colour where it can); `md`, `json` give strings."""
    check_format(fmt)
    if fmt == "json":
        from diff.render.as_json import render_json

        return render_json(result)
    if fmt == "md":
        from diff.render.as_markdown import render_markdown

        return render_markdown(result)
    from diff.render.as_text import render_text

    return render_text(result)


def plain_text(renderable: RenderableType | str, width: int = 120) -> str:
    """A renderable as plain characters, no colour: for files and tests."""
    if isinstance(renderable, str):
        return renderable
    console = Console(file=io.StringIO(), width=width, color_system=None, force_terminal=False)
    console.print(renderable, crop=False, no_wrap=True, overflow="ignore")  # identifiers stay whole
    return console.file.getvalue()
