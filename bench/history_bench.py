"""`snap changes` for one night in which 1,000 of 100,000 stored versions changed (#11; target: under 3 s).

Builds a store from a real captured snapshot (fixtures/captured/Churn/v3): MODELS
models of VERSIONS versions each, all captured on night one, and CHANGED of them
(one per model, spread over the models) captured again on night two with a
metric moved and a param changed, as a retrained version would be. Every
snapshot is a full, sealed document. Then times `snap changes --store STORE`
(process start to exit, the default window: between the two newest captures;
each night's census, as `capture --all` leaves, lists every version)
and checks that it found exactly the CHANGED content changes.

    .venv/bin/python bench/history_bench.py [--models 1000] [--versions 100] [--changed 1000] [--root DIR]
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from snapshot.capture.census import DIRNAME as CENSUS_DIR
from snapshot.formats.document import dumps, seal
from snapshot.store.backend import open_store
from snapshot.store.index import append, row_of
from snapshot.store.layout import file_stem, version_folder

REPO = Path(__file__).resolve().parent.parent
BASE = REPO / "fixtures/captured/Churn/v3/20261126T214248.652548Z.json"


def _doc(base: dict, model: str, version: int, captured_at: str, retrained: bool) -> dict:
    doc = copy.deepcopy(base)
    doc["manifest"].update(model_name=model, model_version=str(version), requested_uri=f"models:/{model}")
    doc["model_version"].update(name=model, version=str(version))
    doc["registered_model"]["name"] = model
    doc["run"]["params"]["seed"] = str(version)
    if retrained:
        doc["run"]["metrics"]["accuracy"]["value"] += 0.01
        doc["run"]["params"]["C"] = "0.2"
    return seal(doc, captured_at)


def _write(store: Path, doc: dict, rows: list[dict]) -> None:
    """The JSON file where a capture puts it, and its index row (one index segment for the whole build)."""
    m = doc["manifest"]
    rel = f"{version_folder(m['model_name'], m['model_version'])}/{file_stem(m['captured_at'])}"
    (store / rel).parent.mkdir(parents=True, exist_ok=True)
    (store / f"{rel}.json").write_text(dumps(doc), encoding="utf-8")
    rows.append(row_of(doc, rel, ["json"]))


def build(store: Path, models: int, versions: int, changed: int) -> None:
    base = json.loads(BASE.read_text(encoding="utf-8"))
    every = max(1, models * versions // changed)
    rows: list[dict] = []
    for m in range(models):
        for v in range(1, versions + 1):
            index = m * versions + v - 1
            micros = index % 1_000_000
            night1 = f"2026-11-25T21:{30 + index // 1_000_000:02d}:00.{micros:06d}Z"
            _write(store, _doc(base, f"Model{m:04d}", v, night1, False), rows)
            if index % every == 0 and index // every < changed:
                night2 = night1.replace("2026-11-25", "2026-11-26")
                _write(store, _doc(base, f"Model{m:04d}", v, night2, True), rows)
    append(open_store(store), rows)
    listed = {f"Model{m:04d}": [str(v) for v in range(1, versions + 1)] for m in range(models)}
    for night in ("2026-11-25", "2026-11-26"):
        _census(store, listed, f"{night}T21:29:00.000000Z", f"{night}T21:59:00.000000Z")


def _census(store: Path, listed: dict, started: str, finished: str) -> None:
    """The roll call each night's `capture --all` leaves (snapshot/capture/census.py): every version listed."""
    body = {"format": 1, "started_at": started, "finished_at": finished, "failed": {}, "models": listed,
            "selection": {"all": True, "filter": None, "prompts": "exclude", "workspace": None}}
    path = store / CENSUS_DIR / f"{file_stem(finished)}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(body, sort_keys=True, separators=(",", ":")) + "\n", encoding="utf-8")


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_changes(store: Path, runs: int = 3) -> tuple[float, float, dict]:
    """Median wall time and median CPU time (user + sys) of `snap changes`, and its output."""
    walls, cpus, data = [], [], {}
    for _ in range(runs):
        start, cpu = time.perf_counter(), _cpu()
        proc = subprocess.run([sys.executable, "-m", "snap.cli", "changes", "--store", str(store), "--format", "json"],
                              capture_output=True, text=True, cwd=REPO)
        walls.append(time.perf_counter() - start)
        cpus.append(_cpu() - cpu)
        if proc.returncode not in (0, 1):
            raise SystemExit(f"snap changes exited {proc.returncode}: {proc.stderr}")
        data = json.loads(proc.stdout)
    return statistics.median(walls), statistics.median(cpus), data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", type=int, default=1000)
    parser.add_argument("--versions", type=int, default=100)
    parser.add_argument("--changed", type=int, default=1000)
    parser.add_argument("--root", type=Path, default=Path("/tmp/snap-history-bench"))
    parser.add_argument("--keep", action="store_true", help="reuse a store built before with the same sizes")
    args = parser.parse_args()
    store = args.root / f"store-{args.models}x{args.versions}-{args.changed}"
    if not (args.keep and store.is_dir()):
        shutil.rmtree(store, ignore_errors=True)
        start = time.perf_counter()
        build(store, args.models, args.versions, args.changed)
        print(f"built {args.models * args.versions:,} versions ({args.changed:,} changed) in {time.perf_counter() - start:.0f} s")
    seconds, cpu, data = time_changes(store)
    content = [e for e in data["events"] if e["section"] == "content"]
    print(f"snap changes: {seconds:.2f} s wall, {cpu:.2f} s CPU (medians of 3; load average "
          f"{os.getloadavg()[0]:.1f}), {len(data['events'])} events, {len(content)} content changes; "
          f"target < 3 s: {'met' if seconds < 3 else 'NOT met'}")
    if len(content) != args.changed or len(data["events"]) != args.changed:
        raise SystemExit(f"expected exactly {args.changed} content changes")


if __name__ == "__main__":
    main()
