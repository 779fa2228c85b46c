"""Tag names that mean something to snap."""

SPARK_DATASOURCE_TAG = "sparkDatasourceInfo"  # Databricks: the Spark data sources a run read
