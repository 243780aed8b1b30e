"""The statisticians' read-only role on the real PostgreSQL server: a month generated (scale 0.01), run
through the pipeline, its warehouse copied into PostgreSQL and published from there; the role `qamtu`
creates reads the published marts and the vintages, and is refused everything else — raw rows, the
quarantine (personal data), the candidate and working marts, and every write or DDL. Then the
deployment's init scripts make the same role on a fresh database, with the same refusals."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg2
import psycopg2.errors
import pyarrow.parquet as pq
import pytest
from qamtu.settings import Settings

# Builds whole pipelines or dbt projects (minutes): `make test` runs it; the daily `make check` does not.
pytestmark = pytest.mark.slow

PG = {"host": "127.0.0.1", "port": 5432}
QUARANTINED_DEFECTS = ["coordinates_outside_kazakhstan", "speed_out_of_range"]
PERIOD = "2026-01"
REPO = Path(__file__).resolve().parents[2]
PG_INITS = [REPO / "deploy" / "postgres" / "10-create-databases.sh",
            REPO / "deploy" / "postgres" / "20-reader-role.sh"]

# Statements the role must be refused, whatever it tries. `set ... read write` first: the role's
# read-only default is a convenience, the refusals below must come from the privileges.
FORBIDDEN_READS = [
    "select count(*) from raw.submissions",
    "select count(*) from raw.settlement_fiber",
    "select count(*) from quarantine.errors",
    "select count(*) from quarantine.speed_tests",
    "select count(*) from quarantine.base_stations",
    "select count(*) from marts_candidate.fct_programme_progress",
    "select count(*) from marts.fct_programme_progress",
    "select count(*) from reference.kato",
]
FORBIDDEN_WRITES = [
    "insert into published.vintages (release_period) values ('2099-01')",
    "update published.vintages set value = 0",
    "delete from published.vintages",
    "update published.fct_programme_progress set actual = 0",
    "truncate published.vintages",
    "drop table published.vintages",
    "alter table published.vintages add column x int",
    "create table published.notes (x int)",
    "create table public.notes (x int)",
    "create schema scratch",
    "create temporary table scratch (x int)",
    "create view published.v as select 1 as x",
]


@contextmanager
def admin(database: str = "postgres") -> Iterator:
    connection = psycopg2.connect(dbname=database, user="postgres", **PG)
    connection.autocommit = True
    try:
        yield connection
    finally:
        connection.close()


@contextmanager
def as_reader(database: str, role: str, password: str | None = None) -> Iterator:
    connection = psycopg2.connect(dbname=database, user=role, password=password, **PG)
    connection.autocommit = True
    try:
        yield connection
    finally:
        connection.close()


def refused(connection, statement: str) -> bool:
    with connection.cursor() as cur:
        cur.execute("set session characteristics as transaction read write")
        try:
            cur.execute(statement)
        except (psycopg2.errors.InsufficientPrivilege, psycopg2.errors.ReadOnlySqlTransaction):
            return True
    return False


def drop_role(role: str, databases: list[str]) -> None:
    for database in databases:
        try:
            with admin(database) as connection, connection.cursor() as cur:
                cur.execute(f'drop owned by "{role}"')
        except psycopg2.OperationalError:
            pass
    with admin() as connection, connection.cursor() as cur:
        cur.execute(f'drop role if exists "{role}"')


def copy_schemas(source: Settings, target: Settings, schemas: tuple[str, ...]) -> dict[str, int]:
    """Every table of ``schemas`` copied row for row from the DuckDB warehouse into PostgreSQL."""
    from qamtu.warehouse import connect

    copied = {}
    with connect(source) as duck, connect(target) as pg:
        tables = duck.rows("select table_schema, table_name from information_schema.tables "
                           "where table_schema in (select unnest(?)) order by 1, 2", [list(schemas)])
        for schema, table in tables:
            data = duck.raw.execute(f'select * from "{schema}"."{table}"').to_arrow_table()
            copied[f"{schema}.{table}"] = pg.replace_arrow(schema, table, data)
    return copied


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    """A month through the pipeline (generated, ingested, built, audited, promoted on the embedded
    DuckDB), its raw, quarantine, candidate, working and reference tables copied into a new PostgreSQL
    database, then published from there by ``publish_release`` on the PostgreSQL warehouse — which
    creates the reader role (named uniquely) and its grants."""
    from qamtu.pipeline import audit as audit_period
    from qamtu.pipeline import build, generate_sample, ingest, load_reference, promote
    from qamtu.publish import publish_release

    suffix = uuid.uuid4().hex[:10]
    database, role = f"qamtu_test_reader_{suffix}", f"qamtu_test_reader_{suffix}"
    with admin() as connection, connection.cursor() as cur:
        cur.execute(f'create database "{database}"')
    root = tmp_path_factory.mktemp("reader-pg")
    duck = Settings(home=root / "duck", warehouse="duckdb", storage="local")
    settings = Settings(home=root / "pg", warehouse="postgres", storage="local", pg_host=PG["host"],
                        pg_port=PG["port"], pg_user="postgres", pg_database=database, pg_reader_role=role)
    quiet = lambda *_: None  # noqa: E731
    try:
        # Two rejected rows, so the quarantine holds what it must never show: coordinates of a site
        # and of a speed test.
        generate_sample([PERIOD], 0.01, 3, duck, defects=QUARANTINED_DEFECTS, echo=quiet)
        load_reference(duck, quiet)
        ingest(duck)
        build(PERIOD, duck, quiet)
        assert audit_period(PERIOD, duck, quiet)["publishable"]
        promote(PERIOD, duck, quiet)
        copied = copy_schemas(duck, settings, ("raw", "quarantine", "marts_candidate", "marts", "reference"))
        assert copied["raw.submissions"] > 0 and copied["marts.fct_programme_progress"] > 0
        release = publish_release(PERIOD, settings=settings, echo=quiet)
        assert release["version"] == 1
        yield settings
    finally:
        with admin() as connection, connection.cursor() as cur:
            cur.execute(
                "select pg_terminate_backend(pid) from pg_stat_activity where datname = %s", (database,)
            )
            cur.execute(f'drop database if exists "{database}"')
        drop_role(role, [])


def release_folder(settings: Settings) -> Path:
    return settings.area_path("publication") / "releases" / PERIOD / "v1"


def test_reader_reads_the_published_marts_and_vintages(warehouse):
    folder = release_folder(warehouse)
    vintages = pq.read_table(folder / "vintages.parquet")
    progress = pq.read_table(folder / "parquet" / "fct_programme_progress.parquet").to_pylist()
    with as_reader(warehouse.pg_database, warehouse.pg_reader_role) as reader, reader.cursor() as cur:
        cur.execute("select count(*), min(release_period), max(version) from published.vintages")
        assert cur.fetchone() == (vintages.num_rows, PERIOD, 1)
        cur.execute("select period, region_code, indicator, actual from published.fct_programme_progress")
        found = {(p, r, i): a for p, r, i, a in cur.fetchall()}
        cur.execute("select table_name from information_schema.tables where table_schema = 'published'")
        readable = {row[0] for row in cur.fetchall()}
    assert found == {(r["period"], r["region_code"], r["indicator"]): r["actual"] for r in progress}
    listed = {name.removeprefix("parquet/").removesuffix(".parquet") for name in
              (p.relative_to(folder).as_posix() for p in (folder / "parquet").glob("*.parquet"))}
    assert readable == listed | {"vintages"}


def test_private_schemas_exist_and_hold_rows(warehouse):
    """The refusals below are about real tables with rows (checked as the owner)."""
    with admin(warehouse.pg_database) as owner, owner.cursor() as cur:
        for statement in FORBIDDEN_READS:
            cur.execute(statement)
            assert cur.fetchone()[0] >= 0
        for table in ("raw.submissions", "quarantine.speed_tests", "quarantine.base_stations"):
            cur.execute(f"select count(*) from {table}")
            assert cur.fetchone()[0] > 0, table


@pytest.mark.parametrize("statement", FORBIDDEN_READS + FORBIDDEN_WRITES)
def test_reader_is_refused(warehouse, statement):
    with as_reader(warehouse.pg_database, warehouse.pg_reader_role) as reader:
        assert refused(reader, statement), f"the read-only role was allowed: {statement}"


def test_reader_sessions_are_read_only_by_default(warehouse):
    with as_reader(warehouse.pg_database, warehouse.pg_reader_role) as reader, reader.cursor() as cur:
        cur.execute("show default_transaction_read_only")
        assert cur.fetchone() == ("on",)


def test_a_publish_keeps_the_grants(warehouse):
    """Publishing again (a new version replaces the published tables) leaves them readable."""
    from qamtu.publish.database import publish_to_warehouse
    from qamtu.publish.tables import load_docs, load_marts
    from qamtu.warehouse import connect

    with connect(warehouse) as owner:
        marts = load_marts(owner, PERIOD, load_docs(), echo=lambda *_: None)
    folder = release_folder(warehouse)
    vintages = pq.read_table(folder / "vintages.parquet")
    publish_to_warehouse(warehouse, marts, vintages.slice(0, 0), "2099-12", 1, echo=lambda *_: None)
    with as_reader(warehouse.pg_database, warehouse.pg_reader_role) as reader, reader.cursor() as cur:
        cur.execute("select count(*) from published.fct_programme_progress")
        assert cur.fetchone()[0] == len(pq.read_table(folder / "parquet" / "fct_programme_progress.parquet"))


def test_deployment_init_scripts_make_the_same_role(tmp_path):
    """deploy/postgres/10-… and 20-reader-role.sh as the postgres image runs them, then the warehouse's
    owner publishes a table: the reader reads it (password login) and is refused the rest."""
    suffix = uuid.uuid4().hex[:8]
    env = {
        "PATH": os.environ["PATH"], "PGHOST": PG["host"], "PGPORT": str(PG["port"]),
        "POSTGRES_USER": "postgres",
        "AIRFLOW_DB_USER": f"qr_af_{suffix}", "AIRFLOW_DB_PASSWORD": "af-secret",
        "AIRFLOW_DB_NAME": f"qr_afdb_{suffix}",
        "QAMTU_PG_USER": f"qr_wh_{suffix}", "QAMTU_PG_PASSWORD": "wh-secret",
        "QAMTU_PG_DATABASE": f"qr_whdb_{suffix}",
        "QAMTU_PG_READER_ROLE": f"qr_reader_{suffix}", "QAMTU_PG_READER_PASSWORD": "reader secret 'quoted'",
    }
    roles = [env["AIRFLOW_DB_USER"], env["QAMTU_PG_USER"], env["QAMTU_PG_READER_ROLE"]]
    databases = [env["AIRFLOW_DB_NAME"], env["QAMTU_PG_DATABASE"]]
    try:
        for script in PG_INITS:
            run = subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True, timeout=60)
            assert run.returncode == 0, run.stderr
        owner = psycopg2.connect(dbname=env["QAMTU_PG_DATABASE"], user=env["QAMTU_PG_USER"], **PG)
        try:
            with owner.cursor() as cur:
                cur.execute("create table published.fct_probe as select 1 as x; "
                            "create schema raw; create table raw.probe as select 1 as x")
            owner.commit()
        finally:
            owner.close()
        with as_reader(env["QAMTU_PG_DATABASE"], env["QAMTU_PG_READER_ROLE"],
                       env["QAMTU_PG_READER_PASSWORD"]) as reader:
            with reader.cursor() as cur:
                cur.execute("select x from published.fct_probe")
                assert cur.fetchall() == [(1,)]
            for statement in ("select x from raw.probe", "insert into published.fct_probe values (2)",
                              "create table public.notes (x int)", "create temporary table scratch (x int)"):
                assert refused(reader, statement), statement
    finally:
        with admin() as connection, connection.cursor() as cur:
            for database in databases:
                cur.execute(
                    "select pg_terminate_backend(pid) from pg_stat_activity where datname = %s", (database,)
                )
                cur.execute(f'drop database if exists "{database}"')
            for role in reversed(roles):
                cur.execute(f'drop role if exists "{role}"')
