"""Benchmark: the store at registry scale (#10), on local disk and on a local S3 API server.

    .venv/bin/python bench/store_bench.py [--snapshots 100000] [--root /tmp/snap-store-bench]
                                          [--repeats 3] [--capture-versions 40] [--skip-s3]

Synthesizes a store of `--snapshots` snapshots from the real captured ones in
fixtures/captured/ (100 models x 50 versions x 20 captures at 100,000; model, version,
capture time and one tag vary, and each document is sealed again with
snapshot.formats.document.seal), once under `--root` (reused when it is there),
with its index written as `snap reindex` would write it. Then, each command as
its own process (median of `--repeats`):

- `snap list --format json` (target < 1 s), `snap log NAME/5` (< 0.5 s),
- `snap diff NAME/5 NAME/6` against the same two files given as paths (within 1.3x),
- `snap sql` of README's newest-snapshot question (< 1 s), over the dataset the synthesis
  appends as one capture run would; the JSON snapshots' size against the dataset's,
- `snap capture --all` into s3:// on moto's server against a local folder (within 1.2x),
  from a real `mlflow server` populated with `--capture-versions` versions.

Every server it starts listens on 127.0.0.1 and is stopped at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

from bench.dataset_bench import QUESTION, folder_size  # noqa: E402
from snapshot.formats.document import dumps, seal  # noqa: E402
from snapshot.store.backend import open_store  # noqa: E402
from snapshot.store.index import MODELS as INDEX_MODELS  # noqa: E402
from snapshot.store.index import Rows, compact, folder_of, row_of  # noqa: E402
from snapshot.store.layout import file_stem, version_folder  # noqa: E402

SNAP = [sys.executable, "-m", "snap.cli"]
CAPTURED = HERE.parent / "fixtures" / "captured"
MODELS, CAPTURES = 100, 20  # models at full size, captures of each version


def synthesize(root: Path, total: int) -> Path:
    """A store of `total` snapshots under root/store, its index and its Parquet dataset (kept for the next run)."""
    from snapshot.dataset.location import append_to_store

    store = root / f"store-{total}"
    if (store / INDEX_MODELS).is_dir() and (store / "parquet").is_dir():
        return store
    rows: list[dict] = []
    append_to_store(open_store(store), _documents(store, total, rows))  # the dataset, as one capture run adds it
    write_index(store, rows)
    return store


def _documents(store: Path, total: int, rows: list[dict]):
    """Each synthesized document, after its JSON is written into `store` and its index row into `rows`."""
    bases = [json.loads(p.read_text()) for p in sorted(CAPTURED.rglob("*.json"))]
    versions = 50 if total >= MODELS * 50 * CAPTURES else 10  # 100 models x 50 versions x 20 captures at 100,000
    started = time.monotonic()
    for n in range(total):
        model, rest = divmod(n, versions * CAPTURES)
        version, capture = divmod(rest, CAPTURES)
        doc = json.loads(json.dumps(bases[n % len(bases)]))
        name, ver = f"Model{model:03d}", str(version + 1)
        at = f"2026-{1 + capture // 28 % 12:02d}-{1 + capture % 28:02d}T02:00:{n % 60:02d}.{n % 1000000:06d}Z"
        doc["manifest"].update(model_name=name, model_version=ver, requested_uri=f"models:/{name}")
        doc["model_version"].update(name=name, version=ver)
        doc["model_version"].setdefault("tags", {})["nightly"] = str(capture)  # dedupe: consecutive ones differ
        doc["registered_model"]["name"] = name
        seal(doc, at)
        path = f"{version_folder(name, ver)}/{file_stem(at)}"
        (store / path).parent.mkdir(parents=True, exist_ok=True)
        (store / f"{path}.json").write_text(dumps(doc), encoding="utf-8")
        rows.append(row_of(doc, path, ["json"]))
        if n and n % 10000 == 0:
            print(f"  built {n} snapshots ({time.monotonic() - started:.0f}s)", file=sys.stderr)
        yield doc


def write_index(store: Path, rows: list[dict]) -> None:
    """The index as `snap reindex` writes it: one sorted segment a model."""
    target, parts = open_store(store), {}
    for row in rows:
        parts.setdefault(folder_of(row), Rows(folder_of(row))).add(row)
    for part in parts.values():
        compact(target, part)


def timed(cmd: list[str], repeats: int, env: dict | None = None, server: int = 0) -> tuple[float, ...]:
    """Median wall seconds and median CPU seconds (user + system of the process) of a command; with a
    `server` pid, the median CPU seconds that server spent meanwhile too."""
    import resource

    walls, cpus, served = [], [], []
    for _ in range(repeats):
        before, server_before = resource.getrusage(resource.RUSAGE_CHILDREN), _cpu_of(server)
        start = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        served.append(_cpu_of(server) - server_before)
        if proc.returncode not in (0, 1):
            raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr}")
    return (statistics.median(walls), statistics.median(cpus)) + ((statistics.median(served),) if server else ())


def _cpu_of(pid: int) -> float:
    """User + system CPU seconds of a process (Linux /proc), 0 without one."""
    if not pid:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _show(name: str, t: tuple[float, ...], target: str = "") -> str:
    server = f" (+ {t[2]:.2f}s of the S3 server's cpu)" if len(t) > 2 else ""
    return f"{name} {t[0]:.2f}s wall / {t[1]:.2f}s cpu{server}{f' (target {target})' if target else ''}"


def offline(store: Path | str, repeats: int, label: str, env: dict | None = None, server: int = 0) -> dict:
    s = ["--store", str(store)]  # a folder, or an s3:// URL
    listing = json.loads(subprocess.run([*SNAP, "list", "--format", "json", *s], capture_output=True, text=True,
                                        env=env, check=True).stdout)
    paths = {(r["model"], r["version"]): r["path"] for r in listing}
    a, b = paths[("Model007", "5")], paths[("Model007", "6")]
    out = {"snapshots": len(listing),
           "list": timed([*SNAP, "list", "--format", "json", *s], repeats, env, server),
           "log": timed([*SNAP, "log", "Model007/5", *s], repeats, env, server),
           "diff_refs": timed([*SNAP, "diff", "Model007/5", "Model007/6", *s], repeats, env, server),
           "diff_paths": timed([*SNAP, "diff", a, b], repeats, env, server),
           "sql": timed([*SNAP, "sql", QUESTION, "--format", "csv", *s], repeats, env, server)}
    ratio = out["diff_refs"][0] / out["diff_paths"][0], out["diff_refs"][1] / out["diff_paths"][1]
    print(f"{label}: {out['snapshots']} snapshots; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print("  " + _show("snap list --format json", out["list"], "< 1 s"))
    print("  " + _show("snap log NAME/5", out["log"], "< 0.5 s"))
    print("  " + _show("snap diff NAME/5 NAME/6", out["diff_refs"]) + ", " + _show("same two files as paths",
          out["diff_paths"]) + f" = {ratio[0]:.2f}x wall / {ratio[1]:.2f}x cpu (target < 1.3x)")
    print("  " + _show("snap sql (which newest snapshots pin scikit-learn below 1.4)", out["sql"], "< 1 s"))
    return out


def sizes(store: Path) -> None:
    """The JSON snapshots' bytes against the dataset's."""
    dataset = folder_size(str(store / "parquet"))
    snapshots = sum(p.stat().st_size for p in store.rglob("*.json") if p.relative_to(store).parts[0][0] != ".")
    print(f"  store size: JSON snapshots {snapshots / 1e6:.1f} MB, Parquet dataset {dataset / 1e6:.1f} MB "
          f"({100 * dataset / snapshots:.1f}%; target: no larger than the JSON)")


def capture_compare(s3, versions: int, repeats: int, root: Path) -> None:
    from tests.support.populate import populate_model
    from tests.support.servers import mlflow_server

    with mlflow_server(root / "mlflow") as uri:
        for m in range(4):
            populate_model(uri, f"Cap{m}", versions // 4, params=10, metrics=10, tags=10)
        env = {**os.environ, **s3.env}
        local_times, s3_times = [], []
        for i in range(repeats):
            cmd = [*SNAP, "capture", "--all", "--tracking-uri", uri, "--workers", "8", "--no-resume"]
            local_times.append(timed([*cmd, "--store", str(root / f"cap-local-{i}")], 1, env))
            s3_times.append(timed([*cmd, "--store", f"{s3.bucket('capture')}/run-{i}"], 1, env))
    lt, st = statistics.median(t[0] for t in local_times), statistics.median(t[0] for t in s3_times)
    lc, sc = statistics.median(t[1] for t in local_times), statistics.median(t[1] for t in s3_times)
    print(f"capture --all ({versions} versions): local {lt:.2f}s wall / {lc:.2f}s cpu, s3:// {st:.2f}s wall / "
          f"{sc:.2f}s cpu = {st / lt:.2f}x wall (target < 1.2x)")


def upload(s3, store: Path, bucket: str) -> str:
    """Put a local store's files into a bucket as `aws s3 sync` would; the store's s3:// URL."""
    from concurrent.futures import ThreadPoolExecutor

    url, client = s3.bucket(bucket) + "/store", s3.client()
    files = [p for p in store.rglob("*") if p.is_file()]
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda p: client.put_object(Bucket=bucket, Key=f"store/{p.relative_to(store).as_posix()}",
                                                  Body=p.read_bytes()), files))
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--snapshots", type=int, default=100_000)
    parser.add_argument("--root", type=Path, default=Path("/tmp/snap-store-bench"))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--capture-versions", type=int, default=40)
    parser.add_argument("--skip-s3", action="store_true")
    parser.add_argument("--capture-only", action="store_true", help="only the capture into s3:// against a folder")
    parser.add_argument("--s3-snapshots", type=int, default=10_000, help="size of the store timed on the S3 server")
    args = parser.parse_args()
    args.root.mkdir(parents=True, exist_ok=True)
    if args.capture_only:
        from tests.support.s3 import s3_server

        with s3_server() as s3:
            capture_compare(s3, args.capture_versions, args.repeats, args.root / f"run-{int(time.time())}")
        return
    store = synthesize(args.root, args.snapshots)
    offline(store, args.repeats, "local")
    sizes(store)
    if args.skip_s3:
        return
    from tests.support.s3 import s3_server

    with s3_server() as s3:
        env = {**os.environ, **s3.env}
        url = upload(s3, synthesize(args.root, args.s3_snapshots), "offline")
        offline(url, args.repeats, "s3://", env, s3.pid)
    with s3_server() as s3:  # a server of its own: moto holding the store above answers every request slower
        capture_compare(s3, args.capture_versions, args.repeats, args.root / f"run-{int(time.time())}")


if __name__ == "__main__":
    main()
