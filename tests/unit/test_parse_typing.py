"""Typing cells in SQL (the same expressions for every format and size): numbers with comma
decimals and space thousands, dates in the spec's forms and Excel serials, booleans and categorical
values in en/ru/kk."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest
from qamtu.contracts import load_contract
from qamtu.ingest.parse import parse_bytes
from qamtu.ingest.stage import Workbench

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "submissions"
UTC = dt.UTC


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    con = duckdb.connect()
    with Workbench(con, tmp_path_factory.mktemp("scratch")) as workbench:
        yield workbench
    con.close()


def typed(bench, report_type, field_name, text):
    return bench.typed_value(load_contract(report_type).field(field_name), text)


@pytest.mark.parametrize(("text", "expected"), [
    ("1234.5", 1234.5), ("1234,5", 1234.5), ("1 234,5", 1234.5), ("1\u00a0234,5", 1234.5),
    ("1\u202f234.5", 1234.5), ("1,234.5", 1234.5), ("1.234,5", 1234.5), ("1 000 000", 1_000_000.0),
    (" 12 ", 12.0), ("-0,5", -0.5), ("1e3", 1000.0), ("1.234.567", 1_234_567.0),
    ("abc", None), ("nan", None), ("inf", None), ("12..5", None), ("", None),
])
def test_numbers(bench, text, expected):
    assert typed(bench, "settlement_fiber", "max_speed_mbps", text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("1234", 1234), ("1 234", 1234), ("1234,0", 1234), ("1234.0", 1234), ("-5", -5),
    ("1,5", None), ("1.5", None), ("x", None),
])
def test_integers_are_numbers_without_a_fraction(bench, text, expected):
    assert typed(bench, "settlement_fiber", "households_passed", text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-03-05", dt.date(2026, 3, 5)), ("05.03.2026", dt.date(2026, 3, 5)),
    ("5.3.2026", dt.date(2026, 3, 5)),
    ("46086", dt.date(2026, 3, 5)), ("46086.0", dt.date(2026, 3, 5)),
    ("2026-03-05 00:00:00", dt.date(2026, 3, 5)),
    ("2026-03-05T00:00:00", dt.date(2026, 3, 5)),
    ("2026-02-30", None), ("31.02.2026", None), ("03/05/2026", None), ("2026-03-05 10:00:00", None),
    ("46086.5", None), ("вчера", None),
])
def test_dates(bench, text, expected):
    assert typed(bench, "settlement_fiber", "connected_on", text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-03-05T10:20:30Z", dt.datetime(2026, 3, 5, 10, 20, 30, tzinfo=UTC)),
    ("2026-03-05 10:20:30", dt.datetime(2026, 3, 5, 10, 20, 30, tzinfo=UTC)),  # no zone: UTC
    ("2026-03-05T15:20:30+05:00", dt.datetime(2026, 3, 5, 10, 20, 30, tzinfo=UTC)),
    ("05.03.2026 10:20", dt.datetime(2026, 3, 5, 10, 20, tzinfo=UTC)),
    ("05.03.2026 10:20:30", dt.datetime(2026, 3, 5, 10, 20, 30, tzinfo=UTC)),
    ("46086.5", dt.datetime(2026, 3, 5, 12, 0, tzinfo=UTC)),
    ("2026-03-05T25:00:00Z", None), ("soon", None),
])
def test_timestamps(bench, text, expected):
    assert typed(bench, "speed_tests", "measured_at", text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("true", True), ("TRUE", True), ("1", True), ("да", True), ("Да", True), ("иә", True), ("ИӘ", True),
    ("yes", True), ("false", False), ("0", False), ("нет", False), ("жоқ", False),
    ("Жоқ", False), ("no", False),
    ("maybe", None), ("2", None),
])
def test_booleans(bench, text, expected):
    assert typed(bench, "quality_inspections", "violation", text) == expected


@pytest.mark.parametrize(("report_type", "field_name", "text", "expected"), [
    ("settlement_fiber", "status", "connected", "connected"),
    ("settlement_fiber", "status", "Подключен", "connected"),
    ("settlement_fiber", "status", "  ПОДКЛЮЧЁН ", "connected"),
    ("settlement_fiber", "status", "қосылған", "connected"),
    ("settlement_fiber", "status", "Жоспарланған", "planned"),
    ("settlement_fiber", "status", "в  строительстве", "construction"),
    ("settlement_fiber", "status", "готово", "готово"),  # unknown spellings stay as written
    ("base_stations", "technology", "LTE", "4G"),
    ("base_stations", "technology", "5g nr", "5G"),
    ("speed_tests", "operator", "Кселл", "kcell"),
    ("speed_tests", "operator", "Қазақтелеком", "kazakhtelecom"),
    ("speed_tests", "operator", "KCELL", "kcell"),
    ("land_allocation", "decision", "Бас тартылды", "rejected"),
])
def test_categorical_values_in_three_languages(bench, report_type, field_name, text, expected):
    assert typed(bench, report_type, field_name, text) == expected


def test_codes_written_as_numbers_keep_their_digits(bench):
    assert typed(bench, "settlement_fiber", "kato_code", " 192020100 ") == "192020100"
    con = bench.con
    contract = load_contract("city_5g")
    con.execute("create or replace temp table native_codes as select 1 as _line, 751010100.0::double as c, "
                "12.5::double as a, 40::bigint as s")
    bench.stage_rows(contract, "native", "native_codes",
                     {"city_kato": "c", "covered_area_km2": "a", "sites_5g": "s"})
    assert con.execute("select city_kato, covered_area_km2, sites_5g from work.stage_city_5g "
                       "where _submission_id = 'native'").fetchall() == [("751010100", 12.5, 40)]


def test_a_whole_fixture_typed_and_failed_cells_kept_as_text(bench):
    contract = load_contract("settlement_fiber")
    table = parse_bytes((FIXTURES / "good/operator/kcell/2026-03/settlement_fiber.csv").read_bytes(), "csv",
                        contract)
    assert bench.stage_arrow(contract, "fixture", table.to_arrow()) == 4
    rows = bench.con.execute(
        "select _line, kato_code, settlement_name, status, connected_on, households_passed, "
        "households_connected, max_speed_mbps from work.stage_settlement_fiber where _submission_id = "
        "'fixture' order by _line").fetchall()
    assert rows == [
        (2, "192020100", "Копжол", "connected", dt.date(2026, 2, 15), 781, 650, 1000.5),
        (3, "192020101", "Кумкога", "construction", None, 63, 0, None),
        (4, "192020102", "Кокозен; ст. Кокозек", "planned", None, 410, 0, None),
        (5, "192020103", "Бирлестик", "connected", dt.date(2026, 3, 1), 1234, 1200, 100.0),
    ]
    broken = parse_bytes("kato_code,status,households_passed,households_connected,connected_on\n"
                         "192020100,planned, 12 штук ,0,31.02.2026\n".encode(), "csv", contract)
    bench.stage_arrow(contract, "broken", broken.to_arrow())
    assert bench.con.execute(
        "select households_passed, households_passed__raw, connected_on, connected_on__raw, "
        "households_connected__raw from work.stage_settlement_fiber where _submission_id = "
        "'broken'").fetchall() == [
        (None, "12 штук", None, "31.02.2026", None)]
