"""ingest_submissions: everything new in the landing area → immutable archive → parse → validate →
raw layer (+ quarantine), with a receipt per file (``qamtu.ingest.ingest_new``; ``qamtu ingest``
runs the same step without Airflow).

Runs every 30 minutes; a run with nothing new does nothing (landing objects already ingested are
recognised by key, size and etag). A bad file never fails the run: it gets a rejected receipt. A
file that could not be finished (a lost connection, a locked warehouse) is retried by the next run
and raises an alert.

Then one task per report type emits that type's Asset ``qamtu://raw/<report_type>`` — only when the
run loaded a new current submission of that type (otherwise the task is skipped and no event is
emitted). The event's ``extra`` names the ``periods`` it touched, so ``build_coverage_marts``
rebuilds just those months.
"""

from __future__ import annotations

import datetime as dt

from airflow.sdk import Asset, dag, task
from qamtu.contracts import report_types
from qamtu.orchestration import raw_asset_uri, task_defaults


@dag(
    dag_id="ingest_submissions",
    schedule="*/30 * * * *",
    start_date=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    max_active_runs=1,  # one writer for the warehouse and the archive
    default_args=task_defaults(),
    tags=["qamtu", "ingest"],
    doc_md=__doc__,
)
def ingest_submissions():
    @task
    def ingest() -> dict:
        """Ingest the landing area; returns the run's summary without the per-file list."""
        from qamtu.ingest import ingest_new

        summary = ingest_new().to_dict()
        del summary["files"]
        return summary

    summary = ingest()
    for report_type in report_types():
        raw = Asset(raw_asset_uri(report_type))

        @task(task_id=f"emit_{report_type}", outlets=[raw])
        def emit(summary: dict, report_type: str = report_type, raw: Asset = raw, outlet_events=None) -> dict:
            from airflow.sdk.exceptions import AirflowSkipException

            loaded = summary["report_types"].get(report_type)
            if not loaded:
                raise AirflowSkipException(f"no new {report_type} data in this run")
            outlet_events[raw].extra = loaded
            return loaded

        emit(summary)


ingest_submissions()
