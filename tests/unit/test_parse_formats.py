"""Reading submissions into text cells, every format of the spec, driven by the contracts only.

The files under tests/fixtures/submissions/ were written by hand (not by the generator); the
expected cells and lines below are read off those files."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from qamtu.contracts import load_contract
from qamtu.ingest.landing import FileRejected
from qamtu.ingest.parse import parse_bytes, prepare_large

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "submissions"
GOOD = FIXTURES / "good"


def rejected(data: bytes, ext: str, report_type: str) -> list[tuple[str, str | None]]:
    with pytest.raises(FileRejected) as caught:
        parse_bytes(data, ext, load_contract(report_type))
    return [(p.rule, p.field) for p in caught.value.problems]


def test_cp1251_semicolons_quoted_delimiter_and_russian_headers():
    data = (GOOD / "operator/kcell/2026-03/settlement_fiber.csv").read_bytes()
    table = parse_bytes(data, "csv", load_contract("settlement_fiber"))
    assert table.details["encoding"] == "cp1251" and table.details["delimiter"] == ";"
    assert table.lines == [2, 3, 4, 5]
    assert table.columns["settlement_name"] == ["Копжол", "Кумкога", "Кокозен; ст. Кокозек", "Бирлестик"]
    assert table.columns["households_passed"] == ["781", "63", "410", "1 234"]
    assert table.columns["max_speed_mbps"] == ["1 000,5", None, None, "100"]
    assert table.columns["status"] == ["Подключен", "строительство", "ПЛАНИРУЕТСЯ", "подключён"]
    assert not table.problems


def test_utf8_bom_tabs_and_english_headers_in_any_case():
    data = (GOOD / "operator/beeline/2026-03/base_stations.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    table = parse_bytes(data, "csv", load_contract("base_stations"))
    assert table.details["encoding"] == "utf-8-sig" and table.details["delimiter"] == "\t"
    assert table.fields == ["site_id", "kato_code", "latitude", "longitude", "technology", "status",
                            "on_air_date", "road_code"]
    assert table.columns["site_id"] == ["BL-ALM-0001", "BL-ALM-0002", "BL-ALM-0003", "BL-ALM-0004"]
    assert table.columns["latitude"][1] == "43,61" and table.columns["road_code"] == [
        "M-36",
        None,
        None,
        "A-3",
    ]


def test_kazakh_headers_with_commas_inside_quotes():
    data = (GOOD / "akimat/19/2026-03/quality_inspections.csv").read_bytes()
    table = parse_bytes(data, "csv", load_contract("quality_inspections"))
    assert table.details["delimiter"] == ","
    assert table.columns["measured_download_mbps"] == ["8,5", "32,0", "4,1"]
    assert table.columns["fine_kzt"] == ["150 000", "0", "75000"]
    assert table.columns["violation"] == ["иә", "жоқ", "Иә"]


def test_quoted_line_breaks_keep_physical_line_numbers():
    text = ('kato_code,settlement_name,status,households_passed,households_connected\n'
            '192020100,"Копжол\n(старое название: Копжол-1)",planned,10,0\n'
            '192020101,Кумкога,planned,5,0\n')
    table = parse_bytes(text.encode(), "csv", load_contract("settlement_fiber"))
    assert table.lines == [2, 4]
    assert table.columns["settlement_name"][0] == "Копжол\n(старое название: Копжол-1)"


def test_json_array_object_and_split_forms():
    contract = load_contract("land_allocation")
    wrapped = parse_bytes((GOOD / "akimat/75/2026-03/land_allocation.json").read_bytes(), "json", contract)
    assert wrapped.lines == [2, 3]
    assert wrapped.columns["kato_code"] == ["751010100", "751010100"]  # a JSON number becomes its digits
    assert wrapped.columns["decided_on"] == ["10.02.2026", None]
    records = [{"request_id": "R1", "operator": "kcell", "kato_code": "751010100", "purpose": "other",
                "requested_on": "2026-03-01", "decision": "pending"}]
    as_array = parse_bytes(json.dumps(records).encode(), "json", contract)
    assert as_array.lines == [2] and as_array.columns["decision"] == ["pending"]
    split = {"columns": list(records[0]), "data": [list(records[0].values())]}
    assert parse_bytes(json.dumps(split).encode(), "json", contract).columns["request_id"] == ["R1"]
    assert rejected(b"[]", "json", "land_allocation") == [("file.no_rows", None)]
    assert rejected(b'{"rows": [1, 2]}', "json", "land_allocation")[0][0] == "file.unreadable"
    assert rejected(b'[{"request_id": "R1",', "json", "land_allocation")[0][0] == "file.unreadable"


def test_parquet_native_types_become_cells():
    table = pa.table({"Road code": ["A-3", "M-36"], "km_from": [0.0, 10.0], "km_to": [120.5, 25.0],
                      "technology": ["4G", "LTE"]})
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    parsed = parse_bytes(buffer.getvalue(), "parquet", load_contract("road_coverage"))
    assert parsed.lines == [2, 3]
    assert parsed.columns == {"road_code": ["A-3", "M-36"], "km_from": ["0", "10"], "km_to": ["120.5", "25"],
                              "technology": ["4G", "LTE"]}


def test_csv_gz_is_read_through():
    data = gzip.compress((GOOD / "operator/kcell/2026-03/settlement_fiber.csv").read_bytes())
    table = parse_bytes(data, "csv.gz", load_contract("settlement_fiber"))
    assert table.num_rows == 4 and table.details["encoding"] == "cp1251"


def _workbook(
    sheets: dict[str, list[list]], date_cells: dict[tuple[str, int, int], dt.date] | None = None
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
        for (sheet_name, r, c), value in (date_cells or {}).items():
            if sheet_name == name:
                sheet.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date_format)
    book.close()
    return buffer.getvalue()


def test_xlsx_title_rows_named_sheet_excel_dates_and_totals_row():
    rows = [
        ["АО «Кселл»"],
        ["Базовые станции по состоянию на 31.03.2026"],
        [],
        [None, "ID площадки", "Код КАТО", "Широта", "Долгота", "Технология", "Статус", "Дата запуска"],
        [None, "KC-0001", 192020100, 43.55, 77.12, "4G", "действует", None],
        [None, "KC-0002", 192020101, 43.61, 77.2, "5G", "планируется", None],
        [None, "Итого", None, None, None, None, None, None],
    ]
    data = _workbook({"Инструкция": [["Заполните лист БС"]], "БС": rows},
                     {("БС", 4, 7): dt.date(2026, 3, 2)})
    table = parse_bytes(data, "xlsx", load_contract("base_stations"))
    assert table.details["sheet"] == "БС" and table.details["title_rows"] == 3
    assert table.lines == [5, 6]  # Excel row numbers
    assert table.columns["kato_code"] == ["192020100", "192020101"]  # number cells: their digits
    assert table.columns["on_air_date"] == ["2026-03-02", None]  # an Excel date cell
    assert table.totals_line == 7


def test_xlsx_first_sheet_when_no_sheet_is_named_like_the_report():
    rows = [["city_kato", "covered_area_km2", "sites_5g"], [751010100, 120.5, 40], [711010100, 300, 85],
            ["Барлығы", 420.5, 125]]
    table = parse_bytes(_workbook({"Sheet1": rows}), "xlsx", load_contract("city_5g"))
    assert table.details["sheet"] == "Sheet1" and table.lines == [2, 3]
    assert table.totals == {"city_kato": "Барлығы", "covered_area_km2": "420.5", "sites_5g": "125"}


def test_unknown_and_repeated_headers():
    text = (
        "Код КАТО,Статус,Охвачено домохозяйств,Подключено домохозяйств,Примечание\n192020100,planned,1,0,x\n"
    )
    table = parse_bytes(text.encode(), "csv", load_contract("settlement_fiber"))
    assert [(p.rule, p.severity, p.field, p.value) for p in table.problems] == [
        ("file.unknown_header", "warning", "Примечание", "Примечание")]
    twice = "Код КАТО,kato_code,Статус,Охвачено домохозяйств,Подключено домохозяйств\n1,1,planned,1,0\n"
    assert rejected(twice.encode(), "csv", "settlement_fiber") == [("file.duplicate_column", "kato_code")]


def test_missing_required_columns_are_named():
    text = "Код КАТО;Статус\n192020100;planned\n"
    assert rejected(text.encode(), "csv", "settlement_fiber") == [
        ("file.missing_column", "households_passed"), ("file.missing_column", "households_connected")]


def test_empty_junk_and_truncated_files():
    assert rejected(b"", "csv", "settlement_fiber") == [("file.empty", None)]
    assert rejected(b"\xef\xbb\xbf \r\n", "csv", "settlement_fiber") == [("file.empty", None)]
    junk = bytes((i * 7919 + 13) % 256 for i in range(4096))
    assert rejected(junk, "csv", "settlement_fiber")[0][0] == "file.unreadable"
    whole = _workbook({"Sheet1": [["city_kato", "covered_area_km2", "sites_5g"], [751010100, 1, 1]]})
    assert rejected(whole[: len(whole) // 2], "xlsx", "city_5g")[0][0] == "file.unreadable"
    assert rejected(b"kato_code,status\n", "xlsx", "settlement_fiber")[0][0] == "file.unreadable"
    gz = gzip.compress((GOOD / "operator/kcell/2026-03/settlement_fiber.csv").read_bytes())
    assert rejected(gz[:-20], "csv.gz", "settlement_fiber")[0][0] == "file.unreadable"


@pytest.mark.parametrize("encoding", ["koi8_r", "cp866", "utf-16"])
def test_encodings_the_spec_does_not_accept(encoding):
    text = (GOOD / "operator/kcell/2026-03/settlement_fiber.csv").read_bytes().decode("cp1251")
    assert rejected(text.encode(encoding), "csv", "settlement_fiber") == [("file.wrong_encoding", None)]


def test_utf8_text_read_as_windows_1251_and_saved_again_is_caught():
    text = (GOOD / "operator/kcell/2026-03/settlement_fiber.csv").read_bytes().decode("cp1251")
    mojibake = text.encode("utf-8").decode("cp1251", errors="replace").encode("utf-8")
    assert rejected(mojibake, "csv", "settlement_fiber") == [("file.wrong_encoding", None)]


def test_large_reports_are_sniffed_not_read(tmp_path):
    source = (GOOD / "measurement/qos/2026-03/speed_tests.csv").read_bytes()
    path = tmp_path / "speed_tests.csv.gz"
    path.write_bytes(gzip.compress(source))
    large = prepare_large(path, "csv.gz", load_contract("speed_tests"), tmp_path)
    assert large.details == {"format": "csv", "encoding": "utf-8", "delimiter": ",", "header_line": 1}
    assert set(large.columns) == set(load_contract("speed_tests").field_names)
    assert "read_csv" in large.relation and "transcoded" not in large.relation
    cp1251 = tmp_path / "cp.csv"
    cp1251.write_bytes(source.decode("utf-8").replace("kcell", "Кселл").encode("cp1251"))
    transcoded = prepare_large(cp1251, "csv", load_contract("speed_tests"), tmp_path)
    assert transcoded.details["encoding"] == "cp1251"
    assert (tmp_path / "transcoded.csv").read_text(encoding="utf-8").count("Кселл") == 2


def test_large_csv_read_in_order_is_numbered_like_the_numbering_reader(tmp_path):
    """The x-large route types rows on every thread and numbers them by position (``unnumbered``,
    ``first_line``); the numbers must be those of the single-threaded ``WITH ORDINALITY`` reader,
    also with a title row, in a file DuckDB splits across threads."""
    import duckdb

    rows = ["Замеры скорости, март 2026",
            "test_id,measured_at,latitude,longitude,kato_code,operator,technology,"
            "download_mbps,upload_mbps,latency_ms"]
    for number in range(300_000):
        rows.append(f"T{number:07d},2026-03-02T08:00:00Z,43.55,76.95,751110000,kcell,4G,25.5,5.1,30")
    path = tmp_path / "speed_tests.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    large = prepare_large(path, "csv", load_contract("speed_tests"), tmp_path)
    assert large.first_line == 3 and large.unnumbered and "ordinality" not in large.unnumbered
    assert large.is_regular()
    con = duckdb.connect(config={"threads": 4})
    test_id = large.columns["test_id"]
    con.execute(f"create table in_order as select {test_id} as test_id from {large.unnumbered}")
    positions = con.execute(f"select test_id, rowid + {large.first_line} from in_order").fetchall()
    numbered = con.execute(f"select {test_id}, _line from {large.relation}").fetchall()
    assert len(positions) == 300_000 and sorted(positions) == sorted(numbered)
    assert dict(positions)["T0150001"] == 150_004


def test_large_csv_with_a_value_spanning_lines_is_numbered_by_physical_line(tmp_path):
    """A quoted cell spanning two lines: the rows after it keep the line they are on in the file
    (issue 12), read through the numbered route."""
    import duckdb

    rows = ["Замеры скорости, март 2026",
            "test_id,measured_at,latitude,longitude,kato_code,operator,technology,"
            "download_mbps,upload_mbps,latency_ms"]
    for number in range(300_000):
        operator = '"kcell\nactiv"' if number == 150_000 else "kcell"
        rows.append(f"T{number:07d},2026-03-02T08:00:00Z,43.55,76.95,751110000,{operator},4G,25.5,5.1,30")
    path = tmp_path / "speed_tests.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    optimistic = prepare_large(path, "csv", load_contract("speed_tests"), tmp_path)
    assert not optimistic.is_regular()  # the background scan saw the value spanning lines
    large = prepare_large(path, "csv", load_contract("speed_tests"), tmp_path, regular=False)
    assert large.unnumbered is None
    con = duckdb.connect(config={"threads": 4})
    lines = dict(con.execute(f"select {large.columns['test_id']}, _line from {large.relation}").fetchall())
    assert len(lines) == 300_000
    assert (lines["T0000000"], lines["T0150000"], lines["T0150001"], lines["T0299999"]) == (
        3, 150_003, 150_005, 300_003)
