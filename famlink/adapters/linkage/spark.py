"""Splink on Spark: the same settings and model JSON, for regional-scale linkage.

Local mode by default; set FAMLINK_SPARK_MASTER (e.g. ``spark://host:7077``)
to use a cluster. pyspark is imported here only, so the default install does
not need it (``get_engine("spark")`` explains what to install if missing).
"""

from __future__ import annotations

import tempfile
from typing import Any

import pyspark  # noqa: F401  (fail early, with get_engine's message, if missing)

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

            master = config.get("FAMLINK_SPARK_MASTER", "local[2]")
            self._spark = (
                SparkSession.builder.master(master).appName("famlink-linkage")
                .config("spark.sql.shuffle.partitions", "8")
                .config("spark.ui.enabled", "false")
                .getOrCreate())
            self._spark.sparkContext.setCheckpointDir(tempfile.mkdtemp(prefix="famlink-spark-"))
        return self._spark

    def _database_api(self) -> Any:
        from splink import SparkAPI

        return SparkAPI(spark_session=self._session())
