"""snap: offline snapshots, reports and diffs of MLflow model versions.

Nothing here imports mlflow: only `snapshot.capture.version` (and what it imports) does,
so offline commands stay fast.
"""

__version__ = "0.1.0"
SCHEMA_VERSION = 1
