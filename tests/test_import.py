"""`snap import`: mlflow-reports report.json archives as snapshots that re-render the same report."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from report.render import render_report
from snapshot.errors import ImportFailed
from snapshot.formats.document import content_hash, dumps
from snapshot.formats.files import load_snapshot
from snapshot.importer.archive import import_files, import_report
from tests.support.offline import without_mlflow
from tests.support.reference import COMPARE, FIXTURE, REPO, SEED, SHARED, compare_score, snap

PAIRS = SHARED / "reference" / "reports"
PAIR_NAMES = sorted(p.name for p in PAIRS.iterdir()) if PAIRS.is_dir() else []


def needs_shared() -> None:
    if not (PAIRS.is_dir() and COMPARE.is_file()):
        pytest.skip("../shared (reference reports) is not present")


def small_report() -> dict:
    """A minimal mlflow-reports report.json, with values the tool JSON-parsed."""
    host = "https://x.cloud.databricks.com"
    return {
        "manifest": {"model_uri": "models:/Churn/2", "source": "databricks://prof", "mlflow_version": "2.5.0",
                     "timestamp": "2023-07-31 21:06:27",
                     "model_uris": {"reg_model_download_uri": "dbfs:/reg/model"}},
        "mlflow_model": {"artifact_path": "model", "run_id": "r1", "flavors": {"python_function": {}},
                         "model_flavor": "python_function", "model_size_bytes": 12},
        "registered_model": {"name": "Churn", "tags": {}, "_api_link": f"{host}/api/2.0/mlflow/registered-models/get?name=Churn"},
        "model_version": {"name": "Churn", "version": "2", "tags": {"n": 5}, "_is_unity_catalog": False},
        "run": {"info": {"run_id": "r1", "experiment_id": 3350558521995749, "start_time": 1, "end_time": 2,
                         "_duration": 0.001},
                "data": {"params": [{"key": "max_depth", "value": 3}, {"key": "alpha", "value": 0.5},
                                    {"key": "flag", "value": True}],
                         "metrics": [{"key": "rmse", "value": 0.1, "step": 4, "timestamp": 5}],
                         "tags": {"mlflow.databricks.cluster.info": {"num_workers": 1},
                                  "sparkDatasourceInfo": [{"path": "dbfs:/a", "format": "csv"},
                                                          {"path": "dbfs:/b", "version": "1", "format": "delta"}]}},
                "inputs": {}},
        "experiment": {"experiment_id": 3350558521995749, "name": "/Users/a", "tags": {"mlflow.ownerId": 4566812440727830}},
    }


def write_json(tmp_path: Path, data, name: str = "report.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.mark.parametrize("name", PAIR_NAMES)
def test_imported_archive_rerenders_its_report(name, tmp_path):
    needs_shared()
    doc = import_report(PAIRS / name / "report.json")
    out = tmp_path / "report.md"
    out.write_text(render_report(doc), encoding="utf-8")
    assert compare_score(PAIRS / name / "report.md", out) >= 0.99


def test_conversational_task_archive_reproduces_the_seed(tmp_path):
    needs_shared()
    out = tmp_path / "report.md"
    out.write_text(render_report(import_report(PAIRS / "transformers__Conversational_Task" / "report.json")))
    assert compare_score(SEED, out) == 1.0


def test_values_go_back_to_the_strings_mlflow_stores(tmp_path):
    doc = import_report(write_json(tmp_path, small_report()))
    assert doc["run"]["params"] == {"max_depth": "3", "alpha": "0.5", "flag": "true"}
    assert doc["run"]["tags"]["mlflow.databricks.cluster.info"] == '{"num_workers": 1}'
    assert doc["run"]["tags"]["sparkDatasourceInfo"] == "path=dbfs:/a,format=csv\npath=dbfs:/b,version=1,format=delta"
    assert doc["model_version"]["tags"] == {"n": "5"}
    assert doc["experiment"]["tags"]["mlflow.ownerId"] == "4566812440727830"
    assert doc["run"]["info"]["experiment_id"] == "3350558521995749"
    assert doc["run"]["info"]["start_time"] == 1
    assert doc["run"]["metrics"]["rmse"] == {"value": 0.1, "step": 4, "timestamp": 5}


def test_real_archive_params_become_strings():
    needs_shared()
    path = PAIRS / "Sklearn_Wine_FS_ws" / "report.json"
    raw = {p["key"]: p["value"] for p in json.loads(path.read_text())["run"]["data"]["params"]}
    assert raw["max_depth"] == 3                       # mlflow-reports parsed it
    assert import_report(path)["run"]["params"]["max_depth"] == "3"


def test_manifest_records_the_import(tmp_path):
    doc = import_report(write_json(tmp_path, small_report()))
    m = doc["manifest"]
    assert m["captured_at"] == "2023-07-31T21:06:27.000000Z"
    assert m["origin"]["kind"] == "import" and m["origin"]["tool"] == "mlflow-reports"
    assert m["origin"]["file"] == "report.json" and len(m["origin"]["sha256"]) == 64
    assert m["tracking_host"] == "https://x.cloud.databricks.com" and m["server_kind"] == "databricks"
    assert m["content_hash"] == content_hash(doc)
    assert not any(k.startswith("_") for k in doc["run"]["info"])
    assert doc["mlmodel"]["parsed"] == {"artifact_path": "model", "run_id": "r1", "flavors": {"python_function": {}}}
    assert doc["logged_model"] is None and "logged_model" in doc["unavailable"]
    assert doc["environment"]["requirements"] is None and "environment.requirements" in doc["unavailable"]


def test_imported_snapshot_has_a_captured_ones_sections_and_says_why_each_empty_one_is(tmp_path):
    doc = import_report(write_json(tmp_path, small_report()))
    captured = load_snapshot(next((REPO / "fixtures" / "captured" / "Churn" / "v2").glob("*.json")))
    assert set(doc) == set(captured)
    for section in ("artifacts", "environment", "mlmodel"):
        assert set(doc[section]) == set(captured[section])
    empty = [key for key in doc if doc[key] is None]
    empty += [f"{key}.{part}" for key in ("artifacts", "environment", "mlmodel") for part, v in doc[key].items()
              if v is None]
    assert empty and all(key in doc["unavailable"] for key in empty)


def test_import_runs_without_mlflow(tmp_path):
    path = write_json(tmp_path, small_report())
    (tmp_path / "shadow").mkdir()
    out = tmp_path / "s.json"
    result = snap("import", str(path), "-o", str(out), env={**os.environ, **without_mlflow(tmp_path / "shadow")})
    assert result.returncode == 0, result.stderr
    assert load_snapshot(out) == import_report(path)


def test_import_is_deterministic(tmp_path):
    path = write_json(tmp_path, small_report())
    assert dumps(import_report(path)) == dumps(import_report(path))


def test_import_into_store_writes_the_json_snapshot_and_o_parquet_the_same_document(tmp_path):
    path = write_json(tmp_path, small_report())
    store = tmp_path / "store"
    lines = list(import_files([path], store, None))
    target = store / "Churn" / "v2" / "20230731T210627.000000Z.json"
    assert lines == [f"imported {path} -> {target}"]
    assert not target.with_suffix(".parquet").exists()  # a store holds JSON; its Parquet is the dataset
    list(import_files([path], None, tmp_path / "one.parquet"))
    assert load_snapshot(target) == load_snapshot(tmp_path / "one.parquet") == import_report(path)


def test_output_takes_exactly_one_file(tmp_path):
    path = write_json(tmp_path, small_report())
    with pytest.raises(ImportFailed, match="exactly one"):
        list(import_files([path, path], None, tmp_path / "out.json"))


def test_json_that_is_not_a_report_is_refused(tmp_path):
    with pytest.raises(ImportFailed, match="not an mlflow-reports model report"):
        import_report(write_json(tmp_path, {"hello": 1}))


def test_cli_import_of_a_non_json_file_fails_with_one_line(tmp_path):
    bad = tmp_path / "report.md"
    bad.write_text("# not json\n")
    result = snap("import", str(bad), "-o", str(tmp_path / "s.json"))
    assert result.returncode == 2
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "s.json").exists()


def test_cli_import_then_report(tmp_path):
    path = write_json(tmp_path, small_report())
    out = tmp_path / "s.json"
    assert snap("import", str(path), "-o", str(out)).returncode == 0
    result = snap("report", str(out))
    assert result.returncode == 0, result.stderr
    assert "|max_depth|3|" in result.stdout and "|flag|True|" in result.stdout
    assert "|_web_ui_link|https://x.cloud.databricks.com#mlflow/models/Churn/versions/2|" in result.stdout


def test_nan_metric_survives_import_and_renders_like_mlflow_reports(tmp_path):
    report = small_report()
    report["run"]["data"]["metrics"].append({"key": "loss", "value": float("nan"), "step": 0, "timestamp": 6})
    out = tmp_path / "s.json"
    list(import_files([write_json(tmp_path, report)], None, out))
    doc = load_snapshot(out)
    assert doc["run"]["metrics"]["loss"]["value"] == "NaN"
    assert "|loss|nan|" in render_report(doc)


def test_unexpected_layout_is_refused_with_one_message(tmp_path):
    report = small_report()
    report["model_version"]["tags"] = "not an object"
    with pytest.raises(ImportFailed, match="layout snap does not know"):
        import_report(write_json(tmp_path, report))


def test_imported_snapshots_follow_the_json_schema(tmp_path):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((Path(__file__).resolve().parents[1] / "snapshot" / "schema.json").read_text())
    docs = [import_report(write_json(tmp_path, small_report())), load_snapshot(FIXTURE)]
    docs += [import_report(PAIRS / name / "report.json") for name in PAIR_NAMES]
    for doc in docs:
        errors = [f"{list(e.path)}: {e.message}" for e in jsonschema.Draft202012Validator(schema).iter_errors(doc)]
        assert errors == []


def _uc_aliases(report: dict) -> dict:
    """A report with aliases as mlflow-reports writes them from Unity Catalog: alias objects."""
    report["model_version"]["aliases"] = [{"alias": "prod", "version": "2"}, {"alias": "champion", "version": 2}]
    report["registered_model"]["aliases"] = [{"alias": "prod", "version": "2"}, {"alias": "champion", "version": "2"},
                                             {"alias": "old", "version": "1"}]
    return report


def test_unity_catalog_alias_objects_become_names_and_the_alias_map(tmp_path):
    doc = import_report(write_json(tmp_path, _uc_aliases(small_report())))
    assert doc["model_version"]["aliases"] == ["champion", "prod"]
    assert doc["registered_model"]["aliases"] == {"champion": "2", "old": "1", "prod": "2"}
    assert not {"model_version.aliases", "registered_model.aliases"} & set(doc["unavailable"])
    store = tmp_path / "store"
    list(import_files([write_json(tmp_path, _uc_aliases(small_report()))], store, None))
    shown = snap("report", "Churn@prod", "--store", str(store))
    assert shown.returncode == 0, shown.stderr
    assert "{'alias'" not in shown.stdout


def test_alias_objects_on_the_version_alone_give_a_partial_map(tmp_path):
    report = small_report()
    report["model_version"]["aliases"] = [{"alias_name": "prod", "version_num": 2}]
    doc = import_report(write_json(tmp_path, report))
    assert doc["model_version"]["aliases"] == ["prod"] and doc["registered_model"]["aliases"] == {"prod": "2"}
    assert doc["unavailable"]["registered_model.aliases"] == \
        "this mlflow-reports archive records only the aliases of this version"


def _archive_aliases(data: dict) -> tuple[list[str] | None, dict | None]:
    """The aliases an archive holds, read straight from its JSON: names on the version, the model's map."""
    def name(a):
        return a["alias"] if isinstance(a, dict) else a
    mv, rm = data["model_version"].get("aliases"), (data.get("registered_model") or {}).get("aliases")
    names = sorted({name(a) for a in mv}) if isinstance(mv, list) else None
    mapping = {a["alias"]: str(a["version"]) for a in rm} if isinstance(rm, list) else None
    return names, mapping


@pytest.mark.parametrize("name", PAIR_NAMES)
def test_every_reference_archive_round_trips_its_aliases(name, tmp_path):
    needs_shared()
    path = PAIRS / name / "report.json"
    names, mapping = _archive_aliases(json.loads(path.read_text(encoding="utf-8")))
    store = tmp_path / "store"
    written = Path(list(import_files([path], store, None))[0].rsplit(" -> ", 1)[1])
    list(import_files([path], None, tmp_path / "archive.parquet"))
    for doc in (load_snapshot(written), load_snapshot(tmp_path / "archive.parquet")):
        assert all(isinstance(a, str) and not a.startswith("{") for a in doc["model_version"]["aliases"])
        assert doc["model_version"]["aliases"] == (names or [])
        assert ("model_version.aliases" in doc["unavailable"]) == (names is None)
        if doc["registered_model"] is not None:
            assert doc["registered_model"]["aliases"] == (mapping or {})


@pytest.mark.parametrize("stamp", ["9999-99-99", "9999-99-99 00:00:00", "2023-02-30 10:00:00",
                                   "2023-07-31 25:00:00", "9999-12-31 23:59:59", "last tuesday"])
def test_an_impossible_or_future_report_time_is_refused(stamp, tmp_path):
    report = small_report()
    report["manifest"]["timestamp"] = stamp
    path = write_json(tmp_path, report)
    with pytest.raises(ImportFailed) as caught:
        import_report(path)
    assert str(caught.value).startswith(f"{path} is stamped {stamp!r} (manifest.timestamp), which is ")
    store = tmp_path / "store"
    result = snap("import", str(path), "--store", str(store))
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "and import again" in result.stderr
    assert not store.exists() or not any(store.rglob("*.json"))


@pytest.mark.parametrize("millis", ["soon", 10**20, -(10**20)])
def test_an_impossible_fallback_time_is_refused(millis, tmp_path):
    report = small_report()
    del report["manifest"]["timestamp"]
    report["model_version"]["last_updated_timestamp"] = millis
    with pytest.raises(ImportFailed, match=r"model_version.last_updated_timestamp .*, which is (not a valid time|in the future)"):
        import_report(write_json(tmp_path, report))


@pytest.mark.parametrize(("stamp", "expected"), [("2023-07-31T21:06:27Z", "2023-07-31T21:06:27.000000Z"),
                                                 ("2023-07-31 21:06:27.123", "2023-07-31T21:06:27.000000Z"),
                                                 ("2024-02-29 00:00:00", "2024-02-29T00:00:00.000000Z")])
def test_real_report_times_are_kept(stamp, expected, tmp_path):
    report = small_report()
    report["manifest"]["timestamp"] = stamp
    assert import_report(write_json(tmp_path, report))["manifest"]["captured_at"] == expected
