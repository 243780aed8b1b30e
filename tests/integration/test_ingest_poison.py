"""Poison files (issue 12): a file whose processing raises an unexpected error is retried by the
next runs; after ``ingest_max_attempts`` failures it gets a ``failed`` receipt (error class and
message, no stack trace), one alert, and no more retries until ``qamtu ingest --retry KEY``. The
other files of the same runs are never held back.

The fault is injected into the parser itself (``qamtu.ingest.parse.parse_csv_text`` replaced for
one report type), so the run's own error handling is what is tested.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "submissions" / "good"
TODAY = dt.date(2026, 4, 10)
POISON = "operator/beeline/2026-03/base_stations.csv"
HEALTHY = "operator/kcell/2026-03/settlement_fiber.csv"


def data_rows(key: str) -> int:
    """Rows of a fixture file: its non-blank lines but the header (neither holds a line break in a value)."""
    text = (FIXTURES / key).read_bytes()
    return sum(1 for line in text.splitlines() if line.strip()) - 1


def alerts(home: Path) -> list[dict]:
    folder = home / "alerts"
    return [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))] if folder.exists() else []


def test_a_poison_file_is_retried_then_given_up_with_one_alert_and_requeued_by_the_operator(
        qamtu_home, monkeypatch):
    from qamtu.cli import app
    from qamtu.ingest import ingest_new, parse
    from qamtu.settings import Settings
    from qamtu.storage import open_area
    from typer.testing import CliRunner

    settings = Settings(home=qamtu_home, warehouse="duckdb", storage="local")
    landing = open_area("landing", settings)
    for key in (POISON, HEALTHY):
        landing.put_bytes(key, (FIXTURES / key).read_bytes())

    calls = []
    real_parse = parse.parse_csv_text

    def faulty(text, contract):
        if contract.report_type == "base_stations":
            calls.append(contract.report_type)
            raise ZeroDivisionError("injected fault in the CSV parser")
        return real_parse(text, contract)

    monkeypatch.setattr(parse, "parse_csv_text", faulty)

    first = ingest_new(settings=settings, today=TODAY)
    assert [(e["key"], e["status"]) for e in first["files"]] == [(HEALTHY, "accepted")]  # not held back
    assert first["failed"] == 1 and first["failures"][0]["key"] == POISON
    assert (first["failures"][0]["attempts"], first["failures"][0]["status"]) == (1, "retrying")
    assert first["given_up"] == [] and alerts(qamtu_home) == []

    second = ingest_new(settings=settings, today=TODAY)
    assert (second["failed"], second["failures"][0]["attempts"], second["unchanged"]) == (1, 2, 1)
    assert alerts(qamtu_home) == []

    third = ingest_new(settings=settings, today=TODAY)
    assert (third["failures"][0]["attempts"], third["failures"][0]["status"]) == (3, "failed")
    assert third["given_up"] == [POISON]
    receipt_key = third["failures"][0]["receipt"]
    receipt = json.loads(open_area("receipts", settings).get_bytes(receipt_key))
    assert receipt["status"] == "failed" and receipt["source_key"] == POISON
    assert receipt["internal_error"] == {"class": "ZeroDivisionError",
                                         "message": "injected fault in the CSV parser",
                                         "step": "read", "attempts": 3}
    text = (qamtu_home / "receipts" / receipt_key).with_suffix(".txt").read_text(encoding="utf-8")
    assert "ZeroDivisionError: injected fault in the CSV parser" in text
    assert "Traceback" not in text and "Traceback" not in json.dumps(receipt)
    raised = alerts(qamtu_home)
    assert len(raised) == 1 and POISON in raised[0]["title"] and raised[0]["kind"] == "ingest_failed"
    assert len(calls) == 3

    fourth = ingest_new(settings=settings, today=TODAY)
    assert (fourth["failed"], fourth["held"], len(calls)) == (0, [POISON], 3)  # not tried again
    assert len(alerts(qamtu_home)) == 1  # and not alerted again

    monkeypatch.setattr(parse, "parse_csv_text", real_parse)  # the operator fixed the cause
    monkeypatch.setenv("QAMTU_HOME", str(qamtu_home))
    result = CliRunner().invoke(app, ["ingest", "--retry", POISON, "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout[result.stdout.index("{"):])
    assert [(e["key"], e["status"], e["rows_loaded"]) for e in summary["files"]] == [
        (POISON, "accepted", data_rows(POISON))]
    assert summary["held"] == [] and summary["failed"] == 0
    from qamtu.warehouse import connect

    with connect(settings) as warehouse:
        assert warehouse.scalar("select count(*) from raw.ingest_failures") == 0
        assert warehouse.scalar("select count(*) from raw.base_stations") == data_rows(POISON)


def test_a_file_replaced_in_landing_after_failing_starts_again_from_one_attempt(qamtu_home, monkeypatch):
    from qamtu.ingest import ingest_new, parse
    from qamtu.settings import Settings
    from qamtu.storage import open_area

    monkeypatch.setenv("QAMTU_INGEST_MAX_ATTEMPTS", "2")
    settings = Settings(home=qamtu_home, warehouse="duckdb", storage="local")
    landing = open_area("landing", settings)
    data = (FIXTURES / POISON).read_bytes()
    landing.put_bytes(POISON, data)
    real_parse = parse.parse_csv_text

    def faulty(text, contract):
        raise MemoryError("injected")

    monkeypatch.setattr(parse, "parse_csv_text", faulty)
    assert ingest_new(settings=settings, today=TODAY)["failures"][0]["attempts"] == 1
    landing.put_bytes(POISON, data + b"\n")  # the submitter sends it again (other bytes)
    again = ingest_new(settings=settings, today=TODAY)
    assert (again["failures"][0]["attempts"], again["failures"][0]["status"]) == (1, "retrying")
    assert ingest_new(settings=settings, today=TODAY)["given_up"] == [POISON]
    monkeypatch.setattr(parse, "parse_csv_text", real_parse)
    assert ingest_new(settings=settings, today=TODAY)["held"] == [POISON]
