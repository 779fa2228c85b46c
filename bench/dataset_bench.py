"""The Parquet dataset at registry scale (#10): `snap sql`, `snap compact`, size, Spark.

Synthesizes SNAPSHOTS documents from the captured fixtures (fixtures/captured/**):
MODELS models x VERSIONS versions x CAPTURES nightly captures, each capture a
capture run that appends its documents to the dataset (one part per table and
partition), the runs spread over two months. Requirements pin scikit-learn in
the ways README's question must get right; the last capture re-pins some
versions, so "newest snapshot" matters. Then it prints:

- the time of README's newest-snapshot question through `snap sql` (process start
  to exit, median of 3) and in-process;
- part files per partition after each run and after `snap compact`;
- the dataset's size against the JSON snapshots it holds (canonical JSON, as the store writes them);
- a Spark read of one table, if pyspark is installed (`pip install pyspark`, Java 17).

Run: .venv/bin/python bench/dataset_bench.py [--snapshots 100000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from snapshot.dataset import append_to_dataset, compact_dataset, part_counts  # noqa: E402
from snapshot.dataset.parts import dataset_root  # noqa: E402
from snapshot.formats.document import content_hash, dumps  # noqa: E402

PINS = ["<1.4", "==1.4rc1", "~=1.3.0", ">=1.2,<1.5", "==1.10.0", "==1.3.2", "==1.4.2", ">=1.3"]
BELOW = {"<1.4", "==1.4rc1", "~=1.3.0", "==1.3.2"}  # the pins that allow only versions below 1.4
VERSIONS = 20
CAPTURES = 5
FIRST_RUN = datetime(2026, 11, 29, 2, 0, tzinfo=timezone.utc)  # runs cross into December: two partitions

QUESTION = """SELECT r.model, r.version, r.specifier
FROM requirements r JOIN latest USING (model, version, captured_at)
WHERE r.file = 'requirements.txt' AND r.name = 'scikit-learn'
  AND r.upper_key <= version_key('1.4')
ORDER BY r.model, r.version_int"""


def templates() -> list[str]:
    return [Path(p).read_text() for p in sorted(glob.glob(str(ROOT / "fixtures/captured/**/*.json"), recursive=True))]


def pin_of(model: int, version: int, capture: int) -> str:
    shift = 1 if capture == CAPTURES - 1 and version % 4 == 0 else 0  # the last run re-pins every 4th version
    return PINS[(model * VERSIONS + version + shift) % len(PINS)]


def synthesize(text: str, model: int, version: int, capture: int) -> dict:
    doc = json.loads(text)
    name, v = f"model-{model:05d}", str(version)
    captured = FIRST_RUN + timedelta(days=capture, seconds=model * VERSIONS + version)
    pin = f"scikit-learn{pin_of(model, version, capture)}"
    env = doc["environment"]
    lines = [line for line in env["requirements"]["raw"].splitlines() if not line.startswith("scikit-learn")]
    env["requirements"]["raw"] = "\n".join([*lines, pin])
    for dep in env["conda"]["parsed"]["dependencies"]:
        if isinstance(dep, dict):
            dep["pip"] = [x for x in dep["pip"] if not x.startswith("scikit-learn")] + [pin]
    doc["model_version"].update(name=name, version=v, aliases=["champion"] if version == VERSIONS else [])
    doc["registered_model"].update(name=name, aliases={"champion": str(VERSIONS), "previous": str(VERSIONS - 1)})
    for i, metric in enumerate((doc["run"].get("metrics") or {}).values()):
        metric["value"] = round(0.5 + ((model * 31 + version * 7 + i) % 400) / 1000, 3)
    doc["run"].setdefault("tags", {})["nightly"] = f"run {capture}"
    m = doc["manifest"]
    m.update(model_name=name, model_version=v, requested_uri=f"models:/{name}/{v}",
             captured_at=captured.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
    m["content_hash"] = content_hash(doc)
    return doc


class Run:
    """The documents of one nightly capture run, counting their JSON size as they pass."""

    def __init__(self, texts: list[str], models: int, capture: int):
        self.texts, self.models, self.capture, self.json_bytes, self.count = texts, models, capture, 0, 0

    def __iter__(self):
        for model in range(self.models):
            for version in range(1, VERSIONS + 1):
                doc = synthesize(self.texts[(model + version) % len(self.texts)], model, version, self.capture)
                self.json_bytes += len(dumps(doc).encode("utf-8"))
                self.count += 1
                yield doc


def folder_size(path: str) -> int:
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(path) for f in files)


def expected_answer(models: int) -> int:
    return sum(1 for m in range(models) for v in range(1, VERSIONS + 1) if pin_of(m, v, CAPTURES - 1) in BELOW)


def time_snap_sql(store: str) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds of the process, rows), medians of 3. CPU time shows the cost on a busy machine."""
    walls, cpus, rows = [], [], 0
    for _ in range(3):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "snap.cli", "sql", QUESTION, "--store", store, "--format", "csv"],
                              capture_output=True, text=True, check=True, cwd=ROOT)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        rows = len(proc.stdout.splitlines()) - 1
    return statistics.median(walls), statistics.median(cpus), rows


def time_in_process(store: str) -> float:
    from fsspec.implementations.local import LocalFileSystem

    from snapshot.dataset.query import run_query

    times = []
    for _ in range(3):
        start = time.perf_counter()
        run_query(LocalFileSystem(), store, QUESTION)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def spark_read(store: str) -> str:
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        return "pyspark not installed (pip install pyspark; needs Java 17)"
    spark = (SparkSession.builder.master("local[2]").appName("snap-bench")
             .config("spark.ui.enabled", "false").config("spark.sql.session.timeZone", "UTC").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    try:
        start = time.perf_counter()
        frame = spark.read.parquet(f"{dataset_root(store)}/requirements")
        count = frame.count()
        below = frame.where(f"name = 'scikit-learn' AND upper_key <= '{_key14()}'").count()
        took = time.perf_counter() - start
        types = dict(frame.dtypes)
        return (f"spark.read.parquet(STORE/parquet/requirements): {count:,} rows, {below:,} scikit-learn rows below 1.4, "
                f"captured_at {types['captured_at']}, version_int {types['version_int']}, "
                f"partition column captured_month; {took:.1f} s (pyspark {spark.version})")
    finally:
        spark.stop()


def _key14() -> str:
    from snapshot.dataset.versions import version_key

    return version_key("1.4")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--snapshots", type=int, default=100_000)
    parser.add_argument("--keep", help="build the store in this folder and keep it")
    parser.add_argument("--no-spark", action="store_true")
    parser.add_argument("--query-only", action="store_true", help="time the question again on the store at --keep")
    args = parser.parse_args()
    models = max(1, args.snapshots // (VERSIONS * CAPTURES))
    if args.query_only:
        report_query(args.keep, models)
        return
    store = args.keep or tempfile.mkdtemp(prefix="snap-dataset-bench-")
    from fsspec.implementations.local import LocalFileSystem

    fs, texts, json_bytes, total = LocalFileSystem(), templates(), 0, 0
    print(f"store {store}: {models} models x {VERSIONS} versions x {CAPTURES} capture runs")
    for capture in range(CAPTURES):
        run = Run(texts, models, capture)
        start = time.perf_counter()
        written = append_to_dataset(fs, store, run)
        json_bytes, total = json_bytes + run.json_bytes, total + run.count
        print(f"  run {capture + 1}: {run.count:,} snapshots appended in {time.perf_counter() - start:.0f} s, "
              f"{len(written)} part files")
    before = part_counts(fs, store)
    start = time.perf_counter()
    compact_dataset(fs, store)
    compact_took = time.perf_counter() - start
    after = part_counts(fs, store)
    print(f"\nsnapshots: {total:,}")
    print(f"part files per partition before compact: {_counts(before)}")
    print(f"part files per partition after snap compact ({compact_took:.0f} s): {_counts(after)}")
    size = folder_size(dataset_root(store))
    print(f"dataset {size / 1e6:,.1f} MB vs JSON snapshots {json_bytes / 1e6:,.1f} MB ({size / json_bytes:.1%})")
    report_query(store, models)
    if not args.no_spark:
        print(spark_read(store))
    if not args.keep:
        shutil.rmtree(store, ignore_errors=True)


def report_query(store: str, models: int) -> None:
    wall, cpu, rows = time_snap_sql(store)
    print(f"snap sql newest-snapshot question: {wall:.2f} s process start to exit ({cpu:.2f} s CPU; medians of 3), "
          f"{time_in_process(store):.2f} s in-process; {rows:,} rows, expected {expected_answer(models):,}; "
          f"load average {os.getloadavg()[0]:.1f}")


def _counts(counts: dict) -> str:
    per = sorted({n for table in counts.values() for n in table.values()})
    partitions = sorted({p for table in counts.values() for p in table})
    return f"{', '.join(partitions)}: {' or '.join(map(str, per))} per table"


if __name__ == "__main__":
    main()
