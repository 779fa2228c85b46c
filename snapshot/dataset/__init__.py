"""The store's Parquet dataset for analysts: tables laid out for engines, under STORE/parquet/.

    STORE/parquet/<table>/captured_month=YYYY-MM/part-….parquet

Tables (schemas in `schemas.py`): `snapshots`, `values` (the lossless long
table), `requirements`, `metrics`, `params`, `tags`, `aliases`, `signature`.
Spark, DuckDB, polars, pandas and pyarrow.dataset read each table as a folder.

- `append_to_dataset(fs, root, docs)`: a capture run's documents, one part per table and partition.
- `rebuild_dataset(fs, root, docs)`: the whole dataset from every document (`snap reindex`).
- `compact_dataset(fs, root)`: merge each partition's parts into one (`snap compact`).
- `run_query(fs, root, sql, at=None)`: DuckDB over the documented views (`snap sql`; `at` for `--at`).

`fs` is an fsspec filesystem and `root` the store's root on it.
"""

__all__ = ["append_to_dataset", "compact_dataset", "part_counts", "rebuild_dataset"]


def __getattr__(name: str):
    """The functions above, imported when first used: `snap sql` needs none of them (nor pyarrow)."""
    if name in ("append_to_dataset", "rebuild_dataset"):
        from snapshot.dataset import writer

        return getattr(writer, name)
    if name in ("compact_dataset", "part_counts"):
        from snapshot.dataset import compact

        return getattr(compact, name)
    raise AttributeError(name)
