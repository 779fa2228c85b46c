"""`snap report`: the mlflow-reports layout, escaping, links, stability, offline rendering."""

from __future__ import annotations

import copy

import pytest

from report.render import render_report
from snapshot.formats.files import load_snapshot
from tests.support.reference import FIXTURE, REPO, SEED, SHARED, compare_score, snap

# The seed's whole report, committed. When the report changes on purpose, regenerate it:
#   .venv/bin/snap report fixtures/seed/Conversational_Task_v6.json > fixtures/seed/Conversational_Task_v6.report.md
# and review the file's diff in the commit.
GOLDEN = FIXTURE.with_name("Conversational_Task_v6.report.md")



def oss_doc() -> dict:
    """A small snapshot as captured from an open-source MLflow 3 server."""
    return {
        "schema_version": 1,
        "manifest": {
            "model_name": "Churn", "model_version": "3", "requested_uri": "models:/Churn@champion",
            "server_kind": "mlflow", "tracking_host": "http://127.0.0.1:5000",
            "tracking_uri": "http://127.0.0.1:5000", "is_unity_catalog": False,
            "captured_at": "2026-11-26T21:30:00.123456Z", "origin": {"kind": "capture"},
        },
        "model_version": {
            "name": "Churn", "version": "3", "creation_timestamp": 1764192600000, "source": "models:/m-abc",
            "run_id": "r1", "model_id": "m-abc", "status": "READY", "tags": {"team": "risk"},
            "aliases": ["champion"], "download_uri": "mlflow-artifacts:/1/models/m-abc/artifacts",
        },
        "registered_model": {"name": "Churn", "creation_timestamp": 1764192500000, "tags": {},
                             "aliases": {"champion": "3"}},
        "run": {
            "info": {"run_id": "r1", "experiment_id": "1", "start_time": 1764192000000,
                     "end_time": 1764192012500, "artifact_uri": "mlflow-artifacts:/1/r1/artifacts"},
            "params": {"alpha": "0.5"},
            "metrics": {"rmse": {"value": 0.25, "step": 7, "timestamp": 1764192010000}},
            "tags": {"mlflow.user": "alice"},
            "dataset_inputs": [{"name": "train", "digest": "d1", "source_type": "local", "source": "{}",
                                "schema": '{"mlflow_colspec": [{"name": "age", "type": "long"}]}',
                                "profile": '{"num_rows": 10}', "tags": {"mlflow.data.context": "training"}}],
        },
        "logged_model": {"model_id": "m-abc", "name": "model", "experiment_id": "1", "status": "READY",
                         "artifact_uri": "mlflow-artifacts:/1/models/m-abc/artifacts",
                         "creation_timestamp_ms": 1764192011000, "params": {}, "tags": {}, "metrics": []},
        "experiment": {"experiment_id": "1", "name": "churn", "tags": {}},
        "mlmodel": {"raw": "", "parsed": {
            "artifact_path": None, "model_id": "m-abc", "mlflow_version": "3.17.2", "run_id": "r1",
            "utc_time_created": "2026-11-26 21:20:11.000000",
            "flavors": {"python_function": {"loader_module": "mlflow.sklearn"},
                        "sklearn": {"sklearn_version": "1.5.0", "code": None}},
            "signature": {"inputs": [{"name": "age", "type": "long"}], "outputs": [{"type": "double"}]},
        }},
        "environment": {"requirements": {"raw": "scikit-learn==1.5.0\n", "python": None,
                                         "packages": {"scikit-learn": "==1.5.0"}},
                        "conda": None, "python_env": {"raw": "", "python": "3.11.9", "packages": {}}},
        "artifacts": {"model": {"root_uri": "mlflow-artifacts:/1/models/m-abc/artifacts", "file_count": 2,
                                "total_size": 1500, "files": [
                                    {"path": "MLmodel", "is_dir": False, "size": 500},
                                    {"path": "data", "is_dir": True, "size": None},
                                    {"path": "data/model.pkl", "is_dir": False, "size": 1000}]},
                      "run": None},
        "permissions": None,
        "unavailable": {"permissions": "the server has no permission API (not running the basic-auth app)",
                        "artifacts.run": "listing refused"},
    }


def rows(text: str, key: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(f"|{key}|")]


def test_seed_fixture_reproduces_the_seed_report(tmp_path):
    if not SHARED.is_dir():
        pytest.skip("../shared (reference reports) is not present")
    out = tmp_path / "seed.md"
    out.write_text(render_report(load_snapshot(FIXTURE)), encoding="utf-8")
    assert compare_score(SEED, out) == 1.0


def test_seed_report_matches_the_committed_golden_file():
    assert render_report(load_snapshot(FIXTURE)) == GOLDEN.read_text(encoding="utf-8")


def test_render_is_byte_stable_and_shows_capture_time():
    doc = load_snapshot(FIXTURE)
    first = render_report(doc)
    assert render_report(copy.deepcopy(doc)) == first
    assert "|report_time|2023-08-02 08:52:06|" in first


def test_open_source_mlflow3_snapshot_gets_its_own_links():
    text = render_report(oss_doc())
    assert "|_web_ui_link|http://127.0.0.1:5000/#/models/Churn/versions/3|" in text
    assert "|_api_link|http://127.0.0.1:5000/api/2.0/mlflow/model-versions/get?name=Churn&version=3|" in text
    assert "|_web_ui_link|http://127.0.0.1:5000/#/models/Churn|" in text
    assert "|_web_ui_link|http://127.0.0.1:5000/#/experiments/1/runs/r1|" in text
    assert "|_api_link|http://127.0.0.1:5000/api/2.0/mlflow/experiments/get?experiment_id=1|" in text
    assert "|_web_ui_link|http://127.0.0.1:5000/#/experiments/1/models/m-abc|" in text
    assert "|run_model_download_uri|mlflow-artifacts:/1/models/m-abc/artifacts|" in text
    assert "|logged_model_uri|models:/m-abc|" in text and "|run_uri|None|" in text
    assert "|_duration|12.5|" in text


def test_snap_sections_follow_the_reference_sections():
    text = render_report(oss_doc())
    headings = [line for line in text.splitlines() if line.startswith("# ")]
    assert headings[:6] == ["# Model Overview", "# MLflow Model", "# Registered Model",
                            "# Registered Model Version", "# Run", "# Experiment"]
    assert "|champion|3|" in text                      # aliases
    assert "|rmse|0.25|7|1764192010000|2025-11-26 21:20:10|" in text  # metric step and time
    assert "|scikit-learn|==1.5.0|" in text and "|python_env|3.11.9|" in text
    assert "### Dataset Input 'train'" in text and "|age|long|" in text
    assert "|model_id|m-abc|" in text                  # logged model
    assert "|data/|dir|1,000|" in text                 # artifact tree with directory sizes


def test_unavailable_sections_say_why():
    text = render_report(oss_doc())
    assert "Not captured: the server has no permission API (not running the basic-auth app)" in text
    assert "Not captured: listing refused" in text


def test_local_store_snapshot_has_no_links():
    doc = oss_doc()
    doc["manifest"].update(server_kind="local", tracking_host=None, tracking_uri="sqlite:///m.db")
    text = render_report(doc)
    assert "_web_ui_link" not in text and "_api_link" not in text
    assert "|_tracking_uri|sqlite:///m.db|" in text


def test_cells_escape_pipes_newlines_and_html():
    doc = oss_doc()
    doc["run"]["params"] = {"pipe": "a|b", "lines": "one\ntwo", "html": "<b>bold</b> & co"}
    text = render_report(doc)
    assert rows(text, "pipe") == ["|pipe|a\\|b|"]
    assert rows(text, "lines") == ["|lines|one<br/>two|"]
    assert rows(text, "html") == ["|html|&lt;b&gt;bold&lt;/b&gt; & co|"]
    assert "<b>bold</b>" not in text


def test_json_tag_values_show_python_style_like_mlflow_reports():
    doc = oss_doc()
    doc["run"]["tags"] = {"mlflow.databricks.cluster.id": "c1",
                          "mlflow.databricks.cluster.info": '{"num_workers": 1, "spark_version": "13.1.x"}',
                          "flag": "true", "version": "13.10"}
    text = render_report(doc)
    assert "|mlflow.databricks.cluster.info|{'num_workers': 1, 'spark_version': '13.1.x'}|" in text
    assert "|flag|True|" in text
    assert "|version|13.10|" in text                    # numbers stay exactly as stored
    assert "|num_workers|1|" in text                   # exploded Cluster Info


def test_report_renders_offline_with_mlflow_unimportable(tmp_path):
    fake = tmp_path / "mlflow"
    fake.mkdir()
    (fake / "__init__.py").write_text("raise ImportError('mlflow must not be imported to render a report')\n")
    env = {"PYTHONPATH": f"{tmp_path}:{REPO}", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = snap("report", str(FIXTURE.relative_to(REPO)), env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("\nMLflow Model: _models:/Conversational_Task/6_\n")


def test_report_of_a_missing_file_fails_with_one_line(tmp_path):
    result = snap("report", str(tmp_path / "missing.json"))
    assert result.returncode != 0
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("Error: ")
    assert "Traceback" not in result.stderr
