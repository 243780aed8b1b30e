"""Where each period stands, from receipt to release: the one screen a data engineer reads before and
after a run (``qamtu status``). Read-only: it reads the warehouse's submission and audit logs and the
publication area's pointers, and changes nothing."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from qamtu.settings import Settings, get_settings


@dataclass(frozen=True)
class Received:
    expected: int
    on_time: int
    late: int
    rejected: int
    missing: int
    deadline: str
    not_received: list[str] = field(default_factory=list)  # kind/submitter/report_type (state)


@dataclass(frozen=True)
class Ingested:
    submissions: int  # files that count for the period (accepted, current)
    rows_loaded: int
    rows_quarantined: int


@dataclass(frozen=True)
class Built:
    built_at: str
    success: bool
    current: bool  # the candidate still holds exactly what this build left for the period


@dataclass(frozen=True)
class Audited:
    audited_at: str
    passed: bool
    critical_findings: int
    warnings: int
    current: bool  # the candidate still holds exactly the audited rows (else: audit again)
    promoted: bool


@dataclass(frozen=True)
class Published:
    version: int
    published_at: str
    path: str


@dataclass(frozen=True)
class PeriodStatus:
    period: str
    received: Received | None
    ingested: Ingested | None
    built: Built | None
    audited: Audited | None
    published: Published | None

    @property
    def next_step(self) -> str:
        """What a data engineer would do next for this period."""
        if self.ingested is None or self.ingested.submissions == 0:
            return "ingest"
        if self.built is None or not self.built.current:
            return "build"
        if not self.built.success:
            return "fix the build"
        if self.audited is None or not self.audited.current:
            return "audit"
        if not self.audited.passed:
            return "fix the data (audit failed)"
        if not self.audited.promoted or self.published is None:
            return "publish"
        return "—"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"next_step": self.next_step}


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def period_statuses(settings: Settings | None = None, periods: list[str] | None = None) -> list[PeriodStatus]:
    """Every period the pipeline has seen (or those asked for), oldest first."""
    import json

    from qamtu.orchestration.close import submission_status
    from qamtu.publish import read_latest
    from qamtu.quality.candidate import LOG_SCHEMA, candidate_fingerprint, latest_audits
    from qamtu.settings import CANDIDATE_SCHEMA
    from qamtu.warehouse import connect

    settings = settings or get_settings()
    latest_pointer = read_latest(settings) or {}
    with connect(settings) as warehouse:
        ingested: dict[str, Ingested] = {}
        if warehouse.table_exists("raw", "submissions"):
            for period, files, loaded, quarantined in warehouse.rows(
                    "select period, count(*) filter (where is_current), "
                    "coalesce(sum(rows_loaded) filter (where is_current), 0), "
                    "coalesce(sum(rows_quarantined) filter (where is_current), 0) "
                    "from raw.submissions group by period"):
                ingested[period] = Ingested(int(files), int(loaded), int(quarantined))
        builds: list[tuple[Any, bool, dict]] = []
        if warehouse.table_exists(LOG_SCHEMA, "candidate_builds"):
            builds = [(at, bool(ok), json.loads(summary)) for at, ok, summary in warehouse.rows(
                f"select built_at, success, summary from {LOG_SCHEMA}.candidate_builds "
                f"where schema_name = ? order by built_at", [CANDIDATE_SCHEMA])]
        audits = latest_audits(warehouse, CANDIDATE_SCHEMA)
        promoted = ({r[0] for r in warehouse.rows(f"select audit_id from {LOG_SCHEMA}.promotions")}
                    if warehouse.table_exists(LOG_SCHEMA, "promotions") else set())
        audit_details = {}
        if warehouse.table_exists(LOG_SCHEMA, "audits"):
            audit_details = {r[0]: int(r[1] or 0) for r in warehouse.rows(
                f"select audit_id, warning_failed from {LOG_SCHEMA}.audits")}
        known = set(ingested) | set(audits) | set(latest_pointer.get("periods") or {})
        for _, _, summary in builds:
            known |= set(summary.get("fingerprints") or {})
        chosen = sorted(known) if periods is None else list(periods)
        has_candidate = warehouse.table_exists(CANDIDATE_SCHEMA, "dim_period")
        statuses = []
        for period in chosen:
            fingerprint = (
                candidate_fingerprint(warehouse, CANDIDATE_SCHEMA, period) if has_candidate else None
            )
            built = None
            for at, ok, summary in reversed(builds):
                prints = summary.get("fingerprints") or {}
                if period in prints or summary.get("period") in (None, period):
                    built = Built(_iso(at), ok, prints.get(period) == fingerprint and fingerprint is not None)
                    break
            audit = audits.get(period)
            audited = None if audit is None else Audited(
                _iso(audit["audited_at"]), audit["publishable"], int(audit["critical_failed"] or 0),
                audit_details.get(audit["audit_id"], 0), audit["fingerprint"] == fingerprint,
                audit["audit_id"] in promoted)
            statuses.append(PeriodStatus(period, None, ingested.get(period), built, audited, None))
    result = []
    for status in statuses:
        received = submission_status(status.period, settings)
        pointer = read_latest(settings, period=status.period)
        result.append(PeriodStatus(
            status.period,
            Received(received["expected"], received["on_time"], received["late"], received["rejected"],
                     received["missing"], received["deadline"],
                     [f"{r['kind']}/{r['submitter']}/{r['report_type']} ({r['state']})"
                      for r in received["not_submitted"]]),
            status.ingested, status.built, status.audited,
            None if pointer is None else Published(int(pointer["version"]), pointer["published_at"],
                                                   pointer["path"])))
    return result
