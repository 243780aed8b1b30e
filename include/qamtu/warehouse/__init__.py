"""Warehouse connections: the embedded DuckDB file or a PostgreSQL server, behind one small interface.

Every writer hands over Arrow tables; DuckDB ingests them natively, PostgreSQL through ``COPY`` (no
row-by-row inserts). Readers get pandas frames or plain rows.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv

from qamtu.settings import Settings, get_settings

# Arrow type → SQL type, the same on both engines.
_SQL_TYPES = {
    pa.string(): "TEXT",
    pa.large_string(): "TEXT",
    pa.int64(): "BIGINT",
    pa.int32(): "INTEGER",
    pa.float64(): "DOUBLE PRECISION",
    pa.bool_(): "BOOLEAN",
    pa.date32(): "DATE",
}


def sql_type(arrow_type: pa.DataType) -> str:
    if pa.types.is_timestamp(arrow_type):
        return "TIMESTAMP WITH TIME ZONE" if arrow_type.tz else "TIMESTAMP"
    return _SQL_TYPES.get(arrow_type, "TEXT")


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class Warehouse:
    """A connection to the configured warehouse. Use :func:`connect`."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.dialect = settings.warehouse
        if self.dialect == "duckdb":
            settings.duckdb_file.parent.mkdir(parents=True, exist_ok=True)
            self.raw = _open_duckdb(settings)
        else:
            import psycopg2

            ensure_postgres_database(settings)
            self.raw = psycopg2.connect(
                host=settings.pg_host,
                port=settings.pg_port,
                user=settings.pg_user,
                password=settings.pg_password or None,
                dbname=settings.pg_database,
            )
            self.raw.autocommit = True

    # -- reading -----------------------------------------------------------------------------
    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        if self.dialect == "duckdb":
            self.raw.execute(sql, params or [])
        else:
            with self.raw.cursor() as cur:
                cur.execute(_pg_params(sql), params)

    def rows(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple]:
        if self.dialect == "duckdb":
            return self.raw.execute(sql, params or []).fetchall()
        with self.raw.cursor() as cur:
            cur.execute(_pg_params(sql), params)
            return cur.fetchall() if cur.description else []

    def scalar(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        result = self.rows(sql, params)
        return result[0][0] if result else None

    def frame(self, sql: str, params: Sequence[Any] | None = None):
        """The query's result as a pandas DataFrame."""
        import pandas as pd

        if self.dialect == "duckdb":
            return self.raw.execute(sql, params or []).df()
        with self.raw.cursor() as cur:
            cur.execute(_pg_params(sql), params)
            columns = [d[0] for d in cur.description]
            return pd.DataFrame(cur.fetchall(), columns=columns)

    def table_exists(self, schema: str, table: str) -> bool:
        return bool(
            self.scalar(
                "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
                [schema, table],
            )
        )

    def columns(self, schema: str, table: str) -> list[str]:
        return [
            r[0]
            for r in self.rows(
                "select column_name from information_schema.columns "
                "where table_schema = ? and table_name = ? order by ordinal_position",
                [schema, table],
            )
        ]

    # -- writing -----------------------------------------------------------------------------
    def ensure_schema(self, schema: str) -> None:
        self.execute(f"create schema if not exists {quote_ident(schema)}")

    def create_table_like(self, schema: str, table: str, arrow_schema: pa.Schema) -> None:
        """Create the table if it does not exist, with columns typed from an Arrow schema."""
        self.ensure_schema(schema)
        columns = ", ".join(f"{quote_ident(f.name)} {sql_type(f.type)}" for f in arrow_schema)
        self.execute(f"create table if not exists {quote_ident(schema)}.{quote_ident(table)} ({columns})")

    def append_arrow(self, schema: str, table: str, data: pa.Table) -> int:
        """Append an Arrow table (creating the target if needed); returns the rows written."""
        self.create_table_like(schema, table, data.schema)
        target = f"{quote_ident(schema)}.{quote_ident(table)}"
        column_list = ", ".join(quote_ident(n) for n in data.column_names)
        if self.dialect == "duckdb":
            self.raw.register("_qamtu_incoming", data)
            try:
                self.raw.execute(f"insert into {target} ({column_list}) select {column_list} from "
                                 "_qamtu_incoming")
            finally:
                self.raw.unregister("_qamtu_incoming")
        else:
            buffer = io.BytesIO()
            pa_csv.write_csv(data, buffer, pa_csv.WriteOptions(include_header=False, quoting_style="needed"))
            buffer.seek(0)
            with self.raw.cursor() as cur:
                cur.copy_expert(f"copy {target} ({column_list}) from stdin with (format csv)", buffer)
        return data.num_rows

    def replace_arrow(self, schema: str, table: str, data: pa.Table) -> int:
        self.ensure_schema(schema)
        self.execute(f"drop table if exists {quote_ident(schema)}.{quote_ident(table)}")
        return self.append_arrow(schema, table, data)

    def close(self) -> None:
        self.raw.close()


def _open_duckdb(settings: Settings):
    """Open the DuckDB file; while a process outside qamtu's lock (a DuckDB shell, a stray dbt) holds
    it, wait as :mod:`qamtu.warehouse.lock` does, then say who holds it in one sentence."""
    import os
    import re
    import time

    import duckdb

    from qamtu.warehouse.lock import WarehouseBusy, busy_message

    started = time.monotonic()
    while True:
        try:
            return duckdb.connect(
                str(settings.duckdb_file),
                config={"threads": settings.duckdb_threads, "memory_limit": settings.duckdb_memory_limit},
            )
        except duckdb.IOException as error:
            if "lock" not in str(error).lower():
                raise
            waited = time.monotonic() - started
            if waited >= settings.lock_timeout_seconds:
                # DuckDB's own message names the holder: "Conflicting lock is held in <program> (PID n) by …".
                found = re.search(r"Conflicting lock is held in (.+?) \(PID (\d+)\)", str(error))
                detail = f"`{os.path.basename(found[1])}` (PID {found[2]})" if found else None
                raise WarehouseBusy(busy_message(settings, waited, detail)) from None
            time.sleep(0.2)


def _pg_params(sql: str) -> str:
    """Both engines take ``?`` placeholders here; psycopg2 wants ``%s``."""
    return sql.replace("%", "%%").replace("?", "%s")


def ensure_postgres_database(settings: Settings) -> None:
    import psycopg2

    admin = psycopg2.connect(
        host=settings.pg_host, port=settings.pg_port, user=settings.pg_user,
        password=settings.pg_password or None, dbname="postgres",
    )
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            cur.execute("select 1 from pg_database where datname = %s", (settings.pg_database,))
            if cur.fetchone() is None:
                cur.execute(f"create database {quote_ident(settings.pg_database)}")
    finally:
        admin.close()


@contextmanager
def connect(settings: Settings | None = None) -> Iterator[Warehouse]:
    """A warehouse connection, holding the warehouse lock for this process while it is open (DuckDB)."""
    from qamtu.warehouse.lock import warehouse_lock

    settings = settings or get_settings()
    with warehouse_lock(settings):
        warehouse = Warehouse(settings)
        try:
            yield warehouse
        finally:
            warehouse.close()
