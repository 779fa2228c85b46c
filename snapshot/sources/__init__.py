"""Where snapshot content comes from: the only code that imports mlflow."""
