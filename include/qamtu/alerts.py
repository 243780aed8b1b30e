"""Alerts for the people who operate the pipeline: a failed task, a failed audit, a late submitter.

Every alert is written three ways, so nobody depends on one channel:
1. a log line (``qamtu.alerts`` logger, level ERROR or WARNING), which Airflow shows in the task log;
2. a JSON file under ``QAMTU_HOME/alerts/`` (one per alert, never overwritten), which is what an
   operator, a test or a monitoring agent reads;
3. a JSON POST to ``QAMTU_ALERT_WEBHOOK_URL`` when set (Slack/Teams/Mattermost-style incoming
   webhooks accept a ``text`` key; the full record travels beside it). A webhook that fails is
   logged and recorded in the file; it never hides the original failure.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from qamtu.settings import Settings, get_settings

log = logging.getLogger("qamtu.alerts")

ALERTS_FOLDER = "alerts"
WEBHOOK_TIMEOUT_SECONDS = 10
SEVERITIES = ("error", "warning", "info")
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def alerts_dir(settings: Settings | None = None) -> Path:
    settings = settings or get_settings()
    return Path(settings.home) / ALERTS_FOLDER


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _file_name(record: dict[str, Any]) -> str:
    stamp = record["raised_at"].replace(":", "").replace("-", "")
    parts = [stamp, record.get("dag_id") or "qamtu", record.get("task_id") or record["kind"],
             record.get("period") or "", record["id"][:8]]
    return _UNSAFE.sub("_", "-".join(p for p in parts if p)) + ".json"


def summary_line(record: dict[str, Any]) -> str:
    """One line that says what failed, where, for which period, and why."""
    where = ".".join(p for p in (record.get("dag_id"), record.get("task_id")) if p)
    bits = [f"QAMTU ALERT [{record['severity'].upper()}] {record['title']}"]
    if where:
        bits.append(f"task {where}")
    if record.get("period"):
        bits.append(f"period {record['period']}")
    if record.get("run_id"):
        bits.append(f"run {record['run_id']}")
    if record.get("try_number") is not None:
        bits.append(f"try {record['try_number']}")
    line = " | ".join(bits)
    if record.get("error"):
        line += f" | {record['error']}"
    return line


def _post(url: str, record: dict[str, Any]) -> dict[str, Any]:
    body = json.dumps(
        {"text": summary_line(record), "alert": record}, ensure_ascii=False, default=str
    ).encode()
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_SECONDS) as response:
            return {"url": url, "status": response.status}
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        log.warning("alert webhook %s failed: %s", url, error)
        return {"url": url, "error": str(error)}


def raise_alert(title: str, *, kind: str = "task_failed", severity: str = "error", error: str | None = None,
                details: dict[str, Any] | None = None, settings: Settings | None = None,
                **where: Any) -> dict[str, Any]:
    """Write one alert (log line + JSON file + optional webhook) and return its record.

    ``where`` holds what locates the problem: dag_id, task_id, run_id, period, try_number, log_url…
    ``details`` holds anything else worth reading (audit failures, missing submitters).
    """
    if severity not in SEVERITIES:
        raise ValueError(f"alert severity must be one of {SEVERITIES}, not {severity!r}")
    settings = settings or get_settings()
    record: dict[str, Any] = {
        "id": uuid.uuid4().hex,
        "kind": kind,
        "severity": severity,
        "title": title,
        "raised_at": _now().isoformat().replace("+00:00", "Z"),
        **{key: value for key, value in where.items() if value is not None},
        "error": error,
        "details": details or {},
    }
    line = summary_line(record)
    log.log(logging.ERROR if severity == "error" else logging.WARNING, line)

    if settings.alert_webhook_url:
        record["webhook"] = _post(settings.alert_webhook_url, record)

    folder = alerts_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / _file_name(record)
    record["path"] = str(path)
    # Write then rename: a reader never sees half an alert.
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(record, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return record


def list_alerts(settings: Settings | None = None, **match: Any) -> list[dict[str, Any]]:
    """The alerts written so far, oldest first; ``match`` filters on record keys (e.g. period=…)."""
    folder = alerts_dir(settings)
    if not folder.is_dir():
        return []
    records = []
    for path in sorted(folder.glob("*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        if all(record.get(key) == value for key, value in match.items()):
            records.append(record)
    return sorted(records, key=lambda r: (r["raised_at"], r["path"]))
