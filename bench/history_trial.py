"""The #11 trial: a registry snap has never seen, events planted between captures, checked offline.

Starts its own `mlflow server` (SQLite, temporary artifact root) on 127.0.0.1,
builds a registry with MLflow's client (bench/history_trial_registry.py: sklearn
and pyfunc models, a name with spaces and an emoji, a Unity-Catalog-style dotted
name, a model with seven versions, tags, descriptions, aliases), captures it
with `snap capture --all` four times, planting events between captures; then a
second server as a migration of the first (other version numbers, one version
left out, one changed). Every check then runs offline: in a network namespace
with no interface up (`unshare -n`, where allowed) and with `import mlflow`
failing. Prints each check and a PASS/FAIL line per planted event; exit 1 on
any failure.

    .venv/bin/python bench/history_trial.py [--keep DIR]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "bench")]

from history_trial_checks import Trial, check_changes  # noqa: E402
from history_trial_refs import check_compare, check_refs  # noqa: E402
from history_trial_registry import (  # noqa: E402
    Registry,
    build_initial,
    build_migration,
    plant_step1,
    plant_step2,
    save_models,
)

from tests.support.offline import without_mlflow  # noqa: E402
from tests.support.servers import mlflow_server  # noqa: E402


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def capture(uri: str, store: Path) -> tuple[str, str]:
    """One `snap capture --all`, online; (start, end) around it, a second apart from anything else."""
    time.sleep(1.1)
    start = now_iso()
    proc = subprocess.run([sys.executable, "-m", "snap.cli", "capture", "--all", "--store", str(store),
                           "--tracking-uri", uri, "-q"], capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise SystemExit(f"capture failed ({proc.returncode}): {proc.stderr}")
    end = now_iso()
    time.sleep(1.1)
    return start, end


def offline_runner(shadow: Path):
    """`snap ARGS` with no network and no mlflow; returns the CompletedProcess."""
    unshare = shutil.which("unshare")
    prefix = (unshare, "-n") if unshare and subprocess.run([unshare, "-n", "true"]).returncode == 0 else ()
    env = {"PATH": "/usr/bin:/bin", "HOME": str(shadow), "COLUMNS": "400", "LANG": "C.UTF-8",
           **without_mlflow(shadow)}
    print(f"offline: {'unshare -n (no network)' if prefix else 'network namespace unavailable'}, "
          f"import mlflow raises ({shadow}/mlflow)")

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*prefix, sys.executable, "-m", "snap.cli", *args], capture_output=True, text=True,
                              env=env, cwd=REPO, timeout=300)
    return run


def build(root: Path) -> dict:
    """Both registries and their stores; returns what the checks need."""
    saved = save_models(root / "saved")
    store_a, store_b = root / "store-a", root / "store-b"
    with mlflow_server(root / "server-a") as uri:
        print(f"server A at {uri}")
        reg = Registry(uri)
        build_initial(reg, saved)
        captures = [capture(uri, store_a)]
        plant_step1(reg, saved)
        captures.append(capture(uri, store_a))
        plant_step2(reg, saved)
        captures.append(capture(uri, store_a))
        captures.append(capture(uri, store_a))  # nothing changed since the last one
    with mlflow_server(root / "server-b") as uri:
        print(f"server B (the migration) at {uri}")
        mapping = build_migration(Registry(uri), saved)
        capture(uri, store_b)
    for i, (start, end) in enumerate(captures):
        print(f"capture {i}: {start} .. {end}")
    return {"a": store_a, "b": store_b, "captures": captures, "mapping": mapping}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", type=Path, help="build in this folder and keep it (default: a temporary one)")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="snap-history-trial-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        built = build(root)
        (root / "shadow").mkdir(exist_ok=True)
        trial = Trial(offline_runner(root / "shadow"), built)
        check_changes(trial)
        check_refs(trial)
        check_compare(trial)
        return trial.finish()
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
