"""One ingestion run: everything new in landing → archive → parse → validate → load → receipt.

Each step has its module; this one calls them in order, each file in its own ``try`` so one bad file
never blocks the others:

1. **Discover** (:mod:`.landing`): list landing. An object whose key, size and etag match
   ``raw.landing_index`` and whose submission is known is not read again. Everything else is copied
   to a scratch file while its sha256 is computed (one pass), giving the submission id. Bytes
   already ingested under that key → nothing to do (idempotent).
2. **Archive** (:mod:`.archive`): the scratch copy goes to ``archive/<kind>/<submitter>/<period>/
   <report_type>/<submission_id>-<sha256>.<ext>`` unless that key exists (never overwritten, never
   deleted). Then key-only file rules (wrong folder, unknown submitter/report type, wrong period,
   unsupported format) reject the file before it is read.
3. **Parse and type** (:mod:`.parse`, :mod:`.stage`): into the working DuckDB; file rules (empty,
   unreadable, wrong encoding, missing column, no rows) reject it.
4. **Validate** (:mod:`.suites`) per report type, all new files of a type together: GX 1.x on pandas
   for small reports, the same suite compiled to SQL for ``x-large`` ones (or when GX fails: the run
   goes on and the summary says which route ran). Rows breaking an error rule are held back.
5. **Load and receipt** (:mod:`.load`, :mod:`.receipts`): one warehouse transaction per file, its
   receipt written inside it. Files are finished in the order they landed (last-modified, then
   key), so of two versions landing in one run the later becomes current.

An unexpected error while loading (a lost connection, a locked file) is not a verdict on the file:
it is listed under ``failed`` in the summary (:mod:`.summary`), nothing of that file is recorded,
and the next run tries it again.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import traceback

from qamtu.contracts import load_contract
from qamtu.ingest import archive, crashpoints, suites
from qamtu.ingest.landing import (
    FileRejected,
    Problem,
    Submission,
    archive_key,
    discover,
    fetch,
    parse_landing_key,
    receipt_key,
    routing_problems,
    submission_id,
)
from qamtu.ingest.load import (
    ensure_bookkeeping,
    ensure_report_tables,
    failures,
    forget_failure,
    known_submissions,
    landing_index,
    load_file,
    record_failure,
    remember_landing,
)
from qamtu.ingest.parse import FileReader
from qamtu.ingest.receipts import Receipt, findings, status_of, write_failed_receipt, write_receipt
from qamtu.ingest.stage import Workbench
from qamtu.ingest.summary import IngestedFile, IngestFailure, IngestSummary
from qamtu.periods import period_end
from qamtu.progress import ProgressCallback, no_progress
from qamtu.settings import Settings, get_settings

log = logging.getLogger("qamtu.ingest")


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
        self.reader = FileReader(bench, warehouse.dialect, self.now, settings.ingest_max_unreadable_share)
        self.tables_ready: set[str] = set()  # report types whose raw and quarantine tables were ensured
        self.current: Submission | None = None  # the file being received (for a failure's receipt)

    # -- 1–3: discover, archive, parse one file into the working database -------------------------
    def receive(self, obj, number: int, known: set[str]) -> Submission | None:
        landing = parse_landing_key(str(obj))
        sub = self.current = Submission(str(obj), landing, obj.size, obj.etag, obj.last_modified)
        scratch = self.bench.scratch / "incoming" / f"{number}.{landing.ext or 'bin'}"
        try:
            sub.sha256 = fetch(self.landing, sub.key, scratch)
            sub.submission_id = submission_id(sub.key, sub.sha256)
            if sub.submission_id in known:
                remember_landing(self.warehouse, sub.key, sub.size, sub.etag, sub.sha256,
                                 sub.submission_id, self.now)
                return None
            sub.archive_key = archive_key(landing, sub.submission_id, sub.sha256)
            archive.keep(self.archive, sub.archive_key, scratch)
            routing = routing_problems(landing, self.today)
            if routing:
                sub.reject(routing)
                return sub
            sub.contract = load_contract(landing.report_type)
            if sub.contract.report_type not in self.tables_ready:  # DDL once per type and run, not per file
                ensure_report_tables(self.warehouse, sub.contract)
                self.tables_ready.add(sub.contract.report_type)
            self.bench.add_submission(sub.submission_id, landing.kind, landing.submitter,
                                      landing.period, sub.key,
                                      landing.report_type, period_end(landing.period),
                                      landing.submitter if landing.kind == "akimat" else None)
            try:
                self.reader.read(sub, scratch)
            except FileRejected as rejected:
                sub.reject(rejected.problems)
            return sub
        finally:
            scratch.unlink(missing_ok=True)

    # -- 5: findings → receipt, rows → warehouse ------------------------------------------------
    def finish(self, sub: Submission) -> IngestedFile:
        bad = self.bench.bad_lines(sub.submission_id) if sub.staged and not sub.rejected else 0
        if sub.staged and not sub.rejected and sub.rows_read and bad == sub.rows_read:
            sub.reject([Problem("file.no_rows",
                                context={"detail": "every row breaks a rule; see the errors"})])
        errors, warnings, items = findings(self.bench, sub)
        rows_loaded = 0 if sub.rejected else sub.rows_read - bad
        receipt = Receipt.of(sub, status_of(errors, warnings, sub.rejected), errors, warnings,
                             rows_loaded, self.now)
        key = receipt_key(sub.landing, sub.submission_id)

        def receipt_then_commit() -> None:
            # The receipt is written inside the load transaction, before it commits: a crash before the
            # commit leaves a receipt the next run rewrites (the file is not known yet, so it is ingested
            # again), never data without its receipt.
            crashpoints.reached("loaded")
            write_receipt(self.receipts, key, receipt)
            crashpoints.reached("receipt")

        load_file(self.warehouse, self.bench, sub, receipt, items, self.now,
                  before_commit=receipt_then_commit)
        return IngestedFile.from_receipt(receipt, key, sub.details.get("validation"))

    def failed(
        self, summary: IngestSummary, obj, step: str, error: Exception, sub: Submission | None
    ) -> None:
        """An unexpected error on one file: counted, retried by the next run; after
        ``ingest_max_attempts`` runs in a row, a ``failed`` receipt, one alert, and no more retries."""
        key = str(obj)
        log.error("ingestion of %s failed at %s: %s\n%s", key, step, error, traceback.format_exc())
        text = f"{type(error).__name__}: {error}"
        summary.failed += 1
        sha = sub.sha256 if sub is not None and sub.sha256 else None
        sid = sub.submission_id if sub is not None and sub.submission_id else None
        try:
            attempts, status = record_failure(self.warehouse, key, obj.size, obj.etag, sha, sid,
                                              step, text, self.now,
                                              self.settings.ingest_max_attempts)
        except Exception:  # the warehouse itself may be what failed: the next run tries the file again
            log.exception("could not record the failure of %s", key)
            summary.failures.append(IngestFailure(key, step, text))
            return
        receipt = None
        if status == "failed":
            receipt = write_failed_receipt(self.receipts, obj, sub, step, error, attempts, self.now)
        failure = IngestFailure(key, step, text, attempts, status, receipt)
        summary.failures.append(failure)
        if status == "failed":
            summary.given_up.append(key)
            _give_up_alert(failure, self.settings)


def ingest_new(progress: ProgressCallback | None = None, settings: Settings | None = None,
               today: dt.date | None = None) -> IngestSummary:
    """Ingest everything new in landing; returns the run's :class:`~qamtu.ingest.summary.IngestSummary`."""
    from qamtu.storage import open_area
    from qamtu.warehouse import connect

    settings = settings or get_settings()
    progress = progress or no_progress
    today = today or dt.date.today()
    started = time.perf_counter()
    summary = IngestSummary()
    with connect(settings) as warehouse:
        ensure_bookkeeping(warehouse)
        index = landing_index(warehouse)
        known = known_submissions(warehouse)
        failing = failures(warehouse)
        todo, summary.unchanged, summary.held = discover(open_area("landing", settings).list(), index, known,
                                                         failing)
        if todo:
            _ingest(settings, warehouse, todo, known, today, progress, summary)
    summary.seconds = round(time.perf_counter() - started, 3)
    return summary


def requeue(keys: list[str], settings: Settings | None = None) -> dict[str, bool]:
    """``qamtu ingest --retry KEY``: the next run tries these landing keys again, however often
    they failed. Returns {key: whether it was waiting}."""
    from qamtu.warehouse import connect

    with connect(settings or get_settings()) as warehouse:
        ensure_bookkeeping(warehouse)
        return {key: forget_failure(warehouse, key) > 0 for key in keys}


def _give_up_alert(failure: IngestFailure, settings: Settings) -> None:
    """Once per file given up on: someone has to look at it and re-queue it."""
    from qamtu.alerts import raise_alert

    try:
        raise_alert(f"Ingestion gave up on {failure.key} after {failure.attempts} failed runs; "
                    f"fix the cause, then run `qamtu ingest --retry {failure.key}`",
                    kind="ingest_failed", error=failure.error, details={"failure": failure.to_dict()},
                    settings=settings)
    except Exception:  # the summary and the receipt still say it
        log.exception("could not raise the ingestion alert")


def _ingest(settings: Settings, warehouse, todo: list, known: set[str], today: dt.date,
            progress: ProgressCallback, summary: IngestSummary) -> None:
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
                run.failed(summary, listed[key], step, error, sub)

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
                    summary.unchanged += 1
                    forget_failure(warehouse, str(obj))
                elif sub.submission_id in {s.submission_id for s in subs}:
                    continue  # the same bytes twice in one listing cannot happen for one key; be safe
                else:
                    subs.append(sub)
            progress("typing", total, total)
            run.reader.type_parsed(subs)
            try:
                suites.validate(bench, subs, progress)
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
                summary.count(entry)
            progress("done", total, total)
    finally:
        if own:
            con.close()
