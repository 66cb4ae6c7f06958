"""Splink on DuckDB: the default engine, in-process, for up to a few million records."""

from __future__ import annotations

from typing import Any

from famlink.adapters.linkage.splink_model import SplinkLinkageEngine


class DuckDBLinkageEngine(SplinkLinkageEngine):
    name = "duckdb"
    dialect = "duckdb"

    def __init__(self, *, connection: str = ":memory:", **options: Any) -> None:
        super().__init__(**options)
        self.connection = connection

    def _database_api(self) -> Any:
        from splink import DuckDBAPI

        return DuckDBAPI(connection=self.connection)
