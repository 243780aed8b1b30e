"""The speed-test facts are incremental by period: a new month is added without rebuilding older months,
a resubmitted month is rebuilt, `--period` rebuilds just that month — on DuckDB and on PostgreSQL. Also
`qamtu build` from the command line, and the committed manifest the Airflow DAG renders from."""

from __future__ import annotations

import os
import statistics
import uuid

import psycopg2
import pytest
from dbt_fixtures import create_raw_tables, submit
from qamtu.reference import load_into_warehouse, settlements
from qamtu.settings import Settings
from qamtu.warehouse import connect
from qamtu.warehouse.dbt_runner import build_marts

# Builds whole pipelines or dbt projects (minutes): `make test` runs it; the daily `make check` does not.
pytestmark = pytest.mark.slow

VILLAGE = sorted(settlements().query("is_rural and region_code == '15'")["kato_code"])[0]
SPEED_MART = "+fct_speed_tests_summary"
TAMPERED = -1.0  # a value no build writes: where it survives, that month was not rebuilt


def speed_test_rows(period: str, downloads: list[float], tag: str) -> list[dict]:
    return [{"test_id": f"{tag}-{i}", "measured_at": f"{period}-10T08:00:00+00:00", "latitude": 50.3,
             "longitude": 57.2, "kato_code": VILLAGE, "operator": "tele2", "technology": "5G",
             "download_mbps": d,
             "upload_mbps": d / 4, "latency_ms": 30.0 + i} for i, d in enumerate(downloads)]


def settlement_medians(settings: Settings) -> dict[str, tuple[int, float]]:
    with connect(settings) as warehouse:
        rows = warehouse.rows(
            "select period, tests, median_latency_ms from marts.fct_speed_tests_summary "
            "where area_level = 'settlement' and area_code = ? and operator = 'all' and technology = 'all'",
            [VILLAGE])
    return {period: (int(tests), float(latency)) for period, tests, latency in rows}


def tamper(settings: Settings, period: str) -> None:
    with connect(settings) as warehouse:
        warehouse.execute("update marts.fct_speed_tests_summary set median_latency_ms = ? where period = ?",
                          [TAMPERED, period])


def build_speed(settings: Settings, **kwargs) -> dict:
    lines: list[str] = []
    result = build_marts(settings=settings, echo=lines.append, select=SPEED_MART, **kwargs)
    assert result["success"], (result["errors"], result["failures"], lines[-5:])
    return result


def run_incremental_story(settings: Settings) -> None:
    with connect(settings) as warehouse:
        load_into_warehouse(warehouse)
        create_raw_tables(warehouse)
        submit(warehouse, "qos", "2026-01", "speed_tests", speed_test_rows("2026-01", [10, 20, 30], "a"))
        submit(warehouse, "qos", "2026-02", "speed_tests", speed_test_rows("2026-02", [40, 50], "b"))
    build_speed(settings)
    assert settlement_medians(settings) == {"2026-01": (3, 31.0), "2026-02": (2, 30.5)}

    # a new month: the older months are not rebuilt (the tampered values survive)
    tamper(settings, "2026-01")
    with connect(settings) as warehouse:
        submit(warehouse, "qos", "2026-03", "speed_tests", speed_test_rows("2026-03", [5, 6, 7, 8], "c"))
    build_speed(settings)
    assert settlement_medians(settings) == {"2026-01": (3, TAMPERED), "2026-02": (2, 30.5),
                                            "2026-03": (4, statistics.median([30, 31, 32, 33]))}

    # a resubmitted month is rebuilt from its new submission; the others stay as they were
    tamper(settings, "2026-02")
    with connect(settings) as warehouse:
        submit(warehouse, "qos", "2026-01", "speed_tests", speed_test_rows("2026-01", [1, 2, 3, 4, 5], "d"))
    build_speed(settings)
    medians = settlement_medians(settings)
    assert medians["2026-01"] == (5, 32.0)
    assert medians["2026-02"] == (2, TAMPERED)

    # --period rebuilds that month only
    tamper(settings, "2026-03")
    build_speed(settings, period="2026-02")
    medians = settlement_medians(settings)
    assert medians["2026-02"] == (2, 30.5) and medians["2026-03"] == (4, TAMPERED)

    # a full refresh rebuilds everything from the current submissions
    build_speed(settings, full_refresh=True)
    assert settlement_medians(settings) == {"2026-01": (5, 32.0), "2026-02": (2, 30.5), "2026-03": (4, 31.5)}


def test_speed_tests_incremental_on_duckdb(tmp_path):
    run_incremental_story(Settings(home=tmp_path / "home", warehouse="duckdb"))


@pytest.mark.postgres
def test_speed_tests_incremental_on_postgres(tmp_path):
    database = f"qamtu_dbt_incr_{uuid.uuid4().hex[:10]}"
    try:
        run_incremental_story(Settings(home=tmp_path / "home", warehouse="postgres", pg_database=database))
    finally:
        admin = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres")
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute(f'drop database if exists "{database}" with (force)')
        admin.close()


def test_qamtu_build_command(tmp_path, monkeypatch):
    from qamtu.cli import app
    from qamtu.settings import reload_settings
    from typer.testing import CliRunner

    home = tmp_path / "home"
    for name in [n for n in os.environ if n.startswith("QAMTU_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("QAMTU_HOME", str(home))
    settings = reload_settings()
    try:
        with connect(settings) as warehouse:
            load_into_warehouse(warehouse)
            submit_fibre = {"kato_code": VILLAGE, "status": "connected", "connected_on": "2026-02-03",
                            "households_passed": 40, "households_connected": 30}
            create_raw_tables(warehouse)
            submit(warehouse, "kcell", "2026-02", "settlement_fiber", [submit_fibre])
            # Every operator's fibre report is in (empty ones too): otherwise the figure is withheld (M).
            for operator in ("kazakhtelecom", "beeline", "tele2"):
                submit(warehouse, operator, "2026-02", "settlement_fiber", [])
        runner = CliRunner()
        bad = runner.invoke(app, ["build", "--period", "2026-13"])
        assert bad.exit_code == 2 and "2026-13" in bad.output
        result = runner.invoke(app, ["build", "--period", "2026-02"])
        assert result.exit_code == 0, result.output
        assert "fct_programme_progress" in result.output and "succeeded" in result.output
        with connect(settings) as warehouse:  # `qamtu build` builds the candidate, never the published marts
            [(value, status)] = warehouse.rows(
                "select actual, obs_status from marts_candidate.fct_programme_progress "
                "where period = '2026-02' and region_code = '15' and indicator = 'villages_fibre_new'")
            assert not warehouse.table_exists("marts", "fct_programme_progress")
        assert (value, status) == (1, "A")
    finally:
        monkeypatch.undo()
        reload_settings()


def test_committed_manifest_is_current(tmp_path):
    """The manifest Cosmos renders the DAG from is the one the project parses to today (run
    `python -m qamtu.warehouse.dbt_runner` after changing a model), byte for byte."""
    import json

    from qamtu.warehouse.dbt_runner import MANIFEST_PATH, parse_manifest

    fresh = parse_manifest(echo=lambda _: None, output=tmp_path / "manifest.json")
    assert fresh.read_bytes() == MANIFEST_PATH.read_bytes(), "dbt_project/target/manifest.json is stale"
    nodes = json.loads(fresh.read_text(encoding="utf-8"))["nodes"]
    schemas = {node["name"]: node["schema"] for node in nodes.values() if node["resource_type"] == "model"}
    assert schemas["stg_speed_tests"] == "staging" and schemas["int_road_coverage"] == "intermediate"
    assert schemas["fct_programme_progress"] == "marts"
    assert all(node["config"]["contract"]["enforced"] for node in nodes.values()
               if node["resource_type"] == "model" and node["name"].startswith(("fct_", "dim_")))
    assert str(MANIFEST_PATH.parents[2]) not in fresh.read_text(encoding="utf-8")  # no machine paths
