"""A real MLflow 2.x server for the suite, from its own virtualenv.

The virtualenv is built on first use under `.cache/mlflow2/` in the repository (about
35 s and 850 MB; kept for later runs, ignored by git), so the suite needs nothing
installed by hand. MLflow 2.22 with SQLAlchemy below 2.1: 2.22's store imports a
pool class that SQLAlchemy 2.1 removed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

from tests.support.servers import CREDENTIAL_VARS, free_port, serving

VERSION = "2.22"
REQUIREMENTS = (f"mlflow=={VERSION}.*", "sqlalchemy<2.1")
VENV = Path(__file__).resolve().parents[2] / ".cache" / f"mlflow{VERSION}"


def python() -> Path:
    """The 2.x virtualenv's interpreter, built if missing."""
    exe = VENV / "bin" / "python"
    if not (VENV / ".complete").exists():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
        subprocess.run([str(exe), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *REQUIREMENTS],
                       check=True)
        (VENV / ".complete").write_text(" ".join(REQUIREMENTS) + "\n")
    return exe


def _env() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in (*CREDENTIAL_VARS, "MLFLOW_TRACKING_URI")}
    env.pop("PYTHONPATH", None)  # nothing of this checkout inside the 2.x interpreter
    return env


@contextmanager
def mlflow2_server(root: Path):
    """`mlflow server` of MLflow 2.x on a free 127.0.0.1 port, state under `root`."""
    exe = python()
    root.mkdir(parents=True, exist_ok=True)
    port = free_port()
    uri = f"http://127.0.0.1:{port}"
    cmd = [str(exe), "-m", "mlflow", "server", "--backend-store-uri", f"sqlite:///{root}/mlflow.db",
           "--serve-artifacts", "--artifacts-destination", str(root / "artifacts"),
           "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    with serving(cmd, root, _env(), uri) as running:
        yield running


POPULATE = r'''
import sys, mlflow
from mlflow import MlflowClient
from mlflow.models import infer_signature

class Echo(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input):
        return model_input

mlflow.set_tracking_uri(sys.argv[1])
client = MlflowClient()
mlflow.set_experiment("legacy")
for i in (1, 2):
    with mlflow.start_run() as run:
        mlflow.log_param("alpha", i)
        mlflow.log_metric("rmse", 1.0 / i)
        mlflow.set_tag("team", "risk")
        mlflow.pyfunc.log_model("model", python_model=Echo(), registered_model_name="Legacy",
                                pip_requirements=["mlflow==2.22.0"])
client.set_registered_model_alias("Legacy", "champion", "2")
client.set_model_version_tag("Legacy", "1", "validated", "yes")
'''


def populate(uri: str) -> None:
    """Two versions of `Legacy` logged by MLflow 2.x's own client, alias `champion` on v2."""
    subprocess.run([str(python()), "-c", POPULATE, uri], check=True, env=_env(), capture_output=True)
