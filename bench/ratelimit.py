"""Benchmark: a batch capture behind a server that enforces a rate limit (#12).

    .venv/bin/python bench/ratelimit.py [--versions 200] [--limit 40] [--workers 8] [--max-rps RPS]

Starts a real `mlflow server` on 127.0.0.1 (SQLite, served artifacts) in a temporary
directory, logs `--versions` versions of one model with MLflow's client
(tests/support/populate.py), then runs `snap capture models:/NAME` (its own process,
default options unless `--max-rps`) through the fault proxy (tests/support/servers.py)
enforcing `--limit` requests per second: beyond it the proxy answers 429 with
`Retry-After: 1`, as a rate-limited registry does. Prints the failures, the time, the
requests the proxy let through and refused, and elapsed / (requests / limit): the time
taken over the least time the limit allows (1.0 is the limit itself; target <= 1.2).
Elapsed is the proxy's window, from the first request it saw to its last answer.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

from tests.support.populate import populate_model  # noqa: E402
from tests.support.servers import fault_proxy, mlflow_server  # noqa: E402

SUMMARY = re.compile(r"(\d+) captured, (\d+) unchanged, (\d+) failed")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, default=200)
    parser.add_argument("--limit", type=float, default=40.0, help="requests/s the proxy allows")
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--max-rps", default=None, help="pass --max-rps to snap (default: snap's own default)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="snap-ratelimit-") as tmp, mlflow_server(Path(tmp) / "server") as uri:
        started = time.monotonic()
        populate_model(uri, "RateBench", args.versions, params=8, metrics=8, tags=8, workers=8)
        print(f"populated {args.versions} versions in {time.monotonic() - started:.0f}s", file=sys.stderr)
        with fault_proxy(uri, rate_limit=args.limit) as proxy:
            cmd = [sys.executable, "-m", "snap.cli", "capture", "models:/RateBench", "--tracking-uri", proxy.uri,
                   "--store", str(Path(tmp) / "store"), "--workers", str(args.workers)]
            if args.max_rps is not None:
                cmd += ["--max-rps", args.max_rps]
            wall = time.monotonic()
            proc = subprocess.run(cmd, capture_output=True, text=True)
            wall = time.monotonic() - wall
            window = (proxy.last or 0) - (proxy.first or 0)
            accepted, refused = proxy.served, proxy.throttled
    found = SUMMARY.search(proc.stdout)
    failed = int(found[3]) if found else None
    print(proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else proc.stderr.strip()[-500:])
    print(f"limit {args.limit:g} requests/s, {args.workers} workers, snap --max-rps {args.max_rps or 'default'}")
    print(f"failures: {failed} (exit {proc.returncode})")
    print(f"elapsed: {window:.1f}s (first request to last answer; process {wall:.1f}s)")
    print(f"requests: {accepted} answered, {refused} refused with 429")
    print(f"elapsed / (requests/{args.limit:g}): {window / (accepted / args.limit):.2f}")
    return 0 if proc.returncode == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
