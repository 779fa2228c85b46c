"""Failures 1-5 of issue #14, checked on one store captured from one registry (bench/fidelity_trial.py).

Each function runs snap as a user would and tells the Trial what it saw. `label` names
the registry, so a FAIL line says where it happened.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from bench.fidelity_trial_common import Trial, clean_env, json_out, said, snap, snapshot_of, store_files
from bench.fidelity_trial_registry import CJK, EMOJI, MAIN, PARAM_JSON, RUN_TAG, SECRET, VERSION_TAG


def _diff(store: Path, left: str, right: str, *args: str):
    return snap("diff", f"{MAIN}/{left}", f"{MAIN}/{right}", "--store", str(store), *args)


def _paths(proc) -> dict:
    """path -> change of a `snap diff --format json` output."""
    return {c["path"]: c for c in (json_out(proc) or {}).get("changes", [])}


def check_pip_options(trial: Trial, label: str, store: Path) -> None:
    """1. An index change is a requirements change, in every format; options shown in the report."""
    fail_on = _diff(store, "1", "2", "--fail-on", "requirements")
    trial.check(f"{label} 1 index change fails --fail-on requirements", fail_on.returncode == 1, said(fail_on))
    for fmt in ("text", "md"):
        out = _diff(store, "1", "2", "--format", fmt)
        shown = out.stdout.replace("`", "").replace("\\", "")  # Markdown: `@pypi` kept inert, [ ] escaped
        trial.check(f"{label} 1 {fmt} diff shows the new index", "--index-url" in shown
                    and "https://[REDACTED]@pypi.evil.invalid/simple" in shown
                    and "https://pypi.corp.invalid/simple" in shown, said(out))
    changes = _paths(_diff(store, "2", "3", "--format", "json"))
    options = "environment.requirements.options."
    wanted = {f"{options}--extra-index-url": "added", f"{options}--constraint": "removed",
              f"{options}--requirement": "changed", f"{options}--trusted-host": "changed",
              f"{options}--find-links": "added", f"{options}--pre": "added"}
    seen = {path: changes.get(path, {}).get("kind") for path in wanted}
    trial.check(f"{label} 1 json diff v2->v3: extra index, -c, -r, trusted host, find-links, --pre", seen == wanted,
                str(seen))
    later = snap("report", f"{MAIN}/3", "--store", str(store)).stdout
    trial.check(f"{label} 1 report: --extra-index-url= and --find-links shown",
                "|--extra-index-url|https://mirror.corp.invalid/pypi|" in later
                and "|--find-links|https://wheels.corp.invalid/list?access_token=" in later, _section(later,
                                                                                                "requirements.txt"))
    report = snap("report", f"{MAIN}/1", "--store", str(store)).stdout
    options = ("|--index-url|https://pypi.corp.invalid/simple|", "|--trusted-host|pypi.corp.invalid|",
               "|--requirement|shared-base.txt|", "|--constraint|pins/constraints.txt|")
    trial.check(f"{label} 1 report lists every pip option", all(o in report for o in options),
                str([o for o in options if o not in report]))
    outputs = [report, snap("report", f"{MAIN}/3", "--store", str(store)).stdout,
               *(_diff(store, "1", "3", "--format", f).stdout for f in ("text", "md", "json"))]
    leaked = [str(p) for p in store.rglob("*") if p.is_file() and SECRET.encode() in p.read_bytes()]
    trial.check(f"{label} 1 index credential in no stored file and no output",
                not leaked and not any(SECRET in o for o in outputs), str(leaked))


def check_long_names(trial: Trial, label: str, store: Path, uri: str, capture_exit: int) -> None:
    """2. Names over 255 escaped bytes are stored, listed and read back by their real names."""
    trial.check(f"{label} 2 capture --all with long names exits 0", capture_exit == 0, f"exit {capture_exit}")
    for name in (EMOJI, CJK):
        one = snap("capture", f"models:/{name}@live", "--tracking-uri", uri, "--store", str(store.parent / "one"))
        trial.check(f"{label} 2 capture models:/NAME@live of a {len(name)}-character name", one.returncode == 0,
                    said(one))
    too_long = [str(p) for p in store.rglob("*") if len(p.name.encode()) > 255]
    trial.check(f"{label} 2 every store path part <= 255 bytes", not too_long, str(too_long[:2]))
    rows = json_out(snap("list", "--store", str(store), "--format", "json")) or []
    names = {row.get("model") for row in rows} if isinstance(rows, list) else set()
    trial.check(f"{label} 2 snap list names both long models", {EMOJI, CJK} <= names, str(sorted(names))[:300])
    for name in (EMOJI, CJK):
        report = snap("report", f"{name}@live", "--store", str(store))
        trial.check(f"{label} 2 report by real name ({len(name)} chars)",
                    report.returncode == 0 and name in report.stdout, said(report))
    diff = snap("diff", f"{EMOJI}/1", f"{CJK}/1", "--store", str(store), "--format", "json")
    trial.check(f"{label} 2 diff between the two long names", diff.returncode == 1 and json_out(diff) is not None,
                said(diff))


def _section(report: str, title: str) -> str:
    """The text of a report's `## title` section, up to the next header of that level or higher."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^#{{1,2}} )", report, re.S | re.M)
    return match.group(1) if match else ""


def check_report_facts(trial: Trial, label: str, store: Path) -> None:
    """3. Signature params and output columns, python_env.yaml, run files, JSON tags as stored."""
    report = snap("report", f"{MAIN}/3", "--store", str(store)).stdout
    params = ('|num_beams|string|"16"|', "|length_penalty|double|1.2|", '|stop_words|string|["###"]|[-1]|')
    trial.check(f"{label} 3 report shows signature params", all(p in report for p in params),
                str([p for p in params if p not in report]))
    trial.check(f"{label} 3 report names output columns", "|summary|string|" in report
                and "|confidence|double|" in report)
    env = _section(report, "python_env.yaml")
    trial.check(f"{label} 3 report shows python_env.yaml", "None found" not in env and "setuptools" in env
                and "3.11" in report, env[:200])
    trial.check(f"{label} 3 report lists run artifact files", "summary.csv" in report
                and "sample-044.txt" in report)
    trial.check(f"{label} 3 JSON run tag shown as stored", RUN_TAG in report)
    trial.check(f"{label} 3 JSON version tag shown as stored", VERSION_TAG in report)
    trial.check(f"{label} 3 JSON param shown as stored", PARAM_JSON in report)


def check_diff_display(trial: Trial, label: str, store: Path) -> None:
    """3. 16 vs "16" and empty vs absent are told apart in text, Markdown and JSON."""
    for fmt in ("text", "md"):
        out = _diff(store, "2", "3", "--format", fmt).stdout
        line = next((ln for ln in out.splitlines() if "num_beams.default" in ln), "")
        trial.check(f"{label} 3 {fmt} diff: default 16 -> \"16\" shown as a type change",
                    "16 (integer)" in line and '"16" (string)' in line, line or out[:300])
        out = _diff(store, "1", "2", "--format", fmt).stdout
        for key in ("reviewer_note", "run.params.prefix"):
            line = next((ln for ln in out.splitlines() if key in ln), "")
            trial.check(f"{label} 3 {fmt} diff: an empty {key} added is not shown as absent",
                        '""' in line and not re.search(r"—\s*(\|\s*)?—", line), line or out[:300])
    changes = _paths(_diff(store, "2", "3", "--format", "json"))
    beams = changes.get("mlmodel.parsed.signature.params.num_beams.default", {})
    trial.check(f"{label} 3 json diff: 16 -> \"16\"", beams.get("old") == 16 and beams.get("new") == "16", str(beams))
    note = _paths(_diff(store, "1", "2", "--format", "json")).get("model_version.tags.reviewer_note", {})
    trial.check(f"{label} 3 json diff: empty tag added", note.get("kind") == "added" and note.get("new") == "",
                str(note))


def check_hidden_changes(trial: Trial, label: str, store: Path) -> None:
    """4. Text and Markdown say how many changes tolerance, --only and --ignore left out."""
    for fmt in ("text", "md"):
        out = _diff(store, "1", "2", "--only", "metrics", "--tolerance", "rouge_l=0.01", "--format", fmt).stdout
        trial.check(f"{label} 4 {fmt}: 'within tolerance' when tolerance hid all", "1 within tolerance" in out
                    and "outside --only" in out, out[:300])
        out = _diff(store, "1", "2", "--ignore", "*", "--format", fmt).stdout
        trial.check(f"{label} 4 {fmt}: says --ignore hid every change", "no changes shown" in out
                    and "ignored by --ignore" in out, out[:300])


def check_tampering(trial: Trial, label: str, store: Path, work: Path) -> None:
    """5. A hand-edited snapshot is refused, read only when asked, marked modified, found by verify."""
    copy = work / f"tampered-{label}"
    shutil.copytree(store, copy)
    doc = snapshot_of(copy, MAIN, "2")
    path = Path(doc.pop("_path"))
    doc["run"]["params"]["decoder"] = "greedy"
    path.write_text(json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    report = snap("report", str(path))
    trial.check(f"{label} 5 report of an edited snapshot refused (exit 2)", report.returncode == 2
                and "--allow-modified" in report.stderr, said(report))
    diff = snap("diff", f"{MAIN}/1", f"{MAIN}/2", "--store", str(copy))
    trial.check(f"{label} 5 diff with an edited side refused (exit 2)", diff.returncode == 2, said(diff))
    by_env = snap("report", str(path), env=clean_env(SNAP_ALLOW_MODIFIED="1"))
    trial.check(f"{label} 5 SNAP_ALLOW_MODIFIED=1 reads it", by_env.returncode == 0, said(by_env))
    allowed = snap("report", str(path), "--allow-modified")
    trial.check(f"{label} 5 --allow-modified report warns", allowed.returncode == 0
                and "modified" in allowed.stdout[:2000].lower() and "greedy" in allowed.stdout, said(allowed))
    marked = json_out(snap("diff", f"{MAIN}/1", str(path), "--store", str(copy), "--allow-modified",
                           "--format", "json")) or {}
    trial.check(f"{label} 5 --allow-modified diff JSON marks the side", marked.get("right", {}).get("modified") is True,
                str(marked.get("right")))
    proc = snap("verify", str(copy))
    trial.check(f"{label} 5 verify finds the edit (exit 1, MODIFIED)", proc.returncode == 1 and "MODIFIED" in proc.stdout
                and path.name in proc.stdout, said(proc))
    check_other_edits(trial, label, copy)
    clean, files = json_out(snap("verify", str(store), "--format", "json")) or {}, len(store_files(store))
    trial.check(f"{label} 5 verify of the untouched store: all {files} OK",
                files > 0 and clean.get("summary", {}).get("ok") == files, str(clean.get("summary")))


def check_other_edits(trial: Trial, label: str, store: Path) -> None:
    """5. A Parquet twin rewritten with another description, and a JSON whose capture time was moved back."""
    from snapshot.formats.parquet import parquet_bytes, read_parquet

    parquet = Path(snapshot_of(store, MAIN, "3")["_path"]).with_suffix(".parquet")
    doc = read_parquet(parquet)
    doc["model_version"]["description"] = "approved by model risk"
    parquet.write_bytes(parquet_bytes(doc))
    proc, report = snap("verify", str(parquet)), snap("report", str(parquet))
    trial.check(f"{label} 5 an edited Parquet twin: verify MODIFIED, report refused", proc.returncode == 1
                and "MODIFIED" in proc.stdout and report.returncode == 2, said(proc))
    doc = snapshot_of(store, MAIN, "1")
    path = Path(doc.pop("_path"))
    doc["manifest"]["captured_at"] = "2025-01-02T03:04:05.000006Z"
    path.write_text(json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    proc = snap("verify", str(path))
    # manifest.captured_at is left out of content_hash (docs/snapshot-format.md); the file name still says when.
    trial.check(f"{label} 5 a capture time moved back by hand: verify says MODIFIED",
                proc.returncode == 1 and "MODIFIED" in proc.stdout, said(proc))
