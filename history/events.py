"""What a changelog is made of: events, and the summary of a version's content change.

Plain data only: history/changes.py builds these, history/render.py reads them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from diff.changes import SECTIONS as DIFF_SECTIONS
from diff.changes import DiffResult
from diff.render.describe import note, value_text
from snapshot.errors import BadOption

# Event sections, in the order renderers show them; `--fail-on` takes these,
# `breaking`, or a diff section (signature, requirements, metrics, ...) of a content change.
SECTIONS = ("models", "versions", "aliases", "tags", "description", "status", "content")


@dataclass(frozen=True)
class Summary:
    """What `snap diff` would say of a content change, in short."""

    changes: int
    sections: dict[str, int]  # diff section -> number of changes
    breaking: tuple[str, ...] = ()  # `inputs.tenure_months: new required input`
    requirements: tuple[str, ...] = ()  # `scikit-learn: ==1.3.2 → ==1.4.2 (minor upgrade)`
    metrics: tuple[str, ...] = ()  # `auc: 0.81 → 0.83 (+0.02 (+2.47%))`


@dataclass(frozen=True)
class Event:
    """One thing that changed in the registry, and the two captures it was seen between.

    `version` is None for a registered model's own events. `before` is None when
    there was no earlier capture of the thing (it appeared).
    """

    section: str
    kind: str  # appeared, deleted, set, changed, removed, moved, content
    model: str
    version: str | None
    key: str | None  # alias name, tag key, field path
    old: Any = None
    new: Any = None
    before: str | None = None  # captured_at of the capture before
    after: str | None = None  # captured_at of the capture that showed it first
    detail: str = ""
    breaking: bool = False
    summary: Summary | None = None

    @property
    def sort_key(self):
        version = self.version or ""
        return (self.model, self.after or "", SECTIONS.index(self.section),
                (len(version), version), self.key or "", self.kind)


@dataclass(frozen=True)
class Changelog:
    since: str | None  # captured_at form; None: from the store's beginning
    until: str
    models: tuple[str, ...] = ()  # the --model filter, if any
    events: list[Event] = field(default_factory=list)

    @property
    def breaking(self) -> list[Event]:
        return [e for e in self.events if e.breaking]


def summarize(result: DiffResult) -> Summary:
    sections: dict[str, int] = {}
    for c in result.changes:
        sections[c.section] = sections.get(c.section, 0) + 1
    return Summary(
        changes=len(result.changes), sections=sections,
        breaking=tuple(f"{c.path.removeprefix('mlmodel.parsed.signature.')}: {c.detail or c.kind}"
                       for c in result.breaking),
        requirements=tuple(dict.fromkeys(_moved(c) for c in result.changes if c.section == "requirements")),
        metrics=tuple(dict.fromkeys(_moved(c) for c in result.changes if c.section == "metrics")),
    )


def _moved(change) -> str:
    name = change.path.rsplit(".packages.", 1)[-1] if ".packages." in change.path else change.path
    name = name.removeprefix("run.metrics.").removesuffix(".value")
    extra = f" ({note(change)})" if note(change) else ""
    return f"{name}: {value_text(change.old)} → {value_text(change.new)}{extra}"


def failing_events(log: Changelog, fail_on: list[str] | None) -> list[Event]:
    """The events that make `snap changes` exit 1: all, or those `--fail-on` names."""
    if not fail_on:
        return list(log.events)
    check_fail_on(fail_on)
    wanted = set(fail_on)
    return [e for e in log.events if e.section in wanted or ("breaking" in wanted and e.breaking)
            or (e.summary is not None and e.section == "content" and wanted & set(e.summary.sections))]


def check_fail_on(fail_on: list[str] | None) -> None:
    allowed = (*SECTIONS, "breaking", *DIFF_SECTIONS)
    for name in fail_on or []:
        if name not in allowed:
            raise BadOption(f"--fail-on {name!r} is not a section; choose from {', '.join(SECTIONS)}, breaking, "
                            f"or a diff section ({', '.join(DIFF_SECTIONS)})")
