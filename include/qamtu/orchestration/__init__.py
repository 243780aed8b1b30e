"""What the Airflow DAGs share, written without Airflow: task defaults, the failure callback, the
names of the data Assets between DAGs, and which period a run works on.

``qamtu`` never imports ``airflow`` (see ARCHITECTURE.md): the callback reads Airflow's task
context as a plain mapping, and the DAG files turn the URIs below into ``airflow.sdk.Asset``s.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from qamtu.periods import PERIOD_PATTERN, parse_period

OWNER = "qamtu-data-engineering"

# Every task: retried twice (a locked DuckDB file, a dropped PostgreSQL or S3 connection heal by
# themselves), bounded in time, and alerting when it finally fails.
RETRIES = 2
RETRY_DELAY = dt.timedelta(seconds=30)
MAX_RETRY_DELAY = dt.timedelta(minutes=10)
EXECUTION_TIMEOUT = dt.timedelta(hours=2)
# dbt models and quick bookkeeping steps get a tighter bound than ingestion of 10 M rows.
SHORT_TIMEOUT = dt.timedelta(minutes=30)

# Data-aware scheduling: these URIs name what a DAG produces; a DAG scheduled on them runs when
# they change. The ingestion DAG emits one raw Asset per report type.
RAW_ASSET_PREFIX = "qamtu://raw/"
REFERENCE_ASSET = "qamtu://reference/data"
CANDIDATE_MARTS_ASSET = "qamtu://marts/candidate"
PUBLISHED_MARTS_ASSET = "qamtu://marts/published"
RELEASES_ASSET = "qamtu://publication/releases"


def raw_asset_uri(report_type: str) -> str:
    return f"{RAW_ASSET_PREFIX}{report_type}"


def raw_asset_uris() -> list[str]:
    from qamtu.contracts import report_types

    return [raw_asset_uri(rt) for rt in report_types()]


# Set on an exception whose task already wrote a more precise alert (e.g. a failed audit naming its
# checks): the failure callback then does not write a second one.
ALERT_WRITTEN = "qamtu_alert_written"


def alert_on_failure(context: Mapping[str, Any]) -> None:
    """``on_failure_callback`` of every task: one alert saying which task failed, for which period,
    in which run, on which try, and the error. Never raises (a callback error would hide the
    failure)."""
    _alert_from_context(context, "Airflow task failed", kind="task_failed", severity="error")


def warn_on_failure(context: Mapping[str, Any]) -> None:
    """``on_failure_callback`` of a check that only warns when it fails (the dbt data tests: the
    audit decides whether the period is publishable)."""
    _alert_from_context(context, "dbt data tests failed (the audit reports them as warnings)",
                        kind="dbt_tests_failed", severity="warning")


def _alert_from_context(context: Mapping[str, Any], title: str, kind: str, severity: str) -> None:
    from qamtu.alerts import raise_alert

    try:
        ti = context.get("ti") or context.get("task_instance")
        dag_run = context.get("dag_run")
        error = context.get("exception")
        if getattr(error, ALERT_WRITTEN, None):
            import logging

            logging.getLogger("qamtu.alerts").warning("alert already written: %s",
                                                      getattr(error, ALERT_WRITTEN))
            return
        raise_alert(
            title,
            kind=kind,
            severity=severity,
            error=f"{type(error).__name__}: {error}" if error else None,
            dag_id=getattr(ti, "dag_id", None),
            task_id=getattr(ti, "task_id", None),
            map_index=getattr(ti, "map_index", -1) if getattr(ti, "map_index", -1) != -1 else None,
            run_id=getattr(ti, "run_id", None) or getattr(dag_run, "run_id", None),
            try_number=getattr(ti, "try_number", None),
            period=period_of_context(context),
            log_url=getattr(ti, "log_url", None),
        )
    except Exception as callback_error:  # pragma: no cover - last resort: the log still says why
        import logging

        logging.getLogger("qamtu.alerts").exception("could not write the failure alert: %s", callback_error)


def period_of_context(context: Mapping[str, Any]) -> str | None:
    """The period a task works on, when the run says (``params.period``, else the run's conf)."""
    params = context.get("params") or {}
    period = params.get("period") if hasattr(params, "get") else None
    if not period:
        dag_run = context.get("dag_run")
        conf = getattr(dag_run, "conf", None) or {}
        period = conf.get("period") if hasattr(conf, "get") else None
    return str(period) if period else None


def task_defaults(timeout: dt.timedelta = EXECUTION_TIMEOUT) -> dict[str, Any]:
    """``default_args`` for every DAG of the project."""
    return {
        "owner": OWNER,
        "retries": RETRIES,
        "retry_delay": RETRY_DELAY,
        "retry_exponential_backoff": 2.0,
        "max_retry_delay": MAX_RETRY_DELAY,
        "execution_timeout": timeout,
        "on_failure_callback": alert_on_failure,
    }


def periods_to_work_on(requested: str | Iterable[str] | None, event_extras: Iterable[Mapping[str, Any]] = (),
                       known_periods: Iterable[str] = ()) -> list[str]:
    """Which periods a run covers, most explicit first:

    1. the period the run was asked for (``params.period`` / ``conf``; a backfill of one month);
    2. else the periods named by the Asset events that triggered it (``extra["periods"]`` or
       ``extra["period"]``, as the ingestion and build DAGs write them);
    3. else every period the warehouse knows (``known_periods``): rebuilding is idempotent.
    """
    if requested:
        chosen = [requested] if isinstance(requested, str) else list(requested)
    else:
        chosen = []
        for extra in event_extras:
            extra = extra or {}
            if extra.get("period"):
                chosen.append(extra["period"])
            chosen.extend(extra.get("periods") or ())
        if not chosen:
            chosen = list(known_periods)
    for period in chosen:
        parse_period(period)  # a typo in a backfill fails here, clearly, before any work
    return sorted(set(chosen))


# The run parameters the DAGs share, as JSON Schema (the DAG files wrap them in ``airflow.sdk.Param``).
def period_param(description: str) -> dict[str, Any]:
    """``period``: one month, YYYY-MM, validated in Airflow's trigger form against the periods' own
    pattern."""
    return {"default": None, "type": ["null", "string"], "pattern": PERIOD_PATTERN.pattern,
            "description": description}


PERIODS_PARAM: dict[str, Any] = {
    "default": None, "type": ["null", "array"],
    "items": {"type": "string", "pattern": PERIOD_PATTERN.pattern},
    "description": "Several months at once (what the triggering Assets would name).",
}


def planned_periods(
    params: Mapping[str, Any] | None, triggering_asset_events: Mapping[str, Any] | None
) -> list[str]:
    """The months a run works on (:func:`periods_to_work_on`) from a task's ``params`` and
    ``triggering_asset_events``; empty when the warehouse holds none yet."""
    from qamtu.pipeline import known_periods

    params = params or {}
    extras = [event.extra for events in (triggering_asset_events or {}).values() for event in events]
    return periods_to_work_on(params.get("period") or params.get("periods"), extras, known_periods())
