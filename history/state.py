"""The registry as the store knew it at a moment, and which versions it can tell are gone.

State at T: for each (model, version), its newest snapshot captured at or before
T (dedupe writes no file for an unchanged version, so its last snapshot still
holds). A deleted version writes no file either; the store tells it is gone in
two ways:
- a census (history/census.py): a batch capture's roll call of what the
  registry listed. A version it does not list, last captured before that run
  began, was gone; with `--all` and no `--filter`, so was a model it does not
  list. This is what the server said, so it is certain.
- for stores older than censuses, a whole-model capture (`models:/NAME`) that
  came after it: every version of a model carries the registered model, and
  MLflow bumps the registered model on each change (a deletion included), so a
  capture of the whole model that saw a newer registered model rewrote every
  version it found. A version left behind with the older one was not found:
  deleted, or its capture failed.
A model that stopped matching `--filter` is not taken for gone.
"""

from __future__ import annotations

import functools
from datetime import date

from history.source import Snap, StoreView, newest_at


def captures(view: StoreView, gap_seconds: float, models: list[str] | None = None) -> list[tuple[str, str]]:
    """(first stem, last stem) of each capture: snapshots written less than `gap_seconds` apart belong to one."""
    stems = sorted({s.stem for s in view.snaps if not models or s.model in models})
    groups: list[list[str]] = []
    for stem in stems:
        if groups and _within(groups[-1][-1], stem, gap_seconds):
            groups[-1].append(stem)
        else:
            groups.append([stem])
    return [(g[0], g[-1]) for g in groups]


def _within(earlier: str, later: str, gap_seconds: float) -> bool:
    """Two stems at most `gap_seconds` apart; two in the same minute need no arithmetic (100,000 stems)."""
    if gap_seconds >= 60 and earlier[:13] == later[:13]:
        return True
    return seconds(later) - seconds(earlier) <= gap_seconds


def seconds(stem: str) -> float:
    """Seconds since year 1 of a stem (YYYYMMDDTHHMMSS.ffffffZ), fast enough for 100,000 of them."""
    return _day(stem[:8]) * 86400 + int(stem[9:11]) * 3600 + int(stem[11:13]) * 60 + float(stem[13:].rstrip("Z"))


@functools.lru_cache(maxsize=4096)
def _day(digits: str) -> int:
    return date(int(digits[0:4]), int(digits[4:6]), int(digits[6:8])).toordinal()


def registered_model(view: StoreView, snap: Snap) -> dict:
    return view.load(snap).get("registered_model") or {}


def is_whole_model(view: StoreView, snap: Snap) -> bool:
    return (view.load(snap).get("manifest") or {}).get("requested_uri") == f"models:/{snap.model}"


def newest_whole(view: StoreView, model: str, at: str, after: str = "") -> Snap | None:
    """The newest whole-model capture of `model` at or before `at` (and after `after`), opening as few as it can."""
    for snap in reversed(view.by_model[model]):
        if snap.stem > at:
            continue
        if snap.stem <= after:
            return None
        if is_whole_model(view, snap):
            return snap
    return None


def gone_at(view: StoreView, model: str, at: str, candidates: list[str] | None = None) -> dict[str, str]:
    """Versions of `model` the store can tell were gone at `at`: version -> the stem of the capture that missed it.

    `candidates` limits the versions looked at (each one costs opening its last snapshot).
    """
    return {**whole_gone(view, model, at, candidates), **census_gone(view, model, at, candidates)}


def census_gone(view: StoreView, model: str, at: str, candidates: list[str] | None = None,
                listed_only: bool = False) -> dict[str, str]:
    """Versions of `model` the newest census at `at` that could tell says were gone: version -> its stem.

    A census tells of a model it lists, or (`capture --all` with no --filter) of one it would have listed.
    `listed_only`: only while the census still listed the model (not the versions of a model gone whole).
    """
    census = _deciding(view, model, at, listed_only)
    if census is None:
        return {}
    listed = census.models.get(model)
    failed, gone = census.failed.get(model, frozenset()), {}
    for version in candidates if candidates is not None else view.versions_of[model]:
        if (listed is not None and version in listed) or version in failed:
            continue
        last = newest_at(view.by_version.get((model, version), []), at)
        if last is not None and last.stem < census.started:
            gone[version] = census.stem
    return gone


def _deciding(view: StoreView, model: str, at: str, listed_only: bool):
    """The newest census at `at` that listed `model`, or would have (None if none can tell)."""
    for stem in reversed([s for s in view.censuses.stems if s <= at]):
        census = view.censuses.get(stem)
        if model in census.models:
            return census
        if not listed_only and not census.filtered and census.covers(model, is_prompt(view, model)):
            return census
    return None


def is_prompt(view: StoreView, model: str) -> bool:
    """Whether the model's newest snapshot is of one of MLflow's prompts (`--all` may leave those out)."""
    return (view.load(view.by_model[model][-1]).get("manifest") or {}).get("kind") == "prompt"


def whole_gone(view: StoreView, model: str, at: str, candidates: list[str] | None = None) -> dict[str, str]:
    """Versions a newer whole-model capture left behind with an older registered model (see above)."""
    whole = newest_whole(view, model, at)
    if whole is None:
        return {}
    rm = registered_model(view, whole)
    gone = {}
    for version in view.versions_of[model]:
        if candidates is not None and version not in candidates:
            continue
        last = newest_at(view.by_version[(model, version)], at)
        if last is not None and last.stem < whole.stem and registered_model(view, last) != rm:
            gone[version] = whole.stem
    return gone


def state_at(view: StoreView, at: str, models: list[str] | None = None) -> dict[tuple[str, str], Snap]:
    """(model, version) -> its snapshot current at `at`, without the versions known to be gone."""
    state = {}
    for (model, version), snaps in view.by_version.items():
        if models and model not in models:
            continue
        snap = newest_at(snaps, at)
        if snap is not None:
            state[(model, version)] = snap
    for model in sorted({m for m, _ in state}):
        for version in gone_at(view, model, at):
            state.pop((model, version), None)
    return state


def census_gone_all(store, at: str) -> list[tuple[str, str]]:
    """(model, version) of every version the newest census at `at` says was gone (`snap sql --at`: no snapshot
    is opened but the newest of a model the census no longer lists, to tell a prompt)."""
    view = StoreView(store)
    if view.censuses.at(at) is None:
        return []
    return [(model, version) for model in view.models() for version in sorted(census_gone(view, model, at))]
