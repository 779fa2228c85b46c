"""The changelog's departures: versions and whole models the registry stopped listing (see history/state.py).

A version that is gone is `versions deleted`; a model a census (`capture --all`)
no longer lists is `models deleted`, or `models renamed` when a model that
appeared in the same capture holds the same versions of the same runs (MLflow's
rename keeps both), or `models disappeared` when the capture had a `--filter`
(deleted, or no longer matching it: the store cannot tell which).
"""

from __future__ import annotations

from history import state as st
from history.census import Census
from history.events import Event
from history.source import Snap, StoreView, between, newest_at
from history.when import stem_to_iso
from snapshot.store.layout import version_order


def _iso(stem: str | None) -> str | None:
    return stem_to_iso(stem) if stem else None



def version_deletions(view: StoreView, model: str, window: tuple[str, str], rm_changed: bool) -> list[Event]:
    """Versions of a model still in the registry that went in the window.

    `rm_changed`: whether the model's registered model changed in the window; when it did not, no whole-model
    capture can show a deletion (MLflow bumps it on delete), so only censuses are asked.
    """
    since, until = window
    now = st.census_gone(view, model, until, listed_only=True)
    if rm_changed:
        now = {**st.whole_gone(view, model, until), **now}
    if not now:
        return []
    before = st.gone_at(view, model, since, list(now)) if since else {}
    events = []
    for version in sorted(set(now) - set(before), key=version_order):
        snaps = view.by_version[(model, version)]
        seen = _first_missing(view, model, version, window) or now[version]
        censused = any(c.stem == seen for c in view.censuses.between(since, until))
        why = (f"not listed by the registry at the capture of {_iso(seen)}: deleted" if censused else
               f"not in the whole-model capture of {model} at {_iso(seen)}: deleted, or its capture failed")
        events.append(Event("versions", "deleted", model, version, None, before=_iso(newest_at(snaps, until).stem),
                            after=_iso(seen), detail=why))
    return events


def _first_missing(view: StoreView, model: str, version: str, window: tuple[str, str]) -> str | None:
    """The first capture in the window that found the version gone (a census, or a whole-model capture)."""
    since, until = window
    snaps = view.by_version[(model, version)]
    last = newest_at(snaps, until)
    for census in view.censuses.between(max(since, last.stem), until):
        if version in st.census_gone(view, model, census.stem, [version], listed_only=True):
            return census.stem
    rm = st.registered_model(view, last)
    for snap in between(view.by_model[model], max(since, last.stem), until):
        if st.is_whole_model(view, snap) and st.registered_model(view, snap) != rm:
            return snap.stem
    return None


def model_departures(view: StoreView, since: str, until: str, models: list[str] | None = None) -> list[Event]:
    """Models a census in the window no longer listed, each reported once, at the first census that missed it."""
    events = []
    for census in view.censuses.between(since, until):
        earlier = view.censuses.before(census)
        for model in models or view.models():
            if _left(view, census, model) and not (earlier and _left(view, earlier, model)):
                events.append(_departure(view, census, model))
    return events


def _left(view: StoreView, census: Census, model: str) -> bool:
    """The census does not list a model it would have, and the store did not capture it in that run."""
    if model in census.models or not census.covers(model, st.is_prompt(view, model)):
        return False
    last = newest_at(view.by_model[model], census.stem)
    return last is not None and last.stem < census.started


def _departure(view: StoreView, census: Census, model: str) -> Event:
    last = newest_at(view.by_model[model], census.stem)
    versions = _versions_then(view, model, census.stem)
    listed = ", ".join(f"v{v}" for v in sorted(versions, key=version_order))
    seen = {"before": _iso(last.stem), "after": _iso(census.stem)}
    if census.filtered:
        return Event("models", "disappeared", model, None, None, **seen,
                     detail=f"not listed by the capture --filter {census.filtered!r}: deleted, or no longer matching "
                            f"it; its versions then: {listed}")
    heir = _renamed_to(view, census, model, versions)
    if heir:
        return Event("models", "renamed", model, None, None, old=model, new=heir, **seen,
                     detail=f"renamed to {heir}: the same versions of the same runs ({listed})")
    return Event("models", "deleted", model, None, None, **seen,
                 detail=f"not listed by the registry at the capture of {_iso(census.stem)}; "
                        f"its versions then: {listed}")


def _versions_then(view: StoreView, model: str, stem: str) -> dict[str, Snap]:
    """version -> its newest snapshot at `stem`, without the versions already gone before."""
    out = {v: newest_at(view.by_version[(model, v)], stem) for v in view.versions_of[model]}
    earlier = view.censuses.before(view.censuses.get(stem)) if stem in view.censuses.stems else None
    gone = st.census_gone(view, model, earlier.stem, listed_only=True) if earlier else {}
    return {v: s for v, s in out.items() if s is not None and v not in gone}


def _fingerprint(view: StoreView, snaps: dict[str, Snap]) -> set[tuple]:
    out = set()
    for version, snap in snaps.items():
        mv = view.load(snap).get("model_version") or {}
        out.add((version, mv.get("run_id"), mv.get("source")))
    return out


def _renamed_to(view: StoreView, census: Census, model: str, versions: dict[str, Snap]) -> str | None:
    """A model first captured in this census's run with the same versions, runs and sources, if exactly one."""
    if not versions:
        return None
    mine = _fingerprint(view, versions)
    heirs = []
    for other in sorted(census.models):
        own = view.by_model.get(other) or []
        if other == model or not own or not census.started <= own[0].stem <= census.stem:
            continue
        if set(census.models[other]) == set(versions):
            theirs = {v: newest_at(view.by_version[(other, v)], census.stem) for v in census.models[other]}
            if None not in theirs.values() and _fingerprint(view, theirs) == mine:
                heirs.append(other)
    return heirs[0] if len(heirs) == 1 else None
