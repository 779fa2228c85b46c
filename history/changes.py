"""`snap changes`: the registry's changelog between two moments, from the store's snapshots.

Each model's registered model (aliases, tags, description) is followed through
its snapshots in the window, and each version through its own; consecutive
states are compared with the diff engine (diff.engine), so a content change is
summarized exactly as `snap diff` would report it. Only snapshots captured in the
window, and the one before each, are opened.
"""

from __future__ import annotations

import functools
import shlex

from diff.changes import DiffOptions, DiffResult
from diff.engine import diff_snapshots, side_of
from history import state as st
from history.deletions import model_departures, version_deletions
from history.events import Changelog, Event, summarize
from history.parallel import map_models
from history.source import Snap, StoreView, between, newest_at
from history.when import stem_to_iso
from snapshot.errors import SnapshotNotFound
from snapshot.store.layout import version_order

_MODEL_PARTS = ("registered_model.", )


def default_window(view: StoreView, gap_seconds: float, models: list[str] | None = None,
                   until: str | None = None) -> tuple[str, str]:
    """(since, until): from the end of the second newest capture to the end of the newest.

    With `until`, of the captures begun by then."""
    every = st.captures(view, gap_seconds, models)
    runs = [r for r in every if until is None or r[0] <= until]
    if every and not runs:
        raise SnapshotNotFound(f"no capture at or before --until {stem_to_iso(until)}; "
                               f"the first is {stem_to_iso(every[0][0])}")
    if not runs:
        raise SnapshotNotFound(f"store {view.root} holds no snapshots{' of ' + ', '.join(models) if models else ''}; "
                               "capture some first (snap capture --all)")
    if len(runs) == 1:
        return "", _census_end(view, runs[-1][1])
    return _census_end(view, runs[-2][1]), _census_end(view, runs[-1][1])


def _census_end(view: StoreView, end: str) -> str:
    """A capture ends with its census, written after its last snapshot: the census's time if it has one."""
    for stem in view.censuses.stems:
        if stem > end:
            return stem if view.censuses.get(stem).started <= end else end
    return end


def changelog(view: StoreView, since: str, until: str, models: list[str] | None = None,
              gap_seconds: float = 300.0, workers: int | None = None) -> Changelog:
    """Every event after `since` and at or before `until` (stems; "" for since means the beginning).

    `workers`: processes to spread the models over (default: the cores, for a large window; history.parallel).
    """
    known = view.models()
    for name in models or []:
        if name not in known:
            raise SnapshotNotFound(f"--model {name!r}: no snapshots of it in store {view.root} "
                                   f"(models there: {', '.join(known) or 'none'})")
    busy = [m for m in models or known if between(view.by_model[m], since, until) or _unlisted(view, m, since, until)]
    found = map_models(functools.partial(_events_of, since=since, until=until, gap=gap_seconds), view, busy, workers)
    events = [e for own in found for e in own] + model_departures(view, since, until, models)
    return Changelog(stem_to_iso(since) if since else None, stem_to_iso(until), tuple(models or ()),
                     sorted(events, key=lambda e: e.sort_key))


def _unlisted(view: StoreView, model: str, since: str, until: str) -> bool:
    """A census in the window lists the model without some version the store holds (one may have gone)."""
    known = set(view.versions_of[model])
    return any(model in c.models and known - c.models[model] for c in view.censuses.between(since, until))


def _events_of(view: StoreView, model: str, since: str, until: str, gap: float) -> list[Event]:
    """One model's events in the window: its registered model's, deletions, then each version's."""
    window = between(view.by_model[model], since, until)
    base = _model_base(view, model, since, window, gap)
    last = newest_at(view.by_model[model], until)
    rm_changed = base is None or st.registered_model(view, base) != st.registered_model(view, last)
    events = _model_events(view, model, base, window, gap, since)
    events += version_deletions(view, model, (since, until), rm_changed)
    for version in sorted({s.version for s in window}, key=lambda v: (len(v), v)):
        events += _version_events(view, model, version, since, until)
    return events


def _model_events(view: StoreView, model: str, base: Snap | None, window: list[Snap], gap: float,
                  since: str) -> list[Event]:
    """The registered model through its snapshots: appeared, alias moves, tags, description.

    `base` is read for the state at `since`, but a change is said to be seen after the model's newest snapshot
    then (base may be another of that capture's): a window and the same span cut in two report the same moments."""
    events, prev, prev_snap = [], None, None
    if base is not None:
        prev, prev_snap = _model_part(st.registered_model(view, base)), newest_at(view.by_model[model], since)
    for snap in window:
        now = _model_part(st.registered_model(view, snap))
        if prev is None and prev_snap is None:
            events.append(Event("models", "appeared", model, None, None, after=_iso(snap)))
        elif now != prev:
            events += _model_diff(view, model, (prev, now), (prev_snap, snap), gap)
        prev, prev_snap = now, snap
    return events


def diff_docs(old: dict, new: dict, options: DiffOptions | None = None) -> DiffResult:
    """`diff_snapshots(old, new)`, faster: parts equal on both sides are left out of both first.

    A part both sides leave out compares as no change in every area, and what
    an area relates across parts (a param echoed by the logged model, an alias
    in the model's map and on the version) is kept whenever either side differs.
    `unavailable` is kept when it differs or masks a part that is left in; the
    manifest only names the sides, which are taken from the whole documents.
    """
    left, right = _prune(old, new, depth=2)
    left.pop("manifest", None)
    right.pop("manifest", None)
    masks = {p.split(".", 1)[0] for p in (old.get("unavailable") or {}) | (new.get("unavailable") or {})}
    if masks & (left.keys() | right.keys()):
        left["unavailable"], right["unavailable"] = old.get("unavailable"), new.get("unavailable")
    result = diff_snapshots(left, right, options)
    return DiffResult(side_of(old), side_of(new), result.changes, result.tolerated)


def _prune(old: dict, new: dict, depth: int, keep: tuple = ()) -> tuple[dict, dict]:
    left, right = {}, {}
    for key in old.keys() | new.keys():
        a, b = old.get(key, _MISSING), new.get(key, _MISSING)
        if key in keep:
            left[key], right[key] = a, b
        elif a == b:
            continue
        elif depth > 1 and isinstance(a, dict) and isinstance(b, dict):
            left[key], right[key] = _prune(a, b, depth - 1)
        else:
            left[key], right[key] = a, b
    return ({k: v for k, v in left.items() if v is not _MISSING},
            {k: v for k, v in right.items() if v is not _MISSING})


_MISSING = object()


def _model_base(view: StoreView, model: str, since: str, window: list[Snap], gap: float) -> Snap | None:
    """The model's newest snapshot at `since`, or one of the same capture that is opened anyway.

    One capture run reads a registered model once for all its versions, so any
    snapshot of that capture tells the same; the one before a version that
    changed is needed for that version's diff already.
    """
    base = newest_at(view.by_model[model], since) if since else None
    if base is None:
        return None
    for version in dict.fromkeys(s.version for s in window):
        before = newest_at(view.by_version[(model, version)], since)
        if before is not None and st.seconds(base.stem) - st.seconds(before.stem) <= gap:
            return before
    return base


def _model_part(rm: dict) -> dict:
    return {"aliases": {k: str(v) for k, v in (rm.get("aliases") or {}).items()},
            "tags": rm.get("tags") or {}, "description": rm.get("description") or None}


def _model_diff(view: StoreView, model: str, states: tuple[dict, dict], pair: tuple[Snap, Snap],
                gap: float) -> list[Event]:
    old, new = states
    before, after = _iso(pair[0]), _iso(pair[1])
    events = []
    for alias in sorted(set(old["aliases"]) | set(new["aliases"])):
        was, now = old["aliases"].get(alias), new["aliases"].get(alias)
        if was != now:
            summary = _alias_summary(view, model, (was, now), pair[1], gap)
            kind = "moved" if was and now else ("set" if now else "removed")
            events.append(Event("aliases", kind, model, None, alias, was, now, before, after,
                                breaking=bool(summary and summary.breaking), summary=summary))
    events += _map_events("tags", model, None, old["tags"], new["tags"], (before, after))
    if old["description"] != new["description"]:
        events.append(Event("description", _kind(old["description"], new["description"]), model, None,
                            "description", old["description"], new["description"], before, after))
    return events


def _alias_summary(view: StoreView, model: str, versions: tuple, seen: Snap, gap: float):
    """What changed with an alias move: the old target just before the move was seen, against the new
    target as the capture that saw the move found it (a capture writes a model's versions one by one)."""
    was, now = versions
    if not (was and now):
        return None
    old = _last_before(view.by_version.get((model, was), []), seen.stem)
    new = _in_capture(view.by_version.get((model, now), []), seen.stem, gap)
    if old is None or new is None:
        return None
    return summarize(diff_docs(view.load(old), view.load(new), _CONTENT))


def _last_before(snaps: list[Snap], stem: str) -> Snap | None:
    return next((s for s in reversed(snaps) if s.stem < stem), None)


def _in_capture(snaps: list[Snap], stem: str, gap: float) -> Snap | None:
    """The newest of `snaps` written by the capture that wrote `stem` (or before it)."""
    moment = st.seconds(stem)
    within = [s for s in snaps if s.stem <= stem or st.seconds(s.stem) - moment <= gap]
    return within[-1] if within else None


# An alias move or a new version is summarized by what the model is, not by registry bookkeeping.
_CONTENT = DiffOptions(only=("signature", "requirements", "flavors", "params", "metrics", "artifacts", "datasets"))


def _map_events(section: str, model: str, version: str | None, old: dict, new: dict, seen: tuple) -> list[Event]:
    return [Event(section, _kind(old.get(k), new.get(k)), model, version, k, old.get(k), new.get(k), *seen)
            for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]


def _kind(old, new) -> str:
    """An empty description is what MLflow returns for none: setting one is `set`, clearing it `removed`."""
    return "set" if old in (None, "") else ("removed" if new in (None, "") else "changed")


def _iso(snap: Snap | None) -> str | None:
    return stem_to_iso(snap.stem) if snap is not None else None


def _version_events(view: StoreView, model: str, version: str, since: str, until: str) -> list[Event]:
    snaps = view.by_version[(model, version)]
    prev = newest_at(snaps, since) if since else None
    events = []
    for snap in between(snaps, since, until):
        if prev is None:
            events.append(_appeared(view, model, version, snap))
        else:
            events += _step(view, model, version, (prev, snap))
        prev = snap
    return events


def _appeared(view: StoreView, model: str, version: str, snap: Snap) -> Event:
    """A new version, summarized against the highest lower version there was when it appeared."""
    lower = [v for v in view.versions_of[model] if v != version and version_order(v) < version_order(version)]
    earlier = [(v, newest_at(view.by_version[(model, v)], snap.stem)) for v in lower]
    earlier = [(v, s) for v, s in earlier if s is not None]
    if not earlier:
        return Event("versions", "appeared", model, version, None, after=_iso(snap))
    v, other = max(earlier, key=lambda pair: version_order(pair[0]))
    summary = summarize(diff_docs(view.load(other), view.load(snap), _CONTENT))
    return Event("versions", "appeared", model, version, None, old=v, after=_iso(snap),
                 detail=f"compared with v{v}", breaking=bool(summary.breaking), summary=summary)



def _step(view: StoreView, model: str, version: str, pair: tuple[Snap, Snap]) -> list[Event]:
    old, new = view.load(pair[0]), view.load(pair[1])
    if _version_part(old) == _version_part(new):
        return []  # only the registered model changed (reported once, as the model's events)
    seen = (_iso(pair[0]), _iso(pair[1]))
    events, content = [], []
    result = diff_docs(old, new)
    for c in result.changes:
        if c.path.startswith(_MODEL_PARTS) or c.section == "aliases":
            continue
        if c.path.startswith("model_version.tags."):
            events.append(Event("tags", _kind(c.old, c.new), model, version, c.path[19:], c.old, c.new, *seen))
        elif c.path == "model_version.description":
            events.append(Event("description", _kind(c.old, c.new), model, version, "description", c.old, c.new, *seen))
        elif c.section == "status" and c.path.startswith("model_version."):
            events.append(Event("status", "changed", model, version, c.path[14:], c.old, c.new, *seen))
        else:
            content.append(c)
    if content:
        summary = summarize(type(result)(result.left, result.right, content))
        events.append(Event("content", "changed", model, version, None, before=seen[0], after=seen[1],
                            breaking=bool(summary.breaking), summary=summary,
                            detail=f"snap diff {shlex.quote(str(pair[0].path))} {shlex.quote(str(pair[1].path))}"))
    return events


def _version_part(doc: dict) -> dict:
    mv = dict(doc.get("model_version") or {})
    mv.pop("aliases", None)
    mv.pop("last_updated_timestamp", None)
    return {**doc, "manifest": None, "registered_model": None, "model_version": mv}
