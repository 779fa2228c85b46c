"""Benchmark: snap's batch capture against the naive MlflowClient loop, and offline report/diff.

    .venv/bin/python bench/run.py [--versions 200] [--delay 0.05] [--workers 8] [--repeats 3]
                                  [--memory-versions 1000] [--results bench/RESULTS.md]

Starts a real `mlflow server` on 127.0.0.1 (SQLite, served artifacts) in a
temporary directory, populates it with MLflow's client (tests/support/populate.py), then,
against the server as started and through a proxy adding `--delay` seconds to
each request, runs each as its own process (bench/peak.py: wall time, peak RSS):
the naive loop (bench/naive.py), `snap capture models:/NAME` into an empty
store, and the same again (unchanged registry: dedupe and reuse). Then peak memory
of `snap capture` for `--memory-versions` versions, and the end-to-end time of
`snap report` / `snap diff` on two large snapshots against `python -c "import mlflow"`.
Every server it starts is stopped; all traffic stays on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

from bench.large import build_pair  # noqa: E402
from tests.support.populate import populate_model  # noqa: E402
from tests.support.servers import delaying_proxy, mlflow_server  # noqa: E402

PY = sys.executable
SNAP = [PY, "-m", "snap.cli"]
SUMMARY = re.compile(r"(\d+) versions in ([\d.]+)s .*?; (\d+) requests")


def measure(cmd: list[str]) -> dict:
    out = subprocess.run([PY, str(HERE / "peak.py"), "--", *cmd], capture_output=True, text=True, check=True)
    result = json.loads(out.stdout)
    if result["returncode"] not in (0, 1):
        raise RuntimeError(f"{' '.join(cmd)} exited {result['returncode']}:\n{result['stderr']}")
    return result


def naive(uri: str, name: str, out: Path) -> dict:
    run = measure([PY, str(HERE / "naive.py"), uri, name, str(out)])
    inner = json.loads(run["stdout"].strip().splitlines()[-1])
    return {"versions": inner["versions"], "seconds": inner["seconds"], "requests": inner["requests"],
            "wall": run["seconds"], "peak_mb": run["peak_mb"]}


def snap_capture(uri: str, name: str, store: Path, workers: int) -> dict:
    run = measure([*SNAP, "capture", f"models:/{name}", "--tracking-uri", uri, "--store", str(store),
                   "--workers", str(workers)])
    match = SUMMARY.search(run["stdout"])
    if not match:
        raise RuntimeError(f"no summary from snap capture:\n{run['stdout']}\n{run['stderr']}")
    versions, seconds, requests = int(match[1]), float(match[2]), int(match[3])
    return {"versions": versions, "seconds": seconds, "requests": requests, "wall": run["seconds"],
            "peak_mb": run["peak_mb"], "summary": run["stdout"].strip().splitlines()[-1]}


def _median_run(runs: list[dict]) -> dict:
    """The run with the median capture time (the upper middle one of an even number)."""
    return sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]


# One call per server in main(); the arguments are that server's row of the benchmark plan.
def capture_rows(uri: str, name: str, root: Path, label: str, workers: int, repeats: int,  # noqa: PLR0913
                 naive_repeats: int) -> list[dict]:
    """Naive loop, snap into an empty store, snap again unchanged: each the median of its repeats."""
    base = _median_run([naive(uri, name, root / f"naive-{label}-{i}") for i in range(naive_repeats)])
    firsts, agains = [], []
    for i in range(repeats):
        store = root / f"store-{label}" if i == 0 else root / f"store-{label}-{i}"
        firsts.append(snap_capture(uri, name, store, workers))
        agains.append(snap_capture(uri, name, store, workers))
    first, again = _median_run(firsts), _median_run(agains)
    rows = []
    for what, r in (("naive MlflowClient loop", base), ("snap capture (empty store)", first),
                    ("snap capture again (unchanged)", again)):
        rate = r["versions"] / r["seconds"]
        rows.append({"server": label, "what": what, "versions": r["versions"], "seconds": r["seconds"],
                     "wall": r["wall"], "rate": rate, "req_per_version": r["requests"] / r["versions"],
                     "peak_mb": r["peak_mb"], "ratio": rate / (base["versions"] / base["seconds"])})
    return rows


def register_many(uri: str, source_model: str, name: str, count: int) -> None:
    """`count` versions of `name`, registered from the logged models of `source_model` in turn."""
    from mlflow import MlflowClient

    client = MlflowClient(uri, registry_uri=uri)
    sources = [(mv.source, mv.run_id) for mv in client.search_model_versions(f"name='{source_model}'")]
    client.create_registered_model(name)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: client.create_model_version(
            name, sources[i % len(sources)][0], run_id=sources[i % len(sources)][1],
            model_id=sources[i % len(sources)][0].split("/")[-1], await_creation_for=0), range(count)))


def offline_rows(template: Path, root: Path, repeats: int = 5) -> list[dict]:
    a, b = build_pair(template, root / "large")
    cases = [("python -c 'import mlflow'", [PY, "-c", "import mlflow"]),
             ("snap report (large snapshot)", [*SNAP, "report", str(a)]),
             ("snap diff (two large snapshots)", [*SNAP, "diff", str(a), str(b)])]
    rows = []
    for label, cmd in cases:
        runs = [measure(cmd) for _ in range(repeats)]
        rows.append({"what": label, "median_s": statistics.median(r["seconds"] for r in runs),
                     "peak_mb": max(r["peak_mb"] for r in runs)})
    importtime = subprocess.run([PY, "-X", "importtime", *SNAP[1:], "diff", str(a), str(b)],
                                capture_output=True, text=True).stderr
    imports_mlflow = any(re.search(r"\|\s+mlflow(\.|$)", line.strip()) for line in importtime.splitlines())
    for row in rows[1:]:
        row["ratio"] = row["median_s"] / rows[0]["median_s"]
    return rows + [{"what": "offline commands import mlflow", "value": imports_mlflow}]


NOTES = """
Notes
- *capture s* is the capture itself (the naive loop's own timer; snap's summary line), without
  interpreter start and `import mlflow` (about 1.5 s); *process s* is process start to exit.
  Versions/s and the ratios use *capture s*. Each row is the median run (by capture s) of
  `--repeats` runs; the naive loop behind the proxy runs once (it takes over three minutes).
- Requests are counted at `requests.adapters.HTTPAdapter.send` (snapshot/sources/http_count.py) in both.
  snap's per-version floor is 6 for these models: the model folder's listing, its four metadata
  files (MLmodel, requirements.txt, conda.yaml, python_env.yaml; MLflow has no batch read for
  artifacts) and the run's artifact listing. Everything else is batched (search_model_versions,
  search_runs by run id, search_logged_models by model id, one experiment and one permission
  lookup per model) and amortised to ~0.04 per version.
- The proxy (tests/support/servers.py) holds each request for the delay, then forwards it over keep-alive
  connections to the same server.
- `snap diff` and `snap report` are diff/engine.py and report/render.py (not part of the batch work).
"""


def targets(capture: list[dict], memory: dict | None, offline: list[dict]) -> list[str]:
    """The issue's targets, each with what was measured and whether it is met."""
    by = {(r["server"], r["what"].split(" (")[0].split(" again")[0] + (" again" if "again" in r["what"] else "")): r
          for r in capture}
    local, slow = capture[0]["server"], capture[-1]["server"]
    checks = [
        (f"{slow}: snap ≥ 10× naive versions/s", by[(slow, "snap capture")]["ratio"], lambda v: v >= 10, "{:.1f}×"),
        (f"{local}: snap ≥ 3× naive versions/s", by[(local, "snap capture")]["ratio"], lambda v: v >= 3, "{:.1f}×"),
        (f"{local}: ≤ 5 requests per version", by[(local, "snap capture")]["req_per_version"], lambda v: v <= 5, "{:.2f}"),
        (f"{local}: unchanged re-capture ≥ 10× naive", by[(local, "snap capture again")]["ratio"], lambda v: v >= 10, "{:.1f}×"),
        (f"{slow}: unchanged re-capture ≥ 10× naive", by[(slow, "snap capture again")]["ratio"], lambda v: v >= 10, "{:.1f}×"),
    ]
    for row in offline:
        if "ratio" in row:
            checks.append((f"{row['what']} < 0.5× import mlflow", row["ratio"], lambda v: v < 0.5, "{:.2f}×"))
    if memory:
        checks.append((f"peak memory, {memory['versions']} versions < 300 MB", memory["peak_mb"], lambda v: v < 300, "{:.0f} MB"))
    lines = ["| target | measured | met |", "|---|---:|---|"]
    lines += [f"| {label} | {fmt.format(value)} | {'yes' if ok(value) else '**no**'} |" for label, value, ok, fmt in checks]
    return lines


def header(argv: list[str]) -> list[str]:
    import platform

    import mlflow

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    return ["# snap capture benchmark", "", "Produced by:", "", "```",
            " ".join([".venv/bin/python", "bench/run.py", *argv]), "```", "",
            f"Machine: {os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}, MLflow {mlflow.__version__}, "
            f"server `mlflow server --workers 1` (SQLite, served artifacts) on 127.0.0.1.", ""]


def render(args, capture: list[dict], memory: dict | None, offline: list[dict]) -> str:
    lines = ["| server | what | versions | capture s | process s | versions/s | requests/version | peak MB | × naive |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    lines += [f"| {r['server']} | {r['what']} | {r['versions']} | {r['seconds']:.1f} | {r['wall']:.1f} | "
              f"{r['rate']:.1f} | {r['req_per_version']:.2f} | {r['peak_mb']:.0f} | {r['ratio']:.1f} |" for r in capture]
    if memory:
        lines += ["", f"Peak memory, `snap capture` of {memory['versions']} versions (local server): "
                      f"**{memory['peak_mb']:.0f} MB** ({memory['summary']}). These versions are registered from the "
                      f"{args.versions} logged models of BenchModel in turn, so most reuse model files "
                      "fetched earlier in the same run."]
    lines += ["", "| offline, process start to exit (median of 5) | seconds | × `import mlflow` | peak MB |",
              "|---|---:|---:|---:|"]
    lines += [f"| {r['what']} | {r['median_s']:.2f} | {r.get('ratio', 1.0):.2f} | {r['peak_mb']:.0f} |"
              for r in offline if "median_s" in r]
    lines.append(f"\n`snap report`/`snap diff` import mlflow: {offline[-1]['value']} (python -X importtime)")
    if memory and len(offline) > 1:
        lines += ["", *targets(capture, memory, offline), NOTES]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--versions", type=int, default=200)
    parser.add_argument("--delay", type=float, default=0.05)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--memory-versions", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3,
                        help="runs of each capture, the median reported (the naive loop behind the proxy runs once)")
    parser.add_argument("--results", type=Path, default=None, help="also write the tables to this Markdown file")
    args = parser.parse_args()
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    with tempfile.TemporaryDirectory(prefix="snap-bench-") as tmp:
        root = Path(tmp)
        with mlflow_server(root / "server") as uri:
            populate_model(uri, "BenchModel", args.versions)
            capture = capture_rows(uri, "BenchModel", root, "local", args.workers, args.repeats, args.repeats)
            print(render(args, capture, None, [{"value": None}]), flush=True)
            with delaying_proxy(uri, args.delay) as slow_uri:
                capture += capture_rows(slow_uri, "BenchModel", root, f"+{args.delay * 1000:.0f} ms", args.workers,
                                        args.repeats, 1)
            memory = None
            if args.memory_versions:
                register_many(uri, "BenchModel", "BenchMany", args.memory_versions)
                memory = snap_capture(uri, "BenchMany", root / "store-memory", args.workers)
        template = next((root / "store-local").rglob("*.json"))
        table = render(args, capture, memory, offline_rows(template, root))
    print(table)
    if args.results:
        args.results.write_text("\n".join(header(sys.argv[1:])) + "\n" + table, encoding="utf-8")


if __name__ == "__main__":
    main()
