"""Which periods a run works on, and the defaults every task gets."""

from __future__ import annotations

import datetime as dt

import pytest


def test_requested_period_wins_over_events_and_known_periods():
    from qamtu.orchestration import periods_to_work_on

    events = [{"periods": ["2026-03"]}]
    assert periods_to_work_on("2026-01", events, ["2026-02"]) == ["2026-01"]


def test_event_periods_are_merged_sorted_and_deduplicated():
    from qamtu.orchestration import periods_to_work_on

    events = [{"periods": ["2026-03", "2026-01"]}, {"period": "2026-03"}, {}, None]
    assert periods_to_work_on(None, events, ["2025-12"]) == ["2026-01", "2026-03"]


def test_without_request_or_events_every_known_period():
    from qamtu.orchestration import periods_to_work_on

    assert periods_to_work_on(None, [], ["2026-02", "2026-01"]) == ["2026-01", "2026-02"]
    assert periods_to_work_on("", [{}], []) == []


@pytest.mark.parametrize("bad", ["2026-13", "26-01", "2026/01", "january"])
def test_a_mistyped_backfill_period_fails_before_any_work(bad):
    from qamtu.orchestration import periods_to_work_on

    with pytest.raises(ValueError, match="not a period"):
        periods_to_work_on(bad, [], [])


def test_task_defaults():
    from qamtu.orchestration import alert_on_failure, task_defaults

    defaults = task_defaults(dt.timedelta(minutes=5))
    assert defaults["retries"] >= 2
    assert defaults["execution_timeout"] == dt.timedelta(minutes=5)
    assert defaults["on_failure_callback"] is alert_on_failure
    assert defaults["owner"] and defaults["owner"] != "airflow"


def test_failure_callback_reads_a_context_without_airflow(tmp_path, monkeypatch):
    """The callback only reads attributes: it works on any mapping shaped like Airflow's context,
    and a missing period simply goes unmentioned."""
    from types import SimpleNamespace

    from qamtu.alerts import list_alerts
    from qamtu.orchestration import alert_on_failure
    from qamtu.settings import Settings, reload_settings

    monkeypatch.setenv("QAMTU_HOME", str(tmp_path))
    reload_settings()
    try:
        ti = SimpleNamespace(dag_id="d", task_id="t", run_id="r", try_number=3, map_index=1, log_url=None)
        alert_on_failure({"ti": ti, "dag_run": SimpleNamespace(conf={"period": "2026-04"}), "params": {},
                          "exception": KeyError("kato_code")})
        (alert,) = list_alerts(Settings(home=tmp_path))
        assert (alert["task_id"], alert["period"], alert["map_index"], alert["try_number"]) == (
            "t",
            "2026-04",
            1,
            3,
        )
        assert alert["error"] == "KeyError: 'kato_code'"
    finally:
        monkeypatch.undo()
        reload_settings()
