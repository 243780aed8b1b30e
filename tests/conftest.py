"""Fixtures shared by every test folder: a private QAMTU_HOME, a real S3 endpoint on loopback (moto's
server mode, never a patched boto3) with fresh buckets, and a temporary PostgreSQL database on the
local server. Each fixture cleans up what it made."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from s3_helpers import S3_TEST_KEY, empty_and_delete_bucket, s3_client

PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The end-to-end files first (stable otherwise): `make test` runs two pytest-xdist workers, a file
    per worker at a time in this order, so the two longest files (minutes each) start at once
    instead of ending the run one after the other."""
    items.sort(key=lambda item: 0 if item.path.parent.name == "e2e" else 1)


@pytest.fixture()
def qamtu_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh QAMTU_HOME; the environment and the cached settings point at it for the test."""
    from qamtu.settings import reload_settings

    home = tmp_path / "qamtu"
    home.mkdir()
    for name in list(os.environ):
        if name.startswith("QAMTU_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("QAMTU_HOME", str(home))
    reload_settings()
    yield home
    monkeypatch.undo()
    reload_settings()


@pytest.fixture()
def local_settings(qamtu_home: Path):
    """Embedded defaults under the temporary home: DuckDB warehouse, local storage folders."""
    from qamtu.settings import Settings

    return Settings(home=qamtu_home, warehouse="duckdb", storage="local")


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """moto's threaded S3 server on 127.0.0.1, a free port; the URL of its endpoint."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture()
def s3_settings(qamtu_home: Path, s3_endpoint: str, monkeypatch: pytest.MonkeyPatch):
    """Settings for the S3 backend on the moto server, with three new empty buckets (removed after)."""
    from qamtu.settings import Settings

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", S3_TEST_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", S3_TEST_KEY)
    suffix = uuid.uuid4().hex[:10]
    buckets = {area: f"qamtu-test-{area}-{suffix}" for area in ("landing", "archive", "publication")}
    client = s3_client(s3_endpoint)
    for bucket in buckets.values():
        client.create_bucket(Bucket=bucket)
    settings = Settings(
        home=qamtu_home, warehouse="duckdb", storage="s3", s3_endpoint_url=s3_endpoint,
        s3_access_key_id=S3_TEST_KEY, s3_secret_access_key=S3_TEST_KEY,
        bucket_landing=buckets["landing"], bucket_archive=buckets["archive"],
        bucket_publication=buckets["publication"],
    )
    yield settings
    for bucket in buckets.values():
        empty_and_delete_bucket(client, bucket)


@pytest.fixture()
def pg_database() -> Iterator[str]:
    """A new, uniquely named database on the local PostgreSQL server; dropped afterwards."""
    import psycopg2

    name = f"qamtu_test_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres")
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            cur.execute(f'create database "{name}"')
        yield name
        with admin.cursor() as cur:
            cur.execute("select pg_terminate_backend(pid) from pg_stat_activity where datname = %s", (name,))
            cur.execute(f'drop database if exists "{name}"')
    finally:
        admin.close()


@pytest.fixture()
def pg_settings(qamtu_home: Path, pg_database: str):
    """Settings for a PostgreSQL warehouse in the temporary database, local storage folders."""
    from qamtu.settings import Settings

    return Settings(home=qamtu_home, warehouse="postgres", storage="local", pg_host=PG_HOST, pg_port=PG_PORT,
                    pg_user=PG_USER, pg_database=pg_database)
