"""`snap changes` for one night in which 1,000 of 100,000 stored versions changed (#11; target: under 3 s).

Builds a store from a real captured snapshot (fixtures/captured/Churn/v3): MODELS
models of VERSIONS versions each, all captured on night one, and CHANGED of them
(one per model, spread over the models) captured again on night two with a
metric moved and a param changed, as a retrained version would be. Every
snapshot is a full, sealed document. Then times `snap changes --store STORE`
(process start to exit, the default window: between the two newest captures)
and checks that it found exactly the CHANGED content changes.

    .venv/bin/python bench/history_bench.py [--models 1000] [--versions 100] [--changed 1000] [--root DIR]
"""

from __future__ import annotations

import argparse
import copy
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from snapshot.formats.document import seal
from snapshot.store.layout import write_to_store

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


def build(store: Path, models: int, versions: int, changed: int) -> None:
    base = json.loads(BASE.read_text(encoding="utf-8"))
    every = max(1, models * versions // changed)
    for m in range(models):
        for v in range(1, versions + 1):
            index = m * versions + v - 1
            micros = index % 1_000_000
            night1 = f"2026-11-25T21:{30 + index // 1_000_000:02d}:00.{micros:06d}Z"
            write_to_store(_doc(base, f"Model{m:04d}", v, night1, False), store, "json")
            if index % every == 0 and index // every < changed:
                night2 = night1.replace("2026-11-25", "2026-11-26")
                write_to_store(_doc(base, f"Model{m:04d}", v, night2, True), store, "json")


def time_changes(store: Path, runs: int = 3) -> tuple[float, dict]:
    times, data = [], {}
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "snap.cli", "changes", "--store", str(store), "--format", "json"],
                              capture_output=True, text=True, cwd=REPO)
        times.append(time.perf_counter() - start)
        if proc.returncode not in (0, 1):
            raise SystemExit(f"snap changes failed: {proc.stderr}")
        data = json.loads(proc.stdout)
    return statistics.median(times), data


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
    seconds, data = time_changes(store)
    content = [e for e in data["events"] if e["section"] == "content"]
    print(f"snap changes: {seconds:.2f} s (median of 3), {len(data['events'])} events, {len(content)} content changes; "
          f"target < 3 s: {'met' if seconds < 3 else 'NOT met'}")
    if len(content) != args.changed or len(data["events"]) != args.changed:
        raise SystemExit(f"expected exactly {args.changed} content changes")


if __name__ == "__main__":
    main()
