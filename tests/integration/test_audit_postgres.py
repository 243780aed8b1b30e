"""The quality gate on a PostgreSQL warehouse: a generated sample (two months, every audit defect in the
second) whose raw layer is loaded into the real server and built there by dbt; the findings the
generator's truth says, the same findings as on DuckDB from the same raw rows, GX and SQL routes
agreeing, and promotion in one transaction (a failure half-way leaves the published marts as they were)."""

from __future__ import annotations

import json
import uuid

import psycopg2
import pytest
from dbt_fixtures import copy_raw_layer
from qamtu.generate import DEFECTS, generate_submissions
from qamtu.pipeline import ingest, load_reference
from qamtu.quality import PromotionRefused, audit_warehouse, build_candidate, promote, run_audit
from qamtu.settings import Settings, reload_settings
from qamtu.warehouse import connect

# Builds whole pipelines or dbt projects (minutes): `make test` runs it; the daily `make check` does not.
pytestmark = pytest.mark.slow

PERIODS = ("2026-01", "2026-02")
CLEAN, DEFECTIVE = PERIODS
AUDIT_DEFECTS = [name for name, d in DEFECTS.items() if d.stage == "audit"]
PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}


def quiet(*_args, **_kwargs) -> None:
    return None


@pytest.fixture(scope="module")
def pg_sample(tmp_path_factory):
    """Generate, ingest (the embedded DuckDB), copy the raw layer to a new PostgreSQL database, then build
    and audit on both warehouses from the same raw rows."""
    database = f"qamtu_test_audit_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(dbname="postgres", **PG)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'create database "{database}"')
    home = tmp_path_factory.mktemp("audit-pg") / "qamtu"
    duck = Settings(home=home, warehouse="duckdb", storage="local")
    settings = Settings(home=home, warehouse="postgres", storage="local", pg_host=PG["host"],
                        pg_port=PG["port"],
                        pg_user=PG["user"], pg_database=database)
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("QAMTU_HOME", str(home))
            reload_settings()
            generate_submissions(out=home, periods=list(PERIODS), scale=0.01, seed=5, defects=AUDIT_DEFECTS)
            load_reference(duck, echo=quiet)
            ingest(duck)
            copied = copy_raw_layer(duck, settings)
            load_reference(settings, echo=quiet)
            build_candidate(None, duck, echo=quiet)
            build_candidate(None, settings, echo=quiet)
            duck_audits = {period: run_audit(period, settings=duck, echo=quiet) for period in PERIODS}
            audits = {period: run_audit(period, settings=settings, echo=quiet) for period in PERIODS}
        reload_settings()
        assert copied["speed_tests"] > 0 and copied["submissions"] > 0
        defects = json.loads((home / "truth" / "defects.json").read_text(encoding="utf-8"))
        yield {"settings": settings, "audits": audits, "duck_audits": duck_audits, "defects": defects}
    finally:
        with admin.cursor() as cur:
            cur.execute(
                "select pg_terminate_backend(pid) from pg_stat_activity where datname = %s", (database,)
            )
            cur.execute(f'drop database if exists "{database}"')
        admin.close()


def test_clean_month_passes_and_defective_month_is_blocked(pg_sample):
    clean, defective = pg_sample["audits"][CLEAN], pg_sample["audits"][DEFECTIVE]
    assert clean["dialect"] == "postgres"
    assert [
        e["expectation"] for e in clean["expectations"] if not e["success"] and e["suite"] != "build"
    ] == []
    assert clean["publishable"] is True
    assert defective["publishable"] is False


def test_every_audit_defect_is_named_on_postgres(pg_sample):
    failures = pg_sample["audits"][DEFECTIVE]["failures"] + pg_sample["audits"][DEFECTIVE]["warnings"]
    for defect in pg_sample["defects"]:
        hits = [f for f in failures if f["rule"] == defect["rule"]]
        details = defect.get("details") or {}
        if defect["name"] == "missing_submission":
            submitter, report_type = defect["file"].split("/")[1], defect["file"].split("/")[3].split(".")[0]
            hits = [f for f in hits if (f["submitter"], f["report_type"]) == (submitter, report_type)]
        elif "left_out_kato_codes" in details:
            hits = [f for f in hits if f["operator"] == defect["operator"] and f["kato_code"] in details[
                "left_out_kato_codes"]]
            assert {f["kato_code"] for f in hits} == set(details["left_out_kato_codes"])
        elif defect["rule"].startswith("challenge_response"):
            # An operator's answer to a challenge: a warning naming the operator (no settlement's region).
            hits = [f for f in hits if f["operator"] == defect["operator"]]
        elif "left_out_stretches" in details:
            hits = [f for f in hits if f["operator"] == defect["operator"] and f["road_code"]]
            assert {f["road_code"] for f in hits} == {s[0] for s in details["left_out_stretches"]}
        else:
            hits = [f for f in hits if f["kato_code"] == defect["kato_code"]]
            assert {f["region_code"] for f in hits} == {defect["region_code"]}
            if defect["operator"]:
                assert defect["operator"] in {f["operator"] for f in hits}
        assert hits, f"{defect['name']} not caught on PostgreSQL"


def test_same_findings_as_duckdb_from_the_same_raw_rows(pg_sample):
    def findings(result):
        return sorted((f["expectation"], f["region_code"] or "", f["operator"] or "", f["kato_code"] or "",
                       f["road_code"] or "", f["submitter"] or "", f["report_type"] or "",
                       tuple(f["submission_ids"]))
                      for f in result["failures"] + result["warnings"] if f["suite"] != "build")

    for period in PERIODS:
        on_pg, on_duckdb = pg_sample["audits"][period], pg_sample["duck_audits"][period]
        assert on_pg["publishable"] == on_duckdb["publishable"]
        assert findings(on_pg) == findings(on_duckdb)
        assert {s["suite"]: s["rows"] for s in on_pg["suites"]} == {
            s["suite"]: s["rows"] for s in on_duckdb["suites"]
        }


def test_routes_agree_on_postgres(pg_sample):
    with connect(pg_sample["settings"]) as warehouse:
        for period in PERIODS:
            by_gx = audit_warehouse(warehouse, period, route="gx", echo=quiet)
            by_sql = audit_warehouse(warehouse, period, route="sql", echo=quiet)
            assert {e["expectation"]: (e["success"], e["unexpected"]) for e in by_gx["expectations"]} == \
                   {e["expectation"]: (e["success"], e["unexpected"]) for e in by_sql["expectations"]}


def _marts(settings) -> dict[str, list[tuple]]:
    with connect(settings) as warehouse:
        tables = [r[0] for r in warehouse.rows(
            "select table_name from information_schema.tables where table_schema = 'marts' order by 1")]
        return {t: sorted(warehouse.rows(f'select * from marts."{t}"'), key=repr) for t in tables}


def test_promotion_is_one_transaction_on_postgres(pg_sample):
    settings = pg_sample["settings"]
    with pytest.raises(PromotionRefused):
        promote(settings, period=DEFECTIVE, echo=quiet)
    assert promote(settings, echo=quiet)["periods"] == [CLEAN]
    published = _marts(settings)
    assert {r[0] for r in published["fct_region_coverage"]} == {CLEAN}

    # A candidate mart whose rows cannot go into the published table of the same name (text into an
    # integer column): the promotion fails on the last table, after the others were copied — and
    # nothing of it stays.
    with connect(settings) as warehouse:
        warehouse.execute("create table marts_candidate.zz_probe (period text, figure text)")
        warehouse.execute("insert into marts_candidate.zz_probe values (?, 'not a number')", [CLEAN])
        warehouse.execute("create table marts.zz_probe (period text, figure integer)")
        warehouse.execute("insert into marts.zz_probe values (?, 7)", [CLEAN])
    published = _marts(settings)
    assert run_audit(CLEAN, settings=settings, echo=quiet, write=False)["publishable"]
    with pytest.raises(psycopg2.Error):
        promote(settings, period=CLEAN, echo=quiet)
    assert _marts(settings) == published
    with connect(settings) as warehouse:
        warehouse.execute("drop table marts_candidate.zz_probe")
        warehouse.execute("drop table marts.zz_probe")
