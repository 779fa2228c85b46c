"""Comparing and rendering snapshots. Never imports mlflow."""
