"""audit_and_publish: write–audit–publish for each month the candidate marts were rebuilt for.

For every period (one mapped task instance per period, one at a time): ``audit`` runs the quality
gates on the candidate marts; a critical failure fails the task at once (not retried: the data will
not change by waiting), writes an alert naming the failed checks, and nothing is promoted or
published for that period — the last release stays as it was. A passing audit is followed by
``promote`` (candidate → published marts) and ``publish_release`` (a new release version, or none
when the content is unchanged).

Triggered by the Asset ``qamtu://marts/candidate``; ``period`` in the conf re-audits and republishes
one month: ``airflow dags trigger audit_and_publish -c '{"period": "2026-02"}'``.
"""

from __future__ import annotations

import datetime as dt

from airflow.sdk import Asset, Param, dag, task, task_group
from qamtu.orchestration import (
    ALERT_WRITTEN,
    CANDIDATE_MARTS_ASSET,
    PERIODS_PARAM,
    PUBLISHED_MARTS_ASSET,
    RELEASES_ASSET,
    SHORT_TIMEOUT,
    period_param,
    planned_periods,
    task_defaults,
)

candidate_marts = Asset(CANDIDATE_MARTS_ASSET)
published_marts = Asset(PUBLISHED_MARTS_ASSET)
releases = Asset(RELEASES_ASSET)


@dag(
    dag_id="audit_and_publish",
    schedule=[candidate_marts],
    start_date=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    max_active_runs=1,
    max_active_tasks=1,
    default_args=task_defaults(SHORT_TIMEOUT),
    params={"period": Param(**period_param("Month to audit and publish (YYYY-MM); default: the months the "
                                        "triggering build names, else every month in the warehouse.")),
            "periods": Param(**PERIODS_PARAM),
            "notes": Param(None, type=["null", "string"],
                           description="Revision notes for the release (why it was republished).")},
    tags=["qamtu", "quality", "publication"],
    doc_md=__doc__,
)
def audit_and_publish():
    @task
    def plan(params=None, triggering_asset_events=None) -> list[str]:
        periods = planned_periods(params, triggering_asset_events)
        if not periods:
            from airflow.sdk.exceptions import AirflowSkipException

            raise AirflowSkipException("no period has data yet: nothing to audit")
        return periods

    @task_group(group_id="period")
    def one_period(period: str):
        @task(retries=0)
        def audit(period: str, ti=None, dag_run=None) -> dict:
            from airflow.sdk.exceptions import AirflowFailException
            from qamtu.pipeline import AuditFailed, audit_failure_alert
            from qamtu.pipeline import audit as run_audit

            report = run_audit(period)
            if not report.publishable:
                alert = audit_failure_alert(period, report, dag_id=ti.dag_id, task_id=ti.task_id,
                                            run_id=ti.run_id, try_number=ti.try_number)
                # AirflowFailException: failed at once, no retries (the data will not change by waiting).
                error = AirflowFailException(str(AuditFailed(period, report)))
                setattr(error, ALERT_WRITTEN, alert["path"])  # this alert says more than the callback's
                raise error
            return {"period": period, "publishable": True, "warnings": len(report.warnings)}

        @task(outlets=[published_marts])
        def promote(audited: dict) -> str:
            from qamtu.pipeline import promote as promote_candidate

            promote_candidate(audited["period"])
            return audited["period"]

        @task(outlets=[releases])
        def publish_release(period: str, params=None, outlet_events=None) -> dict:
            from qamtu.pipeline import publish

            release = publish(period, notes=params.get("notes"))
            outlet_events[releases].extra = {"period": period, "version": release.version,
                                             "path": release.path, "created": release.created}
            return {"period": release.period, "version": release.version, "path": release.path,
                    "report": release.report, "created": release.created}

        publish_release(promote(audit(period)))

    one_period.expand(period=plan())


audit_and_publish()
