"""README's `snap sql` queries (#10), run exactly as written there, on a store captured from a real registry.

The registry (MLflow's own client, on the suite's server) holds one model whose
versions pin scikit-learn in the ways a PEP 440 question must get right. It is
captured twice (champion moved in between, so every version has two snapshots),
and the dataset is rebuilt from the store's JSON. Each README query's answer is
checked against what the registry holds.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet

from snapshot.dataset.schemas import TABLE_NAMES
from snapshot.formats.files import load_snapshot
from tests.support.commands import snap

pytestmark = pytest.mark.server

MODEL = "SqlPins"
# version -> scikit-learn specifier as logged; True when it allows only versions below 1.4.
PINS = {"1": ("<1.4", True), "2": ("==1.4rc1", True), "3": ("~=1.3.0", True), "4": (">=1.2,<1.5", False),
        "5": ("==1.10.0", False), "6": ("==1.3.2", True)}
README = Path(__file__).resolve().parent.parent / "README.md"


def _log_versions(uri: str) -> dict:
    import mlflow
    import mlflow.pyfunc
    from mlflow import MlflowClient

    class Identity(mlflow.pyfunc.PythonModel):
        def predict(self, context, model_input, params=None):
            return model_input

    mlflow.set_tracking_uri(uri)
    client = MlflowClient(uri, registry_uri=uri)
    experiment = client.create_experiment("sql-pins")
    client.create_registered_model(MODEL)
    metrics = {}
    for version, (spec, _) in PINS.items():
        with mlflow.start_run(experiment_id=experiment) as run:
            metrics[version] = 0.5 + int(version) / 100
            mlflow.log_metric("accuracy", metrics[version])
            info = mlflow.pyfunc.log_model(name="model", python_model=Identity(),
                                           pip_requirements=["mlflow==3.17.2", f"scikit-learn{spec}"])
        mv = client.create_model_version(MODEL, info.model_uri, run_id=run.info.run_id, model_id=info.model_id)
        assert str(mv.version) == version
    return {"client": client, "metrics": metrics}


@pytest.fixture(scope="module")
def store(mlflow_server, tmp_path_factory):
    """The store after two captures of every version; champion on v6 at the first, on v3 at the second."""
    logged = _log_versions(mlflow_server)
    client = logged["client"]
    root = tmp_path_factory.mktemp("sql-store")
    client.set_registered_model_alias(MODEL, "champion", "6")
    snap("capture", f"models:/{MODEL}", "--tracking-uri", mlflow_server, "--store", str(root))
    client.set_registered_model_alias(MODEL, "champion", "3")
    snap("capture", f"models:/{MODEL}", "--tracking-uri", mlflow_server, "--store", str(root))
    docs = [load_snapshot(p) for p in sorted(root.rglob("*.json"))  # snapshots, not the store's own .index
            if not any(part.startswith(".") for part in p.relative_to(root).parts)]
    assert len(docs) == 2 * len(PINS)  # the alias move changed every version's snapshot
    # Each capture run appended its snapshots to the dataset itself: no rebuild here.
    assert sorted(p.name for p in (root / "parquet").iterdir()) == sorted(TABLE_NAMES)
    return {"root": root, "metrics": logged["metrics"]}


def readme_queries() -> dict[str, list[str]]:
    """{comment: the command's arguments after `snap`} of each `snap sql` in README's "Querying many snapshots".

    Each command is a `# comment` line, then the command as a shell would split it.
    """
    text = README.read_text(encoding="utf-8")
    section = text.split("### Querying many snapshots", 1)[1].split("\n## ", 1)[0]
    commands = {}
    for block in re.findall(r"```bash\n(.*?)```", section, flags=re.S):
        for chunk in block.strip().split("\n\n"):
            comment, command = chunk.split("\n", 1)
            argv = shlex.split(command)
            assert argv[:2] == ["snap", "sql"] and comment.startswith("# "), chunk
            commands[comment] = argv[1:]
    return commands


def _run(store, args: list[str]) -> list[dict]:
    proc = subprocess.run([sys.executable, "-m", "snap.cli", *args, "--store", str(store["root"]), "--format", "json"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _pins_below(store, query):
    rows = _run(store, query)
    assert [(r["model"], r["version"]) for r in rows] == [(MODEL, v) for v, (_, below) in PINS.items() if below]
    assert all(SpecifierSet(r["specifier"]) == SpecifierSet(PINS[r["version"]][0]) for r in rows)


def _metrics(store, query):
    rows = _run(store, query)
    assert rows == [{"metric": "accuracy", "model": MODEL, "version": v, "value": store["metrics"][v]} for v in PINS]


def _aliases(store, query):
    rows = _run(store, query)
    assert [(r["model"], r["alias"], r["alias_version"]) for r in rows] == [(MODEL, "champion", "6"), (MODEL, "champion", "3")]
    assert rows[0]["first_seen"] < rows[1]["first_seen"]


CHECKS = {
    "# Which versions' newest snapshot pins scikit-learn below 1.4?": _pins_below,
    "# Every run metric of every version's newest snapshot, side by side.": _metrics,
    "# Where has each alias pointed, and since when?": _aliases,
}


def test_readme_has_exactly_the_checked_queries():
    assert sorted(readme_queries()) == sorted(CHECKS)


@pytest.mark.parametrize("comment", sorted(CHECKS))
def test_readme_query_answers_right(store, comment):
    CHECKS[comment](store, readme_queries()[comment])


def test_the_naive_query_would_have_duplicates(store):
    """Without `latest`, each version shows once per snapshot: what README's join is there to prevent."""
    rows = _run(store, ["sql", "SELECT version FROM requirements WHERE file = 'requirements.txt' AND name = 'scikit-learn'"])
    assert sorted(r["version"] for r in rows) == sorted(list(PINS) * 2)


def test_spark_free_readers_open_each_table_as_a_folder(store):
    import duckdb
    import pandas as pd
    import pyarrow.dataset as ds

    base = store["root"] / "parquet"
    reqs = pd.read_parquet(base / "requirements")
    sklearn = reqs[(reqs["name"] == "scikit-learn") & (reqs["file"] == "requirements.txt")]
    # MLflow writes `>=1.2,<1.5` as `<1.5,>=1.2`: the same specifier set.
    written = dict(zip(sklearn["version"], sklearn["specifier"]))
    assert {v: SpecifierSet(s) for v, s in written.items()} == {v: SpecifierSet(s) for v, (s, _) in PINS.items()}
    for table in ("snapshots", "values", "requirements", "metrics", "params", "tags", "aliases", "signature"):
        arrow = ds.dataset(base / table, format="parquet", partitioning="hive").to_table()
        rows = duckdb.connect().execute(
            f"SELECT count(*) FROM read_parquet('{base / table}/**/*.parquet', hive_partitioning = true)").fetchall()
        assert arrow.num_rows == rows[0][0], table
    snapshots = pd.read_parquet(base / "snapshots")
    assert len(snapshots) == 2 * len(PINS) and str(snapshots["captured_at"].dtype) == "datetime64[us, UTC]"
    assert all((store["root"] / path).is_file() for path in snapshots["path"])  # each row names its JSON


def test_reindex_rebuilds_a_lost_dataset_with_the_same_answers(store, tmp_path):
    """A dataset deleted (or never written, for snapshots copied in by other tools) comes back from the JSON."""
    import shutil

    copy = {**store, "root": tmp_path / "copy"}
    shutil.copytree(store["root"], copy["root"])
    shutil.rmtree(copy["root"] / "parquet")
    query = readme_queries()["# Which versions' newest snapshot pins scikit-learn below 1.4?"]
    assert subprocess.run([sys.executable, "-m", "snap.cli", *query, "--store", str(copy["root"])],
                          capture_output=True, text=True, timeout=120).returncode == 2  # no dataset: an error
    snap("reindex", "--store", str(copy["root"]))
    _pins_below(copy, query)
    assert _run(copy, ["sql", "SELECT count(*) AS n FROM snapshots"]) == [{"n": 2 * len(PINS)}]


def _capture_paths(store) -> list[list[str]]:
    """The snapshot paths (relative to the store) of each capture run, oldest run first."""
    root = store["root"]
    by_time = sorted((load_snapshot(p)["manifest"]["captured_at"], p.relative_to(root).as_posix())
                     for p in root.rglob("*.json") if not any(part.startswith(".") for part in p.relative_to(root).parts))
    return [[path for _, path in by_time[:len(PINS)]], [path for _, path in by_time[len(PINS):]]]


def test_at_makes_latest_the_registry_as_the_store_knew_it_then(store):
    """`--at WHEN`: each version's newest snapshot captured at or before WHEN (inclusive), same WHEN forms as snap changes."""
    first, second = _capture_paths(store)
    last_of_first = Path(first[-1]).stem  # a capture time as in the file names, e.g. 20261126T214248.652548Z
    query = ["sql", "SELECT path, aliases FROM latest ORDER BY version_int"]
    then = _run(store, [*query, "--at", last_of_first])
    assert sorted(r["path"] for r in then) == sorted(first)
    assert all(r["aliases"] == (["champion"] if r["path"].startswith(f"{MODEL}/v6/") else []) for r in then)
    now = _run(store, [*query, "--at", "now"])
    assert sorted(r["path"] for r in now) == sorted(second) == sorted(r["path"] for r in _run(store, query))
    assert _run(store, [*query, "--at", "2000-01-01"]) == []  # before any capture: no version yet
    bad = subprocess.run([sys.executable, "-m", "snap.cli", *query, "--store", str(store["root"]), "--at", "last week"],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2
    assert bad.stderr == "Error: --at 'last week' is not a moment; give an ISO date or time (2026-11-01, " \
        "2026-11-01T21:30Z), a capture time (20261126T213000.123456Z), yesterday, now, or a span back from now " \
        "(7d, 12h, 30m, 2w)\n"
