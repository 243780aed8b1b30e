"""The audit of one period: every suite on the candidate marts, the verdict, the findings with their
region/operator/settlement and source submissions, the results JSON and the HTML report.

A *finding* is one failing row of one expectation (or one failing table-level figure). Critical
findings block publication (``publishable`` is false); warnings are reported. Each finding names the
figure, its value and limit, the region, operator, settlement (KATO) or road, and the submissions
(ids, landing keys, lines) behind it, so the data engineer can send it back to the submitter.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from qamtu.quality.relations import relation_sql
from qamtu.quality.suites import (
    UNIQUENESS_TYPES,
    Expectation,
    Suite,
    failure_predicate,
    load_suites,
    q,
    resolve_parameters,
    run_gx,
    table_figure_sql,
    table_verdict,
    unique_violation_sql,
)
from qamtu.records import ReadsAsMapping
from qamtu.settings import CANDIDATE_SCHEMA, Settings, get_settings

Echo = Callable[[str], Any]
AUDIT_AREA = "audit"
# Findings kept per expectation in the results (the count is always complete).
MAX_FINDINGS = 200
# Findings per expectation whose source lines are looked up row by row (the rest: their submissions).
MAX_LINE_LOOKUPS = 50
MAX_LINES_PER_FINDING = 20
IDENTITY_COLUMNS = ("region_code", "operator", "kato_code", "road_code", "submitter", "report_type")
ACCEPTED = ("accepted", "accepted_with_warnings")


@dataclass
class ExpectationOutcome:
    expectation: Expectation
    route: str
    success: bool
    unexpected: int = 0
    observed: Any = None
    rows: list[dict[str, Any]] = field(default_factory=list)  # failing rows (capped)


@dataclass(eq=False)
class AuditReport(ReadsAsMapping):
    """The audit of one period: the verdict (``publishable``), the critical ``failures`` and the
    ``warnings`` (findings, see :func:`finding_from_row`), every expectation's outcome, each suite's
    route, rows and time, the ``counts`` and the ``parameters`` used.

    :func:`audit_warehouse` fills the verdict; :func:`run_audit` adds the candidate it judged
    (``fingerprint``, ``build``), ``audit_id``, ``audited_at`` and the reference ``names``, and, when
    it writes them, where the results and the report are (``results_key`` … ``report_path``).
    :meth:`to_dict` is ``<period>/results.json``; the record also reads like it (``report["failures"]``).
    """

    period: str
    schema: str
    dialect: str
    publishable: bool
    failures: list[dict[str, Any]]
    warnings: list[dict[str, Any]]
    expectations: list[dict[str, Any]]
    suites: list[dict[str, Any]]
    counts: dict[str, int]
    parameters: dict[str, Any]
    seconds: float
    # run_audit
    fingerprint: str | None = None
    build: dict[str, Any] | None = None
    audit_id: str | None = None
    audited_at: str | None = None
    names: dict[str, dict[str, str]] | None = None
    # written to the audit area
    results_key: str | None = None
    report_key: str | None = None
    latest_results_key: str | None = None
    latest_report_key: str | None = None
    results_path: str | None = None
    report_path: str | None = None

    def to_dict(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "period": self.period, "schema": self.schema, "dialect": self.dialect,
            "publishable": self.publishable,
            "failures": self.failures, "warnings": self.warnings, "expectations": self.expectations,
            "suites": self.suites, "counts": self.counts, "parameters": self.parameters,
            "seconds": self.seconds,
        }
        if self.audit_id is not None:
            document |= {"fingerprint": self.fingerprint, "build": self.build, "audit_id": self.audit_id,
                         "audited_at": self.audited_at, "names": self.names}
        if self.results_key is not None:
            document |= {"results_key": self.results_key, "report_key": self.report_key,
                         "latest_results_key": self.latest_results_key,
                         "latest_report_key": self.latest_report_key,
                         "results_path": self.results_path, "report_path": self.report_path}
        return document

    def to_json(self) -> bytes:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2, default=_plain).encode("utf-8")


# --- evaluation ------------------------------------------------------------------------------------
def _plain(value: Any) -> Any:
    """A JSON-safe Python value (numpy/pandas scalars, NaN/NaT → None, dates → ISO text)."""
    if value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            value = value.item()
        except (ValueError, AttributeError):
            pass
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if type(value).__name__ in ("Timestamp",):
        return None if value != value else value.isoformat()
    if type(value).__name__ in ("NaTType", "NAType"):
        return None
    if isinstance(value, (bool, int, str)):
        return value
    return str(value)


def _records(frame) -> list[dict[str, Any]]:
    return [{k: _plain(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


def _normalised_frame(frame):
    """Decimal columns (PostgreSQL numeric) as floats, a 0..n-1 index (GX reports row positions)."""
    import pandas as pd

    frame = frame.reset_index(drop=True)
    for column in frame.columns:
        if frame[column].dtype == object:
            sample = frame[column].dropna()
            if len(sample) and isinstance(sample.iloc[0], decimal.Decimal):
                frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    return frame


def evaluate_gx(
    warehouse, suite: Suite, sql: str, parameters: dict[str, Any]
) -> tuple[list[ExpectationOutcome], int]:
    """Pull the suite's rows into pandas and validate them with GX."""
    frame = _normalised_frame(warehouse.frame(sql))
    outcomes = []
    for verdict in run_gx(suite, frame, parameters):
        outcome = ExpectationOutcome(verdict.expectation, "gx", verdict.success, observed=verdict.observed)
        if not verdict.expectation.is_table_level:
            outcome.unexpected = len(verdict.unexpected_rows)
            outcome.rows = _records(frame.iloc[verdict.unexpected_rows[:MAX_FINDINGS]])
        else:
            outcome.unexpected = 0 if verdict.success else 1
        outcomes.append(outcome)
    return outcomes, len(frame)


def evaluate_sql(
    warehouse, suite: Suite, sql: str, parameters: dict[str, Any]
) -> tuple[list[ExpectationOutcome], int]:
    """Evaluate every expectation in the warehouse: one scan counts the rows each predicate flags, then
    only the failing expectations fetch a sample of their rows."""
    row_level = [e for e in suite.expectations if not e.is_table_level and e.type not in UNIQUENESS_TYPES]
    counts = [f"count(*) filter (where {failure_predicate(e, parameters)})" for e in row_level]
    scan = warehouse.rows(f"select count(*){''.join(', ' + c for c in counts)} from ({sql}) as relation")[0]
    total, flagged = int(scan[0]), [int(v) for v in scan[1:]]
    by_index: dict[int, ExpectationOutcome] = {}
    for expectation, count in zip(row_level, flagged, strict=True):
        outcome = ExpectationOutcome(expectation, "sql", count == 0, unexpected=count)
        if count:
            sample = warehouse.frame(f"select * from ({sql}) as relation "
                                     f"where {failure_predicate(expectation, parameters)} limit "
                                     f"{MAX_FINDINGS}")
            outcome.rows = _records(sample)
        by_index[expectation.index] = outcome
    for expectation in suite.expectations:
        if expectation.type in UNIQUENESS_TYPES:
            count = int(warehouse.scalar("select count(*) from "
                                         f"({unique_violation_sql(expectation, sql, '1')}) as v"))
            outcome = ExpectationOutcome(expectation, "sql", count == 0, unexpected=count)
            if count:
                sample = warehouse.frame(
                    unique_violation_sql(expectation, sql, "*") + f" limit {MAX_FINDINGS}"
                )
                outcome.rows = _records(sample)
            by_index[expectation.index] = outcome
        elif expectation.is_table_level:
            observed = int(warehouse.scalar(table_figure_sql(expectation, sql)))
            success = table_verdict(expectation, observed, parameters)
            by_index[expectation.index] = ExpectationOutcome(expectation, "sql", success,
                                                             0 if success else 1, observed)
    return [by_index[e.index] for e in suite.expectations], total


def evaluate_suite(warehouse, suite: Suite, schema: str, period: str, parameters: dict[str, Any],
                   route: str | None = None) -> tuple[list[ExpectationOutcome], int]:
    """Run one suite on its rows for ``period`` by its route (or the one asked for)."""
    columns = warehouse.columns(schema, suite.model) if suite.relation == "mart" else None
    sql = relation_sql(suite, schema, period, warehouse.dialect, columns)
    if (route or suite.route) == "sql":
        return evaluate_sql(warehouse, suite, sql, parameters)
    return evaluate_gx(warehouse, suite, sql, parameters)


# --- findings --------------------------------------------------------------------------------------
class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "?"


def _shown(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return (
            f"{value:,.0f}".replace(",", " ")
            if value.is_integer()
            else f"{value:,.3f}".replace(",", " ").rstrip("0")
        )
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}".replace(",", " ")
    return str(value)


def _message(expectation: Expectation, row: dict[str, Any], value: Any, limit: Any) -> str:
    template = expectation.meta.get("message")
    if template:
        return template.format_map(_Blank({k: _shown(v) for k, v in row.items()}))
    figure = expectation.figure or "value"
    text = f"{expectation.description} {figure} = {_shown(value)}"
    return text + (f" (limit {_shown(limit)})" if limit is not None else "")


def _limit(expectation: Expectation, row: dict[str, Any], parameters: dict[str, Any]) -> Any:
    from qamtu.quality.suites import substitute

    if expectation.bound:
        return row.get(expectation.bound)
    kwargs = substitute(expectation.kwargs, parameters)
    if expectation.type == "expect_column_values_to_be_between":
        low, high = kwargs.get("min_value"), kwargs.get("max_value")
        if low is not None and high is not None:
            return f"{_shown(low)}–{_shown(high)}"
        return high if high is not None else (f"≥ {_shown(low)}" if low is not None else None)
    if expectation.type == "expect_column_values_to_be_in_set":
        return kwargs["value_set"]
    return None


def _split_ids(text: Any) -> list[str]:
    if not text:
        return []
    return [part for part in str(text).split(";") if part]


def _sources(row: dict[str, Any], submission_ids: list[str]) -> list[dict[str, Any]]:
    """The (submission, line) pairs a relation row names: ``source_lines`` ("id:line;id:line") or the
    row's ``source_line`` in its first submission."""
    if row.get("source_lines"):
        pairs = [part.rsplit(":", 1) for part in str(row["source_lines"]).split(";") if ":" in part]
        return [{"submission_id": i, "line": int(line)} for i, line in pairs if line.isdigit()]
    if submission_ids and row.get("source_line") is not None:
        return [{"submission_id": submission_ids[0], "line": int(row["source_line"])}]
    return []


def finding_from_row(expectation: Expectation, row: dict[str, Any], parameters: dict[str, Any],
                     period: str) -> dict[str, Any]:
    value_column = expectation.meta.get("value") or expectation.figure
    value = row.get(value_column) if value_column else None
    limit = _limit(expectation, row, parameters)
    figure = row.get("figure") if isinstance(row.get("figure"), str) else expectation.meta.get("figure")
    identity = {name: row.get(name) for name in IDENTITY_COLUMNS}
    if identity["kato_code"] is None and row.get("city_kato"):
        identity["kato_code"] = row["city_kato"]
    # A mart row may name the operator behind its figure in another column (e.g. largest_area_operator).
    if identity["operator"] is None and expectation.meta.get("operator_column"):
        identity["operator"] = row.get(expectation.meta["operator_column"])
    submission_ids = _split_ids(row.get("submission_ids") or row.get("submission_id"))
    return {
        "expectation": expectation.id,
        "suite": expectation.suite,
        "rule": expectation.rule,
        "severity": expectation.severity,
        "description": expectation.description,
        "guards": expectation.meta.get("guards"),
        "period": period,
        "figure": figure or value_column,
        "value": value,
        "limit": limit,
        **identity,
        "submission_ids": submission_ids,
        "sources": _sources(row, submission_ids),
        "message": _message(expectation, row, value, limit),
        "row": row,
    }


def table_finding(
    expectation: Expectation, observed: Any, parameters: dict[str, Any], period: str
) -> dict[str, Any]:
    limit = _limit(expectation, {}, parameters)
    return {
        "expectation": expectation.id, "suite": expectation.suite, "rule": expectation.rule,
        "severity": expectation.severity, "description": expectation.description, "period": period,
        "figure": "rows", "value": observed, "limit": limit,
        **{name: None for name in IDENTITY_COLUMNS},
        "submission_ids": [], "sources": [],
        "message": f"{expectation.description} Rows: {_shown(observed)} (expected {_shown(limit)})",
        "row": {},
    }


# --- lineage ---------------------------------------------------------------------------------------
# The raw column a finding's settlement / road is matched on, per report type.
_LINEAGE_KEYS = {
    "settlement_fiber": ("kato_code", "kato_code"),
    "settlement_connectivity": ("kato_code", "kato_code"),
    "base_stations": ("kato_code", "kato_code"),
    "quality_inspections": ("kato_code", "kato_code"),
    "land_allocation": ("kato_code", "kato_code"),
    "city_5g": ("kato_code", "city_kato"),
    "road_coverage": ("road_code", "road_code"),
}


def _submitter_filter(kind: str, finding: dict[str, Any]) -> str | None:
    if kind == "operator" and finding.get("operator") not in (None, "all"):
        return finding["operator"]
    region = finding.get("region_code")
    if kind == "akimat" and isinstance(region, str) and len(region) == 2 and region.isdigit():
        return region
    return None


def add_lineage(warehouse, findings_by_expectation: dict[str, list[dict[str, Any]]],
                sources_of: dict[str, list[str]],
                period: str) -> None:
    """Name the submissions (and, where a settlement or road identifies them, the lines) behind every
    finding; fill in the landing key of every submission named."""
    from qamtu.contracts import load_contract

    if not warehouse.table_exists("raw", "submissions"):
        return
    placeholders = ", ".join("?" for _ in ACCEPTED)
    for suite_name, findings in findings_by_expectation.items():
        sources = sources_of.get(suite_name.split("#", 1)[0], [])
        for position, finding in enumerate(findings):
            if finding["submission_ids"] or not sources:
                continue
            lines: list[dict[str, Any]] = []
            ids: list[str] = []
            for report_type in sources:
                contract = load_contract(report_type)
                submitter = _submitter_filter(contract.kind, finding)
                if (
                    contract.kind == "operator"
                    and finding.get("operator") not in (None, "all")
                    and submitter is None
                ):
                    continue
                key = _LINEAGE_KEYS.get(report_type)
                key_value = finding.get(key[0]) if key else None
                conditions = ["s.is_current", f"s.status in ({placeholders})", "s.period = ?",
                              "s.report_type = ?"]
                params: list[Any] = [*ACCEPTED, period, report_type]
                if submitter:
                    conditions.append("s.submitter = ?")
                    params.append(submitter)
                if (key and key_value and position < MAX_LINE_LOOKUPS and not contract.large
                        and warehouse.table_exists("raw", report_type)):
                    rows = warehouse.rows(
                        f"select r.submission_id, r.source_line from raw.{q(report_type)} as r "
                        f"join raw.submissions as s on s.submission_id = r.submission_id "
                        f"where {' and '.join(conditions)} and r.{q(key[1])} = ? "
                        f"order by r.submission_id, r.source_line limit {MAX_LINES_PER_FINDING}",
                        [*params, key_value])
                    lines += [{"submission_id": r[0], "line": r[1], "report_type": report_type} for r in rows]
                    ids += [r[0] for r in rows]
                elif not key_value or not key:
                    rows = warehouse.rows(
                        f"select s.submission_id from raw.submissions as s where {' and '.join(conditions)} "
                        f"order by s.submission_id", params)
                    ids += [r[0] for r in rows]
            finding["submission_ids"] = list(dict.fromkeys(ids))
            finding["sources"] = lines
    # Landing keys of every submission named.
    named = sorted({i for fs in findings_by_expectation.values() for f in fs for i in f["submission_ids"]})
    keys: dict[str, tuple[str, str]] = {}
    for start in range(0, len(named), 500):
        chunk = named[start:start + 500]
        rows = warehouse.rows(
            f"select submission_id, source_key, submitter from raw.submissions "
            f"where submission_id in ({', '.join('?' for _ in chunk)})", chunk)
        keys.update({r[0]: (r[1], r[2]) for r in rows})
    for findings in findings_by_expectation.values():
        for finding in findings:
            finding["submission_keys"] = {i: keys[i][0] for i in finding["submission_ids"] if i in keys}
            for source in finding["sources"]:
                if source.get("submission_id") in keys:
                    source["source_key"] = keys[source["submission_id"]][0]


# --- the audit -------------------------------------------------------------------------------------
def _is_database_error(error: Exception) -> bool:
    """Errors of the warehouse (a missing table, a failed query) rather than bugs of the audit."""
    module = type(error).__module__ or ""
    return module.startswith(("duckdb", "_duckdb", "psycopg2"))


def _relation_failure(suite: Suite, schema: str, period: str, error: Exception | None) -> dict[str, Any]:
    """A critical finding for a suite whose rows cannot be read (mart not built, query failed)."""
    if error is None:
        rule, message = (
            "mart_built",
            f"{schema}.{suite.model} does not exist: build the candidate marts first",
        )
    else:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        rule, message = (
            "relation_readable",
            f"its rows could not be read ({type(error).__name__}: {first_line})",
        )
    return {"expectation": f"{suite.name}#relation:{rule}", "suite": suite.name, "rule": rule,
            "severity": "critical",
            "description": f"The rows of {suite.name} can be read from {schema} and the layers it joins.",
            "guards": "write–audit–publish: nothing unaudited is published", "period": period,
            "figure": "relation",
            "value": None, "limit": None, **{name: None for name in IDENTITY_COLUMNS}, "submission_ids": [],
            "sources": [], "message": message, "row": {}}


def _audit_id(period: str) -> str:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    return f"{period}-{stamp}-{uuid.uuid4().hex[:6]}"


def audit_warehouse(warehouse, period: str, schema: str = CANDIDATE_SCHEMA,
                    parameters: dict[str, Any] | None = None,
                    suites: tuple[Suite, ...] | None = None, route: str | None = None,
                    echo: Echo = print) -> AuditReport:
    """Run every suite on an open warehouse connection; the verdict and findings (nothing written)."""
    from qamtu.periods import parse_period

    parse_period(period)
    started = time.perf_counter()
    suites = suites if suites is not None else load_suites()
    values = resolve_parameters(suites, parameters)
    expectations: list[dict[str, Any]] = []
    suite_results: list[dict[str, Any]] = []
    findings: dict[str, list[dict[str, Any]]] = {}
    for suite in suites:
        suite_started = time.perf_counter()
        if suite.relation == "mart" and not warehouse.table_exists(schema, suite.model):
            missing = _relation_failure(suite, schema, period, None)
            findings[missing["expectation"]] = [missing]
            expectations.append({"expectation": missing["expectation"], "suite": suite.name,
                                 "rule": missing["rule"],
                                 "severity": "critical", "description": missing["description"],
                                 "success": False,
                                 "unexpected": 1, "observed": None, "route": suite.route})
            suite_results.append({"suite": suite.name, "route": suite.route, "rows": 0, "seconds": 0.0,
                                  "expectations": 1, "failed": 1})
            echo(f"audit {period}: {suite.name}: {missing['message']}")
            continue
        try:
            outcomes, rows = evaluate_suite(warehouse, suite, schema, period, values, route)
        except Exception as error:  # a relation that cannot be read is a failed gate, not a crash
            if not _is_database_error(error):
                raise
            broken = _relation_failure(suite, schema, period, error)
            findings[broken["expectation"]] = [broken]
            expectations.append({"expectation": broken["expectation"], "suite": suite.name,
                                 "rule": broken["rule"],
                                 "severity": "critical", "description": broken["description"],
                                 "success": False,
                                 "unexpected": 1, "observed": None, "route": suite.route})
            suite_results.append({"suite": suite.name, "route": suite.route, "rows": 0, "seconds": 0.0,
                                  "expectations": 1, "failed": 1})
            echo(f"audit {period}: {suite.name}: {broken['message']}")
            continue
        seconds = time.perf_counter() - suite_started
        failed = 0
        for outcome in outcomes:
            e = outcome.expectation
            expectations.append({"expectation": e.id, "suite": suite.name, "rule": e.rule,
                                 "severity": e.severity,
                                 "description": e.description, "success": outcome.success,
                                 "unexpected": outcome.unexpected, "observed": _plain(outcome.observed),
                                 "route": outcome.route})
            if outcome.success:
                continue
            failed += 1
            if e.is_table_level:
                findings[e.id] = [table_finding(e, outcome.observed, values, period)]
            else:
                findings[e.id] = [finding_from_row(e, row, values, period) for row in outcome.rows]
        suite_results.append({"suite": suite.name, "route": outcomes[0].route if outcomes else suite.route,
                              "rows": rows, "seconds": round(seconds, 3), "expectations": len(outcomes),
                              "failed": failed})
        if failed:
            echo(
                f"audit {period}: {suite.name}: {failed} of {len(outcomes)} expectation(s) failed "
                f"({rows:,} rows)"
            )
    add_lineage(warehouse, findings, {s.name: s.sources for s in suites}, period)
    all_findings = [f for fs in findings.values() for f in fs]
    failures = [f for f in all_findings if f["severity"] == "critical"]
    warnings_ = [f for f in all_findings if f["severity"] == "warning"]
    failed_critical = [e for e in expectations if not e["success"] and e["severity"] == "critical"]
    failed_warning = [e for e in expectations if not e["success"] and e["severity"] == "warning"]
    return AuditReport(
        period=period, schema=schema, dialect=warehouse.dialect, publishable=not failed_critical,
        failures=failures, warnings=warnings_, expectations=expectations, suites=suite_results,
        counts={
            "expectations": len(expectations),
            "critical_failed": len(failed_critical),
            "warning_failed": len(failed_warning),
            "critical_rows": sum(e["unexpected"] for e in failed_critical),
            "warning_rows": sum(e["unexpected"] for e in failed_warning),
        },
        parameters={k: v for k, v in values.items()},
        seconds=round(time.perf_counter() - started, 3),
    )


def run_audit(period: str, settings: Settings | None = None, echo: Echo = print,
              schema: str = CANDIDATE_SCHEMA,
              parameters: dict[str, Any] | None = None, write: bool = True) -> AuditReport:
    """Audit the candidate marts for ``period``: every suite, the verdict, the results JSON and the HTML
    report under ``<YYYY-MM>/`` in the storage area ``audit`` (a copy per run, and the latest as
    ``<YYYY-MM>/results.json`` and ``<YYYY-MM>/report.html``), and a row in the warehouse's audit log
    that :func:`qamtu.quality.promote` reads. Returns the :class:`AuditReport` (``publishable``,
    ``failures``, ``warnings``, ``results_key``, ``report_key``, …)."""
    from qamtu.quality.candidate import candidate_fingerprint, last_build, record_audit
    from qamtu.quality.report import reference_names
    from qamtu.warehouse import connect

    settings = settings or get_settings()
    audit_id = _audit_id(period)
    with connect(settings) as warehouse:
        report = audit_warehouse(warehouse, period, schema, parameters, echo=echo)
        report.fingerprint = candidate_fingerprint(warehouse, schema, period)
        build = last_build(warehouse, schema, period, report.fingerprint)
        report.build = build
        if build is not None:
            _apply_build(report, build, period)
        report.audit_id = audit_id
        report.audited_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        report.names = reference_names(warehouse, report)
        if write:
            _write_results(report, settings)
        record_audit(warehouse, report.to_dict())
    verdict = "PUBLISHABLE" if report.publishable else "NOT publishable"
    counts = report.counts
    echo(f"audit {period}: {verdict} — {counts['critical_failed']} critical and {counts['warning_failed']} "
         f"warning expectation(s) failed of {counts['expectations']}, {len(report.failures)} critical and "
         f"{len(report.warnings)} warning finding(s) ({report.seconds:.1f}s)"
         + (f"; report {report.report_path}" if report.report_path else ""))
    return report


def _build_finding(period: str, rule: str, severity: str, description: str, figure: str, value: Any,
                   message: str) -> dict[str, Any]:
    return {"expectation": f"build#{rule}", "suite": "build", "rule": rule, "severity": severity,
            "description": description, "period": period, "figure": figure, "value": value,
            "limit": 0 if severity == "critical" else None, **{name: None for name in IDENTITY_COLUMNS},
            "submission_ids": [], "sources": [], "message": message, "row": {}}


def _apply_build(report: AuditReport, build: dict[str, Any], period: str) -> None:
    """The build's own verdict, one policy for every path (``qamtu build``, ``qamtu run``, Airflow's dbt
    task group): a model that errored or was skipped, or an error-severity dbt data test that failed,
    makes the candidate unpublishable (critical); warn-severity dbt tests are reported as warnings."""
    broken = [m for m in build.get("models", []) if m.get("status") not in ("success", "pass", "ok")]
    # Builds logged before the split of test outcomes kept one list: count those as warnings, as then.
    test_errors = build.get("test_errors") or []
    test_warnings = build.get("test_warnings")
    if test_warnings is None:
        test_warnings = build.get("failures") or []
    critical = []
    if broken:
        names = ", ".join(f"{m['name']} ({m.get('status')})" for m in broken[:20])
        critical.append(_build_finding(
            period, "candidate_built", "critical",
            "Every model of the candidate built in its last dbt build.",
            "models", len(broken), f"the last candidate build did not build: {names}"))
    for test in test_errors:
        critical.append(_build_finding(
            period, "dbt_data_test", "critical",
            "Every error-severity dbt data test of the candidate build passed (all periods).",
            "dbt test", test, f"dbt: {test}"))
    for finding in reversed(critical):
        report.failures.insert(0, finding)
    for rule in dict.fromkeys(f["rule"] for f in critical):
        found = [f for f in critical if f["rule"] == rule]
        report.expectations.insert(0, {"expectation": f"build#{rule}", "suite": "build", "rule": rule,
                                           "severity": "critical", "description": found[0]["description"],
                                           "success": False, "unexpected": len(found), "observed": None,
                                           "route": "dbt"})
        report.counts["critical_failed"] += 1
        report.counts["expectations"] += 1
    if critical:
        report.publishable = False
    for test in test_warnings:
        report.warnings.append(_build_finding(
            period, "dbt_data_test", "warning", "A warn-severity dbt data test of the candidate build warned "
            "(all periods).", "dbt test", test, f"dbt: {test}"))


def _write_results(report: AuditReport, settings: Settings) -> None:
    from qamtu.quality.report import render_report
    from qamtu.storage import open_area

    area = open_area(AUDIT_AREA, settings)
    run_prefix = f"{report.period}/runs/{report.audit_id}"
    report.results_key = f"{run_prefix}/results.json"
    report.report_key = f"{run_prefix}/report.html"
    report.latest_results_key = f"{report.period}/results.json"
    report.latest_report_key = f"{report.period}/report.html"
    local = getattr(area, "local_path", None)
    where = (lambda key: str(local(key))) if callable(local) else area.uri
    report.results_path = where(report.latest_results_key)
    report.report_path = where(report.latest_report_key)
    payload = report.to_json()
    html = render_report(report, settings).encode("utf-8")
    # The run's own copy first, then the latest (a reader of the latest never sees a half-written run).
    area.put_bytes(report.results_key, payload)
    area.put_bytes(report.report_key, html)
    area.put_bytes(report.latest_results_key, payload)
    area.put_bytes(report.latest_report_key, html)
