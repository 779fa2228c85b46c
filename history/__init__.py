"""Registry history from a snapshot store (#11): `snap changes`, `@{WHEN}` references, `snap compare`.

Reads the store only through `history.source`, never imports mlflow.
"""
