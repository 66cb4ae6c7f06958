"""Splink on Spark: the same settings and model JSON, for regional-scale linkage.

Local mode by default; set FAMLINK_SPARK_MASTER (e.g. ``spark://host:7077``)
to use a cluster. pyspark is imported here only, so the default install does
not need it (``linkage_engine("spark")`` explains what to install if missing).
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

import pandas as pd
import pyspark  # noqa: F401  (fail early, with linkage_engine's message, if missing)

from famlink import config
from famlink.adapters.linkage.splink_model import SplinkLinkageEngine

#: pandas' name for what an object column holds -> (Spark type, nullable pandas dtype)
_KINDS = {"boolean": ("BooleanType", "boolean"), "integer": ("LongType", "Int64"),
          "floating": ("DoubleType", "Float64"), "mixed-integer-float": ("DoubleType", "Float64")}


def spark_schema(prepared: pd.DataFrame) -> tuple[pd.DataFrame, Any]:
    """The prepared table with every column's type stated, and its Spark schema.

    ``prepare`` hands over object columns holding str, bool, int or None.
    DuckDB reads the type from the values; Spark, given them untyped, made
    ``nhs_number_valid`` (True/False/None) a string, and the NHS number
    level's ``... AND nhs_number_valid_l`` failed (DATATYPE_MISMATCH). So
    each column is typed from what it holds: booleans, whole numbers and
    decimals as nullable columns, everything else (and a column no record
    fills) as strings.
    """
    from pyspark.sql import types

    typed: dict[str, pd.Series] = {}
    fields = []
    for column in prepared.columns:
        values = prepared[column]
        kind = pd.api.types.infer_dtype(values, skipna=True)
        spark_type, dtype = _KINDS.get(kind, ("StringType", "object"))
        if dtype == "object":
            values = values.astype(object).where(values.notna(), None).map(
                lambda v: v if v is None or isinstance(v, str) else str(v))
        else:
            values = values.astype(dtype)
        typed[str(column)] = values
        fields.append(types.StructField(str(column), getattr(types, spark_type)(), nullable=True))
    return pd.DataFrame(typed, index=prepared.index), types.StructType(fields)


class SparkLinkageEngine(SplinkLinkageEngine):
    name = "spark"
    dialect = "spark"

    def __init__(self, *, spark_session: Any = None, **options: Any) -> None:
        super().__init__(**options)
        self._spark = spark_session
        self._checkpoints: str | None = None
        self._temporary: tempfile.TemporaryDirectory[str] | None = None

    def _session(self) -> Any:
        if self._temporary is None:
            # removed with the engine: Splink's intermediate tables (unless on a
            # cluster, FAMLINK_SPARK_CHECKPOINT_DIR) and Spark's warehouse folder,
            # which would otherwise appear in the current directory
            self._temporary = tempfile.TemporaryDirectory(prefix="famlink-spark-")
        if self._spark is None:
            self._spark = self._builder(self._temporary.name).getOrCreate()
            self._spark.sparkContext.setLogLevel("ERROR")
        if self._checkpoints is None:
            self._checkpoints = config.get("FAMLINK_SPARK_CHECKPOINT_DIR") or self._temporary.name
            self._spark.sparkContext.setCheckpointDir(self._checkpoints)
        return self._spark

    @staticmethod
    def _builder(scratch: str) -> Any:
        """famlink's Spark session: local[2] unless FAMLINK_SPARK_MASTER names a cluster.

        Under ``spark-submit`` (which starts the JVM and says so in
        PYSPARK_GATEWAY_PORT) its ``--master``, ``--driver-memory``, ``--jars``
        and ``--conf`` decide (shuffle partitions too: 2-3 per executor core):
        settings made here would override them.
        """
        from pyspark.sql import SparkSession
        from splink.backends.spark import similarity_jar_location

        builder = SparkSession.builder.appName("famlink-linkage")
        if "PYSPARK_GATEWAY_PORT" not in os.environ:
            builder = (builder.master(config.get("FAMLINK_SPARK_MASTER") or "local[2]")
                       .config("spark.driver.memory", config.get("FAMLINK_SPARK_DRIVER_MEMORY") or "4g")
                       .config("spark.sql.shuffle.partitions", "8"))
        return (builder
                .config("spark.sql.warehouse.dir", os.path.join(scratch, "warehouse"))
                .config("spark.ui.enabled", "false")
                .config("spark.ui.showConsoleProgress", "false")
                # records go to the JVM as Arrow batches, not as one pickled task
                .config("spark.sql.execution.arrow.pyspark.enabled", "true")
                # Splink's comparisons call its Scala UDFs (jaro_winkler, ...): ship its jar
                .config("spark.jars", similarity_jar_location()))

    def _register(self, db_api: Any, prepared: pd.DataFrame, name: str) -> Any:
        """Give Spark the schema rather than let it guess (see ``spark_schema``)."""
        typed, schema = spark_schema(prepared)
        frame = self._session().createDataFrame(typed, schema)
        return db_api.register(frame, table_name=name)

    def _database_api(self) -> Any:
        from splink import SparkAPI

        return SparkAPI(spark_session=self._session())
