"""The pipeline's steps as plain functions: the Airflow DAGs call them task by task, ``qamtu run``
calls them in a row. Same functions, same order, same results.

    generate → land → reference → ingest → build candidate → audit → promote → publish
                                                                   └ fails: alert, nothing published
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qamtu.settings import CANDIDATE_SCHEMA, Settings, get_settings

if TYPE_CHECKING:
    from qamtu.publish.release import Release
    from qamtu.quality.audit import AuditReport

Echo = Callable[[str], Any]


# --- steps ---------------------------------------------------------------------------------------
def load_reference(
    settings: Settings | None = None, echo: Echo = print, force: bool = True
) -> dict[str, int]:
    """(Re)load the reference data. Nobody has to call it first: a build loads it when the warehouse
    lacks it or holds another version of the shipped CSVs (``force=False`` does just that)."""
    from qamtu.reference import ensure_loaded
    from qamtu.warehouse import connect

    with connect(settings or get_settings()) as warehouse:
        counts = ensure_loaded(warehouse, force=force)
    if counts is None:
        echo("reference: already current")
        return {}
    echo("reference: " + ", ".join(f"{table} {rows:,}" for table, rows in counts.items()))
    return counts


def land_generated(folder: Path, settings: Settings | None = None, echo: Echo = print) -> int:
    """Put generated files where submitters put theirs: the landing area. With local storage under
    QAMTU_HOME the generator already wrote them there; otherwise (S3, another folder) upload them,
    same keys."""
    from qamtu.storage import open_area

    settings = settings or get_settings()
    source = Path(folder) / "landing"
    if settings.storage == "local" and source.resolve() == settings.area_path("landing").resolve():
        return sum(1 for p in source.rglob("*") if p.is_file())
    area = open_area("landing", settings)
    files = sorted(p for p in source.rglob("*") if p.is_file())
    for path in files:
        area.put_file(path.relative_to(source).as_posix(), path)
    echo(f"landed {len(files)} files in the landing area")
    return len(files)


def ingest(settings: Settings | None = None, progress=None) -> dict[str, Any]:
    """Ingest everything new in landing; the run's summary in its JSON form
    (:meth:`qamtu.ingest.IngestSummary.to_dict`), as ``qamtu ingest --json`` prints it."""
    from qamtu.ingest import ingest_new

    return ingest_new(progress=progress, settings=settings or get_settings()).to_dict()


def known_periods(settings: Settings | None = None) -> list[str]:
    """Periods with at least one current submission in the warehouse."""
    from qamtu.warehouse import connect

    with connect(settings or get_settings()) as warehouse:
        if not warehouse.table_exists("raw", "submissions"):
            return []
        rows = warehouse.rows("select distinct period from raw.submissions where is_current order by period")
    return [row[0] for row in rows]


def prepare_build(settings: Settings | None = None) -> list[str]:
    """What dbt needs before it runs: the reference data (when missing or changed) and the raw tables
    nobody has submitted to yet, created empty."""
    from qamtu.reference import ensure_loaded
    from qamtu.warehouse import connect
    from qamtu.warehouse.dbt_runner import ensure_sources

    with connect(settings or get_settings()) as warehouse:
        ensure_loaded(warehouse)
        return ensure_sources(warehouse)


def record_task_group_build(periods: list[str], period: str | None, task_states: dict[str, str | None],
                            build_results: dict[str, Any] | None = None,
                            settings: Settings | None = None) -> dict[str, Any]:
    """Log a build made by Airflow's dbt task group (one ``dbt build``, watched by a task per model)
    in the candidate build log, as ``build_candidate`` logs its own, so the audit judges both alike:
    ``test_errors`` (data tests that failed at error severity: the audit blocks the candidate) and
    ``test_warnings`` (those that failed at warn severity: reported).

    ``build_results``: what the build reported node by node
    (:func:`qamtu.orchestration.dbt.summarize_run_results`); ``task_states``: task id → state of the
    group's tasks. A build that reported nothing (dbt did not start or crashed) is not logged: this
    raises, naming the tasks that did not succeed."""
    from qamtu.orchestration.dbt import release_warehouse
    from qamtu.quality.candidate import record_build
    from qamtu.warehouse import connect

    release_warehouse()  # a dbt task that failed before its callback may have left the file open here

    if build_results is None:
        broken = sorted(f"{t} ({s})" for t, s in task_states.items() if s not in ("success", "skipped"))
        raise RuntimeError("the dbt build reported no results"
                           + (f"; tasks that did not succeed: {', '.join(broken)}" if broken else ""))
    models = list(build_results.get("models") or [])
    test_errors = list(build_results.get("test_errors") or [])
    test_warnings = list(build_results.get("test_warnings") or [])
    model_ok = all(m.get("status") == "success" for m in models)
    summary = {
        "success": model_ok and not test_errors, "period": period, "periods": periods,
        "models": models, "test_errors": test_errors, "test_warnings": test_warnings,
        "failures": test_errors + test_warnings,  # as `qamtu build` logs them: every test that did not pass
        "errors": [], "tests": {"error": len(test_errors), "warn": len(test_warnings)},
    }
    with connect(settings or get_settings()) as warehouse:
        summary["build_id"] = record_build(warehouse, summary, CANDIDATE_SCHEMA)
    return summary


def build(period: str | None, settings: Settings | None = None, echo: Echo = print) -> dict[str, Any]:
    """Build the candidate marts (dbt, one invocation) for ``period`` into ``marts_candidate`` — never
    the published ``marts`` — and log the build for the audit. ``success`` is False when a model did
    not build or an error-severity dbt test failed: the audit then refuses the candidate."""
    from qamtu.quality import build_candidate

    return build_candidate(period, settings or get_settings(), echo=echo)


def audit(period: str, settings: Settings | None = None, echo: Echo = print) -> AuditReport:
    from qamtu.quality import run_audit

    return run_audit(period, settings=settings or get_settings(), echo=echo, schema=CANDIDATE_SCHEMA)


def promote(
    period: str | None = None, settings: Settings | None = None, echo: Echo = print
) -> dict[str, Any]:
    """Audited candidate → published marts for ``period`` (refused unless its latest audit passed on
    exactly the rows now in the candidate)."""
    from qamtu.quality import promote as promote_candidate

    return promote_candidate(settings=settings or get_settings(), period=period, echo=echo)


def publish(period: str, settings: Settings | None = None, echo: Echo = print,
            notes: str | None = None) -> Release:
    """The gate, then the release: promote the audited candidate of ``period`` (a no-op when that very
    audit was promoted already) and publish the published marts. Raises
    :class:`qamtu.quality.PromotionRefused` — before anything is written, ``latest`` untouched —
    unless the period's latest audit passed on exactly the rows now in the candidate. There is no
    way around it: every entry point (CLI, ``qamtu run``, Airflow) publishes through here."""
    from qamtu.publish import publish_release
    from qamtu.publish.worklists import write_worklists

    settings = settings or get_settings()
    promote(period, settings, echo)
    release = publish_release(period, settings=settings, echo=echo, notes=notes)
    # Each akimat's inspection worklist of the published figures, to its own non-public area.
    write_worklists(period, settings, echo=echo)
    return release


def status(settings: Settings | None = None, periods: list[str] | None = None):
    """Each period from receipt to release (:class:`qamtu.status.PeriodStatus`)."""
    from qamtu.status import period_statuses

    return period_statuses(settings or get_settings(), periods)


def audit_failure_alert(period: str, report: AuditReport, settings: Settings | None = None,
                        **where: Any) -> dict[str, Any]:
    """The alert for a period whose audit failed: which checks, how many rows, where the report is."""
    from qamtu.alerts import raise_alert

    failures = report.failures
    names = [
        f.get("expectation") or f.get("check") or f.get("name") or str(f) if isinstance(f, dict) else str(f)
        for f in failures
    ]
    return raise_alert(
        f"Audit failed for {period}: {len(failures)} critical check(s); nothing published",
        kind="audit_failed", period=period, settings=settings,
        error="; ".join(names[:10]) + (" …" if len(names) > 10 else ""),
        details={"failures": failures, "report": report.report_path},
        **where,
    )


class AuditFailed(RuntimeError):
    """A period's candidate marts failed a critical check: not publishable. Not transient, so the
    DAG task fails at once (no retries) and the alert says which checks."""

    def __init__(self, period: str, report: AuditReport):
        self.period = period
        self.report = report
        super().__init__(f"audit failed for {period}: {len(report.failures)} critical check(s) failed; "
                         f"release not published (latest release untouched)")


# --- one period, all steps -----------------------------------------------------------------------
def run_period(period: str, settings: Settings | None = None, echo: Echo = print,
               notes: str | None = None) -> dict[str, Any]:
    """Build → audit → (promote → publish) for one period. Returns timings and the outcome; an audit
    failure is an outcome (``published: False`` and an alert), not an exception."""
    settings = settings or get_settings()
    timings: dict[str, float] = {}
    started = time.perf_counter()
    build(period, settings, echo)
    timings["build"] = time.perf_counter() - started

    started = time.perf_counter()
    report = audit(period, settings, echo)
    timings["audit"] = time.perf_counter() - started
    if not report.publishable:
        alert = audit_failure_alert(period, report, settings)
        echo(f"{period}: audit FAILED, not published; alert {alert['path']}")
        return {"period": period, "published": False, "audit": report, "alert": alert["path"],
                "timings": timings}

    started = time.perf_counter()
    promote(period, settings, echo)
    timings["promote"] = time.perf_counter() - started
    started = time.perf_counter()
    release = publish(period, settings, echo, notes=notes)  # checks the gate again: a no-op once promoted
    timings["publish"] = time.perf_counter() - started
    return {"period": period, "published": True, "audit": report, "release": release, "timings": timings}


# --- headline figures of a release ---------------------------------------------------------------
def headline_figures(period: str, settings: Settings | None = None) -> dict[str, float | None]:
    """The national headline indicators as published in the period's latest release, read back from
    the release's own Parquet file: what is printed is what officials get."""
    import io

    import pyarrow.parquet as pq

    from qamtu.publish import read_manifest
    from qamtu.publish.tables import NATION, PROGRESS_TABLE
    from qamtu.storage import open_area

    settings = settings or get_settings()
    try:
        manifest = read_manifest(settings, period=period)
    except LookupError:
        return {}
    key = next(f["key"] for f in manifest["files"] if f["name"] == f"parquet/{PROGRESS_TABLE}.parquet")
    rows = pq.read_table(io.BytesIO(open_area("publication", settings).get_bytes(key))).to_pylist()
    return {row["indicator"]: None if row["actual"] is None else float(row["actual"])
            for row in rows if row["period"] == period and row["region_code"] == NATION}


# --- everything, as `make run` / `qamtu run` -----------------------------------------------------
def generate_sample(periods: Iterable[str], scale: float, seed: int, settings: Settings | None = None,
                    defects: list[str] | None = None, echo: Echo = print) -> dict[str, Any]:
    """The submitters' part: synthetic submissions written to QAMTU_HOME, then put in landing."""
    from qamtu.generate import generate_submissions

    settings = settings or get_settings()
    periods = list(periods)
    summary = generate_submissions(out=settings.home, periods=periods, scale=scale, seed=seed,
                                   defects=defects)
    land_generated(settings.home, settings, echo)
    echo(f"generated {summary.get('files', '?')} submission files for {', '.join(periods)} (scale {scale})")
    return summary


def run_all(periods: Iterable[str], scale: float = 0.05, seed: int = 7, echo: Echo = print,
            settings: Settings | None = None, generate: bool = True,
            defects: list[str] | None = None) -> dict[str, Any]:
    """Generate a sample, land it, load reference data, ingest, then build/audit/publish each period.
    Prints and returns the releases, the headline figures and the report paths."""
    settings = settings or get_settings()
    periods = list(periods)
    timings: dict[str, float] = {}
    if generate:
        started = time.perf_counter()
        generate_sample(periods, scale, seed, settings, defects, echo)
        timings["generate"] = time.perf_counter() - started
    started = time.perf_counter()
    load_reference(settings, echo, force=False)
    timings["reference"] = time.perf_counter() - started
    started = time.perf_counter()
    ingested = ingest(settings)
    timings["ingest"] = time.perf_counter() - started
    echo(f"ingested: {_ingest_line(ingested)}")

    outcomes = []
    for period in periods:
        outcome = run_period(period, settings, echo)
        for step, seconds in outcome["timings"].items():
            timings[step] = timings.get(step, 0.0) + seconds
        outcomes.append(outcome)
    print_releases(periods, settings, echo)
    return {"periods": periods, "outcomes": outcomes, "timings": timings}


def _ingest_line(summary: dict[str, Any]) -> str:
    keys = [k for k in ("submissions", "accepted", "accepted_with_warnings", "rejected", "rows_loaded",
                        "rows_quarantined") if k in summary]
    return ", ".join(
        f"{k} {summary[k]:,}" if isinstance(summary[k], int) else f"{k} {summary[k]}" for k in keys
    ) or str({k: v for k, v in summary.items() if not isinstance(v, list | dict)})


def print_releases(periods: Iterable[str], settings: Settings | None = None, echo: Echo = print) -> None:
    """For each period: its latest release, the headline figures in it and its report — or, when
    nothing is published, the alerts saying why (the end of `make run`)."""
    from qamtu.alerts import list_alerts
    from qamtu.publish import read_latest
    from qamtu.storage import open_area

    settings = settings or get_settings()
    area = open_area("publication", settings)
    for period in periods:
        pointer = read_latest(settings, period=period)
        if pointer is None:
            alerts = [a for a in list_alerts(settings, period=period) if a["kind"] == "audit_failed"]
            why = f"; alert: {alerts[-1]['path']}" if alerts else ""
            echo(f"{period}: NOT published{why}")
            continue
        echo(f"{period}: release v{pointer['version']} at {_where(area, pointer['path'])}")
        for code, value in headline_figures(period, settings).items():
            echo(f"    {code:<28} {_fmt(value)}")
        echo(f"    report: {_where(area, pointer['report'])}")


def _where(area, key: str) -> str:
    """A path for a local area, an s3:// URI otherwise (folders end in /)."""
    return area.uri(key)


def _fmt(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
