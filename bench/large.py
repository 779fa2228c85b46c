"""Two snapshots of one large run, built from a real captured snapshot with the snapshot format.

5,000 params, 5,000 metrics, 1,000 tags and 2,000 run artifact files; the second
snapshot changes, adds and removes some of each, as a retrained version would.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

from snapshot.formats.document import dumps, seal


def _enlarge(doc: dict, version: str, shift: int) -> dict:
    doc = copy.deepcopy(doc)
    doc["manifest"]["model_version"] = version
    doc["model_version"]["version"] = version
    run = doc["run"]
    run["params"] = {f"param_{i:05d}": f"value-{i + (shift if i % 10 == 0 else 0)}" for i in range(shift, 5000 + shift)}
    run["metrics"] = {f"metric_{i:05d}": {"value": i * 0.5 + (shift * 0.01 if i % 7 == 0 else 0), "step": 100,
                                          "timestamp": 1_790_000_000_000 + i} for i in range(5000)}
    run["tags"] = {f"tag_{i:04d}": f"tag value {i}{'*' if shift and i % 20 == 0 else ''}" for i in range(1000)}
    files, dirs = [], set()
    for i in range(2000 + shift):
        folder = f"outputs/part_{i // 100:02d}"
        dirs.update({"outputs", folder})
        files.append({"path": f"{folder}/file_{i:05d}.bin", "is_dir": False, "size": 1000 + i + (shift if i % 50 == 0 else 0)})
    files += [{"path": d, "is_dir": True, "size": None} for d in sorted(dirs)]
    files.sort(key=lambda f: f["path"])
    only = [f for f in files if not f["is_dir"]]
    doc["artifacts"]["run"] = {"root_uri": run["info"]["artifact_uri"], "files": files,
                               "file_count": len(only), "total_size": sum(f["size"] for f in only)}
    doc["manifest"].pop("reused", None)
    return seal(doc)


def build_pair(template: Path, out_dir: Path) -> tuple[Path, Path]:
    base = json.loads(template.read_text(encoding="utf-8"))
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for version, shift in (("1", 0), ("2", 25)):
        path = out_dir / f"large-v{version}.json"
        path.write_text(dumps(_enlarge(base, version, shift)), encoding="utf-8")
        paths.append(path)
    return paths[0], paths[1]
