"""monthly_close: after the submission deadline (the 10th of the next month, end of day in
Kazakhstan), list every expected report of the month that is late, rejected or missing, write the
close report (``QAMTU_HOME/close/<period>.json``) and raise a warning alert naming the submitters.

Runs on the 11th of each month for the month before; ``period`` in the run's conf closes any other
month: ``airflow dags trigger monthly_close -c '{"period": "2026-02"}'``."""

from __future__ import annotations

import datetime as dt

from airflow.sdk import Param, dag, task
from qamtu.orchestration import SHORT_TIMEOUT, period_param, task_defaults


@dag(
    dag_id="monthly_close",
    # 06:00 UTC on the 11th = 11:00 in Kazakhstan, the morning after the deadline.
    schedule="0 6 11 * *",
    start_date=dt.datetime(2026, 2, 1, tzinfo=dt.UTC),
    catchup=False,
    max_active_runs=1,
    default_args=task_defaults(SHORT_TIMEOUT),
    params={"period": Param(**period_param("Month to close (YYYY-MM); default: the month before the run."))},
    tags=["qamtu", "submissions", "close"],
    doc_md=__doc__,
)
def monthly_close():
    @task
    def close(params=None, logical_date=None, dag_run=None) -> dict:
        from qamtu.orchestration.close import close_period
        from qamtu.periods import previous_period

        when = logical_date or dag_run.run_after
        period = params.get("period") or previous_period(f"{when.year}-{when.month:02d}")
        status = close_period(period)
        return {key: status[key] for key in ("period", "deadline", "expected", "on_time", "late", "rejected",
                                             "missing", "path")}

    close()


monthly_close()
