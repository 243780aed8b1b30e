"""An upheld challenge changes the figures from the next period on; a rejected one changes nothing — on
DuckDB and PostgreSQL, from hand-made raw submissions whose figures are worked out here from the KATO
reference, never from the marts.

Two villages of region 10 whose only high-speed access is one operator's active 4G site; the akimat
reports has_mobile_4g = no for both and challenges both claims in January. Kcell accepts (upheld on its
answer's date, in January); Beeline contests, and the speed tests (six of them, median 30 Mbit/s) do not
contradict its claim, so the review rejects the challenge. A third village's only access is tele2's fibre;
the akimat challenges that fibre claim and tele2 accepts. From February, the first and third villages no
longer have high-speed internet (the third no fibre either); the second keeps it."""

from __future__ import annotations

import uuid

import psycopg2
import pytest
from dbt_fixtures import create_raw_tables, submit
from qamtu.reference import load_into_warehouse, settlements
from qamtu.settings import Settings
from qamtu.warehouse import connect

# Builds whole pipelines or dbt projects (minutes): `make test` runs it; the daily `make check` does not.
pytestmark = pytest.mark.slow

PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
SETTLEMENTS = settlements().set_index("kato_code")
REGION = "10"
V_UPHELD, V_REJECTED, V_FIBRE = sorted(
    SETTLEMENTS[(SETTLEMENTS["region_code"] == REGION) & SETTLEMENTS["is_rural"]].index)[:3]
REGION_POPULATION = int(SETTLEMENTS[SETTLEMENTS["region_code"] == REGION]["population"].sum())


def site(site_id: str, kato: str) -> dict:
    return {"site_id": site_id, "kato_code": kato, "latitude": 50.0, "longitude": 80.0, "technology": "4G",
            "status": "active", "on_air_date": "2025-06-01"}


def speed(test_id: str, kato: str, operator: str, download: float) -> dict:
    return {"test_id": test_id, "measured_at": "2026-01-15T10:00:00+00:00", "latitude": 50.0,
            "longitude": 80.0,
            "kato_code": kato, "operator": operator, "technology": "4G", "download_mbps": download,
            "upload_mbps": download / 3, "latency_ms": 40.0}


def load_scenario(warehouse) -> None:
    load_into_warehouse(warehouse)
    create_raw_tables(warehouse)
    for period in ("2026-01", "2026-02"):
        submit(warehouse, "kcell", period, "base_stations", [site("K1", V_UPHELD)])
        submit(warehouse, "beeline", period, "base_stations", [site("B1", V_REJECTED)])
        # Every report population_access_share needs is in (docs/methodology.md, Completeness), so the
        # figure is published (not withheld): the other operators report no sites and no fibre.
        for operator in ("kazakhtelecom", "tele2"):
            submit(warehouse, operator, period, "base_stations", [])
        for operator in ("kazakhtelecom", "kcell", "beeline"):
            submit(warehouse, operator, period, "settlement_fiber", [])
        # A third village whose only access is tele2's fibre, which the akimat challenges (tele2 accepts).
        submit(warehouse, "tele2", period, "settlement_fiber", [
            {"kato_code": V_FIBRE, "settlement_name": None, "status": "connected",
             "connected_on": "2025-06-01",
             "households_passed": 1, "households_connected": 1, "max_speed_mbps": 100.0}])
        submit(warehouse, REGION, period, "settlement_connectivity", [
            {"kato_code": V_UPHELD, "has_fibre": False, "has_mobile_4g": False},
            {"kato_code": V_REJECTED, "has_fibre": False, "has_mobile_4g": False},
            {"kato_code": V_FIBRE, "has_fibre": False, "has_mobile_4g": False}])
    submit(
        warehouse,
        "qos",
        "2026-01",
        "speed_tests",
        [
            speed(f"t{k}", V_REJECTED, "beeline", d)
            for k, d in enumerate([20.0, 25.0, 30.0, 35.0, 40.0, 30.0])
        ],
    )
    submit(warehouse, REGION, "2026-01", "challenges", [
        {"challenge_id": "10-CH-1", "kato_code": V_UPHELD, "operator": "kcell", "claim": "mobile_4g",
         "evidence": "citizen_complaints", "measured_download_mbps": None, "complaints": 7,
         "submitted_on": "2026-01-05"},
        {"challenge_id": "10-CH-2", "kato_code": V_REJECTED, "operator": "beeline", "claim": "mobile_4g",
         "evidence": "own_measurements", "measured_download_mbps": 3.5, "complaints": None,
         "submitted_on": "2026-01-06"},
        {"challenge_id": "10-CH-3", "kato_code": V_FIBRE, "operator": "tele2", "claim": "fibre",
         "evidence": "own_measurements", "measured_download_mbps": 2.0, "complaints": None,
         "submitted_on": "2026-01-05"}])
    submit(warehouse, "tele2", "2026-01", "challenge_responses", [
        {"challenge_id": "10-CH-3", "response": "accept", "evidence": None, "responded_on": "2026-01-09"}])
    submit(warehouse, "kcell", "2026-01", "challenge_responses", [
        {"challenge_id": "10-CH-1", "response": "accept", "evidence": None, "responded_on": "2026-01-10"}])
    submit(warehouse, "beeline", "2026-01", "challenge_responses", [
        {"challenge_id": "10-CH-2", "response": "contest", "evidence": "network_logs",
         "responded_on": "2026-01-08"}])


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def built(request, tmp_path_factory):
    home = tmp_path_factory.mktemp(f"challenge-{request.param}")
    database = f"qamtu_challenge_test_{uuid.uuid4().hex[:10]}"
    if request.param == "postgres":
        admin = psycopg2.connect(dbname="postgres", **PG)
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute(f'create database "{database}"')
        admin.close()
    settings = Settings(home=home, warehouse=request.param, pg_database=database,
                        **{f"pg_{k}": v for k, v in PG.items()})
    try:
        with connect(settings) as warehouse:
            load_scenario(warehouse)
        from qamtu.warehouse.dbt_runner import build_marts

        build_marts(settings=settings, echo=lambda *_: None)
        yield settings
    finally:
        if request.param == "postgres":
            admin = psycopg2.connect(dbname="postgres", **PG)
            admin.autocommit = True
            with admin.cursor() as cur:
                cur.execute(f'drop database if exists "{database}" with (force)')
            admin.close()


def rows(settings: Settings, sql: str, params=None) -> list[tuple]:
    with connect(settings) as warehouse:
        return warehouse.rows(sql, params)


def test_the_challenges_end_upheld_and_rejected(built):
    got = {r[0]: (r[1], str(r[2])[:10]) for r in rows(
        built, "select challenge_id, status, decided_on from marts.fct_challenges where period = '2026-01'")}
    # Accepted on 10 January; contested on 8 January, reviewed 14 days: 22 January, not contradicted.
    assert got == {"10-CH-1": ("upheld", "2026-01-10"), "10-CH-2": ("rejected", "2026-01-22"),
                   "10-CH-3": ("upheld", "2026-01-09")}
    [(verdict,)] = rows(built, "select verdict from marts.fct_claim_verdicts where period = '2026-01' "
                               "and kato_code = ? and operator = 'beeline'", [V_REJECTED])
    assert verdict == "disputed"  # six tests, median 30 ≥ 10: not contradicted; the akimat says no 4G


def test_an_upheld_challenge_changes_the_next_periods_figure_and_a_rejected_one_does_not(built):
    share = {r[0]: r[1] for r in rows(
        built, "select period, actual from marts.fct_programme_progress "
               "where region_code = ? and indicator = 'population_access_share'", [REGION])}
    all_three = int(SETTLEMENTS.loc[[V_UPHELD, V_REJECTED, V_FIBRE], "population"].sum())
    kept = int(SETTLEMENTS.loc[V_REJECTED, "population"])
    assert share["2026-01"] == pytest.approx(all_three / REGION_POPULATION * 100, rel=1e-12)
    assert share["2026-02"] == pytest.approx(kept / REGION_POPULATION * 100, rel=1e-12)
    access = {(r[0], r[1]): r[2] for r in rows(
        built, "select period, kato_code, has_high_speed_internet from marts.fct_settlement_connectivity "
               "where kato_code in (?, ?, ?)", [V_UPHELD, V_REJECTED, V_FIBRE])}
    assert access == {("2026-01", V_UPHELD): True, ("2026-02", V_UPHELD): False,
                      ("2026-01", V_REJECTED): True, ("2026-02", V_REJECTED): True,
                      ("2026-01", V_FIBRE): True, ("2026-02", V_FIBRE): False}
    fibre = {r[0]: r[1] for r in rows(built,
                                      "select period, has_fibre from marts.fct_settlement_connectivity "
                                             "where kato_code = ?", [V_FIBRE])}
    assert fibre == {"2026-01": True, "2026-02": False}  # the upheld fibre challenge, from the next period
    struck = rows(built,
                  "select period, kato_code, operator, struck_out_by_challenge from marts.fct_claim_verdicts "
                         "where struck_out_by_challenge is not null")
    assert sorted(struck) == sorted([("2026-02", V_UPHELD, "kcell", "10-CH-1"),
                                     ("2026-02", V_FIBRE, "tele2", "10-CH-3")])


def test_statistics_count_them(built):
    got = {(r[0], r[1]): r[2:] for r in rows(
        built, "select region_code, operator, received, upheld, rejected, open_challenges, complaints, "
               "median_days_to_resolve from marts.fct_challenge_statistics where period = '2026-02'")}
    assert got[(REGION, "kcell")] == (1, 1, 0, 0, 7, 5.0)
    assert got[(REGION, "beeline")] == (1, 0, 1, 0, 0, 16.0)
    assert got[(REGION, "tele2")] == (1, 1, 0, 0, 0, 4.0)
    assert got[("KZ", "all")] == (3, 2, 1, 0, 7, 5.0)  # days to resolve 5, 16 and 4: median 5
