"""`snap import`: mlflow-reports archives as snap snapshots."""
