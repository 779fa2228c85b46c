"""What bench/fidelity_trial.py's checks share: the PASS/FAIL tally and snap run as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The snap under trial: this checkout's, or another build's command named by FIDELITY_TRIAL_SNAP.
SNAP = Path(os.environ.get("FIDELITY_TRIAL_SNAP") or ROOT / ".venv" / "bin" / "snap")
# A user's shell, minus anything that would point snap at a registry or a store by itself.
_UNSET = ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI", "MLFLOW_WORKSPACE", "SNAP_STORE", "SNAP_MODEL",
          "SNAP_ALLOW_MODIFIED", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_TOKEN")


class Trial:
    """Prints one PASS or FAIL line per check and counts them."""

    def __init__(self):
        self.passed = self.failed = 0
        self.failures: list[str] = []

    def check(self, label: str, ok: bool, detail: str = "") -> bool:
        word = "PASS" if ok else "FAIL"
        print(f"{word} {label}" + ("" if ok or not detail else f": {detail[:600]}"), flush=True)
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            self.failures.append(label)
        return ok

    def skip(self, label: str, why: str) -> None:
        print(f"SKIP {label}: {why}", flush=True)


def clean_env(**extra: str) -> dict:
    """The environment snap runs in: no registry, store or credential variables, a 120-column terminal."""
    env = {k: v for k, v in os.environ.items() if k not in _UNSET}
    env.pop("PYTHONPATH", None)
    return {**env, "COLUMNS": "120", **extra}


def snap(*args: str, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    """`.venv/bin/snap ARGS` as a subprocess; never raises on a non-zero exit."""
    return subprocess.run([str(SNAP), *args], cwd=cwd, env=env or clean_env(), capture_output=True, text=True,
                          timeout=600)


def said(proc: subprocess.CompletedProcess) -> str:
    """A command's exit code and the start of what it printed, for a FAIL line."""
    return f"exit {proc.returncode}; stdout {proc.stdout[:300]!r}; stderr {proc.stderr[-300:]!r}"


def json_out(proc: subprocess.CompletedProcess):
    """The command's stdout as JSON, or None when it is not JSON."""
    try:
        return json.loads(proc.stdout)
    except ValueError:
        return None


def store_files(store: Path) -> list[Path]:
    """Every snapshot file (JSON and Parquet) in a local store, dot-folders and the dataset left out."""
    return sorted(p for p in store.rglob("*") if p.suffix in (".json", ".parquet") and p.is_file()
                  and not any(part.startswith(".") or part == "parquet" for part in p.relative_to(store).parts[:-1]))


def snapshot_of(store: Path, name: str, version: str) -> dict:
    """The newest JSON snapshot of NAME/VERSION in a store, found through its manifest."""
    found = []
    for path in store_files(store):
        if path.suffix == ".json":
            doc = json.loads(path.read_text(encoding="utf-8"))
            manifest = doc.get("manifest", {})
            if manifest.get("model_name") == name and manifest.get("model_version") == version:
                found.append((manifest["captured_at"], path, doc))
    if not found:
        raise LookupError(f"no snapshot of {name}/{version} in {store}")
    return max(found)[2] | {"_path": str(max(found)[1])}
