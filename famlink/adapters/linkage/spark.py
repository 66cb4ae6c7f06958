"""Splink on Spark: the same settings and model JSON, for regional-scale linkage.

Local mode by default; set FAMLINK_SPARK_MASTER (e.g. ``spark://host:7077``)
to use a cluster. pyspark is imported here only, so the default install does
not need it (``linkage_engine("spark")`` explains what to install if missing).
"""

from __future__ import annotations

import tempfile
from typing import Any

import pandas as pd
import pyspark  # noqa: F401  (fail early, with linkage_engine's message, if missing)

from famlink import config
from famlink.adapters.linkage.splink_model import SplinkLinkageEngine


class SparkLinkageEngine(SplinkLinkageEngine):
    name = "spark"
    dialect = "spark"

    def __init__(self, *, spark_session: Any = None, **options: Any) -> None:
        super().__init__(**options)
        self._spark = spark_session

    def _session(self) -> Any:
        if self._spark is None:
            from pyspark.sql import SparkSession
            from splink.backends.spark import similarity_jar_location

            master = config.get("FAMLINK_SPARK_MASTER") or "local[2]"
            self._spark = (
                SparkSession.builder.master(master).appName("famlink-linkage")
                .config("spark.sql.shuffle.partitions", "8")
                .config("spark.ui.enabled", "false")
                # Splink's comparisons call its Scala UDFs (jaro_winkler, ...): ship its jar
                .config("spark.jars", similarity_jar_location())
                .getOrCreate())
            self._spark.sparkContext.setCheckpointDir(tempfile.mkdtemp(prefix="famlink-spark-"))
        return self._spark

    def _register(self, db_api: Any, prepared: pd.DataFrame, name: str) -> Any:
        """Give Spark the schema rather than let it guess: it cannot infer the
        type of a column that is empty in every row (a field no record has)."""
        from pyspark.sql import types

        fields, columns = [], []
        for column, dtype in prepared.dtypes.items():
            if pd.api.types.is_bool_dtype(dtype):
                kind: Any = types.BooleanType()
            elif pd.api.types.is_integer_dtype(dtype):
                kind = types.LongType()
            elif pd.api.types.is_float_dtype(dtype):
                kind = types.DoubleType()
            else:
                kind = types.StringType()
            fields.append(types.StructField(str(column), kind, nullable=True))
            values = prepared[column].astype(object)
            columns.append(values.where(values.notna(), None).tolist())
        rows = list(zip(*columns, strict=True)) if columns else []
        frame = self._session().createDataFrame(rows, types.StructType(fields))
        return db_api.register(frame, table_name=name)

    def _database_api(self) -> Any:
        from splink import SparkAPI

        return SparkAPI(spark_session=self._session())
