"""What a diff is made of: changes, the result, and the options that shape it.

Plain data only: the engine builds these, renderers read them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from snapshot.errors import BadOption

# The areas a change can belong to, in the order renderers show them.
# `other` holds generic path-level changes to anything no area claims.
SECTIONS = (
    "status", "description", "aliases", "tags", "params", "metrics", "signature",
    "flavors", "requirements", "artifacts", "datasets", "permissions", "other",
)

ADDED, REMOVED, CHANGED, MOVED, REORDERED = "added", "removed", "changed", "moved", "reordered"
WITHIN_TOLERANCE = "within tolerance"  # the detail of a metric move --tolerance hides


@dataclass(frozen=True)
class Change:
    """One difference. `path` is dotted (keys are not escaped); `old`/`new` are None when absent."""

    section: str
    path: str
    kind: str
    old: Any = None
    new: Any = None
    delta: dict | None = None  # {"abs", "rel"} for numbers, {"bump", "direction"} for versions
    breaking: bool = False
    detail: str = ""


@dataclass(frozen=True)
class Side:
    """Which snapshot one side of a diff is."""

    model: str | None
    version: str | None
    captured_at: str | None
    content_hash: str | None
    kind: str | None = None  # "prompt" for one of MLflow's prompts; None: a registered model
    workspace: str | None = None  # the MLflow workspace, where the server has them


@dataclass(frozen=True)
class DiffResult:
    left: Side
    right: Side
    changes: list[Change]
    tolerated: list[Change] = field(default_factory=list)  # metric moves within --tolerance
    modified: tuple[str, ...] = ()  # "left"/"right": read with --allow-modified, content hash fails
    hidden: dict[str, int] = field(default_factory=dict)  # changes left out, by reason ("outside --only": 3)

    @property
    def sections(self) -> list[str]:
        return [s for s in SECTIONS if any(c.section == s for c in self.changes)]

    @property
    def breaking(self) -> list[Change]:
        return [c for c in self.changes if c.breaking]


@dataclass(frozen=True)
class Tolerance:
    amount: float
    percent: bool  # amount is a percentage of the old value


@dataclass(frozen=True)
class DiffOptions:
    tolerances: dict[str, Tolerance] = field(default_factory=dict)  # metric name glob -> tolerance
    ignore: tuple[str, ...] = ()
    default_ignores: bool = True
    only: tuple[str, ...] = ()


def make_options(tolerance: list[str] | None = None, ignore: list[str] | None = None,
                 no_default_ignores: bool = False, only: list[str] | None = None) -> DiffOptions:
    """DiffOptions from command-line values; a bad value fails naming its option."""
    for section in only or []:
        _check_section(section, "--only")
    return DiffOptions(
        tolerances=dict(parse_tolerance(t) for t in tolerance or []),
        ignore=tuple(ignore or ()),
        default_ignores=not no_default_ignores,
        only=tuple(only or ()),
    )


def parse_tolerance(text: str) -> tuple[str, Tolerance]:
    """`auc=0.001` or `loss=1%`."""
    key, sep, amount = text.partition("=")
    amount = amount.strip()
    percent = amount.endswith("%")
    try:
        value = float(amount.removesuffix("%"))
    except ValueError:
        value = -1.0
    if not sep or not key.strip() or not value >= 0 or value == float("inf"):  # also refuses nan
        raise BadOption(f"--tolerance {text!r} is not METRIC=NUMBER or METRIC=NUMBER% (e.g. auc=0.001, 'loss=1%')")
    return key.strip(), Tolerance(value, percent)


def failing_changes(result: DiffResult, fail_on: list[str] | None = None) -> list[Change]:
    """The changes that make a diff fail: all, or only those in `fail_on` sections (or `breaking`)."""
    if not fail_on:
        return list(result.changes)
    check_fail_on(fail_on)
    wanted = set(fail_on)
    return [c for c in result.changes if c.section in wanted or ("breaking" in wanted and c.breaking)]


def check_fail_on(fail_on: list[str] | None) -> None:
    for name in fail_on or []:
        if name != "breaking":
            _check_section(name, "--fail-on")


def _check_section(name: str, option: str) -> None:
    if name not in SECTIONS:
        extra = ", breaking" if option == "--fail-on" else ""
        raise BadOption(f"{option} {name!r} is not a section; choose from {', '.join(SECTIONS)}{extra}")
