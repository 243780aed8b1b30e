"""The published database: what statisticians query, never the working warehouse.

Every release carries

    marts.duckdb       the release's marts as tables, each table and column commented with its dbt
                       description and kk/ru/en labels, plus ``vintages`` and a one-row ``release``
    vintages.parquet   the same ``vintages`` table, for readers without DuckDB
    docs/index.html    the dbt documentation site of the marts, one self-contained page (no network)

and the publication area keeps ``latest/marts.duckdb``, a copy of the newest release's file, replaced
in one step when ``latest.json`` moves (temp file + rename locally, one object PUT/COPY on S3), so a
reader sees the old file or the new one, never half of one. Nothing opens a published file for
writing again: any number of readers can hold it open while the pipeline ingests, builds and publishes.

``vintages`` holds every published figure of every release version, one row per figure (ALFRED's
"vintage"): a release appends its own rows to the rows of every release before it, copied unchanged,
so "the figures as published on date D" and "how did the March figure change" are single queries.
The warehouse keeps the same rows in ``published.vintages`` (appended, never updated) next to the
published marts (``published.<mart>``), which is all a read-only role sees there.
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from qamtu.publish.i18n import LANGUAGES
from qamtu.publish.tables import PROGRESS_TABLE, MartTable
from qamtu.settings import Settings
from qamtu.warehouse import quote_ident

DATABASE_FILE = "marts.duckdb"
VINTAGES_FILE = "vintages.parquet"
DOCS_SITE_FILE = "docs/index.html"
LATEST_DATABASE = "latest/marts.duckdb"
VINTAGES_TABLE = "vintages"
RELEASE_TABLE = "release"
PUBLISHED_SCHEMA = "published"
REVISION_NOTES_FILE = "revision_notes.md"
# Vintages keep the figures of the nation, regions, cities and roads. Settlement-level rows (a mart
# keyed by settlement, speed tests summarised per settlement) stay out: ~90 % of the rows, and every
# release's own tables keep them (measured at scale 0.02, two periods: 22 k rows a release with
# this rule, 527 k without).
SETTLEMENT_COLUMN = "kato_code"
# A figure's area is the first of these key columns the mart has (the nation when none).
AREA_COLUMNS = ("region_code", "area_code", "city_kato", "kato_code", "road_code", "district_code")
NATION = "KZ"
# Two values closer than this (relative) are the same figure: float noise, not a revision.
RELATIVE_TOLERANCE = 1e-9

VINTAGES_SCHEMA = pa.schema([
    ("release_period", pa.string()),
    ("version", pa.int64()),
    ("published_at", pa.timestamp("us", tz="UTC")),
    ("table_name", pa.string()),
    ("figure", pa.string()),
    ("area", pa.string()),
    ("period", pa.string()),
    ("dimensions", pa.string()),
    ("value", pa.float64()),
    ("revision_note", pa.string()),
])
VINTAGE_KEY = ("table_name", "figure", "area", "period", "dimensions")
VINTAGES_DOC = {
    "description": "Every published figure of every release version (one row per figure and release); "
                   "appended by each publish, never rewritten.",
    "columns": {
        "release_period": "Period of the release that published the figure (YYYY-MM).",
        "version": "Version of that release (v1, v2 … of the same period).",
        "published_at": "When that release was published (UTC).",
        "table_name": "The mart the figure comes from.",
        "figure": "The headline indicator code (fct_programme_progress) or the mart's column name.",
        "area": "Region code (KZ for the nation), settlement, city, road or area code of the figure.",
        "period": "The month the figure describes (YYYY-MM).",
        "dimensions": "The figure's other key columns, as name=value;name=value (empty when none).",
        "value": "The published value.",
        "revision_note": "The release's revision notes when this value differs from the one published "
                         "before it for the same figure; empty otherwise.",
    },
}


@dataclass(frozen=True)
class ReleaseDatabase:
    """The files :func:`write_release_database` added to a release folder."""

    names: list[str]
    vintage_rows: int
    new_vintage_rows: int


# --- comments ------------------------------------------------------------------------------------
def column_comment(description: str, labels: dict[str, str]) -> str:
    """``Population. [kk: Халық саны | ru: Население | en: Population]``: the description, then the labels."""
    label_text = " | ".join(f"{lang}: {labels[lang]}" for lang in LANGUAGES if labels.get(lang))
    return " ".join(part for part in (description, f"[{label_text}]" if label_text else "") if part)


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# --- vintages ------------------------------------------------------------------------------------
def _is_number(data_type: pa.DataType) -> bool:
    return pa.types.is_integer(data_type) or pa.types.is_floating(data_type) or pa.types.is_decimal(data_type)


def _figures_sql(mart: MartTable, relation: str) -> str | None:
    """A SELECT giving the mart's figures in the vintage shape (without release columns), or ``None``
    for a mart without periods (dimensions are not figures)."""
    columns = mart.data.column_names
    if "period" not in columns or not mart.name.startswith("fct"):
        return None
    key = mart.doc.primary_key or ["period"]
    if SETTLEMENT_COLUMN in key:
        return None
    relation = f"(select * from {relation} where area_level is distinct from 'settlement')" \
        if "area_level" in columns else relation
    period = "left(cast(\"period\" as varchar), 7)"
    if mart.name == PROGRESS_TABLE:
        return (f"select '{mart.name}' as table_name, cast(indicator as varchar) as figure, "
                f"coalesce(cast(region_code as varchar), '{NATION}') as area, {period} as period, "
                f"'' as dimensions, cast(actual as double) as value from {relation}")
    area_column = next((c for c in AREA_COLUMNS if c in key), None) or next(
        (c for c in AREA_COLUMNS if c in columns), None)
    area = (
        f"coalesce(cast({quote_ident(area_column)} as varchar), '{NATION}')" if area_column else f"'{NATION}'"
    )
    dimension_columns = [c for c in key if c not in ("period", area_column) and c in columns]
    dimensions = ("concat_ws(';', " + ", ".join(
        f"'{c}=' || coalesce(cast({quote_ident(c)} as varchar), '')" for c in dimension_columns) + ")"
        if dimension_columns else "''")
    selects = [
        f"select '{mart.name}' as table_name, '{name}' as figure, {area} as area, {period} as period, "
        f"{dimensions} as dimensions, cast({quote_ident(name)} as double) as value from {relation}"
        for name, field_type in zip(columns, mart.data.schema.types, strict=True)
        if _is_number(field_type) and name not in key
    ]
    return "\nunion all\n".join(selects) if selects else None


def _previous_vintage_files(area, into: Path) -> list[Path]:
    """The ``vintages.parquet`` of the newest version of every period published so far, checked against
    their manifests. Each holds every vintage up to its own, so together they hold all of them."""
    from qamtu.publish.release import LATEST, read_json

    if not area.exists(LATEST):
        return []
    files = []
    for period, entry in sorted((read_json(area, LATEST).get("periods") or {}).items()):
        manifest = read_json(area, entry["manifest"])
        listed = next((f for f in manifest["files"] if f["name"] == VINTAGES_FILE), None)
        if listed is None:
            continue  # a release made before vintages existed
        target = into / f"previous-{period}-v{manifest['version']}.parquet"
        area.download_to(listed["key"], target)
        if _file_sha256(target) != listed["sha256"]:
            raise ValueError(f"{listed['key']}: checksum differs from its manifest; the release was altered")
        files.append(target)
    return files


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(8 * 1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def _create_vintages(con: duckdb.DuckDBPyConnection, marts: list[MartTable], previous: list[Path],
                     period: str, version: int, published_at: str, note_key: str) -> int:
    """Create ``vintages`` in ``con``: the previous rows unchanged, then this release's rows. Returns
    how many rows this release added."""
    columns = ", ".join(f"{quote_ident(f.name)} {_duckdb_type(f.type)}" for f in VINTAGES_SCHEMA)
    con.execute(f"create table {VINTAGES_TABLE} ({columns})")
    if previous:
        files = ", ".join(_sql_text(str(p)) for p in previous)
        # Each file repeats the rows of the releases before it: keep one copy of each release's rows.
        con.execute(f"insert into {VINTAGES_TABLE} select distinct * from read_parquet([{files}]) "
                    "order by published_at, release_period, version, table_name, figure, area, period, "
                    "dimensions")
    selects = []
    for index, mart in enumerate(marts):
        relation = f"_release_mart_{index}"
        sql = _figures_sql(mart, relation)
        if sql:
            con.register(relation, mart.data)
            selects.append(sql)
    if not selects:
        return 0
    key = ", ".join(VINTAGE_KEY)
    con.execute(f"create temp table _new_figures as {' union all '.join(f'({s})' for s in selects)}")
    added = con.execute(
        f"""
        insert into {VINTAGES_TABLE}
        with earlier as (
            select {key}, value from (
                select *, row_number() over (partition by {key}
                    order by published_at desc, release_period desc, version desc) as newest
                from {VINTAGES_TABLE}) where newest = 1
        )
        select ?, ?, cast(? as timestamptz), n.table_name, n.figure, n.area, n.period, n.dimensions, n.value,
               case when e.figure is not null and not (
                        n.value is not distinct from e.value
                        or abs(n.value - e.value)
                           <= {RELATIVE_TOLERANCE} * greatest(abs(n.value), abs(e.value)))
                    then ? end
        from _new_figures n left join earlier e using ({key})
        order by n.table_name, n.figure, n.area, n.period, n.dimensions
    """,
        [period, version, published_at, note_key],
    ).fetchone()[0]
    con.execute("drop table _new_figures")
    return int(added)


def _duckdb_type(data_type: pa.DataType) -> str:
    if pa.types.is_timestamp(data_type):
        return "timestamptz"
    return {pa.string(): "varchar", pa.int64(): "bigint", pa.float64(): "double"}[data_type]


# --- the release's database ----------------------------------------------------------------------
def _write_marts(con: duckdb.DuckDBPyConnection, marts: list[MartTable]) -> None:
    for mart in marts:
        con.register("_incoming_mart", mart.data)
        con.execute(f"create table {quote_ident(mart.name)} as select * from _incoming_mart")
        con.unregister("_incoming_mart")
        table_comment = column_comment(mart.doc.description, mart.doc.labels)
        if table_comment:
            con.execute(f"comment on table {quote_ident(mart.name)} is {_sql_text(table_comment)}")
        for column in mart.data.column_names:
            doc = mart.column_doc(column)
            comment = column_comment(doc.description, doc.labels)
            if comment:
                con.execute(f"comment on column {quote_ident(mart.name)}.{quote_ident(column)} "
                            f"is {_sql_text(comment)}")


def _comment_vintages(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"comment on table {VINTAGES_TABLE} is {_sql_text(VINTAGES_DOC['description'])}")
    for column, text in VINTAGES_DOC["columns"].items():
        con.execute(f"comment on column {VINTAGES_TABLE}.{quote_ident(column)} is {_sql_text(text)}")


def write_release_database(folder: Path, marts: list[MartTable], period: str, version: int,
                           published_at: str, area, settings: Settings, echo=print) -> list[str]:
    """Write ``marts.duckdb``, ``vintages.parquet`` and the docs site into the release ``folder`` (before
    its manifest, which lists them with their checksums) and append this release's vintages to the
    warehouse's ``published`` schema. Returns the names of the files added."""
    prefix = f"releases/{period}/v{version}/"
    note_key = prefix + REVISION_NOTES_FILE
    database = folder / DATABASE_FILE
    with tempfile.TemporaryDirectory(prefix="qamtu-vintages-") as tmp:
        previous = _previous_vintage_files(area, Path(tmp))
        con = duckdb.connect(str(database))
        try:
            con.execute("set threads = 2")
            _write_marts(con, marts)
            added = _create_vintages(con, marts, previous, period, version, published_at, note_key)
            _comment_vintages(con)
            con.execute(f"create table {RELEASE_TABLE} as select ? as period, ? as version, "
                        "cast(? as timestamptz) as published_at, ? as path",
                        [period, version, published_at, prefix])
            con.execute(f"comment on table {RELEASE_TABLE} is 'The release this database belongs to.'")
            total = con.execute(f"select count(*) from {VINTAGES_TABLE}").fetchone()[0]
            con.execute(f"copy (select * from {VINTAGES_TABLE}) to {_sql_text(str(folder / VINTAGES_FILE))} "
                        "(format parquet, compression zstd)")
            new_rows = con.sql(f"select * from {VINTAGES_TABLE} where release_period = ? and version = ?",
                               params=[period, version]).to_arrow_table()
            catalog = docs_catalog(con, marts)
            con.execute("checkpoint")
        finally:
            con.close()
    from qamtu.publish.docs_site import build_docs_site

    docs_path = folder / DOCS_SITE_FILE
    docs_path.parent.mkdir(parents=True, exist_ok=True)
    docs_path.write_text(build_docs_site(catalog, title=f"Qamtu {period} v{version}",
                                                  generated_at=published_at), encoding="utf-8")
    echo(f"publish: {DATABASE_FILE} ({len(marts)} marts, {total:,} vintages, {added:,} new), "
         f"{VINTAGES_FILE}, {DOCS_SITE_FILE}")
    names = [DATABASE_FILE, DOCS_SITE_FILE, VINTAGES_FILE]
    _add_to_checksums(folder, names)
    publish_to_warehouse(settings, marts, new_rows.cast(VINTAGES_SCHEMA), period, version, echo=echo)
    return names


def _add_to_checksums(folder: Path, names: list[str]) -> None:
    """Add the files to the release's ``SHA256SUMS`` (``sha256sum -c`` format, sorted by name)."""
    from qamtu.publish.release import CHECKSUMS

    sums = folder / CHECKSUMS
    lines = sums.read_text(encoding="utf-8").splitlines() if sums.is_file() else []
    lines += [f"{_file_sha256(folder / name)}  {name}" for name in names]
    sums.write_text("".join(f"{line}\n" for line in sorted(lines, key=lambda line: line.split("  ", 1)[1])),
                    encoding="utf-8")


def docs_catalog(con: duckdb.DuckDBPyConnection, marts: list[MartTable]) -> dict[str, dict[str, Any]]:
    """Table → column → type of the published tables, as the release's database holds them."""
    catalog: dict[str, dict[str, Any]] = {}
    for name in [m.name for m in marts] + [VINTAGES_TABLE]:
        rows = con.execute("select column_name, data_type, comment from duckdb_columns() "
                           "where table_name = ? order by column_index", [name]).fetchall()
        count = con.execute(f"select count(*) from {quote_ident(name)}").fetchone()[0]
        catalog[name] = {"rows": int(count), "columns": [(r[0], r[1], r[2]) for r in rows]}
    return catalog


# --- the warehouse's published schema and its read-only role -------------------------------------
def publish_to_warehouse(settings: Settings, marts: list[MartTable], new_vintages: pa.Table, period: str,
                         version: int, echo=print) -> None:
    """``published.<mart>`` := the release's marts; ``published.vintages`` += the release's vintages.

    Rows of ``period`` with a version ≥ this one come from a publish that died before its manifest
    (the version number is only reused then): they are replaced; published versions are never touched."""
    from qamtu.warehouse import connect

    with connect(settings) as warehouse:
        warehouse.ensure_schema(PUBLISHED_SCHEMA)
        warehouse.execute("begin transaction")
        try:
            target = f"{quote_ident(PUBLISHED_SCHEMA)}.{quote_ident(VINTAGES_TABLE)}"
            warehouse.create_table_like(PUBLISHED_SCHEMA, VINTAGES_TABLE, VINTAGES_SCHEMA)
            warehouse.execute(f"delete from {target} where release_period = ? and version >= ?",
                              [period, version])
            warehouse.append_arrow(PUBLISHED_SCHEMA, VINTAGES_TABLE, new_vintages)
            for mart in marts:
                warehouse.replace_arrow(PUBLISHED_SCHEMA, mart.name, mart.data)
                relation = f"{quote_ident(PUBLISHED_SCHEMA)}.{quote_ident(mart.name)}"
                comment = column_comment(mart.doc.description, mart.doc.labels)
                if comment:
                    _execute_text(warehouse, f"comment on table {relation} is {_sql_text(comment)}")
                for column in mart.data.column_names:
                    doc = mart.column_doc(column)
                    comment = column_comment(doc.description, doc.labels)
                    if comment:
                        _execute_text(warehouse,
                                      f"comment on column {relation}.{quote_ident(column)} is "
                                      f"{_sql_text(comment)}")
            warehouse.execute("commit")
        except BaseException:
            warehouse.execute("rollback")
            raise
        if warehouse.dialect == "postgres":
            ensure_reader_role(warehouse, settings, echo=echo)
    echo(f"publish: warehouse {PUBLISHED_SCHEMA}.{VINTAGES_TABLE} += {new_vintages.num_rows:,} rows, "
         f"{len(marts)} published marts")


def _execute_text(warehouse, sql: str) -> None:
    """Run a statement without parameters as written: its literals may hold ``?`` or ``%``, which
    :meth:`Warehouse.execute` would take for placeholders on PostgreSQL."""
    if warehouse.dialect == "postgres":
        with warehouse.raw.cursor() as cursor:
            cursor.execute(sql)
    else:
        warehouse.raw.execute(sql)


def reader_role_sql(role: str, password: str | None = None) -> list[str]:
    """Cluster level (needs CREATEROLE): ``role`` is a login whose sessions are read-only by default.
    ``deploy/postgres/20-reader-role.sh`` runs the same statements with the deployment's password."""
    role_id = quote_ident(role)
    login = f"login password {_sql_text(password)}" if password else "login"
    return [
        f"do $$ begin if not exists (select from pg_roles where rolname = {_sql_text(role)}) then "
        f"create role {role_id} {login} nosuperuser nocreatedb nocreaterole noinherit; end if; end $$",
        *([f"alter role {role_id} {login}"] if password else []),
        f"alter role {role_id} set default_transaction_read_only = on",
    ]


def reader_grants_sql(role: str, database: str) -> list[str]:
    """Database level (the warehouse's owner may run them): ``role`` reads ``published.*`` and nothing
    else, and can create nothing, not even a temporary table. The init script runs the same."""
    role_id, db_id, schema_id = quote_ident(role), quote_ident(database), quote_ident(PUBLISHED_SCHEMA)
    return [
        # PUBLIC holds CONNECT and TEMPORARY on every new database: a temporary table is a write.
        f"revoke all on database {db_id} from public",
        f"grant connect on database {db_id} to {role_id}",
        "revoke create on schema public from public",
        f"create schema if not exists {schema_id}",
        f"grant usage on schema {schema_id} to {role_id}",
        f"grant select on all tables in schema {schema_id} to {role_id}",
        # The tables the pipeline creates there later (each publish replaces the marts) are readable too.
        f"alter default privileges in schema {schema_id} grant select on tables to {role_id}",
    ]


def ensure_reader_role(warehouse, settings: Settings, echo=print) -> None:
    """Create the read-only role if it is missing (when this login may create roles) and grant it the
    ``published`` schema. Without the right to create roles, say so and carry on: the deployment's
    init script creates it."""
    import psycopg2

    role = settings.pg_reader_role
    exists = warehouse.scalar("select count(*) from pg_roles where rolname = ?", [role])
    if not exists or settings.pg_reader_password:
        try:
            for statement in reader_role_sql(role, settings.pg_reader_password or None):
                _execute_text(warehouse, statement)
        except psycopg2.errors.InsufficientPrivilege as error:
            if not exists:
                echo(f"publish: the read-only role {role!r} does not exist and {settings.pg_user!r} may not "
                     f"create it ({str(error).strip()}); deploy/postgres/20-reader-role.sh creates it")
                return
    for statement in reader_grants_sql(role, settings.pg_database):
        _execute_text(warehouse, statement)


# --- latest --------------------------------------------------------------------------------------
def publish_latest_database(area, manifest: dict[str, Any], echo=print) -> None:
    """Replace ``latest/marts.duckdb`` with the release's file in one step (called when latest.json moves)."""
    listed = next((f for f in manifest["files"] if f["name"] == DATABASE_FILE), None)
    if listed is None:
        return
    with tempfile.TemporaryDirectory(prefix="qamtu-latest-") as tmp:
        copy = Path(tmp) / DATABASE_FILE
        area.download_to(listed["key"], copy)
        if _file_sha256(copy) != listed["sha256"]:
            raise ValueError(f"{listed['key']}: checksum differs from its manifest; the release was altered")
        # One PUT on S3 (never a multipart upload); temp file + rename on a local folder.
        area.put_bytes(LATEST_DATABASE, copy.read_bytes())
    echo(f"publish: {LATEST_DATABASE} → {manifest['period']} v{manifest['version']}")


def latest_database_info(area) -> dict[str, Any] | None:
    """What ``latest/marts.duckdb`` holds, per the pointer (period, version, sha256)."""
    from qamtu.publish.release import LATEST, read_json

    if not area.exists(LATEST):
        return None
    pointer = read_json(area, LATEST)
    manifest = read_json(area, pointer["manifest"])
    listed = next((f for f in manifest["files"] if f["name"] == DATABASE_FILE), None)
    return None if listed is None else {"period": manifest["period"],
                                        "version": manifest["version"], **listed}
