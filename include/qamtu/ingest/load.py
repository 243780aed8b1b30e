"""The load step, the warehouse side of ingestion: the raw layer, the quarantine and the bookkeeping
tables, and loading one submission into them in one transaction (:func:`load_file`).

Tables (same DDL on DuckDB and PostgreSQL):

- ``raw.<report_type>``: the contract's fields with SQL types (string→TEXT, integer→BIGINT,
  number→DOUBLE PRECISION, date→DATE, datetime→TIMESTAMP WITH TIME ZONE, boolean→BOOLEAN), then the
  lineage columns ``submission_id, kind, submitter, period, source_key, source_line, loaded_at``.
  Rows of every accepted submission stay (history); ``raw.submissions.is_current`` says which
  submission counts for its (kind, submitter, period, report type). Readers join on it.
- ``raw.submissions``: one row per submission ever received (see ``SUBMISSIONS_COLUMNS``).
- ``raw.landing_index``: landing key, size and etag of each landing object already read, with its
  sha256 — so an unchanged landing object is not read again (only its listing is).
- ``quarantine.<report_type>``: each held-back row once, its cells as text (typed values where they
  typed, else the text received), with the same lineage columns (``quarantined_at``).
- ``quarantine.errors``: one row per (row, rule) — and per file-level finding (line empty) — with
  ``line, field, value, rule, severity, message`` (message in the submitter's language).

Loading one submission: rows that broke no error-severity rule → ``raw.<report_type>`` (x-large
reports on DuckDB are already there — see ``Workbench.stage_direct`` — and only the held-back rows
are deleted); the others
→ ``quarantine.<report_type>``; findings → ``quarantine.errors``; the submission row; and, when it
is accepted, the previous current submission of the same key is marked superseded. All in one
transaction: a failure leaves the warehouse as it was and the file is tried again next run. On
DuckDB rows go ``insert … select`` straight from the working database (same connection); on
PostgreSQL they stream out of DuckDB as Arrow batches into ``COPY``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from qamtu.contracts import Contract
from qamtu.ingest.stage import WORK, Workbench, keeps_raw, raw_column
from qamtu.ingest.suites import q

if TYPE_CHECKING:
    from qamtu.ingest.landing import Submission
    from qamtu.ingest.receipts import Receipt

SQL_TYPES = {"string": "TEXT", "integer": "BIGINT", "number": "DOUBLE PRECISION", "date": "DATE",
             "datetime": "TIMESTAMP WITH TIME ZONE", "boolean": "BOOLEAN"}
LINEAGE_COLUMNS = (("submission_id", "TEXT"), ("kind", "TEXT"), ("submitter", "TEXT"), ("period", "TEXT"),
                   ("source_key", "TEXT"), ("source_line", "BIGINT"),
                   ("loaded_at", "TIMESTAMP WITH TIME ZONE"))
QUARANTINE_LINEAGE = (*LINEAGE_COLUMNS[:-1], ("quarantined_at", "TIMESTAMP WITH TIME ZONE"))
SUBMISSIONS_COLUMNS = (
    ("submission_id", "TEXT"), ("kind", "TEXT"), ("submitter", "TEXT"), ("period", "TEXT"),
    ("report_type", "TEXT"), ("source_key", "TEXT"), ("archive_key", "TEXT"), ("sha256", "TEXT"),
    ("size_bytes", "BIGINT"), ("received_at", "TIMESTAMP WITH TIME ZONE"), ("status", "TEXT"),
    ("is_current", "BOOLEAN"), ("superseded_by", "TEXT"), ("rows_read", "BIGINT"), ("rows_loaded", "BIGINT"),
    ("rows_quarantined", "BIGINT"), ("contract_version", "TEXT"),
)
LANDING_INDEX_COLUMNS = (("source_key", "TEXT"), ("size_bytes", "BIGINT"), ("etag", "TEXT"),
                         ("sha256", "TEXT"),
                         ("submission_id", "TEXT"), ("seen_at", "TIMESTAMP WITH TIME ZONE"))
# Files whose processing raised an unexpected error: retried by the next runs until
# ``attempts`` reaches the configured maximum, then ``status`` 'failed' (a receipt says so) until an
# operator re-queues the key (``qamtu ingest --retry KEY``). A file changed in landing starts afresh.
FAILURES_COLUMNS = (
    ("source_key", "TEXT"), ("size_bytes", "BIGINT"), ("etag", "TEXT"), ("sha256", "TEXT"),
    ("submission_id", "TEXT"), ("attempts", "BIGINT"), ("status", "TEXT"), ("step", "TEXT"),
    ("error", "TEXT"),
    ("first_failed_at", "TIMESTAMP WITH TIME ZONE"), ("last_failed_at", "TIMESTAMP WITH TIME ZONE"),
)
ERRORS_COLUMNS = (
    ("submission_id", "TEXT"), ("report_type", "TEXT"), ("kind", "TEXT"), ("submitter", "TEXT"),
    ("period", "TEXT"), ("source_key", "TEXT"), ("line", "BIGINT"), ("field", "TEXT"), ("value", "TEXT"),
    ("rule", "TEXT"), ("severity", "TEXT"), ("message", "TEXT"), ("recorded_at", "TIMESTAMP WITH TIME ZONE"),
)


def _create(warehouse, schema: str, table: str, columns: Sequence[tuple[str, str]]) -> None:
    warehouse.ensure_schema(schema)
    body = ", ".join(f"{q(name)} {sql_type}" for name, sql_type in columns)
    warehouse.execute(f"create table if not exists {q(schema)}.{q(table)} ({body})")
    # A contract that gained an optional field: add the column, keep the history.
    existing = set(warehouse.columns(schema, table))
    for name, sql_type in columns:
        if name not in existing:
            warehouse.execute(f"alter table {q(schema)}.{q(table)} add column {q(name)} {sql_type}")


def raw_columns(contract: Contract) -> list[tuple[str, str]]:
    return [(f.name, SQL_TYPES[f.type]) for f in contract.fields] + list(LINEAGE_COLUMNS)


def quarantine_columns(contract: Contract) -> list[tuple[str, str]]:
    return [(f.name, "TEXT") for f in contract.fields] + list(QUARANTINE_LINEAGE)


def ensure_bookkeeping(warehouse) -> None:
    _create(warehouse, "raw", "submissions", SUBMISSIONS_COLUMNS)
    _create(warehouse, "raw", "landing_index", LANDING_INDEX_COLUMNS)
    _create(warehouse, "quarantine", "errors", ERRORS_COLUMNS)
    _create(warehouse, "raw", "ingest_failures", FAILURES_COLUMNS)


def ensure_report_tables(warehouse, contract: Contract) -> None:
    _create(warehouse, "raw", contract.report_type, raw_columns(contract))
    _create(warehouse, "quarantine", contract.report_type, quarantine_columns(contract))


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _copy(warehouse, bench: Workbench, select_sql: str, params: list[Any], schema: str, table: str,
          columns: Sequence[str]) -> None:
    """Rows of a query on the working database → a warehouse table."""
    column_list = ", ".join(q(c) for c in columns)
    if warehouse.dialect == "duckdb" and warehouse.raw is bench.con:
        warehouse.raw.execute(f"insert into {q(schema)}.{q(table)} ({column_list}) {select_sql}", params)
        return
    import pyarrow as pa

    reader = bench.con.sql(select_sql, params=params).to_arrow_reader(200_000)
    for batch in reader:
        if batch.num_rows:
            warehouse.append_arrow(schema, table,
                                   pa.Table.from_batches([batch]).rename_columns(list(columns)))


class Transaction:
    """BEGIN … COMMIT on the warehouse (ROLLBACK on error)."""

    def __init__(self, warehouse):
        self.warehouse = warehouse

    def __enter__(self):
        self.warehouse.execute("begin transaction" if self.warehouse.dialect == "duckdb" else "begin")
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.warehouse.execute("commit" if exc_type is None else "rollback")


def load_submission(warehouse, bench: Workbench | None, contract: Contract | None, record: dict[str, Any],
                    errors: Any, loaded_at, before_commit: Callable[[], None] | None = None) -> None:
    """Write one submission (``record``: the raw.submissions row) with its rows and findings.

    ``bench``/``contract`` are None for a file rejected before its rows were read. ``errors`` is an
    Arrow table with ``ERRORS_COLUMNS``. ``before_commit`` runs last inside the transaction (the
    receipt is written there).
    """
    sid = record["submission_id"]
    with Transaction(warehouse):
        if bench is not None and contract is not None and record["rows_read"]:
            stage = bench.stage(contract)
            bad = (f"exists (select 1 from {WORK}.findings b where b._submission_id = s._submission_id "
                   f"and b._line = s._line and b.severity = 'error')")
            # Lineage as literals (one submission per statement): no join on 10 M rows.
            lineage = "?, ?, ?, ?, ?, s._line, cast(? as timestamptz)"
            lineage_params = [sid, record["kind"], record["submitter"], record["period"],
                              record["source_key"],
                              loaded_at]
            direct = bench.is_direct(contract)
            if record["status"] != "rejected" and record["rows_loaded"] and not direct:
                fields = ", ".join(f"s.{q(f.name)}" for f in contract.fields)
                _copy(warehouse, bench,
                      f"select {fields}, {lineage} from {stage} s where s._submission_id = ? and not {bad}",
                      [*lineage_params, sid], "raw", contract.report_type,
                      [c for c, _ in raw_columns(contract)])
            quarantined_filter = bad if record["status"] != "rejected" else "true"
            texts = ", ".join(
                f"coalesce(s.{q(raw_column(f.name))}, cast(s.{q(f.name)} as varchar))" if keeps_raw(f)
                else f"s.{q(f.name)}" for f in contract.fields)
            if record["rows_quarantined"]:
                _copy(warehouse, bench,
                      f"select {texts}, {lineage} from {stage} s where s._submission_id = ? and "
                      f"{quarantined_filter}",
                      [*lineage_params, sid], "quarantine", contract.report_type,
                      [c for c, _ in quarantine_columns(contract)])
            if direct:
                # The rows are already in raw (staged straight there): remove those held back.
                held_back = "" if record["status"] == "rejected" else (
                    f" and source_line in (select _line from {WORK}.findings "
                    f"where _submission_id = {_sql_text(sid)} and severity = 'error')")
                warehouse.execute(f"delete from raw.{q(contract.report_type)} where submission_id = "
                                  f"?{held_back}",
                                  [sid])
        if record["status"] == "rejected" and contract is not None:
            # A rejected file has no rows in raw, whatever happened while it was read.
            warehouse.execute(f"delete from raw.{q(contract.report_type)} where submission_id = ?", [sid])
        if errors is not None and errors.num_rows:
            warehouse.append_arrow("quarantine", "errors", errors)
        if record["status"] != "rejected":
            warehouse.execute(
                "update raw.submissions set is_current = false, superseded_by = ? "
                "where kind = ? and submitter = ? and period = ? and report_type = ? and is_current",
                [sid, record["kind"], record["submitter"], record["period"], record["report_type"]])
        names = [c for c, _ in SUBMISSIONS_COLUMNS]
        warehouse.execute(
            f"insert into raw.submissions ({', '.join(q(n) for n in names)}) values "
            f"({', '.join('?' for _ in names)})",
            [record[n] for n in names])
        remember_landing(warehouse, record["source_key"], record["size_bytes"], record.get("etag"),
                         record["sha256"], sid, loaded_at)
        if before_commit is not None:
            before_commit()


def load_file(warehouse, bench: Workbench, sub: Submission, receipt: Receipt, findings: list[dict[str, Any]],
              loaded_at: dt.datetime, before_commit: Callable[[], None] | None = None) -> None:
    """Load one file with its verdict (``receipt``) and its ``findings`` (every one, with severity
    and message): :func:`load_submission` with the ``raw.submissions`` row the receipt describes and
    the findings as ``quarantine.errors`` rows."""
    import pyarrow as pa

    record = {
        "submission_id": receipt.submission_id, "kind": receipt.kind, "submitter": receipt.submitter,
        "period": receipt.period, "report_type": receipt.report_type, "source_key": receipt.source_key,
        "archive_key": receipt.archive_key, "sha256": receipt.sha256, "size_bytes": receipt.size_bytes,
        "received_at": sub.received_at, "status": receipt.status, "is_current": receipt.status != "rejected",
        "superseded_by": None, "rows_read": receipt.rows_read, "rows_loaded": receipt.rows_loaded,
        "rows_quarantined": receipt.rows_quarantined, "contract_version": receipt.contract_version,
        "etag": sub.etag,
    }
    error_table = pa.table({
        name: pa.array(values, type=pa.string() if sql_type == "TEXT" else None)
        for (name, sql_type), values in zip(ERRORS_COLUMNS,
                                            error_columns(sub, findings, loaded_at), strict=True)
    })
    load_submission(warehouse, bench if sub.staged else None, sub.contract, record, error_table, loaded_at,
                    before_commit=before_commit)


def error_columns(sub: Submission, items: list[dict[str, Any]], now: dt.datetime) -> list[list[Any]]:
    """A file's findings as the columns of ``quarantine.errors`` (``ERRORS_COLUMNS``)."""
    landing = sub.landing
    n = len(items)
    return [
        [sub.submission_id] * n, [landing.report_type] * n, [landing.kind] * n, [landing.submitter] * n,
        [landing.period] * n, [sub.key] * n, [i["line"] for i in items], [i["field"] for i in items],
        [None if i["value"] is None else str(i["value"]) for i in items], [i["rule"] for i in items],
        [i["severity"] for i in items], [i["message"] for i in items], [now] * n,
    ]


def remember_landing(
    warehouse, key: str, size: int, etag: str | None, sha256: str, sid: str, seen_at
) -> None:
    warehouse.execute("delete from raw.landing_index where source_key = ?", [key])
    warehouse.execute("insert into raw.landing_index values (?, ?, ?, ?, ?, ?)",
                      [key, size, etag, sha256, sid, seen_at])


def landing_index(warehouse) -> dict[str, tuple[int, str, str, str]]:
    return {row[0]: (row[1], row[2], row[3], row[4]) for row in
            warehouse.rows("select source_key, size_bytes, etag, sha256, submission_id from "
                           "raw.landing_index")}


def known_submissions(warehouse) -> set[str]:
    return {row[0] for row in warehouse.rows("select submission_id from raw.submissions")}


def failures(warehouse) -> dict[str, tuple[int, str, int, str]]:
    """Landing key → (size, etag, attempts, status) of the files that failed and are not finished."""
    return {row[0]: (row[1], row[2], row[3], row[4]) for row in
            warehouse.rows("select source_key, size_bytes, etag, attempts, status from raw.ingest_failures")}


def record_failure(warehouse, key: str, size: int, etag: str | None, sha256: str | None, sid: str | None,
                   step: str, error: str, now, max_attempts: int) -> tuple[int, str]:
    """One more failed attempt of a landing object (the same key, size and etag; a changed object
    starts again from one). Returns (attempts, status)."""
    previous = warehouse.rows("select size_bytes, etag, attempts, first_failed_at from raw.ingest_failures "
                              "where source_key = ?", [key])
    attempts, first = 1, now
    if previous and previous[0][0] == size and previous[0][1] == etag:
        attempts, first = previous[0][2] + 1, previous[0][3]
    status = "failed" if attempts >= max_attempts else "retrying"
    with Transaction(warehouse):
        warehouse.execute("delete from raw.ingest_failures where source_key = ?", [key])
        warehouse.execute("insert into raw.ingest_failures values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                          [key, size, etag, sha256, sid, attempts, status, step, error, first, now])
    return attempts, status


def forget_failure(warehouse, key: str) -> int:
    """The key is tried again from scratch (after a success, or when an operator re-queues it)."""
    found = warehouse.scalar("select count(*) from raw.ingest_failures where source_key = ?", [key])
    if found:
        warehouse.execute("delete from raw.ingest_failures where source_key = ?", [key])
    return int(found or 0)
