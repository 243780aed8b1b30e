"""What one ingestion run did: :class:`IngestSummary`, with an :class:`IngestedFile` per new
submission and an :class:`IngestFailure` per file that could not be finished, and
:func:`print_summary` (the table ``qamtu ingest`` prints).

``IngestSummary.to_dict()`` is the summary as JSON (``qamtu ingest --json``, the ingest DAG's XCom);
``from_dict`` reads it back. The records also read like that mapping (``summary["failed"]``) for
callers that take the JSON form.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from qamtu.records import ReadsAsMapping

if TYPE_CHECKING:
    from qamtu.ingest.receipts import Receipt

STATUSES = ("accepted", "accepted_with_warnings", "rejected")


@dataclass(frozen=True, eq=False)
class IngestedFile(ReadsAsMapping):
    """One new submission of the run: its verdict, counts and receipt key."""

    key: str
    submission_id: str
    kind: str | None
    submitter: str | None
    period: str | None
    report_type: str | None
    status: str
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    errors: int
    warnings: int
    first_error: str | None
    receipt: str
    validation: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "submission_id": self.submission_id, "kind": self.kind,
                "submitter": self.submitter, "period": self.period, "report_type": self.report_type,
                "status": self.status, "rows_read": self.rows_read, "rows_loaded": self.rows_loaded,
                "rows_quarantined": self.rows_quarantined, "errors": self.errors, "warnings": self.warnings,
                "first_error": self.first_error, "receipt": self.receipt, "validation": self.validation}

    @classmethod
    def from_receipt(cls, receipt: Receipt, receipt_key: str, validation: str | None) -> IngestedFile:
        return cls(key=receipt.source_key, submission_id=receipt.submission_id, kind=receipt.kind,
                   submitter=receipt.submitter, period=receipt.period, report_type=receipt.report_type,
                   status=receipt.status, rows_read=receipt.rows_read, rows_loaded=receipt.rows_loaded,
                   rows_quarantined=receipt.rows_quarantined, errors=receipt.errors_total,
                   warnings=len(receipt.warnings),
                   first_error=receipt.errors[0]["message"] if receipt.errors else None,
                   receipt=receipt_key, validation=validation)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> IngestedFile:
        return cls(**{name: data.get(name) for name in cls.__dataclass_fields__})


@dataclass(frozen=True, eq=False)
class IngestFailure(ReadsAsMapping):
    """A file whose processing raised an unexpected error: ``status`` ``retrying`` (the next run
    tries it again) or ``failed`` (given up on after ``attempts`` runs; ``receipt`` says so)."""

    key: str
    step: str
    error: str
    attempts: int | None = None
    status: str = "retrying"
    receipt: str | None = None

    def to_dict(self) -> dict[str, Any]:
        document = {"key": self.key, "step": self.step, "error": self.error, "attempts": self.attempts,
                    "status": self.status}
        if self.receipt is not None:
            document["receipt"] = self.receipt
        return document

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> IngestFailure:
        return cls(data["key"], data["step"], data["error"], data.get("attempts"),
                   data.get("status", "retrying"),
                   data.get("receipt"))


@dataclass(eq=False)
class IngestSummary(ReadsAsMapping):
    """One ingestion run:

    ``submissions`` (new this run), ``accepted``, ``accepted_with_warnings``, ``rejected``,
    ``failed`` (could not be finished this run), ``unchanged`` (landing objects already ingested),
    ``rows_read``, ``rows_loaded``, ``rows_quarantined``, ``report_types`` ({report type:
    {"periods", "rows_loaded", "submissions"}} for the types that got a new current submission: the
    ``extra`` of the type's Asset event), ``files`` (an :class:`IngestedFile` per new submission),
    ``failures`` (an :class:`IngestFailure` each), ``given_up`` (keys that failed
    ``ingest_max_attempts`` runs in a row this run: a ``failed`` receipt and one alert each),
    ``held`` (keys given up earlier, not tried until ``qamtu ingest --retry KEY``) and ``seconds``.
    """

    submissions: int = 0
    accepted: int = 0
    accepted_with_warnings: int = 0
    rejected: int = 0
    failed: int = 0
    unchanged: int = 0
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    report_types: dict[str, dict[str, Any]] = field(default_factory=dict)
    files: list[IngestedFile] = field(default_factory=list)
    failures: list[IngestFailure] = field(default_factory=list)
    given_up: list[str] = field(default_factory=list)
    held: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, entry: IngestedFile) -> None:
        """A new submission finished (loaded or rejected, its receipt written)."""
        self.submissions += 1
        setattr(self, entry.status, getattr(self, entry.status) + 1)
        self.rows_read += entry.rows_read
        self.rows_loaded += entry.rows_loaded
        self.rows_quarantined += entry.rows_quarantined
        self.files.append(entry)
        if entry.status != "rejected":
            group = self.report_types.setdefault(entry.report_type, {"periods": [], "rows_loaded": 0,
                                                                     "submissions": 0})
            if entry.period not in group["periods"]:
                group["periods"] = sorted([*group["periods"], entry.period])
            group["rows_loaded"] += entry.rows_loaded
            group["submissions"] += 1

    def to_dict(self) -> dict[str, Any]:
        return {"submissions": self.submissions, "accepted": self.accepted,
                "accepted_with_warnings": self.accepted_with_warnings, "rejected": self.rejected,
                "failed": self.failed, "unchanged": self.unchanged, "rows_read": self.rows_read,
                "rows_loaded": self.rows_loaded, "rows_quarantined": self.rows_quarantined,
                "report_types": self.report_types, "files": [f.to_dict() for f in self.files],
                "failures": [f.to_dict() for f in self.failures], "given_up": self.given_up,
                "held": self.held,
                "seconds": self.seconds}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> IngestSummary:
        counts = {name: data.get(name, 0) for name in ("submissions", *STATUSES, "failed", "unchanged",
                                                         "rows_read", "rows_loaded", "rows_quarantined")}
        return cls(**counts, report_types=dict(data.get("report_types") or {}),
                   files=[IngestedFile.from_dict(f) for f in data.get("files") or []],
                   failures=[IngestFailure.from_dict(f) for f in data.get("failures") or []],
                   given_up=list(data.get("given_up") or []), held=list(data.get("held") or []),
                   seconds=data.get("seconds", 0.0))


def print_summary(summary: IngestSummary | Mapping[str, Any], console) -> None:
    """The run as a rich table: one line per new submission, then the totals. Takes the summary or
    its JSON form (``IngestSummary.to_dict``)."""
    from rich.table import Table

    if not isinstance(summary, IngestSummary):
        summary = IngestSummary.from_dict(summary)
    table = Table(title="Ingestion", show_lines=False)
    for column, justify in (("file", "left"), ("status", "left"), ("read", "right"), ("loaded", "right"),
                            ("held back", "right"), ("first error", "left")):
        table.add_column(column, justify=justify, overflow="fold")
    colours = {"accepted": "green", "accepted_with_warnings": "yellow", "rejected": "red"}
    for entry in summary.files:
        table.add_row(entry.key, f"[{colours[entry.status]}]{entry.status}[/]",
                      f"{entry.rows_read:,}", f"{entry.rows_loaded:,}", f"{entry.rows_quarantined:,}",
                      (entry.first_error or "")[:160])
    for failure in summary.failures:
        state = ("failed: given up, `qamtu ingest --retry KEY` re-queues it" if failure.status == "failed"
                 else "failed (retried next run)")
        table.add_row(failure.key, f"[magenta]{state}[/]", "", "", "", failure.error[:160])
    for key in summary.held:
        table.add_row(key, "[magenta]waiting for `qamtu ingest --retry KEY`[/]", "", "", "", "")
    console.print(table)
    console.print(
        f"{summary.submissions} new submission(s): {summary.accepted} accepted, "
        f"{summary.accepted_with_warnings} with warnings, {summary.rejected} rejected, "
        f"{summary.failed} failed; {summary.unchanged} unchanged. Rows: {summary.rows_read:,} read, "
        f"{summary.rows_loaded:,} loaded, {summary.rows_quarantined:,} held back "
        f"({summary.seconds:.1f} s).")
