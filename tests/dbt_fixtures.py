"""Raw-layer fixtures for the dbt tests: typed raw tables made from the contracts (the shared raw-layer
convention, written out here independently of the code under test) and submissions with hand-made rows."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from typing import Any

from qamtu.contracts import load_contract, report_types
from qamtu.warehouse import Warehouse, quote_ident

# Contract field type → raw column type (docs: "Raw layer" convention of the project).
SQL_TYPES = {"string": "TEXT", "integer": "BIGINT", "number": "DOUBLE PRECISION", "date": "DATE",
             "datetime": "TIMESTAMP WITH TIME ZONE", "boolean": "BOOLEAN"}
LINEAGE = [("submission_id", "TEXT"), ("kind", "TEXT"), ("submitter", "TEXT"), ("period", "TEXT"),
           ("source_key", "TEXT"), ("source_line", "BIGINT"), ("loaded_at", "TIMESTAMP WITH TIME ZONE")]
SUBMISSIONS = [("submission_id", "TEXT"), ("kind", "TEXT"), ("submitter", "TEXT"), ("period", "TEXT"),
               ("report_type", "TEXT"), ("source_key", "TEXT"), ("archive_key", "TEXT"), ("sha256", "TEXT"),
               ("size_bytes", "BIGINT"), ("received_at", "TIMESTAMP WITH TIME ZONE"), ("status", "TEXT"),
               ("is_current", "BOOLEAN"), ("superseded_by", "TEXT"), ("rows_read", "BIGINT"),
               ("rows_loaded", "BIGINT"), ("rows_quarantined", "BIGINT"), ("contract_version", "TEXT")]
KIND_OF = {rt: load_contract(rt).kind for rt in report_types()}


def create_raw_tables(warehouse: Warehouse) -> None:
    """Empty raw.<report_type> tables (contract fields + lineage) and raw.submissions."""
    warehouse.ensure_schema("raw")
    tables = {"submissions": SUBMISSIONS}
    for report_type in report_types():
        fields = [(f.name, SQL_TYPES[f.type]) for f in load_contract(report_type).fields]
        tables[report_type] = fields + LINEAGE
    for table, columns in tables.items():
        column_sql = ", ".join(f"{quote_ident(n)} {t}" for n, t in columns)
        warehouse.execute(f"create table if not exists raw.{quote_ident(table)} ({column_sql})")


def _insert(warehouse: Warehouse, table: str, row: dict[str, Any]) -> None:
    names = ", ".join(quote_ident(n) for n in row)
    marks = ", ".join("?" for _ in row)
    warehouse.execute(f"insert into raw.{quote_ident(table)} ({names}) values ({marks})", list(row.values()))


def submit(warehouse: Warehouse, submitter: str, period: str, report_type: str, rows: list[dict[str, Any]],
           status: str = "accepted", is_current: bool = True) -> str:
    """Record one submission in raw.submissions and (unless rejected) load its rows with lineage.
    A current submission makes the earlier current one for the same key superseded (a rejected file never
    becomes current, so it supersedes nothing)."""
    kind = KIND_OF[report_type]
    submission_id = f"{kind}-{submitter}-{period}-{report_type}-{uuid.uuid4().hex[:8]}"
    key = f"{kind}/{submitter}/{period}/{report_type}.csv"
    is_current = is_current and status != "rejected"
    if is_current:
        warehouse.execute(
            "update raw.submissions set is_current = false, superseded_by = ? "
            "where kind = ? and submitter = ? and period = ? and report_type = ? and is_current",
            [submission_id, kind, submitter, period, report_type],
        )
    received = dt.datetime.now(dt.UTC)
    _insert(warehouse, "submissions", {
        "submission_id": submission_id, "kind": kind, "submitter": submitter, "period": period,
        "report_type": report_type, "source_key": key, "archive_key": f"archive/{submission_id}",
        "sha256": hashlib.sha256(submission_id.encode()).hexdigest(), "size_bytes": 100,
        "received_at": received,
        "status": status, "is_current": is_current, "superseded_by": None,
        "rows_read": len(rows), "rows_loaded": 0 if status == "rejected" else len(rows),
        "rows_quarantined": len(rows) if status == "rejected" else 0, "contract_version": "1.0.0",
    })
    if status == "rejected":
        return submission_id
    for line, row in enumerate(rows, start=2):
        _insert(warehouse, report_type,
                {**row, "submission_id": submission_id, "kind": kind, "submitter": submitter,
                                         "period": period, "source_key": key, "source_line": line,
                                         "loaded_at": received})
    return submission_id


def copy_raw_layer(source, target) -> dict[str, int]:
    """The raw layer one warehouse's ingestion loaded (``raw.submissions`` and one table per report type),
    copied row for row into another warehouse whose raw tables are typed from the contracts; rows per
    table. Ingestion's own bookkeeping (landing index, failure counts) and the policy a build derives
    are not the raw layer and stay behind."""
    from qamtu.warehouse import connect
    from qamtu.warehouse.dbt_runner import ensure_sources

    copied = {}
    with connect(source) as origin, connect(target) as destination:
        ensure_sources(destination)
        for table in ("submissions", *report_types()):
            columns = ", ".join(quote_ident(c) for c in destination.columns("raw", table))
            data = origin.raw.execute(f"select {columns} from raw.{quote_ident(table)}").to_arrow_table()
            copied[table] = destination.append_arrow("raw", table, data) if data.num_rows else 0
    return copied
