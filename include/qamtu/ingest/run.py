"""One ingestion run: everything new in landing → archive → parse → validate → load → receipt.

Steps, each file in its own ``try`` so one bad file never blocks the others:

1. **Discover**: list landing. An object whose key, size and etag match ``raw.landing_index`` and
   whose submission is known is not read again. Everything else is copied to a scratch file while
   its sha256 is computed (one pass), giving the submission id (see :mod:`.landing`). Bytes already
   ingested under that key → nothing to do (idempotent).
2. **Archive**: the scratch copy goes to ``archive/<kind>/<submitter>/<period>/<report_type>/
   <submission_id>-<sha256>.<ext>`` unless that key exists (never overwritten, never deleted).
3. **Route**: key-only file rules (wrong folder, unknown submitter/report type, wrong period,
   unsupported format) reject the file before it is read.
4. **Parse and type** (:mod:`.parse`, :mod:`.stage`): into the working DuckDB; file rules
   (empty, unreadable, wrong encoding, missing column, no rows) reject it.
5. **Validate** per report type, all new files of a type together: GX 1.x on pandas for small
   reports, the same suite compiled to SQL for ``x-large`` ones (or when GX fails: the run goes on
   and the summary says which route ran). Rows breaking an error rule are held back.
6. **Load and receipt** (:mod:`.load`, :mod:`.receipts`): one warehouse transaction per file, then
   its receipt. Files are finished in the order they landed (last-modified, then key), so of two
   versions landing in one run the later becomes current.

An unexpected error while loading (a lost connection, a locked file) is not a verdict on the file:
it is listed under ``failed`` in the summary, nothing of that file is recorded, and the next run
tries it again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qamtu.contracts import Contract, load_contract, submitter_language
from qamtu.ingest import crashpoints, lines, parse
from qamtu.ingest.landing import (
    FileRejected,
    LandingKey,
    Problem,
    archive_key,
    parse_landing_key,
    receipt_key,
    routing_problems,
    submission_id,
)
from qamtu.ingest.lines import UnreadableRow
from qamtu.ingest.load import (
    ERRORS_COLUMNS,
    ensure_bookkeeping,
    ensure_report_tables,
    failures,
    forget_failure,
    known_submissions,
    landing_index,
    load_submission,
    record_failure,
    remember_landing,
)
from qamtu.ingest.receipts import MAX_LISTED, message, status_of, write_receipt
from qamtu.ingest.stage import UNREADABLE_ROW, Workbench
from qamtu.ingest.suites import q
from qamtu.periods import period_end
from qamtu.progress import ProgressCallback, no_progress
from qamtu.settings import Settings, get_settings

log = logging.getLogger("qamtu.ingest")
_COPY_CHUNK = 8 * 1024 * 1024
LARGE_FORMATS = ("csv", "csv.gz", "parquet")


@dataclass
class Submission:
    """One landing object being ingested."""

    key: str
    landing: LandingKey
    size: int
    etag: str
    received_at: dt.datetime
    sha256: str = ""
    submission_id: str = ""
    archive_key: str = ""
    contract: Contract | None = None
    problems: list[Problem] = field(default_factory=list)
    rejected: bool = False
    rows_read: int = 0
    staged: bool = False
    parsed: parse.TextTable | None = None  # a small file parsed, waiting to be typed with its peers
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def language(self) -> str:
        return submitter_language(self.landing.kind or "", self.landing.submitter or "")

    def reject(self, problems: list[Problem]) -> None:
        self.rejected = True
        self.problems.extend(problems)


def _fetch(area, key: str, target: Path) -> str:
    """Copy a landing object to ``target`` and return the sha256 of the copy.

    A local object is copied by the kernel, then the copy is read once to hash it (0.4 s at 10 M
    rows instead of 1.0 s for a read-hash-write loop); the bytes hashed are the bytes ingested
    either way. Any other object is streamed once, hashed on the way."""
    from qamtu.storage import LocalStorage

    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    if isinstance(area, LocalStorage):
        area.download_to(key, target)
        # Large chunks: hashing releases the GIL, and with few chunks this thread seldom waits for it
        # while the reference tables load in the background (256 KiB chunks made it 4× slower).
        with target.open("rb") as copy:
            while chunk := copy.read(_COPY_CHUNK):
                digest.update(chunk)
        return digest.hexdigest()
    with area.open_read(key) as source, target.open("wb") as sink:
        while chunk := source.read(_COPY_CHUNK):
            digest.update(chunk)
            sink.write(chunk)
    return digest.hexdigest()


def _archive(area, key: str, scratch: Path) -> None:
    """Keep the scratch copy under its archive key unless that key exists. In a local archive on the
    scratch copy's file system it becomes a hard link: the bytes were just written once, and at
    10 M rows copying them again costs about a second."""
    from qamtu.storage import LocalStorage

    if area.exists(key):
        return
    crashpoints.reached("archive")
    if isinstance(area, LocalStorage):
        target = area.local_path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(scratch, target)
            return
        except FileExistsError:
            return
        except OSError:  # another file system, or links not supported: copy
            pass
    area.put_file(key, scratch)


def _duckdb_problem(error: Exception) -> FileRejected:
    text = str(error)
    first = text.strip().splitlines()[0] if text.strip() else type(error).__name__
    if "unicode" in text.lower() or "utf-8" in text.lower() or "utf8" in text.lower():
        return FileRejected(Problem("file.wrong_encoding", context={"detail": first}))
    return FileRejected(Problem("file.unreadable", context={"detail": first}))


class Run:
    def __init__(self, settings: Settings, warehouse, bench: Workbench, today: dt.date,
                 progress: ProgressCallback):
        from qamtu.storage import open_area

        self.settings = settings
        self.warehouse = warehouse
        self.bench = bench
        self.today = today
        self.progress = progress
        self.landing = open_area("landing", settings)
        self.archive = open_area("archive", settings)
        self.receipts = open_area("receipts", settings)
        self.now = dt.datetime.now(dt.UTC)
        self.tables_ready: set[str] = set()  # report types whose raw and quarantine tables were ensured
        self.current: Submission | None = None  # the file being received (for a failure's receipt)
        self._last_large: parse.LargeSource | None = None

    # -- 1–4: read one file into the working database ---------------------------------------------
    def receive(self, obj, number: int, known: set[str]) -> Submission | None:
        landing = parse_landing_key(str(obj))
        sub = self.current = Submission(str(obj), landing, obj.size, obj.etag, obj.last_modified)
        scratch = self.bench.scratch / "incoming" / f"{number}.{landing.ext or 'bin'}"
        try:
            sub.sha256 = _fetch(self.landing, sub.key, scratch)
            sub.submission_id = submission_id(sub.key, sub.sha256)
            if sub.submission_id in known:
                remember_landing(self.warehouse, sub.key, sub.size, sub.etag, sub.sha256, sub.submission_id, self.now)
                return None
            sub.archive_key = archive_key(landing, sub.submission_id, sub.sha256)
            _archive(self.archive, sub.archive_key, scratch)
            routing = routing_problems(landing, self.today)
            if routing:
                sub.reject(routing)
                return sub
            sub.contract = load_contract(landing.report_type)
            if sub.contract.report_type not in self.tables_ready:  # DDL once per type and run, not per file
                ensure_report_tables(self.warehouse, sub.contract)
                self.tables_ready.add(sub.contract.report_type)
            self.bench.add_submission(sub.submission_id, landing.kind, landing.submitter, landing.period, sub.key,
                                      landing.report_type, period_end(landing.period),
                                      landing.submitter if landing.kind == "akimat" else None)
            try:
                self._stage(sub, scratch)
            except FileRejected as rejected:
                sub.reject(rejected.problems)
            return sub
        finally:
            scratch.unlink(missing_ok=True)

    def _stage(self, sub: Submission, scratch: Path) -> None:
        """Large files are typed into the working database now (DuckDB reads them); small ones are
        parsed now and typed later, all files of a report type together (:meth:`stage_parsed`)."""
        import duckdb

        contract = sub.contract
        if not (contract.large and (sub.landing.ext in LARGE_FORMATS or self.warehouse.dialect == "duckdb")):
            table = parse.parse_bytes(scratch.read_bytes(), sub.landing.ext, contract)
            sub.problems.extend(table.problems)
            sub.details.update(table.details)
            if table.num_rows == 0:
                raise FileRejected(Problem("file.no_rows"))
            sub.parsed = table
            return
        lineage = {"kind": sub.landing.kind, "submitter": sub.landing.submitter,
                   "period": sub.landing.period, "source_key": sub.key, "loaded_at": self.now}
        target = None
        if self.warehouse.dialect == "duckdb":
            # Fully qualified: the stage view lives in the working database.
            catalog = self.bench.con.execute("select current_database()").fetchall()[0][0]
            target = f"{q(catalog)}.raw.{q(contract.report_type)}"
        # A CSV is first read as regular (one row per line) while a thread checks that it is; if
        # it is not, it is read again through the numbered route (see qamtu.ingest.lines).
        for regular in (None, False):
            unreadable: list[UnreadableRow] = []
            large = None
            try:
                rows, source, large = self._stage_once(sub, scratch, lineage, target, regular, unreadable)
            except lines.Irregular as irregular:
                sub.details["lines"] = f"read line by line ({irregular})"
                continue
            except duckdb.Error as error:
                if large is None and regular is None and self._last_large is not None \
                        and not self._last_large.is_regular():
                    continue  # DuckDB choked on what the numbered route reads
                # DuckDB's reader choking on a damaged file is a verdict on the file, said plainly.
                raise _duckdb_problem(error) from error
            break
        sub.problems.extend(source.problems)
        sub.details.update(source.details)
        sub.staged = True
        sub.rows_read = rows + (len(unreadable) if large is not None else 0)
        self._unreadable(sub, unreadable, placeholders=large is not None, lineage=lineage, target=target)
        if sub.rows_read == 0:
            raise FileRejected(Problem("file.no_rows"))

    def _stage_once(self, sub: Submission, scratch: Path, lineage: dict[str, Any], target: str | None,
                    regular: bool | None, unreadable: list[UnreadableRow]):
        """One reading of an x-large file into the stage: (rows staged, source, large source)."""
        contract = sub.contract
        large = None
        self._last_large = None
        if sub.landing.ext in LARGE_FORMATS:
            source = large = self._last_large = parse.prepare_large(scratch, sub.landing.ext, contract,
                                                                    self.bench.scratch, regular)
            relation, columns = source.relation, source.columns
        else:
            source = parse.parse_bytes(scratch.read_bytes(), sub.landing.ext, contract)
            relation, columns = "_qamtu_incoming", {name: name for name in source.fields}
            self.bench.con.register("_qamtu_incoming", source.to_arrow())
            unreadable.extend(source.unreadable)

        def on_read() -> None:
            if large is not None:
                unreadable.extend(large.collect_unreadable(self.bench.con))

        try:
            if self.warehouse.dialect == "duckdb":
                rows = self.bench.stage_direct(contract, sub.submission_id, relation, columns, lineage,
                                               target, large, on_read)
            else:
                rows = self.bench.stage_rows(contract, sub.submission_id, relation, columns, large, on_read)
        finally:
            if relation == "_qamtu_incoming":
                self.bench.con.unregister("_qamtu_incoming")
        return rows, source, large

    def _unreadable(self, sub: Submission, rows: list[UnreadableRow], placeholders: bool,
                    lineage: dict[str, Any] | None = None, target: str | None = None) -> None:
        """Rows that are not records of the header: each held back with its own finding, unless
        more than the allowed share of the file is so (then the file is rejected, and says why)."""
        if not rows:
            return
        contract = sub.contract
        problems = [Problem(UNREADABLE_ROW, line=r.line, field=r.field, value=r.raw,
                            context={"detail": r.detail}) for r in rows]
        share = self.settings.ingest_max_unreadable_share
        if len(rows) > share * sub.rows_read:
            detail = (f"{len(rows):,} of {sub.rows_read:,} rows ({len(rows) / sub.rows_read:.1%}) cannot be read "
                      f"as records of the header; at most {share:.1%} may be")
            raise FileRejected(Problem("file.unreadable", context={"detail": detail}), *problems)
        sub.problems.extend(problems)
        self.bench.add_unreadable(contract, sub.submission_id, [(p.line, p.field, p.value) for p in problems],
                                  placeholders, lineage, target)

    def stage_parsed(self, subs: list[Submission]) -> None:
        """Type the parsed small files, one statement per report type (one per file if that fails)."""
        by_type: dict[str, list[Submission]] = {}
        for sub in subs:
            if sub.parsed is not None and not sub.rejected:
                by_type.setdefault(sub.contract.report_type, []).append(sub)
        for group in by_type.values():
            contract = group[0].contract
            try:
                self.bench.stage_tables(contract, {s.submission_id: s.parsed.to_arrow() for s in group})
                staged = group
            except Exception as error:
                log.warning("staging %s in one go failed, file by file: %s", contract.report_type, error)
                staged = []
                for sub in group:
                    try:
                        self.bench.stage_arrow(contract, sub.submission_id, sub.parsed.to_arrow())
                        staged.append(sub)
                    except Exception as one:
                        sub.reject([Problem("file.unreadable", context={"detail": f"{type(one).__name__}: {one}"})])
            for sub in staged:
                sub.staged = True
                sub.rows_read = sub.parsed.num_rows
                try:
                    self._unreadable(sub, sub.parsed.unreadable, placeholders=False)
                except FileRejected as rejected:
                    sub.reject(rejected.problems)
                if sub.parsed.totals:
                    sub.problems.extend(self._totals(contract, sub, sub.parsed))
                sub.parsed = None

    def _totals(self, contract: Contract, sub: Submission, table: parse.TextTable) -> list[Problem]:
        """A spreadsheet's totals row against the column sums (additive numeric columns only)."""
        found = []
        for name, text in table.totals.items():
            f = contract.field(name)
            if f.type not in ("integer", "number") or text is None:
                continue
            total = self.bench.typed_value(f, text)
            actual = self.bench.column_sum(contract, sub.submission_id, name)
            if total is None or actual is None:
                continue
            if abs(float(total) - float(actual)) > max(0.005, 1e-9 * abs(float(actual))):
                found.append(Problem("file.totals_mismatch", severity="warning", line=table.totals_line,
                                     field=name, value=text, context={"expected": _number(actual)}))
        return found

    # -- 5: validate every staged file of a report type together --------------------------------
    def validate(self, subs: list[Submission]) -> dict[str, str]:
        routes = {}
        by_type: dict[str, list[Submission]] = {}
        for sub in subs:
            if sub.staged and not sub.rejected:
                by_type.setdefault(sub.contract.report_type, []).append(sub)
        for report_type, group in sorted(by_type.items()):
            contract = group[0].contract
            ids = [s.submission_id for s in group]
            self.progress(f"validating {report_type}", 0, 1)
            checked = self.bench.checked(contract, ids)
            self.bench.type_findings(contract, ids)
            route = "sql" if contract.large else "gx"
            if route == "gx":
                try:
                    self.bench.validate_gx(contract, checked)
                except Exception as error:  # GX is the preferred route, not the only one
                    log.warning("GX validation of %s failed, using the SQL route: %s", report_type, error)
                    self.bench.con.execute("delete from work.findings where rule is null")
                    route = f"sql (GX failed: {type(error).__name__}: {error})"
                    self.bench.validate_sql(contract, checked)
            else:
                self.bench.validate_sql(contract, checked)
            self.bench.describe_hits(contract, checked, ids, lambda e: e.severity)
            for sub in group:
                sub.details["validation"] = route.split(" ")[0]
            routes[report_type] = route
        return routes

    def failed_receipt(self, obj, sub: Submission | None, step: str, error: Exception, attempts: int) -> str:
        return _failed_receipt(self, obj, sub, step, error, attempts)

    # -- 6: findings → receipt, rows → warehouse ------------------------------------------------
    def _row_context(self, sub: Submission, lines: list[int]) -> dict[int, dict[str, Any]]:
        if not lines:
            return {}
        checked = self.bench.checked(sub.contract, [sub.submission_id])
        cursor = self.bench.con.execute(
            f"select * from {checked} where _line in (select unnest(?::bigint[]))", [lines])
        names = [d[0] for d in cursor.description]
        return {row[names.index("_line")]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}

    def _entries(self, sub: Submission) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
        """(errors, warnings, every finding with severity) with messages in the submitter's language."""
        lang, contract = sub.language, sub.contract
        base = {"period": sub.landing.period, "submitter": sub.landing.submitter, "kind": sub.landing.kind}
        items: list[dict[str, Any]] = []
        for p in sub.problems:
            items.append({"line": p.line, "field": p.field, "value": p.value, "rule": p.rule, "severity": p.severity,
                          "context": {**base, **{k: v for k, v in p.context.items() if k in
                                                 ("expected", "detail", "kind", "period", "submitter")}},
                          "detail": p.context.get("detail")})
        # Unreadable rows are listed from the problems (they carry the reader's detail).
        findings = [f for f in (self.bench.findings_of(sub.submission_id) if sub.staged else [])
                    if f[3] != UNREADABLE_ROW]
        row_rules = {r.id: r for r in contract.row_rules} if contract else {}
        needs_row = sorted({line for line, _, _, rule, _ in findings
                            if rule in row_rules and set(row_rules[rule].params) & {"other", "when", "key"}})
        rows = self._row_context(sub, needs_row[:MAX_LISTED])
        for line, field_name, value, rule, severity in findings:
            context = dict(base)
            if rule in row_rules:
                row = rows.get(line)
                if row is not None:
                    context["row"] = {k: _plain(v) for k, v in row.items()}
                    context["row"][field_name] = value
                    if row_rules[rule].check == "at_most_reference":
                        context["expected"] = _number(row.get(f"{field_name}__reference_max"))
            items.append({"line": line, "field": field_name, "value": value, "rule": rule, "severity": severity,
                          "context": context, "detail": None})
        errors, warnings = [], []
        for item in items:
            context = dict(item.pop("context"))
            detail = item.pop("detail")
            if detail:
                context["detail"] = detail
            item["message"] = message(item["rule"], lang, contract, sub.key, item["line"], item["field"],
                                      item["value"], context)
            (errors if item["severity"] == "error" else warnings).append(item)
        return errors, warnings, items

    def finish(self, sub: Submission) -> dict[str, Any]:
        import pyarrow as pa

        bad = self.bench.bad_lines(sub.submission_id) if sub.staged and not sub.rejected else 0
        if sub.staged and not sub.rejected and sub.rows_read and bad == sub.rows_read:
            sub.reject([Problem("file.no_rows", context={"detail": "every row breaks a rule; see the errors"})])
        errors, warnings, items = self._entries(sub)
        status = status_of(errors, warnings, sub.rejected)
        rows_loaded = 0 if sub.rejected else sub.rows_read - bad
        rows_quarantined = sub.rows_read - rows_loaded
        landing = sub.landing
        record = {
            "submission_id": sub.submission_id, "kind": landing.kind, "submitter": landing.submitter,
            "period": landing.period, "report_type": landing.report_type, "source_key": sub.key,
            "archive_key": sub.archive_key, "sha256": sub.sha256, "size_bytes": sub.size,
            "received_at": sub.received_at, "status": status, "is_current": status != "rejected",
            "superseded_by": None, "rows_read": sub.rows_read, "rows_loaded": rows_loaded,
            "rows_quarantined": rows_quarantined,
            "contract_version": sub.contract.version if sub.contract else None, "etag": sub.etag,
        }
        error_table = pa.table({
            name: pa.array(values, type=pa.string() if sql_type == "TEXT" else None)
            for (name, sql_type), values in zip(ERRORS_COLUMNS, _error_columns(sub, items, self.now), strict=True)
        })
        receipt = {
            "receipt_version": 1, "submission_id": sub.submission_id, "source_key": sub.key,
            "archive_key": sub.archive_key, "sha256": sub.sha256, "size_bytes": sub.size,
            "kind": landing.kind, "submitter": landing.submitter, "period": landing.period,
            "report_type": landing.report_type, "contract_version": record["contract_version"],
            "received_at": sub.received_at.isoformat(), "processed_at": self.now.isoformat(),
            "language": sub.language, "status": status, "rows_read": sub.rows_read, "rows_loaded": rows_loaded,
            "rows_quarantined": rows_quarantined,
            "errors": [_public(e) for e in errors[:MAX_LISTED]], "warnings": [_public(w) for w in warnings],
            "errors_total": len(errors), "errors_truncated": len(errors) > MAX_LISTED,
            "format": {k: v for k, v in sub.details.items() if k != "header_line"},
        }
        key = receipt_key(landing, sub.submission_id)

        def receipt_then_commit() -> None:
            # The receipt is written inside the load transaction, before it commits: a crash before the
            # commit leaves a receipt the next run rewrites (the file is not known yet, so it is ingested
            # again), never data without its receipt.
            crashpoints.reached("loaded")
            write_receipt(self.receipts, key, receipt)
            crashpoints.reached("receipt")

        load_submission(self.warehouse, self.bench if sub.staged else None, sub.contract, record, error_table,
                        self.now, before_commit=receipt_then_commit)
        return {"key": sub.key, "submission_id": sub.submission_id, "kind": landing.kind,
                "submitter": landing.submitter, "period": landing.period, "report_type": landing.report_type,
                "status": status, "rows_read": sub.rows_read, "rows_loaded": rows_loaded,
                "rows_quarantined": rows_quarantined, "errors": len(errors), "warnings": len(warnings),
                "first_error": errors[0]["message"] if errors else None, "receipt": key,
                "validation": sub.details.get("validation")}


def _failed_receipt(run: Run, obj, sub: Submission | None, step: str, error: Exception, attempts: int) -> str:
    landing = sub.landing if sub is not None else parse_landing_key(str(obj))
    sha = sub.sha256 if sub is not None and sub.sha256 else None
    sid = sub.submission_id if sub is not None and sub.submission_id else submission_id(str(obj), f"etag:{obj.etag}")
    receipt = {
        "receipt_version": 1, "submission_id": sid, "source_key": str(obj),
        "archive_key": sub.archive_key if sub is not None else "", "sha256": sha, "size_bytes": obj.size,
        "kind": landing.kind, "submitter": landing.submitter, "period": landing.period,
        "report_type": landing.report_type, "contract_version": None,
        "received_at": obj.last_modified.isoformat(), "processed_at": run.now.isoformat(),
        "language": submitter_language(landing.kind or "", landing.submitter or ""), "status": "failed",
        "rows_read": 0, "rows_loaded": 0, "rows_quarantined": 0, "errors": [], "warnings": [],
        "errors_total": 0, "errors_truncated": False, "format": {},
        # An internal error, not a verdict on the file: its class and message, never a stack trace.
        "internal_error": {"class": type(error).__name__, "message": str(error), "step": step,
                           "attempts": attempts},
    }
    key = receipt_key(landing, sid)
    write_receipt(run.receipts, key, receipt)
    return key


def _public(item: dict[str, Any]) -> dict[str, Any]:
    return {k: item[k] for k in ("line", "field", "value", "rule", "message")}


def _error_columns(sub: Submission, items: list[dict[str, Any]], now: dt.datetime) -> list[list[Any]]:
    landing = sub.landing
    n = len(items)
    return [
        [sub.submission_id] * n, [landing.report_type] * n, [landing.kind] * n, [landing.submitter] * n,
        [landing.period] * n, [sub.key] * n, [i["line"] for i in items], [i["field"] for i in items],
        [None if i["value"] is None else str(i["value"]) for i in items], [i["rule"] for i in items],
        [i["severity"] for i in items], [i["message"] for i in items], [now] * n,
    ]


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return _number(value)
    return value


def _number(value: Any) -> Any:
    if value is None:
        return None
    value = float(value)
    return int(value) if value.is_integer() else round(value, 6)


def new_summary() -> dict[str, Any]:
    return {"submissions": 0, "accepted": 0, "accepted_with_warnings": 0, "rejected": 0, "failed": 0,
            "unchanged": 0, "rows_read": 0, "rows_loaded": 0, "rows_quarantined": 0, "report_types": {},
            "files": [], "failures": [], "given_up": [], "held": [], "seconds": 0.0}


def ingest_new(progress: ProgressCallback | None = None, settings: Settings | None = None,
               today: dt.date | None = None) -> dict[str, Any]:
    """Ingest everything new in landing; returns the run's summary:

    ``submissions`` (new this run), ``accepted``, ``accepted_with_warnings``, ``rejected``,
    ``failed`` (could not be finished this run), ``unchanged`` (landing objects already ingested),
    ``rows_read``, ``rows_loaded``, ``rows_quarantined``, ``report_types`` ({report type:
    {"periods", "rows_loaded", "submissions"}} for the types that got a new current submission),
    ``files`` (one entry per new submission: key, submission_id, status, counts, receipt …),
    ``failures`` (key, step, error, attempts, status), ``given_up`` (keys that failed
    ``ingest_max_attempts`` runs in a row this run: a ``failed`` receipt and one alert each),
    ``held`` (keys given up earlier, not tried until ``qamtu ingest --retry KEY``) and ``seconds``.
    """
    from qamtu.storage import open_area
    from qamtu.warehouse import connect

    settings = settings or get_settings()
    progress = progress or no_progress
    today = today or dt.date.today()
    started = time.perf_counter()
    summary = new_summary()
    with connect(settings) as warehouse:
        ensure_bookkeeping(warehouse)
        index = landing_index(warehouse)
        known = known_submissions(warehouse)
        failing = failures(warehouse)
        objects = open_area("landing", settings).list()
        todo = []
        for obj in objects:
            seen = index.get(str(obj))
            failed = failing.get(str(obj))
            if seen and seen[0] == obj.size and seen[1] == obj.etag and seen[3] in known:
                summary["unchanged"] += 1
            elif failed and failed[3] == "failed" and (failed[0], failed[1]) == (obj.size, obj.etag):
                summary["held"].append(str(obj))  # given up on; waits for an operator
            else:
                todo.append(obj)
        todo.sort(key=lambda o: (o.last_modified, str(o)))
        if todo:
            _ingest(settings, warehouse, todo, known, today, progress, summary)
    summary["seconds"] = round(time.perf_counter() - started, 3)
    return summary


def requeue(keys: list[str], settings: Settings | None = None) -> dict[str, bool]:
    """``qamtu ingest --retry KEY``: the next run tries these landing keys again, however often
    they failed. Returns {key: whether it was waiting}."""
    from qamtu.warehouse import connect

    with connect(settings or get_settings()) as warehouse:
        ensure_bookkeeping(warehouse)
        return {key: forget_failure(warehouse, key) > 0 for key in keys}


def _give_up_alert(failure: dict[str, Any], settings: Settings) -> None:
    """Once per file given up on: someone has to look at it and re-queue it."""
    from qamtu.alerts import raise_alert

    try:
        raise_alert(f"Ingestion gave up on {failure['key']} after {failure['attempts']} failed runs; "
                    f"fix the cause, then run `qamtu ingest --retry {failure['key']}`",
                    kind="ingest_failed", error=failure["error"], details={"failure": failure}, settings=settings)
    except Exception:  # the summary and the receipt still say it
        log.exception("could not raise the ingestion alert")


def _ingest(settings: Settings, warehouse, todo: list, known: set[str], today: dt.date,
            progress: ProgressCallback, summary: dict[str, Any]) -> None:
    import duckdb

    if warehouse.dialect == "duckdb":
        con, own = warehouse.raw, False
    else:
        con = duckdb.connect(config={"threads": settings.duckdb_threads,
                                     "memory_limit": settings.duckdb_memory_limit})
        own = True
    total = len(todo)
    listed = {str(obj): obj for obj in todo}
    try:
        with Workbench(con, settings.home / "tmp") as bench:
            run = Run(settings, warehouse, bench, today, progress)

            def failed(key: str, step: str, error: Exception, sub: Submission | None) -> None:
                _failed(run, summary, listed[key], step, error, sub)

            subs: list[Submission] = []
            for number, obj in enumerate(todo):
                progress(f"reading {obj}", number, total)
                run.current = None
                try:
                    sub = run.receive(obj, number, known)
                except Exception as error:
                    failed(str(obj), "read", error, run.current)
                    continue
                if sub is None:
                    summary["unchanged"] += 1
                    forget_failure(warehouse, str(obj))
                elif sub.submission_id in {s.submission_id for s in subs}:
                    continue  # the same bytes twice in one listing cannot happen for one key; be safe
                else:
                    subs.append(sub)
            progress("typing", total, total)
            run.stage_parsed(subs)
            try:
                run.validate(subs)
            except Exception as error:
                # Validation of a whole batch broke: no verdict on these files; retried next run.
                for sub in subs:
                    if sub.staged and not sub.rejected:
                        failed(sub.key, "validate", error, sub)
                subs = [s for s in subs if not (s.staged and not s.rejected)]
            for number, sub in enumerate(subs):
                progress(f"loading {sub.key}", number, len(subs))
                try:
                    entry = run.finish(sub)
                except Exception as error:
                    failed(sub.key, "load", error, sub)
                    continue
                known.add(sub.submission_id)
                forget_failure(warehouse, sub.key)
                _count(summary, entry)
            progress("done", total, total)
    finally:
        if own:
            con.close()


def _failed(run: Run, summary: dict[str, Any], obj, step: str, error: Exception, sub: Submission | None) -> None:
    """An unexpected error on one file: counted, retried by the next run; after
    ``ingest_max_attempts`` runs in a row, a ``failed`` receipt, one alert, and no more retries."""
    key = str(obj)
    log.error("ingestion of %s failed at %s: %s\n%s", key, step, error, traceback.format_exc())
    text = f"{type(error).__name__}: {error}"
    summary["failed"] += 1
    failure = {"key": key, "step": step, "error": text, "attempts": None, "status": "retrying"}
    summary["failures"].append(failure)
    sha = sub.sha256 if sub is not None and sub.sha256 else None
    sid = sub.submission_id if sub is not None and sub.submission_id else None
    try:
        failure["attempts"], failure["status"] = record_failure(
            run.warehouse, key, obj.size, obj.etag, sha, sid, step, text, run.now, run.settings.ingest_max_attempts)
    except Exception:  # the warehouse itself may be what failed: the next run tries the file again
        log.exception("could not record the failure of %s", key)
        return
    if failure["status"] == "failed":
        failure["receipt"] = run.failed_receipt(obj, sub, step, error, failure["attempts"])
        summary["given_up"].append(key)
        _give_up_alert(failure, run.settings)


def _count(summary: dict[str, Any], entry: dict[str, Any]) -> None:
    summary["submissions"] += 1
    summary[entry["status"]] += 1
    for name in ("rows_read", "rows_loaded", "rows_quarantined"):
        summary[name] += entry[name]
    summary["files"].append(entry)
    if entry["status"] != "rejected":
        group = summary["report_types"].setdefault(entry["report_type"],
                                                   {"periods": [], "rows_loaded": 0, "submissions": 0})
        if entry["period"] not in group["periods"]:
            group["periods"] = sorted([*group["periods"], entry["period"]])
        group["rows_loaded"] += entry["rows_loaded"]
        group["submissions"] += 1


def print_summary(summary: dict[str, Any], console) -> None:
    """The run as a rich table: one line per new submission, then the totals."""
    from rich.table import Table

    table = Table(title="Ingestion", show_lines=False)
    for column, justify in (("file", "left"), ("status", "left"), ("read", "right"), ("loaded", "right"),
                            ("held back", "right"), ("first error", "left")):
        table.add_column(column, justify=justify, overflow="fold")
    colours = {"accepted": "green", "accepted_with_warnings": "yellow", "rejected": "red"}
    for entry in summary["files"]:
        table.add_row(entry["key"], f"[{colours[entry['status']]}]{entry['status']}[/]",
                      f"{entry['rows_read']:,}", f"{entry['rows_loaded']:,}", f"{entry['rows_quarantined']:,}",
                      (entry["first_error"] or "")[:160])
    for failure in summary["failures"]:
        state = ("failed: given up, `qamtu ingest --retry KEY` re-queues it" if failure.get("status") == "failed"
                 else "failed (retried next run)")
        table.add_row(failure["key"], f"[magenta]{state}[/]", "", "", "", failure["error"][:160])
    for key in summary.get("held", []):
        table.add_row(key, "[magenta]waiting for `qamtu ingest --retry KEY`[/]", "", "", "", "")
    console.print(table)
    console.print(
        f"{summary['submissions']} new submission(s): {summary['accepted']} accepted, "
        f"{summary['accepted_with_warnings']} with warnings, {summary['rejected']} rejected, "
        f"{summary['failed']} failed; {summary['unchanged']} unchanged. Rows: {summary['rows_read']:,} read, "
        f"{summary['rows_loaded']:,} loaded, {summary['rows_quarantined']:,} held back "
        f"({summary['seconds']:.1f} s).")
