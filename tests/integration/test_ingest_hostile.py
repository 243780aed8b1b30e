"""Hostile files (issue 12), all landed together and ingested by one real ``qamtu ingest`` process
whose peak memory must stay under 2 GiB: a workbook with a cell at XFD1048576, a zip bomb, a CSV
line of 200 MB (large and small report), a header of 100,000 columns (large and small), duplicate
header names, NUL bytes, mixed line endings, JSON that is an object or nested 100,000 deep. Each
gets a clear receipt; the good rows around the bad ones load on their exact lines.

Expected lines and counts are those written here.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

# Feeds large hostile files under a memory bound (a minute or more): `make test` runs it; the daily
# `make check` does not.
pytestmark = pytest.mark.slow

QAMTU = Path(sys.executable).parent / "qamtu"
PEAK_LIMIT = 2 * 1024**3
SPEED_HEADER = ("test_id,measured_at,latitude,longitude,kato_code,operator,technology,"
                "download_mbps,upload_mbps,latency_ms")
FIBER_HEADER = (
    "kato_code,settlement_name,status,connected_on,households_passed,households_connected,max_speed_mbps"
)
SETTLEMENTS = ("192020100", "192020103", "192021100", "192021103", "192021105", "192022100")
CITY_HEADER = ["КАТО города", "Площадь покрытия 5G, км²", "Количество БС 5G"]


def speed_row(number: int) -> bytes:
    return (f"QOS-{number:06d},2026-03-{1 + number % 28:02d}T08:00:00Z,43.55,77.12,192020100,kcell,4G,"
            f"25.5,7.25,31").encode()


def fiber_rows() -> list[bytes]:
    return [f"{code},Village,connected,15.02.2026,{100 + n},{50 + n},100".encode()
            for n, code in enumerate(SETTLEMENTS)]


def workbook(extra_sheet_xml: bytes = b"", padding: int = 0) -> bytes:
    """A valid city_5g workbook; ``extra_sheet_xml`` goes into its sheet data (a far cell), and
    ``padding`` bytes of blanks into the sheet XML (they compress a thousandfold: a bomb)."""
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("5G")
    sheet.write_row(0, 0, CITY_HEADER)
    sheet.write_row(1, 0, [751010100, 310.5, 120])
    book.close()
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            data = source.read(member.filename)
            if member.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</sheetData>", extra_sheet_xml + b"</sheetData>")
                data = re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:XFD1048576"/>', data)
                if padding:
                    head, rest = data.split(b"<sheetData>", 1)
                    with target.open(member.filename, "w") as stream:
                        stream.write(head)
                        block = b" " * (8 * 1024 * 1024)
                        for _ in range(padding // len(block)):
                            stream.write(block)
                        stream.write(b"<sheetData>" + rest)
                    continue
            target.writestr(member, data)
    return out.getvalue()


# key → (status, [(line, rule) of the errors], rows loaded, detail the first error's message contains)
EXPECTED = {
    "operator/kazakhtelecom/2026-03/city_5g.xlsx": (
        "rejected",
        [(None, "file.unreadable")],
        0,
        "1,048,576 rows × 16,384 columns",
    ),
    "operator/kcell/2026-03/city_5g.xlsx": ("rejected", [(None, "file.unreadable")], 0, "compressed bomb"),
    "operator/tele2/2026-03/city_5g.xlsx": (
        "accepted",
        [],
        1,
        None,
    ),  # a declared dimension alone is harmless
    "measurement/qos/2026-03/speed_tests.csv": (
        "accepted_with_warnings",
        [(5, "file.unreadable_row"), (105, "file.unreadable_row")],
        202,
        "a line longer than 16 MiB",
    ),
    "operator/kcell/2026-03/settlement_fiber.csv": ("rejected", [(None, "file.unreadable")], 0, "16 MiB"),
    "measurement/qos/2026-02/speed_tests.csv": ("rejected", [(None, "file.unreadable")], 0, "columns"),
    "operator/beeline/2026-03/settlement_fiber.csv": (
        "rejected",
        [(None, "file.unreadable")],
        0,
        "the header has 100,000 columns",
    ),
    "measurement/qos/2026-01/speed_tests.csv": ("rejected", [(1, "file.duplicate_column")], 0, "latitude"),
    "operator/tele2/2026-03/settlement_fiber.csv": (
        "rejected",
        [(1, "file.duplicate_column")],
        0,
        "households_passed",
    ),
    # 1 row of 6 is more than the 1 % of unreadable rows a file may have (the row is named all the same)
    "operator/kazakhtelecom/2026-03/settlement_fiber.csv": (
        "rejected",
        [(None, "file.unreadable"), (4, "file.unreadable_row")],
        0,
        "1 of 6 rows",
    ),
    "operator/kcell/2026-02/settlement_fiber.csv": ("accepted", [], 6, None),  # \r\n, \n and \r mixed
    "akimat/75/2026-03/land_allocation.json": (
        "rejected",
        [(None, "file.unreadable")],
        0,
        "array of objects",
    ),
    "akimat/75/2026-02/land_allocation.json": (
        "rejected",
        [(None, "file.unreadable")],
        0,
        "nested too deeply",
    ),
}


def land_hostile(landing: Path) -> None:
    def put(key: str, data: bytes) -> None:
        path = landing / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    put("operator/kazakhtelecom/2026-03/city_5g.xlsx",
        workbook(b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'))
    put("operator/kcell/2026-03/city_5g.xlsx", workbook(padding=600 * 1024 * 1024))
    put("operator/tele2/2026-03/city_5g.xlsx", workbook())
    # x-large report: 200 MB on line 5, a NUL byte on line 105 (beyond the sniffed head); 200 good rows.
    path = landing / "measurement/qos/2026-03/speed_tests.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as stream:
        stream.write(SPEED_HEADER.encode() + b"\n")
        for n in range(3):
            stream.write(speed_row(n) + b"\n")
        block = b"9" * (1024 * 1024)
        for _ in range(200):
            stream.write(block)
        stream.write(b"\n")
        for n in range(3, 202):
            row = speed_row(n)
            if n == 102:
                row = row.replace(b"kcell", b"kc\x00ell")
            stream.write(row + b"\n")
        stream.write(speed_row(202) + b"\n")
    body = b"\n".join([FIBER_HEADER.encode(), fiber_rows()[0], b"x" * (200 * 1024 * 1024), *fiber_rows()[1:]])
    put("operator/kcell/2026-03/settlement_fiber.csv", body + b"\n")
    wide = ",".join(f"column{n}" for n in range(100_000)).encode()
    put("measurement/qos/2026-02/speed_tests.csv", wide + b"\n" + b",".join([b"1"] * 100_000) + b"\n")
    put("operator/beeline/2026-03/settlement_fiber.csv", wide + b"\n" + b",".join([b"1"] * 100_000) + b"\n")
    put("measurement/qos/2026-01/speed_tests.csv",
        (SPEED_HEADER + ",latitude").encode() + b"\n" + speed_row(1) + b",43.55\n")
    put("operator/tele2/2026-03/settlement_fiber.csv",
        (FIBER_HEADER + ",Households passed").encode() + b"\n" + fiber_rows()[0] + b",1\n")
    rows = fiber_rows()
    rows[2] = rows[2].replace(b"Village", b"Vil\x00lage")  # line 4
    put("operator/kazakhtelecom/2026-03/settlement_fiber.csv",
        b"\n".join([FIBER_HEADER.encode(), *rows]) + b"\n")
    mixed = FIBER_HEADER.encode() + b"\r\n"
    for number, row in enumerate(fiber_rows()):
        mixed += row + (b"\r\n", b"\n", b"\r")[number % 3]
    put("operator/kcell/2026-02/settlement_fiber.csv", mixed)
    put("akimat/75/2026-03/land_allocation.json",
        json.dumps({"request_id": "A-1", "operator": "kcell"}).encode())
    put("akimat/75/2026-02/land_allocation.json", b"[" * 100_000 + b"]" * 100_000)


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    home = tmp_path_factory.mktemp("hostile")
    land_hostile(home / "landing")
    env = {k: v for k, v in os.environ.items() if not k.startswith("QAMTU_")}
    env.update({"QAMTU_HOME": str(home), "DO_NOT_TRACK": "1"})
    out = home / "summary.json"
    with out.open("w") as stdout:
        process = subprocess.Popen([str(QAMTU), "ingest", "--json"], env=env, stdout=stdout,
                                   stderr=subprocess.PIPE)
        _, status, usage = os.wait4(process.pid, 0)
    stderr = process.stderr.read().decode(errors="replace")
    process.stderr.close()
    assert os.waitstatus_to_exitcode(status) == 0, stderr[-3000:]
    text = out.read_text()
    return home, json.loads(text[text.index("{"):]), usage.ru_maxrss * 1024


def test_every_hostile_file_gets_a_clear_receipt_in_bounded_memory(hostile_run):
    home, summary, peak = hostile_run
    assert peak < PEAK_LIMIT, f"peak RSS {peak / 2**30:.2f} GiB"
    assert summary["failed"] == 0, summary["failures"]
    entries = {e["key"]: e for e in summary["files"]}
    assert set(entries) == set(EXPECTED)
    for key, (status, errors, loaded, detail) in EXPECTED.items():
        entry = entries[key]
        receipt = json.loads((home / "receipts" / entry["receipt"]).read_text(encoding="utf-8"))
        got = [(e["line"], e["rule"]) for e in receipt["errors"]]
        assert (receipt["status"], got, receipt["rows_loaded"]) == (status, errors, loaded), key
        if detail:
            assert detail in receipt["errors"][0]["message"], (key, receipt["errors"][0]["message"])
    nul = json.loads(
        (
            home / "receipts" / entries["operator/kazakhtelecom/2026-03/settlement_fiber.csv"]["receipt"]
        ).read_text(encoding="utf-8")
    )["errors"][1]
    assert (
        "NUL byte" in nul["message"]
        and nul["value"] == "192021100,Vil\\0lage,connected,15.02.2026,102,52,100"
    )


def test_good_rows_around_hostile_ones_keep_their_lines(hostile_run):
    import duckdb

    home, summary, _ = hostile_run
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        speed = dict(con.execute("select source_line, test_id from raw.speed_tests").fetchall())
        fiber = con.execute("select s.source_key, f.source_line, f.kato_code from raw.settlement_fiber f "
                            "join raw.submissions s using (submission_id) order by 1, 2").fetchall()
    finally:
        con.close()
    # header 1, rows 0–2 on lines 2–4, the long line 5, rows 3–202 on lines 6–205 (row 102, line 105,
    # held back)
    expected = {n + 2: f"QOS-{n:06d}" for n in range(3)}
    expected.update({n + 3: f"QOS-{n:06d}" for n in range(3, 203) if n != 102})
    assert speed == expected
    mixed = [(line, code) for key, line, code in fiber if key.startswith("operator/kcell/2026-02/")]
    assert mixed == [(n + 2, code) for n, code in enumerate(SETTLEMENTS)]
