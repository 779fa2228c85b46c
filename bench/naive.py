"""The naive capture existing tools do: one MlflowClient call after another, per version.

    python bench/naive.py TRACKING_URI MODEL_NAME OUT_DIR

Per version: get version, registered model, download URI, run, experiment, a
recursive listing of the model's and the run's artifacts, and the four metadata
files (download_artifacts, which lists each path before fetching it). Writes one
JSON per version and prints {"versions", "seconds", "requests"} as JSON.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

METADATA = ("MLmodel", "requirements.txt", "conda.yaml", "python_env.yaml")


def _listing(client_list, path=None) -> list[dict]:
    out = []
    for info in client_list(path):
        out.append({"path": info.path, "is_dir": info.is_dir, "size": info.file_size})
        if info.is_dir:
            out.extend(_listing(client_list, info.path))
    return out


def capture_naive(tracking_uri: str, name: str, out_dir: Path) -> int:
    from mlflow import MlflowClient
    from mlflow.artifacts import download_artifacts
    from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository

    from snapshot.sources.connection import to_dict

    client = MlflowClient(tracking_uri, registry_uri=tracking_uri)
    count, token = 0, None
    while True:
        page = client.search_model_versions(f"name='{name}'", max_results=1000, page_token=token)
        for listed in page:
            mv = client.get_model_version(name, listed.version)
            record = {"model_version": to_dict(mv), "registered_model": to_dict(client.get_registered_model(name))}
            download_uri = client.get_model_version_download_uri(name, mv.version)
            run = client.get_run(mv.run_id)
            record.update(download_uri=download_uri, run=to_dict(run),
                          experiment=to_dict(client.get_experiment(run.info.experiment_id)))
            model_repo = get_artifact_repository(download_uri, tracking_uri=tracking_uri)
            record["model_files"] = _listing(model_repo.list_artifacts)
            record["run_files"] = _listing(get_artifact_repository(run.info.artifact_uri, tracking_uri=tracking_uri).list_artifacts)
            with tempfile.TemporaryDirectory() as tmp:
                present = {f["path"] for f in record["model_files"]}
                record["files"] = {f: Path(download_artifacts(f"{download_uri}/{f}", dst_path=tmp,
                                                               tracking_uri=tracking_uri)).read_text()
                                   for f in METADATA if f in present}
            (out_dir / f"{name}-v{mv.version}.json").write_text(json.dumps(record, sort_keys=True))
            count += 1
        token = page.token
        if not token:
            return count


if __name__ == "__main__":
    from snapshot.sources.http_count import counting

    uri, model, out = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    with counting() as sent:
        versions = capture_naive(uri, model, out)
    print(json.dumps({"versions": versions, "seconds": time.perf_counter() - start, "requests": sent.requests}))
