"""The trial's `@{WHEN}` checks (report, diff, log, sql) and `snap compare` checks, offline.

What a reference should give is worked out from `snap list` (every snapshot with
its capture time) and from what the trial planted, not from snap's history code.
"""

from __future__ import annotations

import json
import re

from history_trial_checks import Trial
from history_trial_registry import CREDIT, FRAUD, LEGACY, MODERN, PRICING, SCRATCH

# (model, alias or None, version or None, at capture N's end, expected version or None, next capture or set)
# Expected None: the reference must fail, with that text in its message.
_REFS = [
    (FRAUD, "champion", None, 0, "3", {1}),
    (FRAUD, "champion", None, 1, "4", {2}),
    (FRAUD, "champion", None, 2, "3", {3, None}),  # capture 3 saw no change, so it wrote nothing
    (FRAUD, "challenger", None, 0, "5", {1}),
    (FRAUD, "challenger", None, 1, None, "alias 'challenger'"),
    (FRAUD, None, "2", 0, "2", {1}),  # capture 1 is the one that found it gone
    (FRAUD, None, "2", 1, None, "gone"),
    (FRAUD, None, "6", 1, "6", {2}),
    (CREDIT, "prod", None, 1, "1", {2}),
    (CREDIT, None, "3", 0, None, "no snapshot at or before"),
    (CREDIT, None, "3", 1, "3", {2}),
]

# The versions each capture's registry held (what `snap sql --at` should list in `latest`).
_STATE = {
    0: {FRAUD: "123456", CREDIT: "12", LEGACY: "12", SCRATCH: "1"},
    1: {FRAUD: "13456", CREDIT: "123", LEGACY: "12", SCRATCH: "1"},
    2: {FRAUD: "134567", CREDIT: "123", MODERN: "12", PRICING: "1"},
}


def _listing(trial: Trial) -> list[dict]:
    data = json.loads(trial.run("list", "--store", trial.a, "--format", "json").stdout)
    return data["snapshots"] if isinstance(data, dict) else data


def _expected(rows: list[dict], model: str, version: str, at: str) -> dict | None:
    own = sorted((r for r in rows if r["model"] == model and r["version"] == version), key=lambda r: r["captured_at"])
    before = [r for r in own if r["captured_at"] <= at]
    return before[-1] if before else None


def _note(trial: Trial, stderr: str, model: str, version: str, row: dict, nexts) -> tuple[bool, str]:
    """The `as captured at X (next capture Y)` line: X the expected snapshot, Y in an expected capture."""
    m = re.search(rf"{re.escape(model)} v{version} as captured at (\S+) \(next capture ([^)]+)\)", stderr)
    if not m:
        return False, f"no note for {model} v{version} in {stderr!r}"
    y = None if m.group(2) == "none yet" else trial.capture_of(m.group(2))
    ok = m.group(1) == row["captured_at"] and y in nexts
    return ok, f"note {m.group(0)!r}: want X {row['captured_at']}, next capture in {nexts} (got capture {y})"


def _ref_text(model, alias, version, at) -> str:
    return f"{model}@{alias}@{{{at}}}" if alias else f"{model}/{version}@{{{at}}}"


def check_refs(trial: Trial) -> None:
    rows = _listing(trial)
    ends = [end for _, end in trial.captures]
    print(f"\n# @{{WHEN}} references ({len(rows)} snapshots in store A)")
    for model, alias, version, n, want, nexts in _REFS:
        ref = _ref_text(model, alias, version, ends[n])
        report = trial.run("report", ref, "--store", trial.a)
        if want is None:
            ok = report.returncode not in (0, 1) and nexts in report.stderr
            trial.check(f"report {ref}: refused ({nexts})", ok, f"exit {report.returncode}: {report.stderr}")
            continue
        row = _expected(rows, model, want, ends[n])
        direct = trial.run("report", row["path"])
        ok, detail = _note(trial, report.stderr, model, want, row, nexts)
        same = report.returncode == 0 and report.stdout == direct.stdout
        trial.check(f"report {ref}: v{want} as captured at {row['captured_at']}", ok and same,
                    detail if not ok else f"exit {report.returncode}, report differs from {row['path']}")
        log = trial.run("log", ref, "--store", trial.a, "--format", "json")
        stamps = set(re.findall(r'"captured_at": "([^"]+)"', log.stdout))
        ok = log.returncode == 0 and row["captured_at"] in stamps and max(stamps) == row["captured_at"]
        trial.check(f"log {ref}: ends at {row['captured_at']}", ok, f"exit {log.returncode}, stamps {sorted(stamps)}"
                    f" {log.stderr}")
    _diff(trial, rows, ends)
    _sql(trial, ends)


def _diff(trial: Trial, rows: list[dict], ends: list[str]) -> None:
    left, right = f"{FRAUD}@champion@{{{ends[0]}}}", f"{FRAUD}@champion@{{{ends[1]}}}"
    paths = [_expected(rows, FRAUD, v, ends[i])["path"] for v, i in (("3", 0), ("4", 1))]
    for fmt in ("json", "text", "md"):
        by_ref = trial.run("diff", left, right, "--store", trial.a, "--format", fmt)
        direct = trial.run("diff", *paths, "--format", fmt)
        notes = by_ref.stderr.count("as captured at")
        ok = by_ref.returncode == direct.returncode == 1 and by_ref.stdout == direct.stdout and notes == 2
        trial.check(f"diff {left} {right} --format {fmt}: v3 then → v4 then, as the files", ok,
                    f"exit {by_ref.returncode}/{direct.returncode}, {notes} notes, same output: "
                    f"{by_ref.stdout == direct.stdout}; {by_ref.stderr}")


def _sql(trial: Trial, ends: list[str]) -> None:
    query = "SELECT model, version FROM latest ORDER BY model, version_int"
    for n, state in _STATE.items():
        proc = trial.run("sql", "--store", trial.a, "--at", ends[n], "--format", "csv", query)
        got = sorted(tuple(line.split(",", 1)) for line in proc.stdout.splitlines()[1:] if line)
        want = sorted((m if "," not in m else f'"{m}"', v) for m, vs in state.items() for v in vs)
        trial.check(f"sql --at capture {n}: latest holds the versions the registry held", got == want,
                    f"exit {proc.returncode} {proc.stderr}; extra {sorted(set(got) - set(want))}, "
                    f"missing {sorted(set(want) - set(got))}")


def check_compare(trial: Trial) -> None:
    print(f"\n# snap compare {trial.a} {trial.b}")
    outs = {fmt: trial.run("compare", trial.a, trial.b, "--format", fmt) for fmt in ("json", "text", "md")}
    data = json.loads(outs["json"].stdout)
    pairs = {(p["left"]["model"], p["left"]["version"]): p for p in data["pairs"]}
    for (model, version), b in sorted(trial.mapping.items()):
        if b is None:
            continue
        p = pairs.get((model, version))
        got = (p["right"]["model"], p["right"]["version"]) if p else None
        paths = sorted(c["path"] for c in p["changes"]) if p else []
        want = ["run.metrics.auc"] if (model, version) == (FRAUD, "5") else []
        trial.event(f"migration: {model} v{version} matched to B's v{b[1]}"
                    f"{' with auc changed' if want else ', no differences'}", got == b and paths == want,
                    f"matched to {got}, differences {paths}")
    left_only = [(v["model"], v["version"]) for v in data["left_only"]]
    trial.event(f"migration: {FRAUD} v6 left out is reported left only", (FRAUD, "6") in left_only, str(left_only))
    others = {"left only": [x for x in left_only if x != (FRAUD, "6")], "right only": data["right_only"],
              "ambiguous": data["ambiguous"], "unmatched pairs": [k for k in pairs if k not in trial.mapping]}
    trial.check("compare: nothing else (no other one-sided, ambiguous or extra pairs)",
                not any(others.values()), json.dumps(others, ensure_ascii=False, default=str)[:1500])
    codes = {f: o.returncode for f, o in outs.items()}
    trial.check("compare: exit 1 (they differ) in every format", set(codes.values()) == {1}, str(codes))
    heads = [outs["text"].stdout.splitlines()[0], outs["md"].stdout.splitlines()[0].removeprefix("## ")]
    rows = len(data["pairs"]) + len(data["left_only"]) + len(data["right_only"]) + len(data["ambiguous"])
    text_rows = len([x for x in outs["text"].stdout.splitlines()[1:] if x.startswith("  ") and x[2] != " "])
    md_rows = len([x for x in outs["md"].stdout.splitlines() if x.startswith("| ") and not x.startswith("| |")])
    trial.check("compare: text, md and json agree", heads[0] == heads[1].replace("\\", "") and
                text_rows == md_rows == rows, f"{heads}; rows json {rows} text {text_rows} md {md_rows}")
    same = trial.run("compare", trial.b, trial.b)
    trial.check("compare B B: agree, exit 0", same.returncode == 0 and ": agree;" in same.stdout, same.stdout[:500])
