"""The snapshot document and its file forms: canonical JSON and Parquet."""
