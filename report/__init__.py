"""`snap report`: the Markdown model report of a snapshot. Never imports mlflow."""
