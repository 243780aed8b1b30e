"""One settings object, read from the environment (prefix ``QAMTU_``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict

# Where the project's files live (the package is installed editable from include/).
REPO_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
EXPECTATIONS_DIR = REPO_ROOT / "expectations"
DOCS_DIR = REPO_ROOT / "docs"
# The warehouse's schemas: dbt builds the candidate; promotion copies an audited candidate to the
# published marts, the only ones releases are read from.
CANDIDATE_SCHEMA = "marts_candidate"
MARTS_SCHEMA = "marts"


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
    # The read-only login statisticians use on a PostgreSQL warehouse: reads schema `published` only.
    pg_reader_role: str = "qamtu_reader"
    pg_reader_password: str = ""

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
    # Ingestion: a file more than this share of whose rows are not records of its header is rejected
    # (below it those rows are held back one by one); a file whose processing fails this many runs
    # in a row gets a `failed` receipt and waits for `qamtu ingest --retry KEY`.
    ingest_max_unreadable_share: float = 0.01
    ingest_max_attempts: int = 3

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
