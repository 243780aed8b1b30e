"""Ingestion end to end on hand-written submissions: every format, bad rows and bad files, receipts,
archive, idempotence, resubmissions, the CLI, S3 (moto's server) and a PostgreSQL raw layer.

Expected figures are read off the fixture files (tests/fixtures/submissions/, written by hand; each
defect sits on a known line) or computed here from the bytes landed — never by the code under test.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import io
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "submissions"
TODAY = dt.date(2026, 4, 10)  # the reporting month 2026-03 is closed; 2026-05 lies in the future


# --- helpers ------------------------------------------------------------------------------------
def workbook(
    sheets: dict[str, list[list]], dates: dict[tuple[str, int, int], dt.date] | None = None
) -> bytes:
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    date_format = book.add_format({"num_format": "dd.mm.yyyy"})
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is not None:
                    sheet.write(r, c, value)
        for (sheet_name, r, c), value in (dates or {}).items():
            if sheet_name == name:
                sheet.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date_format)
    book.close()
    return buffer.getvalue()


def parquet_bytes(table: pa.Table) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


def fixture(path: str) -> bytes:
    return (FIXTURES / path).read_bytes()


CITY_5G_XLSX_ROWS = [
    ["АО «Казахтелеком»"], ["Покрытие 5G по городам", None, None], ["по состоянию на 31.03.2026"], [],
    ["КАТО города", "Площадь покрытия 5G, км²", "Количество БС 5G"],
    [751010100, 310.5, 120], [711010100, 402, 151], [101010100, 55.25, 18],
    ["Итого", 767.75, 289],
]
BASE_STATIONS_XLSX_ROWS = [
    ["ТОО «Мобайл Телеком-Сервис»"], ["Базовые станции"], [],
    ["ID площадки", "Код КАТО", "Широта", "Долгота", "Технология", "Статус", "Дата запуска", "Код дороги"],
    ["T2-0001", 192020100, 43.55, 77.12, "4G", "действует", None, "A-3"],
    ["T2-0002", 192020101, 43.61, 77.2, "3G", "действует", None, None],
    ["T2-0003", 192020102, 43.7, 77.3, "5G", "планируется", None, None],
    ["Итого", None, None, None, None, None, None, None],
]
ROAD_COVERAGE_PARQUET = pa.table({"road_code": ["A-3", "A-3", "M-36"], "km_from": [0.0, 200.0, 1000.0],
                                  "km_to": [150.0, 260.5, 1100.0], "technology": ["4G", "LTE", "3G"]})


def good_submissions() -> dict[str, bytes]:
    """Landing key → bytes for one clean-ish submission of each format (defects documented below)."""
    return {
        "operator/kcell/2026-03/settlement_fiber.csv": fixture(
            "good/operator/kcell/2026-03/settlement_fiber.csv"
        ),
        "operator/beeline/2026-03/base_stations.csv": fixture(
            "good/operator/beeline/2026-03/base_stations.csv"
        ),
        "akimat/19/2026-03/quality_inspections.csv": fixture(
            "good/akimat/19/2026-03/quality_inspections.csv"
        ),
        "akimat/75/2026-03/land_allocation.json": fixture("good/akimat/75/2026-03/land_allocation.json"),
        "measurement/qos/2026-03/speed_tests.csv.gz": gzip.compress(
            fixture("good/measurement/qos/2026-03/speed_tests.csv")
        ),
        "operator/kazakhtelecom/2026-03/city_5g.xlsx": workbook(
            {"Инструкция": [["Заполните лист 5G"]], "5G": CITY_5G_XLSX_ROWS}
        ),
        "operator/tele2/2026-03/base_stations.xlsx": workbook(
            {"БС": BASE_STATIONS_XLSX_ROWS},
            {("БС", 4, 6): dt.date(2025, 12, 1), ("БС", 5, 6): dt.date(2026, 3, 31)},
        ),
        "operator/tele2/2026-03/road_coverage.parquet": parquet_bytes(ROAD_COVERAGE_PARQUET),
    }


# (rows read, rows loaded, status) per landing key, read off the files.
GOOD_COUNTS = {
    "operator/kcell/2026-03/settlement_fiber.csv": (4, 4, "accepted"),
    "operator/beeline/2026-03/base_stations.csv": (4, 4, "accepted"),
    "akimat/19/2026-03/quality_inspections.csv": (3, 3, "accepted"),
    "akimat/75/2026-03/land_allocation.json": (2, 2, "accepted"),
    # line 4: measured after the period; line 5: a negative download
    "measurement/qos/2026-03/speed_tests.csv.gz": (5, 3, "accepted_with_warnings"),
    "operator/kazakhtelecom/2026-03/city_5g.xlsx": (3, 3, "accepted"),
    "operator/tele2/2026-03/base_stations.xlsx": (3, 3, "accepted"),
    "operator/tele2/2026-03/road_coverage.parquet": (3, 3, "accepted"),
}


def land(settings, files: dict[str, bytes]) -> None:
    from qamtu.storage import open_area

    area = open_area("landing", settings)
    for key, data in files.items():
        area.put_bytes(key, data)


def ingest(settings, today: dt.date = TODAY) -> dict:
    from qamtu.ingest import ingest_new

    summary = ingest_new(settings=settings, today=today)
    assert summary["failed"] == 0, summary["failures"]
    return summary


def by_key(summary: dict) -> dict[str, dict]:
    return {entry["key"]: entry for entry in summary["files"]}


def receipt(settings, entry: dict) -> dict:
    from qamtu.storage import open_area

    return json.loads(open_area("receipts", settings).get_bytes(entry["receipt"]))


def rows(settings, sql: str, params=None) -> list[tuple]:
    from qamtu.warehouse import connect

    with connect(settings) as warehouse:
        return warehouse.rows(sql, params)


def count_rows(settings, schema: str, table: str) -> int:
    from qamtu.warehouse import connect

    with connect(settings) as warehouse:
        return warehouse.scalar("select count(*) from "
                                f"{schema}.{table}") if warehouse.table_exists(schema, table) else 0


def errors_of(settings, entry: dict) -> set[tuple]:
    return {(e["line"], e["field"], e["rule"]) for e in receipt(settings, entry)["errors"]}


# --- every format -------------------------------------------------------------------------------
def test_every_format_lands_typed_with_lineage_receipts_and_archive(local_settings):
    from qamtu.storage import open_area

    files = good_submissions()
    land(local_settings, files)
    summary = ingest(local_settings)
    entries = by_key(summary)
    assert set(entries) == set(files)
    for key, (read, loaded, status) in GOOD_COUNTS.items():
        entry = entries[key]
        assert (entry["rows_read"], entry["rows_loaded"], entry["status"]) == (read, loaded, status), key
        assert entry["rows_quarantined"] == read - loaded
    assert summary["rows_read"] == sum(c[0] for c in GOOD_COUNTS.values())
    assert summary["rows_loaded"] == sum(c[1] for c in GOOD_COUNTS.values())

    # Typed values, exactly as written in the files.
    assert rows(local_settings,
                "select kato_code, status, connected_on, households_passed, households_connected, "
                "max_speed_mbps, source_line from raw.settlement_fiber order by source_line") == [
        ("192020100", "connected", dt.date(2026, 2, 15), 781, 650, 1000.5, 2),
        ("192020101", "construction", None, 63, 0, None, 3),
        ("192020102", "planned", None, 410, 0, None, 4),
        ("192020103", "connected", dt.date(2026, 3, 1), 1234, 1200, 100.0, 5),
    ]
    assert rows(local_settings,
                "select site_id, latitude, technology, status, on_air_date, road_code, submitter "
                "from raw.base_stations order by submitter, site_id") == [
        ("BL-ALM-0001", 43.55, "4G", "active", dt.date(2025, 11, 3), "M-36", "beeline"),
        ("BL-ALM-0002", 43.61, "5G", "planned", None, None, "beeline"),
        ("BL-ALM-0003", 43.86, "4G", "active", dt.date(2026, 3, 31), None, "beeline"),
        ("BL-ALM-0004", 43.7, "2G", "dismantled", None, "A-3", "beeline"),
        ("T2-0001", 43.55, "4G", "active", dt.date(2025, 12, 1), "A-3", "tele2"),
        ("T2-0002", 43.61, "3G", "active", dt.date(2026, 3, 31), None, "tele2"),
        ("T2-0003", 43.7, "5G", "planned", None, None, "tele2"),
    ]
    assert rows(local_settings,
                "select inspection_id, operator, technology, measured_download_mbps, violation, "
                "fine_kzt, fine_paid from raw.quality_inspections order by inspection_id") == [
        ("ALM-2026-031", "kazakhtelecom", "fixed", 8.5, True, 150000.0, False),
        ("ALM-2026-032", "kcell", "4G", 32.0, False, 0.0, None),
        ("ALM-2026-033", "beeline", "4G", 4.1, True, 75000.0, True),
    ]
    assert rows(local_settings,
                "select request_id, operator, kato_code, purpose, requested_on, decision, decided_on "
                "from raw.land_allocation order by request_id") == [
        ("З-75-0101", "kazakhtelecom", "751010100", "fibre_route", dt.date(2026, 1, 15), "approved",
         dt.date(2026, 2, 10)),
        ("З-75-0102", "tele2", "751010100", "base_station", dt.date(2026, 3, 3), "pending", None),
    ]
    assert rows(local_settings,
                "select test_id, measured_at, operator, technology, source_line from raw.speed_tests "
                "order by test_id") == [
        ("QOS-0001", dt.datetime(2026, 3, 1, tzinfo=dt.UTC), "kcell", "4G", 2),
        ("QOS-0002", dt.datetime(2026, 3, 31, 23, 59, 59, tzinfo=dt.UTC), "kazakhtelecom", "fixed", 3),
        ("QOS-0005", dt.datetime(2026, 3, 20, 5, 15, tzinfo=dt.UTC), "kcell", "4G", 6),
    ]
    assert rows(local_settings, "select city_kato, covered_area_km2, sites_5g, source_line from raw.city_5g "
                "order by source_line") == [("751010100", 310.5, 120, 6), ("711010100", 402.0, 151, 7),
                                            ("101010100", 55.25, 18, 8)]
    assert rows(local_settings,
                "select road_code, km_from, km_to, technology, source_line from raw.road_coverage "
                "order by source_line") == [("A-3", 0.0, 150.0, "4G", 2), ("A-3", 200.0, 260.5, "4G", 3),
                                            ("M-36", 1000.0, 1100.0, "3G", 4)]

    # Lineage and raw.submissions: sha256 of the bytes landed, archive written once with those bytes.
    archive = open_area("archive", local_settings)
    submissions = rows(local_settings,
                       "select source_key, submission_id, sha256, size_bytes, archive_key, status, "
                       "is_current, rows_read, rows_loaded, rows_quarantined from raw.submissions")
    assert {s[0] for s in submissions} == set(files)
    for key, sid, sha, size, archive_key, status, current, read, loaded, held in submissions:
        data = files[key]
        assert sha == hashlib.sha256(data).hexdigest() and size == len(data)
        assert archive_key.endswith(f"/{sid}-{sha}.{key.split('.', 1)[1]}")
        assert archive.get_bytes(archive_key) == data
        assert current and status == GOOD_COUNTS[key][2]
        assert (read, loaded, held) == (GOOD_COUNTS[key][0], GOOD_COUNTS[key][1], read - loaded)
        (count,) = rows(local_settings, f"select count(*) from raw.{key.split('/')[3].split('.')[0]} "
                        "where submission_id = ? and source_key = ?", [sid, key])[0]
        assert count == loaded
    for entry in entries.values():
        document = receipt(local_settings, entry)
        assert document["status"] == entry["status"] and document["rows_read"] == entry["rows_read"]
        assert document["rows_read"] == document["rows_loaded"] + document["rows_quarantined"]
    speed = receipt(local_settings, entries["measurement/qos/2026-03/speed_tests.csv.gz"])
    assert {(e["line"], e["field"], e["value"], e["rule"]) for e in speed["errors"]} == {
        (4, "measured_at", "2026-04-01 00:00:00+00", "measured_at_not_after_period_end"),
        (5, "download_mbps", "-3.5", "minimum"),
    }
    assert speed["language"] == "en" and "line 5" in speed["errors"][1]["message"]


def test_totals_row_is_not_data_and_a_wrong_total_is_a_warning(local_settings):
    wrong = [row[:] for row in CITY_5G_XLSX_ROWS]
    wrong[-1] = ["Итого", 800, 289]  # the areas add up to 767.75
    land(local_settings, {"operator/kcell/2026-03/city_5g.xlsx": workbook({"Города 5G": wrong})})
    entry = by_key(ingest(local_settings))["operator/kcell/2026-03/city_5g.xlsx"]
    assert (entry["status"], entry["rows_read"], entry["rows_loaded"]) == ("accepted_with_warnings", 3, 3)
    document = receipt(local_settings, entry)
    assert document["errors"] == []
    assert [(w["line"], w["field"], w["value"], w["rule"]) for w in document["warnings"]] == [
        (9, "covered_area_km2", "800", "file.totals_mismatch")]
    assert "767.75" in document["warnings"][0]["message"]


# --- bad rows -----------------------------------------------------------------------------------
BAD_ROWS = {
    # Abai region (10) land-plot register: one defect per line.
    "akimat/10/2026-03/land_allocation.csv": {
        (3, "request_id", "unique"), (4, "request_id", "unique"),          # duplicate ids
        (5, "kato_code", "reference"),                                      # unknown KATO code
        (6, "kato_code", "in_submitter_region"),                            # Almaty region's code
        (7, "operator", "enum"),                                            # unknown operator
        (8, "requested_on", "requested_on_not_after_period_end"),          # dated after the period
        (9, "decided_on", "decided_not_before_requested"),
        (10, "decided_on", "decided_on_required_unless_pending"),
    },
    "akimat/10/2026-03/pole_access.csv": {
        (3, "poles_requested", "minimum"), (3, "poles_granted", "granted_not_above_requested"),  # negative
        (4, "poles_granted", "granted_not_above_requested"),
        (5, "poles_granted", "minimum"),
    },
    "operator/kcell/2026-03/road_coverage.csv": {
        (3, "km_to", "km_to_within_road_length"), (4, "km_from", "km_from_before_km_to"),
    },
    # The x-large report (DuckDB reads it; on DuckDB straight into raw): ';' and comma decimals too.
    "measurement/qos/2026-03/speed_tests.csv": {
        (3, "latency_ms", "type"), (4, "latitude", "minimum"), (5, "operator", "enum"),
        (6, "test_id", "unique"), (7, "test_id", "unique"),
        (8, "measured_at", "measured_at_not_after_period_end"),
    },
}
BAD_ROWS_COUNTS = {  # read, loaded, status
    "akimat/10/2026-03/land_allocation.csv": (9, 1, "accepted_with_warnings"),
    "akimat/10/2026-03/pole_access.csv": (4, 1, "accepted_with_warnings"),
    "operator/kcell/2026-03/road_coverage.csv": (4, 2, "accepted_with_warnings"),
    "measurement/qos/2026-03/speed_tests.csv": (8, 2, "accepted_with_warnings"),
}


def test_bad_rows_are_held_back_with_line_field_value_rule_and_message(local_settings):
    land(local_settings, {key: fixture("bad/" + key) for key in BAD_ROWS})
    entries = by_key(ingest(local_settings))
    for key, expected in BAD_ROWS.items():
        entry = entries[key]
        assert (entry["rows_read"], entry["rows_loaded"], entry["status"]) == BAD_ROWS_COUNTS[key], key
        assert errors_of(local_settings, entry) == expected, key
        report_type = key.split("/")[3].split(".")[0]
        held = {line for line, _, _ in expected}
        assert entry["rows_quarantined"] == len(held)
        assert {r[0] for r in rows(local_settings, f"select source_line from quarantine.{report_type} "
                                   "where submission_id = ?", [entry["submission_id"]])} == held
        loaded = {r[0] for r in rows(local_settings, f"select source_line from raw.{report_type} "
                                     "where submission_id = ?", [entry["submission_id"]])}
        assert loaded == set(range(2, 2 + entry["rows_read"])) - held
        assert {(r[0], r[1], r[2]) for r in rows(local_settings,
                                                 "select line, field, rule from quarantine.errors "
                                                 "where submission_id = ? and severity = 'error'",
                                                 [entry["submission_id"]])} == expected

    speed = receipt(local_settings, entries["measurement/qos/2026-03/speed_tests.csv"])
    assert {(e["line"], e["value"]) for e in speed["errors"] if e["rule"] in ("type", "enum")} == {
        (3, "быстро"), (5, "Jusan Mobile")}
    assert rows(local_settings, "select test_id, latitude, operator, technology, download_mbps, measured_at "
                "from raw.speed_tests order by test_id") == [
        ("QOS-1001", 43.55, "kcell", "4G", 25.5, dt.datetime(2026, 3, 2, 8, tzinfo=dt.UTC)),
        ("QOS-1008", 43.55, "tele2", "4G", 1025.5, dt.datetime(2026, 3, 31, 23, 59, 59, tzinfo=dt.UTC))]
    assert rows(local_settings, "select latency_ms from quarantine.speed_tests where source_line = 3") == [
        ("быстро",)
    ]

    land_receipt = receipt(local_settings, entries["akimat/10/2026-03/land_allocation.csv"])
    assert land_receipt["language"] == "kk"  # the Abai akimat writes in Kazakh
    by_line = {(e["line"], e["rule"]): e for e in land_receipt["errors"]}
    assert by_line[(7, "enum")]["value"] == "Мегафон" and "7-жол" in by_line[(7, "enum")]["message"]
    assert by_line[(8, "requested_on_not_after_period_end")]["value"] == "2026-04-05"
    assert "2026-03-31" in by_line[(8, "requested_on_not_after_period_end")]["message"]
    road = receipt(local_settings, entries["operator/kcell/2026-03/road_coverage.csv"])
    assert road["language"] == "ru"
    assert [(w["rule"], w["value"]) for w in road["warnings"]] == [("file.unknown_header", "Примечание")]
    assert "1330" in next(e["message"] for e in road["errors"] if e["rule"] == "km_to_within_road_length")
    text = (
        (local_settings.home / "receipts" / entries["operator/kcell/2026-03/road_coverage.csv"]["receipt"])
        .with_suffix(".txt")
        .read_text(encoding="utf-8")
    )
    assert "ПРИНЯТ С ЗАМЕЧАНИЯМИ" in text and "строка 4" in text


# --- bad files ----------------------------------------------------------------------------------
def _koi8(path: str) -> bytes:
    return fixture(path).decode("cp1251").encode("koi8_r")


BAD_FILES = {
    "empty file": ("operator/kcell/2026-03/settlement_fiber.csv", b"", "file.empty"),
    "binary junk named .csv": ("operator/kcell/2026-03/settlement_fiber.csv",
                               bytes((i * 7919 + 13) % 256 for i in range(5000)), "file.unreadable"),
    "wrong encoding": ("operator/kcell/2026-03/settlement_fiber.csv",
                       _koi8("good/operator/kcell/2026-03/settlement_fiber.csv"), "file.wrong_encoding"),
    "truncated xlsx": ("operator/kazakhtelecom/2026-03/city_5g.xlsx",
                       workbook({"5G": CITY_5G_XLSX_ROWS})[:2000], "file.unreadable"),
    "truncated csv.gz": ("measurement/qos/2026-03/speed_tests.csv.gz",
                         gzip.compress(fixture("good/measurement/qos/2026-03/speed_tests.csv"))[:-30],
                         "file.unreadable"),
    "report of another kind of submitter": ("operator/kcell/2026-03/land_allocation.csv",
                                            fixture("bad/akimat/10/2026-03/land_allocation.csv"),
                                            "file.wrong_folder"),
    "not in a submitter folder": ("kcell/settlement_fiber.csv",
                                  fixture("good/operator/kcell/2026-03/settlement_fiber.csv"),
                                  "file.wrong_folder"),
    "unknown submitter": ("akimat/99/2026-03/pole_access.csv",
                          fixture("bad/akimat/10/2026-03/pole_access.csv"),
                          "file.unknown_submitter"),
    "unknown report type": ("operator/kcell/2026-03/fibre.csv",
                            fixture("good/operator/kcell/2026-03/settlement_fiber.csv"),
                            "file.unknown_report_type"),
    "not a month": ("operator/kcell/2026-13/settlement_fiber.csv",
                    fixture("good/operator/kcell/2026-03/settlement_fiber.csv"), "file.wrong_period"),
    "a future month": ("operator/kcell/2026-05/settlement_fiber.csv",
                       fixture("good/operator/kcell/2026-03/settlement_fiber.csv"), "file.wrong_period"),
    "unsupported format": ("operator/kcell/2026-03/settlement_fiber.txt", b"kato_code\n1\n",
                           "file.unsupported_format"),
    "missing column": ("operator/kcell/2026-03/settlement_fiber.csv",
                       b"kato_code;status\n192020100;planned\n",
                       "file.missing_column"),
    "header but no rows": ("operator/kcell/2026-03/settlement_fiber.csv",
                           "Код КАТО;Статус;Охвачено домохозяйств;Подключено "
                           "домохозяйств\r\n".encode("cp1251"),
                           "file.no_rows"),
    "every row broken": ("operator/kcell/2026-03/settlement_fiber.csv",
                         b"kato_code,status,households_passed,households_connected\n999999999,planned,-1,0\n",
                         "file.no_rows"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_files_are_rejected_with_a_clear_receipt_and_block_nobody(local_settings, case):
    key, data, rule = BAD_FILES[case]
    other = "akimat/19/2026-03/quality_inspections.csv"
    land(local_settings, {key: data, other: fixture("good/" + other)})
    entries = by_key(ingest(local_settings))
    entry = entries[key]
    assert (entry["status"], entry["rows_loaded"]) == ("rejected", 0), case
    document = receipt(local_settings, entry)
    assert document["errors"][0]["rule"] == rule, document["errors"]
    assert document["errors"][0]["message"] and key in document["errors"][0]["message"]
    assert document["rows_read"] == document["rows_loaded"] + document["rows_quarantined"]
    txt = local_settings.home / "receipts" / entry["receipt"].replace(".json", ".txt")
    assert document["errors"][0]["message"] in txt.read_text(encoding="utf-8")
    assert rows(local_settings, "select status, is_current from raw.submissions where submission_id = ?",
                [entry["submission_id"]]) == [("rejected", False)]
    report_type = key.rsplit("/", 1)[-1].split(".")[0]
    assert count_rows(local_settings, "raw", report_type) == 0, case
    assert entries[other]["status"] == "accepted" and entries[other]["rows_loaded"] == 3


# --- idempotence and resubmission ---------------------------------------------------------------
def snapshot(settings) -> dict[str, list[tuple]]:
    tables = [r[0] for r in rows(settings,
                                 "select table_schema || '.' || table_name from information_schema.tables "
                                 "where table_schema in ('raw', 'quarantine') order by 1")]
    return {
        t: sorted(rows(settings, f"select * from {t}"), key=repr) for t in tables if t != "raw.landing_index"
    }


def test_ingesting_the_same_landing_twice_changes_nothing(local_settings):
    from qamtu.storage import open_area

    files = {**good_submissions(), **{k: fixture("bad/" + k) for k in BAD_ROWS}}
    land(local_settings, files)
    first = ingest(local_settings)
    assert first["submissions"] == len(files)
    before = snapshot(local_settings)
    archive_before = {str(k): k.etag for k in open_area("archive", local_settings).list()}
    second = ingest(local_settings)
    assert (second["submissions"], second["unchanged"]) == (0, len(files))
    land(local_settings, files)  # the same bytes uploaded again (new modification times)
    third = ingest(local_settings)
    assert (third["submissions"], third["unchanged"]) == (0, len(files))
    assert snapshot(local_settings) == before
    assert {str(k): k.etag for k in open_area("archive", local_settings).list()} == archive_before


def test_a_resubmission_replaces_exactly_the_superseded_rows(local_settings):
    from qamtu.storage import open_area

    key = "operator/kcell/2026-03/settlement_fiber.csv"
    other = "operator/beeline/2026-03/base_stations.csv"
    first_bytes = fixture("good/" + key)
    land(local_settings, {key: first_bytes, other: fixture("good/" + other)})
    first = by_key(ingest(local_settings))[key]
    other_rows = rows(local_settings, "select * from raw.base_stations order by site_id")

    # The operator corrects one figure and drops one settlement.
    text = first_bytes.decode("cp1251").replace(";63;0;", ";70;5;")
    text = "".join(line for line in text.splitlines(keepends=True) if not line.startswith("192020102"))
    second_bytes = text.encode("cp1251")
    land(local_settings, {key: second_bytes})
    second = by_key(ingest(local_settings))[key]
    assert second["submission_id"] != first["submission_id"] and second["rows_loaded"] == 3

    current = """select r.kato_code, r.households_passed, r.households_connected from raw.settlement_fiber r
                 join raw.submissions s using (submission_id) where s.is_current order by r.kato_code"""
    assert rows(local_settings, current) == [("192020100", 781, 650), ("192020101", 70, 5),
                                             ("192020103", 1234, 1200)]
    assert rows(local_settings, "select submission_id, is_current, superseded_by from raw.submissions "
                "where source_key = ? order by received_at", [key]) == [
        (first["submission_id"], False, second["submission_id"]), (second["submission_id"], True, None)]
    # The superseded rows stay, under their own submission (lineage), untouched.
    assert rows(local_settings, "select count(*) from raw.settlement_fiber where submission_id = ?",
                [first["submission_id"]]) == [(4,)]
    assert rows(local_settings, "select * from raw.base_stations order by site_id") == other_rows
    archived = {
        str(k) for k in open_area("archive", local_settings).list("operator/kcell/2026-03/settlement_fiber/")
    }
    assert archived == {f"operator/kcell/2026-03/settlement_fiber/{first['submission_id']}-"
                        f"{hashlib.sha256(first_bytes).hexdigest()}.csv",
                        f"operator/kcell/2026-03/settlement_fiber/{second['submission_id']}-"
                        f"{hashlib.sha256(second_bytes).hexdigest()}.csv"}

    # A 0-byte resubmission is rejected and leaves the data as it was.
    before = rows(local_settings, current)
    land(local_settings, {key: b""})
    empty = by_key(ingest(local_settings))[key]
    assert (
        empty["status"] == "rejected" and receipt(local_settings, empty)["errors"][0]["rule"] == "file.empty"
    )
    assert rows(local_settings, current) == before
    assert rows(local_settings,
                "select submission_id from raw.submissions where source_key = ? and is_current",
                [key]) == [(second["submission_id"],)]


# --- the command line ---------------------------------------------------------------------------
def test_cli_ingest_prints_the_summary_as_json(qamtu_home):
    from qamtu.cli import app
    from qamtu.settings import get_settings
    from typer.testing import CliRunner

    land(get_settings(), {"akimat/19/2026-03/quality_inspections.csv":
                          fixture("good/akimat/19/2026-03/quality_inspections.csv"),
                          "operator/kcell/2026-03/settlement_fiber.csv": b""})
    result = CliRunner().invoke(app, ["ingest", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["submissions"], summary["accepted"], summary["rejected"], summary["rows_loaded"]) == (
        2,
        1,
        1,
        3,
    )
    again = CliRunner().invoke(app, ["ingest"])
    words = " ".join(again.output.split())  # the console wraps lines
    assert again.exit_code == 0 and "0 new submission(s)" in words and "2 unchanged" in words


# --- S3 ------------------------------------------------------------------------------------------
def test_s3_backend_end_to_end(s3_settings):
    from s3_helpers import s3_client

    files = good_submissions()
    land(s3_settings, files)
    summary = ingest(s3_settings)
    assert {
        e["key"]: (e["rows_read"], e["rows_loaded"], e["status"]) for e in summary["files"]
    } == GOOD_COUNTS
    client = s3_client(s3_settings.s3_endpoint_url)
    stored = {
        o["Key"]
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=s3_settings.bucket_archive)
        for o in page.get("Contents", [])
    }
    archived = {k for k in stored if k.startswith("archive/")}
    receipts = {k for k in stored if k.startswith("receipts/")}
    assert len(archived) == len(files) and len(receipts) == 2 * len(files)
    for key, data in files.items():
        sha = hashlib.sha256(data).hexdigest()
        (match,) = [k for k in archived if k.endswith(f"-{sha}.{key.split('.', 1)[1]}")]
        assert client.get_object(Bucket=s3_settings.bucket_archive, Key=match)["Body"].read() == data
    assert not (s3_settings.home / "landing").exists() and not (s3_settings.home / "archive").exists()
    assert rows(s3_settings, "select count(*) from raw.speed_tests") == [(3,)]
    assert ingest(s3_settings)["unchanged"] == len(files)


# --- PostgreSQL ----------------------------------------------------------------------------------
@pytest.mark.postgres
def test_postgres_raw_layer_holds_what_duckdb_holds(pg_settings, tmp_path):
    from qamtu.settings import Settings

    files = {**good_submissions(), **{k: fixture("bad/" + k) for k in BAD_ROWS}}
    duck = Settings(home=tmp_path / "duck", warehouse="duckdb", storage="local")
    for settings in (pg_settings, duck):
        land(settings, files)
        summary = ingest(settings)
        assert summary["submissions"] == len(files)
    for report_type in ("settlement_fiber", "base_stations", "quality_inspections",
                        "land_allocation", "speed_tests",
                        "city_5g", "road_coverage", "pole_access"):
        columns = "submission_id, source_line"
        assert sorted(rows(pg_settings, f"select {columns} from raw.{report_type}")) == \
            sorted(rows(duck, f"select {columns} from raw.{report_type}")), report_type
        assert sorted(rows(pg_settings, f"select {columns} from quarantine.{report_type}")) == \
            sorted(rows(duck, f"select {columns} from quarantine.{report_type}")), report_type
    assert rows(pg_settings, "select test_id, measured_at, download_mbps from raw.speed_tests order by "
                             "test_id") == \
        rows(duck, "select test_id, measured_at, download_mbps from raw.speed_tests order by test_id")
    assert rows(pg_settings, "select kato_code, connected_on, households_passed, max_speed_mbps "
                "from raw.settlement_fiber order by kato_code") == \
        rows(duck, "select kato_code, connected_on, households_passed, max_speed_mbps "
             "from raw.settlement_fiber order by kato_code")
    assert sorted(rows(pg_settings, "select submission_id, status, is_current, rows_read, rows_loaded, "
                       "rows_quarantined from raw.submissions")) == \
        sorted(rows(duck,
                    "select submission_id, status, is_current, rows_read, rows_loaded, rows_quarantined "
                    "from raw.submissions"))
    assert sorted(rows(pg_settings, "select submission_id, line, field, rule from quarantine.errors")) == \
        sorted(rows(duck, "select submission_id, line, field, rule from quarantine.errors"))
    assert ingest(pg_settings)["unchanged"] == len(files)
