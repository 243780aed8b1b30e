"""Receipts: what a submitter gets back for every file, as JSON and as a short text, in the
submitter's language (``qamtu.contracts.submitter_language``; messages from the rule catalogue
``qamtu.contracts.rules``).

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

import json
from typing import Any

from qamtu.contracts import Contract

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


def status_of(errors: list[dict[str, Any]], warnings: list[dict[str, Any]], rejected: bool) -> str:
    if rejected:
        return "rejected"
    return "accepted_with_warnings" if errors or warnings else "accepted"


def receipt_text(receipt: dict[str, Any]) -> str:
    lang = receipt.get("language", "en")
    if lang not in ("en", "ru", "kk"):
        lang = "en"

    def word(key: str) -> str:
        return TEXT_WORDS[key][lang]

    lines = [
        f"{word('title')}: {receipt['source_key']}",
        f"{word('submission')}: {receipt['submission_id']} (sha256 {receipt['sha256']})",
        f"{word('status')}: {STATUS_WORDS[receipt['status']][lang]}",
        f"{word('rows_read')}: {receipt['rows_read']}",
        f"{word('rows_loaded')}: {receipt['rows_loaded']}",
        f"{word('rows_quarantined')}: {receipt['rows_quarantined']}",
    ]
    internal = receipt.get("internal_error")
    if internal:
        lines.append(f"{word('internal_error')}: {internal['class']}: {internal['message']}")
    for key in ("errors", "warnings"):
        items = receipt.get(key) or []
        total = receipt.get("errors_total", len(items)) if key == "errors" else len(items)
        if not items:
            continue
        lines.append("")
        lines.append(f"{word(key)} ({total}):")
        lines.extend(f"- {item['message']}" for item in items[:TEXT_LISTED])
        if total > TEXT_LISTED:
            lines.append(word("more").format(n=total - TEXT_LISTED))
    return "\n".join(lines) + "\n"


def write_receipt(area, json_key: str, receipt: dict[str, Any]) -> None:
    area.put_bytes(json_key, (json.dumps(receipt, ensure_ascii=False, indent=2, default=str) + "\n").encode("utf-8"))
    area.put_bytes(json_key[: -len(".json")] + ".txt", receipt_text(receipt).encode("utf-8"))
