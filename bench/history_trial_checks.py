"""The checks of bench/history_trial.py: `snap changes`, `@{WHEN}` references and `snap compare`, offline.

Each planted event is a list of matchers (fields an event of `snap changes
--format json` must have); it passes when each matcher finds an event, and the
text and Markdown outputs show the same events. Any event no matcher expects is
a failure too ("nothing else").
"""

from __future__ import annotations

import json

from history_trial_registry import CREDIT, FRAUD, LEGACY, MODERN, PRICING, SCRATCH

_ANY = object()
EMPTY = frozenset({None, ""})


class Trial:
    def __init__(self, run, built: dict):
        self.run, self.a, self.b = run, str(built["a"]), str(built["b"])
        self.captures, self.mapping = built["captures"], built["mapping"]
        self.planted = self.planted_ok = self.checks = self.failed = 0

    def event(self, label: str, ok: bool, detail: str = "") -> None:
        self.planted += 1
        self.planted_ok += ok
        self.check(f"planted: {label}", ok, detail, count=False)

    def check(self, label: str, ok: bool, detail: str = "", count: bool = True) -> None:
        self.checks += count
        self.failed += not ok
        print(f"{'PASS' if ok else 'FAIL'}  {label}" + (f"\n        {detail}" if detail and not ok else ""))

    def capture_of(self, stem: str | None) -> int | None:
        """Which capture wrote a snapshot captured at `stem`."""
        for i, (start, end) in enumerate(self.captures):
            if stem and start <= stem <= end:
                return i
        return None

    def finish(self) -> int:
        print(f"\n{self.planted_ok}/{self.planted} planted events PASS; "
              f"{self.checks} other checks; {self.failed} failures in all")
        print("RESULT:", "PASS" if not self.failed else "FAIL")
        return 1 if self.failed else 0


def E(section, kind, model, *fields, **extra) -> dict:
    """A matcher: section, kind, model, then version, key, old, new as far as given (old and new: any if not)."""
    version, key, old, new = [*fields, *(None, None, _ANY, _ANY)[len(fields):]]
    m = {"section": section, "kind": kind, "model": model, "version": version, "key": key, **extra}
    m.update({k: v for k, v in (("old", old), ("new", new)) if v is not _ANY})
    return m


def matches(event: dict, m: dict) -> bool:
    summary = event.get("summary") or {}
    for key, want in m.items():
        if key.startswith("summary_"):
            if not any(want in line for line in summary.get(key[8:]) or ()):
                return False
        elif isinstance(want, frozenset):
            if event.get(key) not in want:
                return False
        elif event.get(key) != want:
            return False
    return True


def phrase(e: dict) -> str:
    """What a reader looks for in the text and Markdown changelogs."""
    target = f"v{e['version']}" if e["version"] else "model"
    if e["section"] == "aliases":
        return f"alias {e['key']} {e['kind']}"
    if e["section"] in ("versions", "models"):
        return f"{target} {e['kind']}"
    if e["section"] == "content":
        return f"{target} content changed"
    if e["section"] == "tags":
        return f"{target} tag {e['key']} {e['kind']}"
    return f"{target} {e['key']} {e['kind']}"


def _step1() -> list:
    return [
        ("Fraud: alias champion moved 3 → 4", [E("aliases", "moved", FRAUD, None, "champion", "3", "4")]),
        ("Fraud: alias challenger deleted", [E("aliases", "removed", FRAUD, None, "challenger", "5", None)]),
        ("Fraud: v2 deleted", [E("versions", "deleted", FRAUD, "2")]),
        ("Fraud: model tag team changed", [E("tags", "changed", FRAUD, None, "team", "risk", "fraud-ops")]),
        ("Fraud: model tag owner set", [E("tags", "set", FRAUD, None, "owner", None, "ana@example.com")]),
        ("Fraud: model description changed", [E("description", "changed", FRAUD, None, "description",
                                                "Card fraud scores, **v1** of the pipeline",
                                                "Card fraud scores, v2 of the pipeline")]),
        ("Fraud v5: tag validated set", [E("tags", "set", FRAUD, "5", "validated", None, "pending")]),
        ("Fraud v5: description set", [E("description", "set", FRAUD, "5", "description", EMPTY,
                                         "shadow traffic since Monday")]),
        (f"{CREDIT} v3: new version, breaking signature, pandas bump",
         [E("versions", "appeared", CREDIT, "3", breaking=True, summary_breaking="region", summary_requirements="pandas")]),
    ]


def _step2() -> list:
    return [
        ("Fraud: alias champion moved back 4 → 3", [E("aliases", "moved", FRAUD, None, "champion", "4", "3")]),
        ("Fraud v5: tag validated changed", [E("tags", "changed", FRAUD, "5", "validated", "pending", "passed")]),
        ("Fraud v5: tag candidate removed", [E("tags", "removed", FRAUD, "5", "candidate", "yes", None)]),
        ("Fraud v5: description changed", [E("description", "changed", FRAUD, "5", "description",
                                             "shadow traffic since Monday", "promoted after shadow traffic")]),
        ("Fraud: model tag team removed", [E("tags", "removed", FRAUD, None, "team", "fraud-ops", None)]),
        ("Fraud: model description removed", [E("description", "removed", FRAUD, None, "description",
                                                "Card fraud scores, v2 of the pipeline", EMPTY)]),
        (f"{CREDIT} v1: stage None → Production", [E("status", "changed", CREDIT, "1", "current_stage",
                                                     frozenset({None, "None"}), "Production")]),
        ("Fraud v6: metric auc moved on its run", [E("content", "changed", FRAUD, "6", breaking=False,
                                                     summary_metrics="auc")]),
        ("Fraud v7: new version, scikit-learn bump", [E("versions", "appeared", FRAUD, "7", breaking=False,
                                                        summary_requirements="scikit-learn")]),
        (f"{LEGACY} renamed {MODERN}", [E("models", "appeared", MODERN), E("versions", "appeared", MODERN, "1"),
                                        E("versions", "appeared", MODERN, "2"),
                                        {"model": LEGACY, "kind": frozenset({"deleted", "removed", "renamed"})}]),
        (f"{SCRATCH} deleted whole", [{"model": SCRATCH, "kind": frozenset({"deleted", "removed"})}]),
        (f"{PRICING}: new model", [E("models", "appeared", PRICING), E("versions", "appeared", PRICING, "1")]),
    ]


def _initial() -> list:
    versions = {FRAUD: range(1, 7), CREDIT: (1, 2), LEGACY: (1, 2), SCRATCH: (1,)}
    return [(f"initial: {m} and its {len(vs)} versions appeared",
             [E("models", "appeared", m)] + [E("versions", "appeared", m, str(v)) for v in vs])
            for m, vs in versions.items()]


def changes(trial: Trial, since: str, until: str) -> dict:
    """The changelog of one window in the three formats: {fmt: CompletedProcess}, and the JSON's events."""
    out = {fmt: trial.run("changes", "--store", trial.a, "--since", since, "--until", until, "--format", fmt)
           for fmt in ("json", "text", "md")}
    out["events"] = json.loads(out["json"].stdout)["events"] if out["json"].returncode in (0, 1) else []
    return out


def _formats_agree(out: dict) -> tuple[bool, str]:
    events, text, md = out["events"], out["text"].stdout, out["md"].stdout.replace("\\", "")
    codes = {out[f].returncode for f in ("json", "text", "md")}
    text_rows = [line for line in text.splitlines() if line.startswith("  ") and not line.startswith("      ")]
    md_rows = [line for line in md.splitlines() if line.startswith("| ") and not line.startswith("| model |")]
    missing = [phrase(e) for e in events if phrase(e) not in text or phrase(e) not in md]
    ok = len(codes) == 1 and len(text_rows) == len(md_rows) == len(events) and not missing
    return ok, f"exit codes {codes}, events json {len(events)} text {len(text_rows)} md {len(md_rows)}; missing {missing}"


def _window(trial: Trial, name: str, since: str, until: str, planted: list, count: bool) -> list[dict]:
    out = changes(trial, since, until)
    events = out["events"]
    print(f"\n# snap changes, {name}: --since {since} --until {until}: {len(events)} events")
    for label, matchers in planted:
        found = [any(matches(e, m) for e in events) for m in matchers]
        ok = all(found)
        detail = f"not found: {[m for m, f in zip(matchers, found) if not f]}"
        trial.event(label, ok, detail) if count else trial.check(label, ok, detail)
    every = [m for _, ms in planted for m in ms]
    extra = [e for e in events if not any(matches(e, m) for m in every)]
    trial.check(f"{name}: nothing else reported", not extra, "; ".join(_brief(e) for e in extra))
    want = 1 if planted else 0
    trial.check(f"{name}: exit {want}", out["json"].returncode == want, out["json"].stderr)
    ok, detail = _formats_agree(out)
    trial.check(f"{name}: text, md and json show the same {len(events)} events", ok, detail)
    return events


def _brief(e: dict) -> str:
    return f"{e['model']} {phrase(e)} {e.get('old')!r} → {e.get('new')!r}"


def _key(e: dict) -> tuple:
    return tuple(json.dumps(e.get(k), sort_keys=True) for k in ("section", "kind", "model", "version", "key",
                                                                  "old", "new", "before", "after"))


def check_changes(trial: Trial) -> None:
    ends = [end for _, end in trial.captures]
    _window(trial, "beginning → capture 0", "2000-01-01", ends[0], _initial(), count=False)
    one = _window(trial, "capture 0 → 1", ends[0], ends[1], _step1(), count=True)
    two = _window(trial, "capture 1 → 2", ends[1], ends[2], _step2(), count=True)
    _window(trial, "capture 2 → 3 (nothing changed)", ends[2], ends[3], [], count=False)
    span = changes(trial, ends[0], ends[2])
    print(f"\n# snap changes over the whole span, capture 0 → 2: {len(span['events'])} events")
    same = sorted(map(_key, span["events"])) == sorted(map(_key, one + two))
    trial.check("span 0 → 2 is exactly the events of 0 → 1 and 1 → 2", same)
    ok, detail = _formats_agree(span)
    trial.check("span 0 → 2: text, md and json agree", ok, detail)

