"""Rows that are not records of their header (issue 12): too many or too few fields, a quote never
closed, bytes that are not UTF-8 — held back one by one with line, field, raw text and rule, in
large files (DuckDB's reader) as in small ones; every other row loads with its exact line, also
after quoted values spanning lines, blank lines and mixed line endings.

Every figure is computed here from the bytes written (which line holds what), never by the code
under test.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json

import pytest

TODAY = dt.date(2026, 4, 10)
SPEED_KEY = "measurement/qos/2026-03/speed_tests.csv"
FIBER_HEADER = (
    "kato_code,settlement_name,status,connected_on,households_passed,households_connected,max_speed_mbps"
)
SPEED_HEADER = ("test_id,measured_at,latitude,longitude,kato_code,operator,technology,"
                "download_mbps,upload_mbps,latency_ms")
FIBER_KEY = "operator/kcell/2026-03/settlement_fiber.csv"
# Settlements of the Almaty region with more than 200 households (reference/data/kato.csv).
SETTLEMENTS = ("192020100", "192020103", "192021100", "192021103", "192021105", "192022100")


def speed_row(number: int) -> str:
    """A clean speed test; its id carries its number, so a loaded row says which one it was."""
    return (f"QOS-{number:06d},2026-03-{1 + number % 28:02d}T08:00:00Z,"
            "43.55,77.12,192020100,kcell,4G,25.5,7.25,31")


def land(settings, files: dict[str, bytes]) -> None:
    from qamtu.storage import open_area

    area = open_area("landing", settings)
    for key, data in files.items():
        area.put_bytes(key, data)


def ingest_one(settings, key: str, data: bytes) -> tuple[dict, dict]:
    """Land one file, ingest, return (summary entry, receipt)."""
    from qamtu.ingest import ingest_new
    from qamtu.storage import open_area

    land(settings, {key: data})
    summary = ingest_new(settings=settings, today=TODAY)
    assert summary["failed"] == 0, summary["failures"]
    entry = next(e for e in summary["files"] if e["key"] == key)
    return entry, json.loads(open_area("receipts", settings).get_bytes(entry["receipt"]))


def rows(settings, sql: str, params=None) -> list[tuple]:
    from qamtu.warehouse import connect

    with connect(settings) as warehouse:
        return warehouse.rows(sql, params)


def loaded_lines(settings, entry: dict) -> dict[int, str]:
    """source_line → test_id of the rows in raw."""
    return dict(rows(settings, "select source_line, test_id from raw.speed_tests where submission_id = ?",
                     [entry["submission_id"]]))


def build(lines: list[str], eol: str = "\n") -> tuple[bytes, dict[int, str]]:
    """The file's bytes and, for every line holding a clean row, the test id on it (1-based lines)."""
    expected = {number: line.split(",", 1)[0] for number, line in enumerate(lines, start=1)
                if number > 1 and line.startswith("QOS-") and line.count(",") == 9 and '"' not in line}
    return (eol.join(lines) + eol).encode("utf-8"), expected


def test_issue_example_a_1000_row_file_with_a_long_and_a_short_row_loads_998(local_settings):
    """The issue's example: one row with an extra field (line 501), one missing its last two
    (line 800): both held back with line, raw text and rule; the 998 others load on their lines."""
    body = [speed_row(n) for n in range(1000)]
    body[499] += ",extra"  # line 501
    body[798] = body[798].rsplit(",", 2)[0]  # line 800: two fields short
    data, expected = build([SPEED_HEADER, *body])
    entry, receipt = ingest_one(local_settings, SPEED_KEY + ".gz", gzip.compress(data))
    assert (entry["status"], entry["rows_read"], entry["rows_loaded"], entry["rows_quarantined"]) == (
        "accepted_with_warnings", 1000, 998, 2)
    errors = {e["line"]: e for e in receipt["errors"]}
    assert set(errors) == {501, 800}
    assert {e["rule"] for e in errors.values()} == {"file.unreadable_row"}
    assert errors[501]["value"] == body[499] and errors[800]["value"] == body[798]
    assert errors[800]["field"] == "upload_mbps"  # the first field the short row lacks
    assert "11 fields where the header has 10" in errors[501]["message"]
    assert "8 fields where the header has 10" in errors[800]["message"]
    assert loaded_lines(local_settings, entry) == expected
    assert len(expected) == 998
    assert rows(local_settings, "select source_line from quarantine.speed_tests where submission_id = ? "
                "order by 1", [entry["submission_id"]]) == [(501,), (800,)]
    assert rows(local_settings, "select line, rule, value from quarantine.errors where submission_id = ? "
                "order by line", [entry["submission_id"]]) == [
        (501, "file.unreadable_row", body[499]), (800, "file.unreadable_row", body[798])]


@pytest.mark.parametrize("eol", ["\n", "\r\n"])
def test_lines_stay_exact_after_quoted_values_spanning_lines_and_blank_lines(local_settings, eol):
    body = [speed_row(n) for n in range(300)]
    # line 11: a quoted test id spanning three lines (a clean row, loaded on its first line)
    body[9] = '"QOS-' + f'{9:06d}{eol}second{eol}third"' + body[9][len("QOS-000009"):]
    body.insert(50, "")  # a blank line (line 52)
    body.insert(120, "")  # another (line 122)
    body[200] += ",x,y"  # two fields too many
    lines = [SPEED_HEADER, *body]
    data = (eol.join(lines) + eol).encode()
    expected, number = {}, 0
    for line in lines[1:]:  # physical lines by hand: each row's first line
        start = number + 2
        number += 1 + line.count(eol)
        if line.startswith("QOS-") and line.count(",") == 9:
            expected[start] = line.split(",", 1)[0]
    entry, receipt = ingest_one(local_settings, SPEED_KEY, data)
    bad_line = next(n for n, line in enumerate(data.decode().split(eol), start=1) if line.endswith(",x,y"))
    assert [(e["line"], e["rule"]) for e in receipt["errors"]] == [(bad_line, "file.unreadable_row")]
    assert (entry["rows_read"], entry["rows_loaded"]) == (300, 299)
    got = loaded_lines(local_settings, entry)
    multi = got.pop(11)
    assert multi.startswith("QOS-000009") and "third" in multi
    assert got == expected


def test_mixed_line_endings_unterminated_quote_and_bad_bytes_each_hold_back_one_row(local_settings):
    body = [speed_row(n).encode() for n in range(4000)]
    # line 3502: bytes that are not UTF-8, beyond the head the encoding is told from (256 KiB)
    body[3500] = body[3500].replace(b"kcell", b"kc\xff\xfell")
    body[3900] = body[3900] + b',"never closed'  # line 3902: a quote opened and never closed
    endings = [b"\r\n", b"\n", b"\r"]  # the first 30 rows end in turn with each
    data = SPEED_HEADER.encode() + b"\n"
    for number, row in enumerate(body[:30]):
        data += row + endings[number % 3]
    data += b"\n".join(body[30:]) + b"\n"
    assert len(b"\n".join(body[:3500])) > 256 * 1024
    entry, receipt = ingest_one(local_settings, SPEED_KEY, data)
    assert receipt["format"]["encoding"] == "utf-8"
    errors = {e["line"]: e for e in receipt["errors"]}
    assert set(errors) == {3502, 3902}
    assert all(e["rule"] == "file.unreadable_row" for e in errors.values())
    assert errors[3502]["field"] == "operator" and "not UTF-8" in errors[3502]["message"]
    assert errors[3902]["value"].startswith(body[3900].decode()) and "not closed" in errors[3902]["message"]
    # The unclosed quote swallows the rest of the file into one row, as every CSV reader does.
    assert (entry["rows_read"], entry["rows_loaded"], entry["rows_quarantined"]) == (3901, 3899, 2)
    assert loaded_lines(local_settings, entry) == {
        n + 2: f"QOS-{n:06d}" for n in range(3900) if n != 3500}


def test_a_file_with_too_many_unreadable_rows_is_rejected_and_says_why(local_settings):
    body = [speed_row(n) for n in range(200)]
    for n in range(0, 200, 50):  # 4 rows of 200 = 2 % > 1 %
        body[n] += ",extra"
    data, _ = build([SPEED_HEADER, *body])
    entry, receipt = ingest_one(local_settings, SPEED_KEY, data)
    assert (entry["status"], entry["rows_loaded"]) == ("rejected", 0)
    assert receipt["errors"][0]["rule"] == "file.unreadable"
    assert "4 of 200 rows (2.0%)" in receipt["errors"][0]["message"]
    assert sorted(e["line"] for e in receipt["errors"][1:]) == [2, 52, 102, 152]
    assert rows(local_settings, "select count(*) from raw.speed_tests where submission_id = ?",
                [entry["submission_id"]]) == [(0,)]


def test_the_share_is_configurable(qamtu_home, monkeypatch):
    from qamtu.settings import Settings

    monkeypatch.setenv("QAMTU_INGEST_MAX_UNREADABLE_SHARE", "0.05")
    settings = Settings(home=qamtu_home, warehouse="duckdb", storage="local")
    body = [speed_row(n) for n in range(200)]
    for n in range(0, 200, 50):
        body[n] += ",extra"
    data, expected = build([SPEED_HEADER, *body])
    entry, _ = ingest_one(settings, SPEED_KEY, data)
    assert (entry["status"], entry["rows_loaded"], entry["rows_quarantined"]) == (
        "accepted_with_warnings",
        196,
        4,
    )
    assert loaded_lines(settings, entry) == expected


def test_a_small_csv_holds_back_rows_of_the_wrong_width_the_same_way(qamtu_home, monkeypatch):
    from qamtu.settings import Settings

    monkeypatch.setenv("QAMTU_INGEST_MAX_UNREADABLE_SHARE", "0.5")  # 2 of 6 rows: the file stays
    settings = Settings(home=qamtu_home, warehouse="duckdb", storage="local")
    lines = [
        "kato_code,settlement_name,status,connected_on,households_passed,households_connected,max_speed_mbps"
    ]
    lines += [
        f"{code},Village,connected,15.02.2026,{100 + n},{50 + n},100" for n, code in enumerate(SETTLEMENTS)
    ]
    lines[3] += ",surplus"  # line 4
    lines[5] = lines[5].rsplit(",", 3)[0]  # line 6: three fields short
    entry, receipt = ingest_one(settings, FIBER_KEY, ("\n".join(lines) + "\n").encode())
    assert (entry["rows_read"], entry["rows_loaded"], entry["rows_quarantined"]) == (6, 4, 2)
    errors = sorted((e["line"], e["field"], e["rule"]) for e in receipt["errors"])
    assert errors == [(4, None, "file.unreadable_row"), (6, "households_passed", "file.unreadable_row")]
    assert sorted(r[0] for r in rows(settings, "select source_line from "
                                               "raw.settlement_fiber")) == [2, 3, 5, 7]


def test_a_small_csv_is_rejected_too_when_too_many_rows_are_unreadable(local_settings):
    lines = [
        "kato_code,settlement_name,status,connected_on,households_passed,households_connected,max_speed_mbps"
    ]
    lines += [
        f"{code},Village,connected,15.02.2026,{100 + n},{50 + n},100" for n, code in enumerate(SETTLEMENTS)
    ]
    lines[3] += ",surplus"
    entry, receipt = ingest_one(local_settings, FIBER_KEY, ("\n".join(lines) + "\n").encode())
    assert (entry["status"], entry["rows_read"], entry["rows_loaded"]) == ("rejected", 6, 0)
    assert [(e["line"], e["rule"]) for e in receipt["errors"]] == [(None, "file.unreadable"),
                                                                    (4, "file.unreadable_row")]


def test_a_small_csv_holds_back_a_row_whose_quote_is_never_closed(qamtu_home, monkeypatch):
    """The quote opened on line 6 swallows the rest of the file into that row, in both readers;
    the row is held back (as DuckDB's reader does for a large file), the rows before it load."""
    from qamtu.settings import Settings

    monkeypatch.setenv("QAMTU_INGEST_MAX_UNREADABLE_SHARE", "0.5")
    settings = Settings(home=qamtu_home, warehouse="duckdb", storage="local")
    lines = [FIBER_HEADER]
    lines += [
        f"{code},Village,connected,15.02.2026,{100 + n},{50 + n},100" for n, code in enumerate(SETTLEMENTS)
    ]
    lines[5] = lines[5].replace("Village", '"Village')  # line 6
    entry, receipt = ingest_one(settings, FIBER_KEY, ("\n".join(lines) + "\n").encode())
    assert (entry["rows_read"], entry["rows_loaded"], entry["rows_quarantined"]) == (5, 4, 1)
    assert [(e["line"], e["rule"]) for e in receipt["errors"]] == [(6, "file.unreadable_row")]
    assert receipt["errors"][0]["value"].startswith(lines[5])
    assert sorted(r[0] for r in rows(settings, "select source_line from "
                                               "raw.settlement_fiber")) == [2, 3, 4, 5]
