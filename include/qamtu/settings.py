"""One settings object, read from the environment (prefix ``QAMTU_``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QAMTU_", extra="ignore")

    # Everything the embedded default keeps lives under one folder.
    home: Path = Path(".qamtu")

    # Warehouse: the embedded DuckDB file, or a PostgreSQL server (any dbt adapter beyond).
    warehouse: Literal["duckdb", "postgres"] = "duckdb"
    duckdb_path: Path | None = None  # default: <home>/warehouse.duckdb
    duckdb_threads: int = 2
    duckdb_memory_limit: str = "4GB"
    # A second process that needs the DuckDB warehouse waits this long for the holder, then says who it is.
    lock_timeout_seconds: float = 300.0
    pg_host: str = "127.0.0.1"
    pg_port: int = 5432
    pg_user: str = "postgres"
    pg_password: str = ""
    pg_database: str = "qamtu"

    # Object storage: a local folder per area by default, S3 (or MinIO) when an endpoint/bucket is set.
    storage: Literal["local", "s3"] = "local"
    s3_endpoint_url: str | None = None
    s3_region: str = "us-east-1"
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = None
    bucket_landing: str = "qamtu-landing"
    bucket_archive: str = "qamtu-archive"
    bucket_publication: str = "qamtu-publication"

    # Alerts: always logged; also POSTed as JSON when a webhook is set.
    alert_webhook_url: str | None = None

    @property
    def duckdb_file(self) -> Path:
        return self.duckdb_path or self.home / "warehouse.duckdb"

    def area_path(self, area: str) -> Path:
        """Local folder of a storage area (landing, archive, publication, receipts, audit)."""
        return self.home / area


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reload_settings() -> Settings:
    get_settings.cache_clear()
    return get_settings()
