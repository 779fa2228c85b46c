"""An environment in which `import mlflow` fails, as on a machine without it."""

from __future__ import annotations

import os
from pathlib import Path


def without_mlflow(shadow: Path) -> dict:
    """Environment variables for a subprocess whose `import mlflow` raises ImportError (a module under `shadow`)."""
    (shadow / "mlflow").mkdir(exist_ok=True)
    (shadow / "mlflow" / "__init__.py").write_text("raise ImportError('mlflow is not available offline')\n")
    return {"PYTHONPATH": f"{shadow}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
