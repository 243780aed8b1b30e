"""Monthly close: every expected report (contract submitters × report types of their kind) is
on time, late, rejected or missing against the deadline, computed here from the rows we put in
``raw.submissions`` (the ingestion layer's table, as the conventions define it)."""

from __future__ import annotations

import datetime as dt
import json

import pyarrow as pa
import pytest

PERIOD = "2026-03"
KZ = dt.timezone(dt.timedelta(hours=5))


def submissions_table(rows: list[dict]) -> pa.Table:
    columns = {
        "submission_id": pa.string(), "kind": pa.string(), "submitter": pa.string(), "period": pa.string(),
        "report_type": pa.string(), "status": pa.string(), "is_current": pa.bool_(),
        "received_at": pa.timestamp("us", tz="UTC"),
    }
    return pa.table({name: pa.array([r[name] for r in rows], type=typ) for name, typ in columns.items()})


@pytest.fixture
def settings(tmp_path):
    from qamtu.settings import Settings

    return Settings(home=tmp_path)


def expected_pairs():
    """Independent of the module under test: straight from the contract files."""
    from qamtu.contracts import SCHEMA_DIR, SUBMITTERS_FILE

    submitters = json.loads(SUBMITTERS_FILE.read_text(encoding="utf-8"))
    pairs = []
    for path in sorted(SCHEMA_DIR.glob("*.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        if schema.get("x-expected-each-period") is False:  # e.g. challenges: sent when there are some
            continue
        kind = schema["kind"]
        for submitter in submitters[kind]:
            pairs.append((kind, submitter["id"], path.stem))
    return pairs


def test_expected_reports_are_every_submitter_times_its_report_types():
    from qamtu.orchestration.close import expected_submissions

    expected = expected_submissions()
    assert sorted(expected) == sorted(expected_pairs())
    kinds = {k for k, _, _ in expected}
    assert kinds == {"operator", "akimat", "measurement"}
    assert ("measurement", "qos", "speed_tests") in expected
    assert len({s for k, s, _ in expected if k == "akimat"}) == 20


def test_deadline_is_the_tenth_of_next_month_end_of_day_in_kazakhstan():
    from qamtu.orchestration.close import deadline_of

    assert deadline_of("2026-12") == dt.datetime(2027, 1, 10, 23, 59, 59, tzinfo=KZ)
    assert deadline_of("2026-03").astimezone(dt.UTC) == dt.datetime(2026, 4, 10, 18, 59, 59, tzinfo=dt.UTC)


def test_close_lists_late_rejected_and_missing_and_alerts(settings):
    from qamtu.alerts import list_alerts
    from qamtu.orchestration.close import close_period
    from qamtu.warehouse import connect

    expected = expected_pairs()
    on_time = dt.datetime(2026, 4, 5, 12, 0, tzinfo=dt.UTC)
    after = dt.datetime(2026, 4, 10, 19, 0, 1, tzinfo=dt.UTC)   # 00:00:01 on the 11th in Kazakhstan
    just_in = dt.datetime(2026, 4, 10, 18, 59, 59, tzinfo=dt.UTC)  # 23:59:59 on the 10th
    late = ("operator", "kcell", "road_coverage")
    rejected = ("akimat", "19", "land_allocation")
    missing = {("operator", "tele2", "city_5g"), ("akimat", "71", "quality_inspections")}
    edge = ("operator", "beeline", "settlement_fiber")
    rows = []
    for n, key in enumerate(expected):
        if key in missing:
            continue
        when = after if key == late else just_in if key == edge else on_time
        status = "rejected" if key == rejected else "accepted"
        rows.append({"submission_id": f"s{n}", "kind": key[0], "submitter": key[1], "period": PERIOD,
                     "report_type": key[2], "status": status, "is_current": status != "rejected",
                     "received_at": when})
    # A rejected first try, then an accepted resubmission before the deadline: on time.
    rows.append({"submission_id": "retry-0", "kind": "akimat", "submitter": "55", "period": PERIOD,
                 "report_type": "pole_access", "status": "rejected", "is_current": False,
                 "received_at": on_time - dt.timedelta(days=2)})
    # Another period's file never counts for this one.
    rows.append({"submission_id": "other", "kind": "operator", "submitter": "tele2", "period": "2026-02",
                 "report_type": "city_5g", "status": "accepted", "is_current": True, "received_at": on_time})
    with connect(settings) as warehouse:
        warehouse.replace_arrow("raw", "submissions", submissions_table(rows))

    lines: list[str] = []
    status = close_period(PERIOD, settings, echo=lines.append)
    not_submitted = {
        (r["kind"], r["submitter"], r["report_type"]): r["state"] for r in status["not_submitted"]
    }
    assert not_submitted == {late: "late", rejected: "rejected"} | {key: "missing" for key in missing}
    assert (status["expected"], status["late"], status["rejected"], status["missing"]) == \
        (len(expected), 1, 1, 2)
    assert status["on_time"] == len(expected) - 4
    # The close report on disk says the same; the alert names the submitters.
    stored = json.loads((settings.home / "close" / f"{PERIOD}.json").read_text())
    assert stored["missing"] == 2 and len(stored["reports"]) == len(expected)
    (alert,) = list_alerts(settings, period=PERIOD)
    assert alert["kind"] == "submissions_missing" and alert["severity"] == "warning"
    assert alert["details"]["by_submitter"]["operator/tele2"] == ["city_5g (missing)"]
    assert alert["details"]["by_submitter"]["akimat/19"] == ["land_allocation (rejected)"]
    assert any("missing  akimat/71/quality_inspections" in line for line in lines)


def test_close_before_any_ingestion_lists_everyone_missing(settings):
    from qamtu.orchestration.close import submission_status

    status = submission_status(PERIOD, settings)
    assert status["missing"] == status["expected"] == len(expected_pairs())
