"""Snapshot documents built from plain dicts, for the engine, renderer and CLI tests."""

from __future__ import annotations

from snapshot.formats.document import seal


def make_doc(version: str = "2", name: str = "Churn", captured_at: str = "2026-11-26T21:30:00.000000Z") -> dict:
    """A minimal valid snapshot (docs/snapshot-format.md) of one version, sealed."""
    run_id = f"run{version}"
    doc = {
        "schema_version": 1,
        "manifest": {
            "snap_version": "0.1.0", "mlflow_version": "3.17.2", "server_version": "3.17.2", "server_kind": "mlflow",
            "tracking_uri": "http://127.0.0.1:5000", "registry_uri": "http://127.0.0.1:5000",
            "tracking_host": "http://127.0.0.1:5000", "requested_uri": f"models:/{name}/{version}",
            "model_name": name, "model_version": version, "is_unity_catalog": False,
            "origin": {"kind": "capture"}, "options": {"metric_history": False, "checksums": False},
        },
        "model_version": {
            "name": name, "version": version, "creation_timestamp": 1000 + int(version),
            "last_updated_timestamp": 2000 + int(version), "user_id": "alice", "current_stage": "None",
            "description": "", "source": f"models:/m-{version}", "run_id": run_id, "status": "READY",
            "tags": {"validated": "false"}, "aliases": [], "download_uri": f"s3://bucket/{version}",
        },
        "registered_model": {
            "name": name, "creation_timestamp": 1, "last_updated_timestamp": 5000 + int(version),
            "description": "churn model", "tags": {"team": "ml"}, "aliases": {"champion": "1"},
            "latest_versions": [{"version": version}],
        },
        "run": {
            "info": {"run_id": run_id, "run_uuid": run_id, "experiment_id": "1", "run_name": "train",
                     "user_id": "alice", "status": "FINISHED", "start_time": int(version), "end_time": 9,
                     "artifact_uri": f"s3://bucket/{run_id}", "lifecycle_stage": "active"},
            "params": {"lr": "0.1", "depth": "5", "solver": "lbfgs"},
            "metrics": {"auc": {"value": 0.9, "step": 0, "timestamp": 100},
                        "loss": {"value": 0.5, "step": 0, "timestamp": 100}},
            "tags": {"mlflow.runName": "train", "mlflow.log-model.history": f"[{run_id}]"},
            "dataset_inputs": [{"name": "train", "digest": "d1", "source_type": "local", "source": "{}",
                                "schema": "{}", "profile": "{}", "tags": {"mlflow.data.context": "training"}}],
            "model_inputs": [], "model_outputs": [{"model_id": f"m-{version}", "step": 0}],
        },
        "logged_model": None,
        "experiment": {"experiment_id": "1", "name": "churn", "artifact_location": "s3://bucket",
                       "lifecycle_stage": "active", "last_update_time": int(version), "creation_time": 1,
                       "tags": {}},
        "mlmodel": {
            "raw": f"run_id: {run_id}\n",
            "parsed": {
                "artifact_path": "model", "run_id": run_id, "model_uuid": f"uuid{version}",
                "utc_time_created": f"2026-11-2{version} 10:00:00", "mlflow_version": "3.17.2",
                "flavors": {"python_function": {"loader_module": "mlflow.sklearn", "python_version": "3.11.4"},
                            "sklearn": {"sklearn_version": "1.4.2", "pickled_model": "model.pkl"}},
                "signature": {
                    "inputs": [{"name": "age", "type": "long", "required": True},
                               {"name": "plan", "type": "string", "required": True}],
                    "outputs": [{"type": "double", "required": True}],
                    "params": None,
                },
            },
        },
        "environment": {
            "requirements": {"raw": "mlflow==3.17.2\n", "packages": {"mlflow": "==3.17.2", "scikit-learn": "==1.4.2"},
                             "python": None},
            "conda": None,
            "python_env": {"raw": "python: 3.11.4\n", "packages": {}, "python": "3.11.4",
                           "parsed": {"python": "3.11.4", "build_dependencies": ["pip"],
                                      "dependencies": ["-r requirements.txt"]}},
        },
        "artifacts": {
            "model": {"root_uri": f"s3://bucket/{version}", "file_count": 2, "total_size": 300,
                      "files": [{"path": "MLmodel", "is_dir": False, "size": 100},
                                {"path": "model.pkl", "is_dir": False, "size": 200}]},
            "run": {"root_uri": f"s3://bucket/{run_id}", "file_count": 1, "total_size": 10,
                    "files": [{"path": "plots", "is_dir": True, "size": None},
                              {"path": "plots/roc.png", "is_dir": False, "size": 10}]},
        },
        "permissions": {"kind": "mlflow-basic-auth",
                        "registered_model": {"grants": [{"principal": "user:alice", "permission": "MANAGE",
                                                         "inherited": False}], "raw": {}},
                        "experiment": None},
        "unavailable": {},
    }
    return seal(doc, captured_at)
