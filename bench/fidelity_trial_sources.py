"""Failures 6-9 of issue #14 (bench/fidelity_trial.py): what the server sent, imports, no URI, prompts, workspaces."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from pathlib import Path

from bench.fidelity_trial_common import Trial, clean_env, json_out, said, snap, snapshot_of, store_files
from bench.fidelity_trial_registry import MAIN, PROMPT

REFERENCE = Path("/work/shared/reference/reports")
# Keys a snapshot reshapes or adds beside the server's fields (docs/snapshot-format.md).
_ADDED = {"model_version": {"tags", "aliases", "download_uri"}, "registered_model": {"tags", "aliases"},
          "experiment": {"tags"}}


def _get(uri: str, endpoint: str, **params: str) -> dict:
    query = urllib.parse.urlencode(params)
    with urllib.request.urlopen(f"{uri}/api/2.0/mlflow/{endpoint}?{query}", timeout=30) as reply:
        return json.loads(reply.read())


def _unsent(uri: str, doc: dict) -> list[str]:
    """Fields of a snapshot that the server's own REST reply does not hold."""
    mv = doc["model_version"]
    replies = {
        "model_version": _get(uri, "model-versions/get", name=mv["name"], version=mv["version"])["model_version"],
        "registered_model": _get(uri, "registered-models/get", name=mv["name"])["registered_model"],
    }
    if doc.get("experiment"):
        replies["experiment"] = _get(uri, "experiments/get",
                                     experiment_id=doc["experiment"]["experiment_id"])["experiment"]
    unsent = [f"{section}.{key}" for section, sent in replies.items()
              for key in doc[section] if key not in sent and key not in _ADDED[section]]
    if doc.get("run"):
        run = _get(uri, "runs/get", run_id=mv["run_id"])["run"]
        unsent += [f"run.info.{key}" for key in doc["run"]["info"] if key not in run["info"]]
        if "model_outputs" in doc["run"] and "outputs" not in run:
            unsent.append("run.model_outputs")
    return unsent


def check_server_fields(trial: Trial, label: str, store: Path, uri: str) -> None:
    """6. Every field of every snapshot is one the server sent (the 2.x server's three by name)."""
    docs = [json.loads(p.read_text(encoding="utf-8")) for p in store_files(store) if p.suffix == ".json"]
    unsent = sorted({f"{d['manifest']['model_version']}:{f}" for d in docs for f in _unsent(uri, d)})
    trial.check(f"{label} 6 no snapshot field the server did not send ({len(docs)} snapshots)", bool(docs)
                and not unsent, str(unsent[:8]))
    one = store.parent / "one-version.json"  # one version alone is read with get_run, not search_runs
    proc = snap("capture", f"models:/{MAIN}/3", "--tracking-uri", uri, "-o", str(one))
    unsent = _unsent(uri, json.loads(one.read_text(encoding="utf-8"))) if one.exists() else ["(not captured)"]
    trial.check(f"{label} 6 models:/NAME/3 alone: no field the server did not send", proc.returncode == 0
                and not unsent, f"{unsent}; {said(proc)}")
    if label == "mlflow2":
        doc = snapshot_of(store, MAIN, "1")
        named = {"experiment.workspace": "workspace" in doc["experiment"],
                 "registered_model.deployment_job_state": "deployment_job_state" in doc["registered_model"],
                 "model_version.user_id": "user_id" in doc["model_version"]}
        trial.check(f"{label} 6 the issue's three 3.x client defaults absent", not any(named.values()), str(named))
        trial.check(f"{label} 6 server_version is 2.22", str(doc["manifest"].get("server_version")).startswith("2.22"),
                    str(doc["manifest"].get("server_version")))


def _with_uc_aliases(source: Path, target: Path, alias: str) -> tuple[str, Path]:
    """A copy of a real archive with aliases as Unity Catalog writes them: objects, the version an int.

    `alias` points to the archive's version, and "green" to version 1.
    """
    data = json.loads(source.read_text(encoding="utf-8"))
    version = str(data["model_version"]["version"])
    data["model_version"]["aliases"] = [{"alias": alias, "version": int(version)}]
    data["registered_model"]["aliases"] = [{"alias": alias, "version": version}, {"alias": "green", "version": "1"}]
    target.write_text(json.dumps(data), encoding="utf-8")
    return version, target


def _import_one(archive: Path, out: Path) -> tuple[object, dict]:
    proc = snap("import", str(archive), "-o", str(out))
    return proc, (json.loads(out.read_text(encoding="utf-8")) if out.exists() else {})


def check_import(trial: Trial, work: Path) -> None:
    """7. Every reference archive imports with plain alias names; UC alias objects become names and a map."""
    archives = sorted(REFERENCE.glob("*/report.json"))
    for archive in archives:
        proc, doc = _import_one(archive, work / f"import-{archive.parent.name}.json")
        names = doc.get("model_version", {}).get("aliases")
        trial.check(f"import 7 {archive.parent.name}: imported, aliases plain names", proc.returncode == 0
                    and isinstance(names, list) and all(isinstance(a, str) and "{" not in a for a in names), said(proc))
    if not [a for a in archives if '"alias"' in a.read_text(encoding="utf-8")]:
        trial.skip("import 7 an archive's own UC alias objects", f"none of the {len(archives)} reference archives "
                   "holds aliases; checked on copies of a UC archive with alias objects added instead")
    source = REFERENCE / "transformers__Conversational_Task__uc" / "report.json"
    imported = {}
    for alias in ("blue", "teal"):
        version, derived = _with_uc_aliases(source, work / f"uc-{alias}-report.json", alias)
        imported[alias] = work / f"import-uc-{alias}.json"
        proc, doc = _import_one(derived, imported[alias])
        got = (doc.get("model_version", {}).get("aliases"), doc.get("registered_model", {}).get("aliases"))
        trial.check(f"import 7 UC alias objects -> names and the alias map ({alias})",
                    got == ([alias], {alias: version, "green": "1"}), f"{got}; {said(proc)}")
    report = snap("report", str(imported["blue"])).stdout
    trial.check("import 7 report shows alias names, no objects", "|blue|" in report and "{'alias'" not in report)
    diff = json_out(snap("diff", str(imported["blue"]), str(imported["teal"]), "--format", "json")) or {}
    moved = {c["path"]: c["kind"] for c in diff.get("changes", []) if c["section"] == "aliases"}
    # The version's own move is told once, by the model's alias map (diff/keyed.py, compare_aliases).
    wanted = {"registered_model.aliases.blue": "removed", "registered_model.aliases.teal": "added"}
    trial.check("import 7 diff: an alias moved, by name", moved == wanted, str(moved))


def check_no_tracking_uri(trial: Trial, work: Path) -> None:
    """8. No tracking URI in an empty folder: a clear error naming how to set one, nothing created."""
    home = work / "home"  # MLflow's import writes ~/.config/mlflow/telemetry.json: a home of its own
    home.mkdir()
    commands = (("capture", f"models:/{MAIN}/1"), ("capture", "--all"), ("report", f"models:/{MAIN}/1"),
                ("diff", f"models:/{MAIN}/1", f"models:/{MAIN}/2"))
    for i, args in enumerate(commands):
        empty = work / f"empty-{i}"
        empty.mkdir()
        proc = snap(*args, cwd=empty, env=clean_env(HOME=str(home)))
        left = sorted(p.name for p in empty.iterdir())
        trial.check(f"no-uri 8 snap {' '.join(a[:12] for a in args)}: exit 2, says how, nothing created",
                    proc.returncode == 2 and "MLFLOW_TRACKING_URI" in proc.stderr and not left, f"{left}; {said(proc)}")


def check_prompts(trial: Trial, label: str, store: Path, uri: str, work: Path) -> None:
    """9. Prompts: left out of --all by default (said so), labelled prompts when included."""
    plain = work / f"no-prompts-{label}"
    proc = snap("capture", "--all", "--tracking-uri", uri, "--store", str(plain))
    stored = {p.relative_to(plain).parts[0] for p in store_files(plain)}
    trial.check(f"{label} 9 --all leaves prompts out and says so", proc.returncode == 0 and PROMPT not in stored
                and "prompt" in (proc.stdout + proc.stderr).lower(), said(proc))
    rows = json_out(snap("list", "--store", str(store), "--format", "json")) or []
    kinds = {row.get("kind") for row in rows if row.get("model") == PROMPT}
    trial.check(f"{label} 9 list: the prompt's kind is prompt", kinds == {"prompt"}, str(kinds))
    report = snap("report", f"{PROMPT}/2", "--store", str(store)).stdout
    trial.check(f"{label} 9 report titled MLflow Prompt, with its text", "MLflow Prompt" in report[:200]
                and "at most {{n}} short bullets" in report, report[:200])
    diff = snap("diff", f"{PROMPT}/1", f"{PROMPT}/2", "--store", str(store))
    sides = json_out(snap("diff", f"{PROMPT}/1", f"{PROMPT}/2", "--store", str(store), "--format", "json")) or {}
    trial.check(f"{label} 9 diff header and JSON sides say prompt", f"prompt {PROMPT}" in diff.stdout[:300]
                and sides.get("left", {}).get("kind") == "prompt", diff.stdout[:200])


def check_workspaces(trial: Trial, store: Path, team: str) -> None:
    """9. A server with workspaces: each workspace's model stored apart, the workspace in the manifest."""
    rows = json_out(snap("list", "--store", str(store), "--format", "json")) or []
    names = {row.get("model") for row in rows}
    trial.check("workspaces 9 list holds both workspaces' model", {MAIN, f"{team}:{MAIN}"} <= names,
                str(sorted(names))[:300])
    docs = [json.loads(p.read_text(encoding="utf-8")) for p in store_files(store) if p.suffix == ".json"]
    runs = {d["manifest"].get("workspace"): d["model_version"]["run_id"] for d in docs
            if d["manifest"]["model_name"] == MAIN and d["manifest"]["model_version"] == "1"}
    trial.check("workspaces 9 manifest.workspace recorded, runs apart", set(runs) == {"default", team}
                and len(set(runs.values())) == 2, str(runs))
    report = snap("report", f"{team}:{MAIN}/1", "--store", str(store))
    trial.check("workspaces 9 report by WORKSPACE:NAME", report.returncode == 0 and team in report.stdout,
                said(report))
