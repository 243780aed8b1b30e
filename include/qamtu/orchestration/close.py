"""Monthly close: who has not submitted a period's reports by the deadline.

Expected = every submitter the contract knows (``contracts.submitters()``) × every report type of
its kind (``contracts.report_types_of``). What arrived = ``raw.submissions``. Each expected
report ends in one of four states:

- ``on_time``  an accepted (or accepted-with-warnings) file received by the deadline;
- ``late``     accepted, but only after the deadline;
- ``rejected`` files arrived, none accepted;
- ``missing``  nothing arrived.

"Not submitted by the deadline" = late + rejected + missing. The deadline is the
``DEADLINE_DAY``-th day of the month after the period, end of that day in Kazakhstan (UTC+5).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from qamtu.periods import next_period, parse_period, period_start
from qamtu.settings import Settings, get_settings

DEADLINE_DAY = 10
KAZAKHSTAN_TIME = dt.timezone(dt.timedelta(hours=5), "UTC+05")
CLOSE_FOLDER = "close"
ACCEPTED = ("accepted", "accepted_with_warnings")
STATES = ("on_time", "late", "rejected", "missing")


def deadline_of(period: str, day: int = DEADLINE_DAY) -> dt.datetime:
    """The last instant a period's reports count as on time."""
    first_of_next = period_start(next_period(period))
    return dt.datetime.combine(first_of_next.replace(day=day), dt.time(23, 59, 59), tzinfo=KAZAKHSTAN_TIME)


def expected_submissions() -> list[tuple[str, str, str]]:
    """(kind, submitter, report_type) for every report the contract expects each month."""
    from qamtu.contracts import periodic_report_types_of, submitter_ids

    return [(kind, submitter, report_type)
            for kind in ("operator", "akimat", "measurement")
            for submitter in submitter_ids(kind)
            for report_type in periodic_report_types_of(kind)]


def _aware(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def submission_status(period: str, settings: Settings | None = None,
                      deadline: dt.datetime | None = None) -> dict[str, Any]:
    """Where every expected report of ``period`` stands against its deadline."""
    from qamtu.warehouse import connect

    parse_period(period)
    settings = settings or get_settings()
    deadline = deadline or deadline_of(period)
    arrived: dict[tuple[str, str, str], list[tuple[str, dt.datetime]]] = {}
    with connect(settings) as warehouse:
        if warehouse.table_exists("raw", "submissions"):
            for kind, submitter, report_type, status, received_at in warehouse.rows(
                "select kind, submitter, report_type, status, received_at from raw.submissions "
                "where period = ?", [period]
            ):
                arrived.setdefault((kind, submitter, report_type), []).append((status, _aware(received_at)))

    reports = []
    for key in expected_submissions():
        files = arrived.get(key, [])
        accepted = sorted(received for status, received in files if status in ACCEPTED and received)
        if accepted:
            state = "on_time" if accepted[0] <= deadline else "late"
        else:
            state = "rejected" if files else "missing"
        kind, submitter, report_type = key
        reports.append({"kind": kind, "submitter": submitter, "report_type": report_type, "state": state,
                        "files": len(files),
                        "first_accepted_at": accepted[0].isoformat() if accepted else None})
    counts = {state: sum(r["state"] == state for r in reports) for state in STATES}
    return {
        "period": period,
        "deadline": deadline.isoformat(),
        "expected": len(reports),
        **counts,
        "not_submitted": [r for r in reports if r["state"] != "on_time"],
        "reports": reports,
    }


def close_path(period: str, settings: Settings | None = None) -> Path:
    settings = settings or get_settings()
    return Path(settings.home) / CLOSE_FOLDER / f"{period}.json"


def close_period(period: str, settings: Settings | None = None, echo: Callable[[str], Any] = print,
                 deadline: dt.datetime | None = None) -> dict[str, Any]:
    """Write the close report for ``period`` (``QAMTU_HOME/close/<period>.json``), print who has not
    submitted, and raise a warning alert naming them. Safe to re-run: the report is rewritten."""
    from qamtu.alerts import raise_alert

    settings = settings or get_settings()
    status = submission_status(period, settings, deadline=deadline)
    path = close_path(period, settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(status, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    status["path"] = str(path)

    late = status["not_submitted"]
    echo(f"close {period}: {status['on_time']}/{status['expected']} reports on time by {status['deadline']}; "
         f"{status['late']} late, {status['rejected']} rejected, {status['missing']} missing")
    for report in late:
        echo(f"  {report['state']:<8} {report['kind']}/{report['submitter']}/{report['report_type']}")
    if late:
        by_submitter: dict[str, list[str]] = {}
        for report in late:
            by_submitter.setdefault(f"{report['kind']}/{report['submitter']}", []).append(
                f"{report['report_type']} ({report['state']})")
        status["alert"] = raise_alert(
            f"{len(late)} of {status['expected']} reports for {period} not submitted by the deadline",
            kind="submissions_missing", severity="warning", period=period,
            details={"deadline": status["deadline"], "by_submitter": by_submitter, "report": str(path)},
            settings=settings,
        )["path"]
    return status
