"""The same submissions built on DuckDB and on PostgreSQL give the same release, byte for byte: every
published number rounded to the precision its column declares, every column of the type its SQL type
publishes as. The raw layer one DuckDB ingestion loaded is copied into a new PostgreSQL database; both
warehouses build, audit and publish the month into their own publication areas; the manifests'
checksums are compared file by file.

The only bytes allowed to differ are the publication time itself (``published_at`` in the manifest,
``created`` in datapackage.json, the date printed in report.html, ``Prepared`` in the SDMX structure
message): those files are compared with the time taken out."""

from __future__ import annotations

import json
import re
import uuid

import psycopg2
import pytest
from dbt_fixtures import copy_raw_layer

# Builds whole pipelines or dbt projects (minutes): `make test` runs it; the daily `make check` does not.
pytestmark = pytest.mark.slow

PERIOD = "2026-01"
PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
FLOAT_NOISE = re.compile(rb"\d\.\d*(?:0000000\d|9999999\d)")


def quiet(*_args, **_kwargs) -> None:
    return None


@pytest.fixture(scope="module")
def two_releases(tmp_path_factory):
    """One month published from DuckDB and from PostgreSQL, same raw rows; the two publication folders."""
    from qamtu import pipeline
    from qamtu.settings import Settings, reload_settings

    database = f"qamtu_test_release_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(dbname="postgres", **PG)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'create database "{database}"')
    root = tmp_path_factory.mktemp("warehouses")
    duck = Settings(home=root / "duckdb", warehouse="duckdb", storage="local")
    pg = Settings(home=root / "postgres", warehouse="postgres", storage="local", pg_host=PG["host"],
                  pg_port=PG["port"], pg_user=PG["user"], pg_database=database)
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("QAMTU_HOME", str(duck.home))
            reload_settings()
            pipeline.generate_sample([PERIOD], 0.02, 11, duck, echo=quiet)
            pipeline.load_reference(duck, echo=quiet)
            pipeline.ingest(duck)
            assert sum(copy_raw_layer(duck, pg).values()) > 0
            pipeline.load_reference(pg, echo=quiet)
            releases = {}
            for name, settings in (("duckdb", duck), ("postgres", pg)):
                outcome = pipeline.run_period(PERIOD, settings, echo=quiet)
                assert outcome.get("published"), (name, outcome)
                releases[name] = settings.home / "publication"
        reload_settings()
        yield releases
    finally:
        with admin.cursor() as cur:
            cur.execute(
                "select pg_terminate_backend(pid) from pg_stat_activity where datname = %s", (database,)
            )
            cur.execute(f'drop database if exists "{database}"')
        admin.close()


def _manifest(folder) -> dict:
    return json.loads((folder / "releases" / PERIOD / "v1" / "manifest.json").read_text())


PREPARED = re.compile(rb"<mes:Prepared>[^<]*</mes:Prepared>")


def _without_time(data: bytes, published_at: str) -> bytes:
    """The bytes with the publication time taken out (as ISO text, its date as the report prints it, and
    the time sdmx1 stamps on the SDMX structure message it prepares)."""
    data = PREPARED.sub(b"<mes:Prepared/>", data)
    data = data.replace(published_at.encode(), b"<published_at>")
    return data.replace(published_at[:10].encode(), b"<date>").replace(
        published_at[11:16].encode(), b"<time>"
    )


def _database_content(path) -> dict[str, list[tuple]]:
    """Every table of a published database, rows sorted, the publication time left out."""
    import duckdb

    with duckdb.connect(str(path), read_only=True) as con:
        tables = [r[0] for r in con.execute("select table_schema || '.' || table_name from "
                                            "information_schema.tables order by 1").fetchall()]
        content = {}
        for table in tables:
            columns = [r[0] for r in con.execute(f"describe {table}").fetchall() if r[0] != "published_at"]
            select = ", ".join(f'"{c}"' for c in columns)
            content[table] = [columns, *con.execute(f"select {select} from {table} order by all").fetchall()]
        return content


def test_duckdb_and_postgres_publish_the_same_bytes(two_releases):
    manifests = {name: _manifest(folder) for name, folder in two_releases.items()}
    duck, pg = manifests["duckdb"], manifests["postgres"]
    assert duck["content_sha256"] == pg["content_sha256"]
    files = {name: {f["name"]: f["sha256"] for f in m["files"]} for name, m in manifests.items()}
    assert files["duckdb"].keys() == files["postgres"].keys()
    differing = sorted(n for n in files["duckdb"] if files["duckdb"][n] != files["postgres"][n])
    data_files = [n for n in files["duckdb"] if n.startswith(("csv/", "parquet/", "xlsx/", "sdmx/"))
                  and n != "sdmx/structure.xml"]
    assert len(data_files) == 2 * len(duck["tables"]) + 1 + 1  # CSV and Parquet per mart, the XLSX, SDMX-CSV
    assert not set(differing) & set(data_files), f"data files differ between the warehouses: {differing}"
    for name in differing:
        left = (two_releases["duckdb"] / duck["path"] / name).read_bytes()
        right = (two_releases["postgres"] / pg["path"] / name).read_bytes()
        if name == "SHA256SUMS":
            continue  # lists the checksums compared here
        # The vintages (in the database and as Parquet) hold the publication time as a binary timestamp:
        # compare their content without it.
        if name.endswith(".duckdb"):
            assert _database_content(two_releases["duckdb"] / duck["path"] / name) == _database_content(
                two_releases["postgres"] / pg["path"] / name)
            continue
        if name.endswith(".parquet"):
            import pyarrow.parquet as pq

            left_table, right_table = (pq.read_table(two_releases[engine] / m["path"] / name)
                                       for engine, m in (("duckdb", duck), ("postgres", pg)))
            assert left_table.drop_columns(["published_at"]).equals(
                right_table.drop_columns(["published_at"])
            ), name
            continue
        assert _without_time(left, duck["published_at"]) == _without_time(right, pg["published_at"]), name


def test_published_csv_carry_no_float_noise(two_releases):
    folder = two_releases["duckdb"] / "releases" / PERIOD / "v1" / "csv"
    noisy = {}
    for path in sorted(folder.glob("*.csv")):
        hits = FLOAT_NOISE.findall(path.read_bytes())
        if hits:
            noisy[path.name] = hits[:3]
    assert noisy == {}


def test_every_number_has_at_most_the_decimals_its_column_declares(two_releases):
    import csv
    import io
    from pathlib import Path

    import yaml

    declared = {}
    for path in (Path(__file__).resolve().parents[2] / "dbt_project" / "models" / "marts").glob("*.yml"):
        for model in yaml.safe_load(path.read_text())["models"]:
            for column in model.get("columns", []):
                precision = ((column.get("config") or {}).get("meta") or {}).get("precision")
                if precision is not None:
                    declared[(model["name"], column["name"])] = precision
    assert len(declared) > 30
    folder = two_releases["duckdb"] / "releases" / PERIOD / "v1" / "csv"
    checked = 0
    for (table, column), precision in declared.items():
        path = folder / f"{table}.csv"
        if not path.exists():
            continue
        for row in csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))):
            value = row[column]
            if not value:
                continue
            decimals = precision if isinstance(precision, int) else precision[row[precision["by"]]]
            fraction = value.partition(".")[2]
            assert len(fraction) <= decimals, (table, column, value, decimals)
            checked += 1
    assert checked > 1000
