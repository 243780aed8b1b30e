"""The receipt step. Receipts: what a submitter gets back for every file, as JSON and as a short
text, in the submitter's language (``qamtu.contracts.submitter_language``; messages from the rule
catalogue ``qamtu.contracts.rules``). :func:`findings` gathers a file's findings with their messages.

``receipts/<kind>/<submitter>/<YYYY-MM>/<report_type>.<submission_id>.json``::

    {"receipt_version": 1, "submission_id", "source_key", "archive_key", "sha256", "size_bytes",
     "kind", "submitter", "period", "report_type", "contract_version", "received_at", "processed_at",
     "language", "status": "accepted" | "accepted_with_warnings" | "rejected" | "failed",
     "rows_read", "rows_loaded", "rows_quarantined",
     "errors": [{"line", "field", "value", "rule", "message"}],   # errors (rows held back, file rules)
     "warnings": [{"line", "field", "value", "rule", "message"}],
     "errors_total", "errors_truncated", "format": {...how the file was read...}}

Status: ``rejected`` when a file rule of severity error holds (nothing of the file is loaded and
it never becomes current); ``accepted_with_warnings`` when rows were held back or a warning was
raised; ``accepted`` otherwise; ``failed`` when processing the file raised an unexpected error in
``ingest_max_attempts`` runs in a row (no verdict on the file: ``internal_error`` gives the error's
class and message, never a stack trace; nothing of it is loaded; ``qamtu ingest --retry KEY`` tries
it again). The JSON lists at most ``MAX_LISTED`` errors (every one of them is
in ``quarantine.errors``); the text lists the first ``TEXT_LISTED``.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from qamtu.contracts import Contract, submitter_language
from qamtu.ingest.landing import Submission, parse_landing_key, receipt_key, submission_id
from qamtu.ingest.stage import UNREADABLE_ROW

MAX_LISTED = 100_000
TEXT_LISTED = 50

STATUS_WORDS = {
    "accepted": {"en": "ACCEPTED", "ru": "ПРИНЯТ", "kk": "ҚАБЫЛДАНДЫ"},
    "accepted_with_warnings": {"en": "ACCEPTED WITH WARNINGS", "ru": "ПРИНЯТ С ЗАМЕЧАНИЯМИ",
                               "kk": "ЕСКЕРТУЛЕРМЕН ҚАБЫЛДАНДЫ"},
    "rejected": {"en": "REJECTED", "ru": "ОТКЛОНЁН", "kk": "ҚАБЫЛДАНБАДЫ"},
    "failed": {"en": "NOT PROCESSED (internal error)", "ru": "НЕ ОБРАБОТАН (внутренняя ошибка)",
               "kk": "ӨҢДЕЛМЕДІ (ішкі қате)"},
}
TEXT_WORDS = {
    "title": {"en": "Receipt for", "ru": "Квитанция о приёме файла", "kk": "Файлды қабылдау түбіртегі"},
    "status": {"en": "Status", "ru": "Статус", "kk": "Мәртебесі"},
    "rows_read": {"en": "Rows read", "ru": "Прочитано строк", "kk": "Оқылған жолдар"},
    "rows_loaded": {"en": "Rows loaded", "ru": "Загружено строк", "kk": "Жүктелген жолдар"},
    "rows_quarantined": {"en": "Rows held back", "ru": "Отклонено строк", "kk": "Қабылданбаған жолдар"},
    "errors": {"en": "Errors", "ru": "Ошибки", "kk": "Қателер"},
    "warnings": {"en": "Warnings", "ru": "Замечания", "kk": "Ескертулер"},
    "more": {"en": "… and {n} more (see the JSON receipt)", "ru": "… и ещё {n} (см. JSON-квитанцию)",
             "kk": "… және тағы {n} (JSON түбіртегін қараңыз)"},
    "submission": {"en": "Submission", "ru": "Идентификатор", "kk": "Сәйкестендіргіш"},
    "internal_error": {"en": "Our system could not process the file; the operators have been alerted. Error",
                       "ru": "Система не смогла обработать файл; операторы оповещены. Ошибка",
                       "kk": "Жүйе файлды өңдей алмады; операторларға хабарланды. Қате"},
}


def message(rule: str, lang: str, contract: Contract | None, file: str, line: int | None, field: str | None,
            value: Any, context: dict[str, Any] | None = None) -> str:
    """The rule's message in ``lang``; never raises (an unknown rule still yields a clear line)."""
    from qamtu.contracts.rules import rule_message

    context = dict(context or {})
    try:
        return rule_message(rule, lang, contract, file=file, line=line, field=field, value=value, **context)
    except Exception as error:  # a message must never cost the receipt
        where = f"{file}, line {line}" if line is not None else file
        return f"{where}: rule {rule} broken (field {field}, value {value!r}) [{error}]"


@dataclass(frozen=True)
class InternalError:
    """Why a ``failed`` receipt has no verdict: the error's class and message (never a stack trace),
    the step it broke and after how many failed runs the file was given up on."""

    error_class: str
    message: str
    step: str
    attempts: int

    def to_dict(self) -> dict[str, Any]:
        return {"class": self.error_class, "message": self.message, "step": self.step,
                "attempts": self.attempts}


@dataclass(frozen=True)
class Receipt:
    """What a submitter gets back for one file (the JSON layout is the module's docstring)."""

    submission_id: str
    source_key: str
    archive_key: str
    sha256: str | None
    size_bytes: int
    kind: str | None
    submitter: str | None
    period: str | None
    report_type: str | None
    contract_version: str | None
    received_at: str
    processed_at: str
    language: str
    status: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)  # at most MAX_LISTED, see errors_total
    warnings: list[dict[str, Any]] = field(default_factory=list)
    errors_total: int = 0
    errors_truncated: bool = False
    format: dict[str, Any] = field(default_factory=dict)  # how the file was read
    internal_error: InternalError | None = None  # only on a ``failed`` receipt
    receipt_version: int = 1

    def to_dict(self) -> dict[str, Any]:
        document = {
            "receipt_version": self.receipt_version, "submission_id": self.submission_id,
            "source_key": self.source_key, "archive_key": self.archive_key, "sha256": self.sha256,
            "size_bytes": self.size_bytes, "kind": self.kind, "submitter": self.submitter,
            "period": self.period,
            "report_type": self.report_type, "contract_version": self.contract_version,
            "received_at": self.received_at, "processed_at": self.processed_at, "language": self.language,
            "status": self.status, "rows_read": self.rows_read, "rows_loaded": self.rows_loaded,
            "rows_quarantined": self.rows_quarantined, "errors": self.errors, "warnings": self.warnings,
            "errors_total": self.errors_total, "errors_truncated": self.errors_truncated,
            "format": self.format,
        }
        if self.internal_error is not None:
            document["internal_error"] = self.internal_error.to_dict()
        return document

    def to_json(self) -> bytes:
        return (json.dumps(self.to_dict(), ensure_ascii=False, indent=2, default=str) + "\n").encode("utf-8")

    @classmethod
    def of(cls, sub: Submission, status: str, errors: list[dict[str, Any]], warnings: list[dict[str, Any]],
           rows_loaded: int, processed_at: dt.datetime) -> Receipt:
        """The receipt of a file with a verdict: ``errors`` and ``warnings`` as :func:`findings` gives
        them."""
        landing = sub.landing
        return cls(
            submission_id=sub.submission_id, source_key=sub.key, archive_key=sub.archive_key,
            sha256=sub.sha256,
            size_bytes=sub.size, kind=landing.kind, submitter=landing.submitter, period=landing.period,
            report_type=landing.report_type, contract_version=sub.contract.version if sub.contract else None,
            received_at=sub.received_at.isoformat(), processed_at=processed_at.isoformat(),
            language=sub.language,
            status=status, rows_read=sub.rows_read, rows_loaded=rows_loaded,
            rows_quarantined=sub.rows_read - rows_loaded,
            errors=[public(e) for e in errors[:MAX_LISTED]], warnings=[public(w) for w in warnings],
            errors_total=len(errors), errors_truncated=len(errors) > MAX_LISTED,
            format={k: v for k, v in sub.details.items() if k != "header_line"},
        )


def write_failed_receipt(area, obj, sub: Submission | None, step: str, error: Exception, attempts: int,
                         processed_at: dt.datetime) -> str:
    """The ``failed`` receipt of a landing object given up on; returns its key."""
    landing = sub.landing if sub is not None else parse_landing_key(str(obj))
    sha = sub.sha256 if sub is not None and sub.sha256 else None
    sid = (
        sub.submission_id
        if sub is not None and sub.submission_id
        else submission_id(str(obj), f"etag:{obj.etag}")
    )
    receipt = Receipt(
        submission_id=sid, source_key=str(obj),
        archive_key=sub.archive_key if sub is not None else "", sha256=sha,
        size_bytes=obj.size, kind=landing.kind, submitter=landing.submitter, period=landing.period,
        report_type=landing.report_type, contract_version=None, received_at=obj.last_modified.isoformat(),
        processed_at=processed_at.isoformat(),
        language=submitter_language(landing.kind or "", landing.submitter or ""), status="failed",
        # An internal error, not a verdict on the file: its class and message, never a stack trace.
        internal_error=InternalError(type(error).__name__, str(error), step, attempts),
    )
    key = receipt_key(landing, sid)
    write_receipt(area, key, receipt)
    return key


def status_of(errors: list[dict[str, Any]], warnings: list[dict[str, Any]], rejected: bool) -> str:
    if rejected:
        return "rejected"
    return "accepted_with_warnings" if errors or warnings else "accepted"


def public(item: dict[str, Any]) -> dict[str, Any]:
    """A finding as the receipt lists it."""
    return {k: item[k] for k in ("line", "field", "value", "rule", "message")}


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return number(value)
    return value


def number(value: Any) -> Any:
    """A figure as a message shows it: an integer when it is one, else rounded to 6 places."""
    if value is None:
        return None
    value = float(value)
    return int(value) if value.is_integer() else round(value, 6)


def _row_context(bench, sub: Submission, lines: list[int]) -> dict[int, dict[str, Any]]:
    if not lines:
        return {}
    checked = bench.checked(sub.contract, [sub.submission_id])
    cursor = bench.con.execute(f"select * from {checked} where _line in (select "
                               "unnest(?::bigint[]))", [lines])
    names = [d[0] for d in cursor.description]
    return {row[names.index("_line")]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}


def findings(
    bench, sub: Submission
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """(errors, warnings, every finding with severity) of a file — its file rules and, when it was
    staged in the working database ``bench``, its rows' — with messages in the submitter's language."""
    lang, contract = sub.language, sub.contract
    base = {"period": sub.landing.period, "submitter": sub.landing.submitter, "kind": sub.landing.kind}
    items: list[dict[str, Any]] = []
    for p in sub.problems:
        items.append({"line": p.line, "field": p.field, "value": p.value, "rule": p.rule,
                      "severity": p.severity,
                      "context": {**base, **{k: v for k, v in p.context.items() if k in
                                             ("expected", "detail", "kind", "period", "submitter")}},
                      "detail": p.context.get("detail")})
    # Unreadable rows are listed from the problems (they carry the reader's detail).
    found = [
        f for f in (bench.findings_of(sub.submission_id) if sub.staged else []) if f[3] != UNREADABLE_ROW
    ]
    row_rules = {r.id: r for r in contract.row_rules} if contract else {}
    needs_row = sorted({line for line, _, _, rule, _ in found
                        if rule in row_rules and set(row_rules[rule].params) & {"other", "when", "key"}})
    rows = _row_context(bench, sub, needs_row[:MAX_LISTED])
    for line, field_name, value, rule, severity in found:
        context = dict(base)
        if rule in row_rules:
            row = rows.get(line)
            if row is not None:
                context["row"] = {k: _plain(v) for k, v in row.items()}
                context["row"][field_name] = value
                if row_rules[rule].check == "at_most_reference":
                    context["expected"] = number(row.get(f"{field_name}__reference_max"))
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


def receipt_text(receipt: Receipt) -> str:
    lang = receipt.language if receipt.language in ("en", "ru", "kk") else "en"

    def word(key: str) -> str:
        return TEXT_WORDS[key][lang]

    lines = [
        f"{word('title')}: {receipt.source_key}",
        f"{word('submission')}: {receipt.submission_id} (sha256 {receipt.sha256})",
        f"{word('status')}: {STATUS_WORDS[receipt.status][lang]}",
        f"{word('rows_read')}: {receipt.rows_read}",
        f"{word('rows_loaded')}: {receipt.rows_loaded}",
        f"{word('rows_quarantined')}: {receipt.rows_quarantined}",
    ]
    internal = receipt.internal_error
    if internal:
        lines.append(f"{word('internal_error')}: {internal.error_class}: {internal.message}")
    for key, items, total in (("errors", receipt.errors, receipt.errors_total),
                              ("warnings", receipt.warnings, len(receipt.warnings))):
        if not items:
            continue
        lines.append("")
        lines.append(f"{word(key)} ({total}):")
        lines.extend(f"- {item['message']}" for item in items[:TEXT_LISTED])
        if total > TEXT_LISTED:
            lines.append(word("more").format(n=total - TEXT_LISTED))
    return "\n".join(lines) + "\n"


def write_receipt(area, json_key: str, receipt: Receipt) -> None:
    area.put_bytes(json_key, receipt.to_json())
    area.put_bytes(json_key[: -len(".json")] + ".txt", receipt_text(receipt).encode("utf-8"))
