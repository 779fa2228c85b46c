"""Point-in-time store references: `Churn/6@{2026-11-01}`, `Churn@champion@{7d}`, `v6@{yesterday}`.

`NAME/V@{WHEN}` is the snapshot of version V current at WHEN (its newest captured
at or before it); `NAME@ALIAS@{WHEN}` is the version the alias pointed to in the
model's newest snapshot at or before WHEN, as it was then. What is known is
said: "as captured at X (next capture Y)", since the registry may have changed
between two captures without the store seeing it.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

from history import state as st
from history.source import Snap, StoreView, newest_at, next_after
from history.when import parse_when, stem_to_iso
from snapshot.errors import AmbiguousReference, BadReference, SnapshotNotFound

_AT = re.compile(r"^(?P<base>.+)@\{(?P<when>[^{}]+)\}$")


@dataclass(frozen=True)
class Resolution:
    ref: str
    model: str
    version: str
    snap: Snap
    next_stem: str | None  # the next capture of what the reference names, if the store has one

    @property
    def note(self) -> str:
        after = stem_to_iso(self.next_stem) if self.next_stem else "none yet"
        return (f"{self.ref}: {self.model} v{self.version} as captured at {stem_to_iso(self.snap.stem)} "
                f"(next capture {after})")


def split_at(target: str) -> tuple[str, str]:
    """(base, WHEN) of `base@{WHEN}`."""
    m = _AT.match(target)
    if not m:
        raise BadReference(f"{target!r} is not a point-in-time reference like Churn/6@{{2026-11-01}} "
                           "or Churn@champion@{7d}")
    return m.group("base"), m.group("when")


def resolve_at(view: StoreView, target: str, model: str | None = None) -> Resolution:
    base, when = split_at(target)
    at = parse_when(when, option=f"{target!r}:")
    name, sep, rest = _parts(base, view, target, model)
    if sep == "@":
        return _alias_at(view, target, name, rest, at)
    version = rest[1:] if rest[:1] in ("v", "V") and rest[1:].isdigit() else rest
    snaps = view.by_version.get((name, version), [])
    if not snaps:
        raise SnapshotNotFound(f"{target!r}: no snapshot of {name} version {version} in store {view.root}")
    return _version_at(view, target, name, version, at)


def _version_at(view: StoreView, target: str, name: str, version: str, at: str) -> Resolution:
    snaps = view.by_version[(name, version)]
    snap = newest_at(snaps, at)
    if snap is None:
        raise SnapshotNotFound(f"{target!r}: {name} v{version} has no snapshot at or before {stem_to_iso(at)} "
                               f"(its first is {stem_to_iso(snaps[0].stem)})")
    gone = st.gone_at(view, name, at, [version])
    if version in gone:
        raise SnapshotNotFound(f"{target!r}: {name} v{version} was gone at {stem_to_iso(at)} (not found by the "
                               f"capture at {stem_to_iso(gone[version])}); "
                               f"its last snapshot is {stem_to_iso(snap.stem)}")
    return Resolution(target, name, version, snap, _next_look(view, name, next_after(snaps, at), at))


def _next_look(view: StoreView, name: str, following: Snap | None, at: str) -> str | None:
    """When the store next looked at the model after `at`: its next snapshot, or (the time it finished) a capture
    begun later whose census would have listed it (an unchanged or a deleted version gets no new snapshot)."""
    limit = following.stem if following else None
    prompt = st.is_prompt(view, name) if view.censuses else False
    for stem in view.censuses.stems:
        census = view.censuses.get(stem) if stem > at else None
        if census and at < census.started < (limit or "~") and census.covers(name, prompt):
            return census.stem
    return limit


def _alias_at(view: StoreView, target: str, name: str, alias: str, at: str) -> Resolution:
    own = view.by_model.get(name, [])
    model_snap = newest_at(own, at)
    if model_snap is None:
        first = f" (its first is {stem_to_iso(own[0].stem)})" if own else ""
        raise SnapshotNotFound(f"{target!r}: no snapshot of {name} at or before {stem_to_iso(at)}{first}")
    aliases = st.registered_model(view, model_snap).get("aliases") or {}
    if alias not in aliases:
        have = ", ".join(sorted(aliases)) or "none"
        raise SnapshotNotFound(f"{target!r}: alias {alias!r} of {name} was not set at {stem_to_iso(model_snap.stem)} "
                               f"(aliases then: {have})")
    resolved = _version_at(view, target, name, str(aliases[alias]), at)
    return Resolution(target, name, resolved.version, resolved.snap, _next_look(view, name, next_after(own, at), at))


def _parts(base: str, view: StoreView, target: str, model: str | None) -> tuple[str, str, str]:
    cut = max(base.rfind("/"), base.rfind("@"))
    if cut > 0:
        return base[:cut], base[cut], base[cut + 1:]
    if cut == 0 or not base:
        raise BadReference(f"{target!r} names no version: write NAME/6@{{WHEN}}, v6@{{WHEN}} or NAME@ALIAS@{{WHEN}}")
    return _only_model(view, target, model), "/", base


def _only_model(view: StoreView, target: str, model: str | None) -> str:
    if model:
        return model
    names = view.models()
    if len(names) != 1:
        raise AmbiguousReference(f"{target!r} needs a model: store {view.root} holds {len(names)} models "
                                 f"({', '.join(names) or 'none'}); pass --model NAME or write NAME/VERSION@{{WHEN}}")
    return names[0]


def load_at(store: str | Path | None, target: str, model: str | None = None, note=None) -> dict:
    """The document a point-in-time reference names; its note goes to `note` (default: one line on stderr)."""
    resolution = resolve_at(StoreView(store), target, model)
    (note or _to_stderr)(resolution.note)
    return StoreView.load_path(resolution.snap.path)


def history_at(store: str | Path | None, target: str, model: str | None = None, note=None) -> list[Snap]:
    """The snapshots of the version a point-in-time reference names, oldest first, up to the one current then.

    `snap log Churn@champion@{2026-11-01}` is, as in git, the history that led to
    what the reference names: later snapshots of that version are left out.
    """
    view = StoreView(store)
    resolution = resolve_at(view, target, model)
    (note or _to_stderr)(resolution.note)
    return [s for s in view.by_version[(resolution.model, resolution.version)] if s.stem <= resolution.snap.stem]


def _to_stderr(text: str) -> None:
    sys.stderr.write(f"note: {text}\n")
