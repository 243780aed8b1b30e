"""Write–audit–publish around the marts: build the candidate, remember what each audit saw, promote.

- :func:`build_candidate` builds the dbt marts into the schema ``marts_candidate`` (never ``marts``).
- :func:`qamtu.quality.run_audit` audits a period of the candidate and logs the verdict with a
  fingerprint of the candidate's rows of that period (``audit_log.audits``).
- :func:`promote` copies the audited period's rows of every candidate mart into ``marts`` — in one
  transaction, on DuckDB and PostgreSQL alike, so readers see the old marts or the new ones, never a
  mix — and only when the period's latest audit passed and the candidate still holds exactly what was
  audited (same fingerprint). A failed audit therefore leaves ``marts`` (and so every release made
  from it) untouched.

Marts with a ``period`` column are promoted period by period (the published marts hold audited
periods only); marts without one (the dimensions) are replaced whole.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from typing import Any

from qamtu.faults import checkpoint
from qamtu.settings import CANDIDATE_SCHEMA, MARTS_SCHEMA, Settings, get_settings
from qamtu.warehouse import quote_ident

Echo = Callable[[str], Any]
PUBLISHED_SCHEMA = MARTS_SCHEMA
LOG_SCHEMA = "audit_log"

_LOG_TABLES = {
    "candidate_builds": "build_id TEXT, schema_name TEXT, period TEXT, built_at TIMESTAMP WITH TIME ZONE, "
                        "success BOOLEAN, summary TEXT",
    "audits": "audit_id TEXT, period TEXT, schema_name TEXT, fingerprint TEXT, publishable BOOLEAN, "
              "critical_failed BIGINT, warning_failed BIGINT, results_key TEXT, report_key TEXT, "
              "audited_at TIMESTAMP WITH TIME ZONE",
    "promotions": "audit_id TEXT, period TEXT, source_schema TEXT, target_schema TEXT, fingerprint TEXT, "
                  "tables BIGINT, rows_promoted BIGINT, promoted_at TIMESTAMP WITH TIME ZONE",
    # The submissions the published marts of each period were built from (replaced at each promotion).
    "promoted_inputs": "audit_id TEXT, period TEXT, kind TEXT, submitter TEXT, report_type TEXT, "
                       "sha256 TEXT, received_at TEXT, status TEXT",
}
# What a release names of each submission it was made from: identifying metadata only (never the rows,
# never the archive keys).
INPUT_COLUMNS = ("kind", "submitter", "period", "report_type", "sha256", "received_at", "status")


class PromotionRefused(RuntimeError):
    """The candidate cannot be promoted (not audited, audit failed, or changed since its audit)."""


def ensure_log(warehouse) -> None:
    warehouse.ensure_schema(LOG_SCHEMA)
    for table, columns in _LOG_TABLES.items():
        warehouse.execute(f"create table if not exists {LOG_SCHEMA}.{table} ({columns})")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# --- build ---------------------------------------------------------------------------------------
def build_candidate(period: str | None = None, settings: Settings | None = None, echo: Echo = print,
                    select: str | None = None) -> dict[str, Any]:
    """Build the marts into ``marts_candidate`` (one in-process dbt build) and log the build; the audit
    reports a build that errored or skipped models as a critical failure."""
    from qamtu.warehouse import connect
    from qamtu.warehouse.dbt_runner import build_marts

    settings = settings or get_settings()
    summary = build_marts(period=period, settings=settings, echo=echo, select=select,
                          marts_schema=CANDIDATE_SCHEMA)
    with connect(settings) as warehouse:
        record_build(warehouse, summary, CANDIDATE_SCHEMA)
    return summary


def record_build(warehouse, summary: dict[str, Any], schema: str = CANDIDATE_SCHEMA) -> str:
    """Log a dbt build of the candidate (``summary`` as :func:`build_marts` returns it)."""
    import uuid

    ensure_log(warehouse)
    build_id = uuid.uuid4().hex
    kept = {k: summary.get(k) for k in ("success", "models", "tests", "failures", "test_errors",
                                        "test_warnings",
                                        "errors", "seconds", "period")}
    # What the build left in the candidate, per period: an audit trusts this log only while the
    # candidate still holds exactly these rows (a build by other means, e.g. Cosmos tasks, is not logged).
    periods = ([r[0] for r in warehouse.rows(f"select distinct period from {quote_ident(schema)}.dim_period")]
               if warehouse.table_exists(schema, "dim_period") else [])
    kept["fingerprints"] = {period: candidate_fingerprint(warehouse, schema, period) for period in periods}
    # ... and what it was built from: promoting a period carries these to its release, whatever has been
    # ingested since (a resubmission waiting for its own build is not in the published figures yet).
    kept["inputs"] = current_submissions(warehouse)
    warehouse.execute(
        f"insert into {LOG_SCHEMA}.candidate_builds values (?, ?, ?, ?, ?, ?)",
        [build_id, schema, summary.get("period"), _now(), bool(summary.get("success")),
         json.dumps(kept, default=str)])
    return build_id


def last_build(warehouse, schema: str = CANDIDATE_SCHEMA, period: str | None = None,
               fingerprint: str | None = None) -> dict[str, Any] | None:
    """The last logged build of the candidate schema; with ``period`` and ``fingerprint``, only if that
    build left exactly these rows of the period (None when the candidate was built some other way)."""
    if not warehouse.table_exists(LOG_SCHEMA, "candidate_builds"):
        return None
    row = warehouse.rows(f"select summary from {LOG_SCHEMA}.candidate_builds where schema_name = ? "
                         f"order by built_at desc limit 1", [schema])
    if not row:
        return None
    build = json.loads(row[0][0])
    if period is not None and (build.get("fingerprints") or {}).get(period) != fingerprint:
        return None
    return build


def current_submissions(warehouse, up_to: str | None = None) -> list[dict[str, str]]:
    """The submissions current now (accepted or partly accepted), in INPUT_COLUMNS, as text."""
    if not warehouse.table_exists("raw", "submissions"):
        return []
    rows = warehouse.rows(
        f"select {', '.join(INPUT_COLUMNS)} from raw.submissions where is_current and status <> 'rejected' "
        "and (cast(? as text) is null or period <= ?) order by period, kind, submitter, report_type",
        [up_to, up_to])
    inputs = []
    for row in rows:
        record = dict(zip(INPUT_COLUMNS, row, strict=True))
        received = record["received_at"]
        record["received_at"] = received.isoformat() if hasattr(received, "isoformat") else str(received)
        inputs.append({k: str(v) for k, v in record.items()})
    return inputs


def promoted_inputs(warehouse, up_to: str) -> list[dict[str, str]]:
    """What the published marts of every period up to ``up_to`` were built from: each promoted period's
    inputs as its promotion recorded them; a period promoted before they were recorded, from raw."""
    recorded: list[dict[str, str]] = []
    if warehouse.table_exists(LOG_SCHEMA, "promoted_inputs"):
        recorded = [dict(zip(INPUT_COLUMNS, row, strict=True)) for row in warehouse.rows(
            f"select {', '.join(INPUT_COLUMNS)} from {LOG_SCHEMA}.promoted_inputs where period <= ?",
            [up_to])]
    covered = {item["period"] for item in recorded}
    inputs = recorded + [item for item in current_submissions(warehouse, up_to)
                         if item["period"] not in covered]
    return sorted(inputs, key=lambda i: (i["period"], i["kind"], i["submitter"], i["report_type"]))


def _record_inputs(warehouse, audit: dict[str, Any], source: str) -> None:
    """At promotion: the inputs of the build the audit judged (its rows, its fingerprint)."""
    period = audit["period"]
    build = last_build(warehouse, source, period, audit["fingerprint"]) or {}
    inputs = build.get("inputs")
    if inputs is None:  # built before builds recorded their inputs: the submissions current now
        inputs = current_submissions(warehouse)
    warehouse.execute(f"delete from {LOG_SCHEMA}.promoted_inputs where period = ?", [period])
    insert = (f"insert into {LOG_SCHEMA}.promoted_inputs (audit_id, {', '.join(INPUT_COLUMNS)}) "
              f"values (?{', ?' * len(INPUT_COLUMNS)})")
    for item in inputs:
        if item["period"] == period:
            warehouse.execute(insert, [audit["audit_id"], *(item[c] for c in INPUT_COLUMNS)])


# --- fingerprint ---------------------------------------------------------------------------------
def mart_tables(warehouse, schema: str) -> list[str]:
    return [r[0] for r in warehouse.rows(
        "select table_name from information_schema.tables where table_schema = ? and table_type = 'BASE "
        "TABLE' order by table_name", [schema])]


def candidate_fingerprint(warehouse, schema: str, period: str) -> str:
    """SHA-256 over every mart of ``schema``: its columns, and the rows of ``period`` (the whole table for
    a mart without a period column), independent of row order."""
    row_text = "cast(t as varchar)" if warehouse.dialect == "duckdb" else "t::text"
    digest = hashlib.sha256()
    for table in mart_tables(warehouse, schema):
        columns = warehouse.columns(schema, table)
        where, params = ("where t.period = ?", [period]) if "period" in columns else ("", [])
        count, rows_md5 = warehouse.rows(
            f"select count(*), md5(coalesce(string_agg(md5({row_text}), '' order by md5({row_text})), '')) "
            f"from {quote_ident(schema)}.{quote_ident(table)} as t {where}", params)[0]
        digest.update(f"{table}|{','.join(columns)}|{count}|{rows_md5}\n".encode())
    return digest.hexdigest()


# --- audits --------------------------------------------------------------------------------------
def record_audit(warehouse, results: dict[str, Any]) -> None:
    ensure_log(warehouse)
    counts = results["counts"]
    warehouse.execute(
        f"insert into {LOG_SCHEMA}.audits values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [results["audit_id"], results["period"], results["schema"], results["fingerprint"],
         bool(results["publishable"]), counts["critical_failed"], counts["warning_failed"],
         results.get("results_key"), results.get("report_key"), _now()])


def latest_audits(warehouse, schema: str = CANDIDATE_SCHEMA) -> dict[str, dict[str, Any]]:
    """The latest audit of each period of ``schema``."""
    if not warehouse.table_exists(LOG_SCHEMA, "audits"):
        return {}
    rows = warehouse.rows(
        f"select audit_id, period, fingerprint, publishable, critical_failed, audited_at "
        f"from {LOG_SCHEMA}.audits where schema_name = ? order by audited_at, audit_id", [schema])
    latest: dict[str, dict[str, Any]] = {}
    for audit_id, period, fingerprint, publishable, critical, audited_at in rows:
        latest[period] = {"audit_id": audit_id, "period": period, "fingerprint": fingerprint,
                          "publishable": bool(publishable), "critical_failed": critical,
                          "audited_at": audited_at}
    return latest


def _promoted_audits(warehouse) -> set[str]:
    if not warehouse.table_exists(LOG_SCHEMA, "promotions"):
        return set()
    return {r[0] for r in warehouse.rows(f"select audit_id from {LOG_SCHEMA}.promotions")}


# --- promote -------------------------------------------------------------------------------------
def promote(settings: Settings | None = None, period: str | None = None, echo: Echo = print,
            source: str = CANDIDATE_SCHEMA, target: str = PUBLISHED_SCHEMA) -> dict[str, Any]:
    """Copy the audited candidate marts into ``target`` in one transaction.

    ``period`` given: that period's latest audit must have passed and the candidate must be unchanged
    since, else :class:`PromotionRefused`. ``period`` omitted: every period whose latest audit passed,
    is unchanged and is not promoted yet (nothing to do is not an error). Returns
    ``{periods, tables, rows, target}``."""
    from qamtu.warehouse import connect

    settings = settings or get_settings()
    with connect(settings) as warehouse:
        ensure_log(warehouse)
        audits = latest_audits(warehouse, source)
        promoted = _promoted_audits(warehouse)
        if period is not None and period not in audits:
            raise PromotionRefused(f"{period} has not been audited in {source}: run the audit first")
        chosen = []
        for audit in ([audits[period]] if period is not None else [audits[p] for p in sorted(audits)]):
            why = None
            if not audit["publishable"]:
                why = (f"its latest audit ({audit['audit_id']}) failed {audit['critical_failed']} "
                       "critical check(s)")
            elif audit["audit_id"] in promoted:
                echo(f"promote: {audit['period']} already promoted from audit {audit['audit_id']}")
                continue
            elif candidate_fingerprint(warehouse, source, audit["period"]) != audit["fingerprint"]:
                why = f"{source} changed since its audit {audit['audit_id']}: audit it again"
            if why:
                if period is not None:
                    raise PromotionRefused(f"{audit['period']} not promoted: {why}")
                echo(f"promote: {audit['period']} skipped: {why}")
                continue
            chosen.append(audit)
        if not chosen:
            return {"periods": [], "tables": 0, "rows": 0, "target": target}
        return _copy(warehouse, chosen, source, target, echo)


def _copy(warehouse, audits: list[dict[str, Any]], source: str, target: str, echo: Echo) -> dict[str, Any]:
    periods = [a["period"] for a in audits]
    tables = mart_tables(warehouse, source)
    marks = ", ".join("?" for _ in periods)
    total_rows = 0
    src, dst = quote_ident(source), quote_ident(target)
    warehouse.execute("begin")
    try:
        warehouse.ensure_schema(target)
        for table in tables:
            name = quote_ident(table)
            columns = warehouse.columns(source, table)
            by_period = "period" in columns
            where, params = (f"where period in ({marks})", periods) if by_period else ("", [])
            existing = warehouse.columns(target, table) if warehouse.table_exists(target, table) else None
            if existing is None or existing != columns:
                if existing is not None:
                    echo(f"promote: {target}.{table} has other columns than {source}.{table}: replaced "
                         "(it now holds "
                         f"{'the promoted periods only' if by_period else 'the candidate rows'})")
                    warehouse.execute(f"drop table {dst}.{name}")
                warehouse.execute(f"create table {dst}.{name} as select * from {src}.{name} {where}", params)
            else:
                warehouse.execute(f"delete from {dst}.{name} {where}", params)
                column_list = ", ".join(quote_ident(c) for c in columns)
                warehouse.execute(f"insert into {dst}.{name} ({column_list}) select {column_list} "
                                  f"from {src}.{name} {where}", params)
            total_rows += int(warehouse.scalar(f"select count(*) from {src}.{name} {where}", params))
        now = _now()
        for audit in audits:
            warehouse.execute(f"insert into {LOG_SCHEMA}.promotions values (?, ?, ?, ?, ?, ?, ?, ?)",
                              [audit["audit_id"], audit["period"], source, target, audit["fingerprint"],
                               len(tables), total_rows, now])
            _record_inputs(warehouse, audit, source)
        checkpoint("promote:before-commit")
        warehouse.execute("commit")
    except BaseException:
        warehouse.execute("rollback")
        raise
    echo(f"promote: {', '.join(periods)} → {target} ({len(tables)} marts, {total_rows:,} rows)")
    return {"periods": periods, "tables": len(tables), "rows": total_rows, "target": target}
