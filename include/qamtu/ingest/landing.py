"""The discover step, and where a submission comes from and where its copies go: landing keys,
submission ids, archive and receipt keys, the file rules that need nothing but the key (wrong
folder, unknown submitter, unknown report type, wrong period), what of a landing listing is new
(:func:`discover`), the scratch copy a file is read from (:func:`fetch`) and the
:class:`Submission` a file is while a run ingests it.

Landing key (REPORTING_SPEC): ``<kind>/<submitter>/<YYYY-MM>/<report_type>.<ext>``, ext one of
``csv``, ``csv.gz``, ``xlsx``, ``json``, ``parquet`` (any case).

- ``submission_id`` = the first 16 hex digits of sha256(``<landing key>\\n<sha256 of the bytes>``):
  the same bytes at the same key are the same submission, always (ingestion is idempotent).
- archive key: ``<kind>/<submitter>/<period>/<report_type>/<submission_id>-<sha256>.<ext>`` — a key
  per content, written once, never overwritten or deleted. A key that does not have the four parts
  is archived under ``unrouted/<landing key>/<submission_id>-<sha256>.<ext>``.
- receipt key: ``<kind>/<submitter>/<period>/<report_type>.<submission_id>.json`` in the ``receipts``
  area (``unrouted/<submission_id>.json`` for a key without the four parts), a ``.txt`` beside it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qamtu.contracts import (
    FORMATS,
    KINDS,
    Contract,
    load_contract,
    report_types,
    submitter_ids,
    submitter_language,
)
from qamtu.periods import PERIOD_PATTERN, period_start

if TYPE_CHECKING:
    from qamtu.ingest.parse import TextTable

UNROUTED = "unrouted"
_COPY_CHUNK = 8 * 1024 * 1024
_SAFE_PART = re.compile(r"^[A-Za-z0-9_.\-]+$")


@dataclass(frozen=True)
class Problem:
    """A finding about a file or a row: the rule it breaks and what the message needs."""

    rule: str
    severity: str = "error"
    line: int | None = None
    field: str | None = None
    value: str | None = None
    context: dict[str, Any] = dataclasses.field(default_factory=dict)


class FileRejected(Exception):
    """The whole file is unusable; ``problems`` say why (file rules, the first is the main one)."""

    def __init__(self, *problems: Problem):
        super().__init__("; ".join(f"{p.rule}: {p.context or ''}" for p in problems))
        self.problems = list(problems)
        self.problem = problems[0]


@dataclass(frozen=True)
class LandingKey:
    """A landing key split into its parts, as written (validation is :func:`routing_problems`)."""

    key: str
    kind: str | None
    submitter: str | None
    period: str | None
    report_type: str | None
    ext: str | None

    @property
    def routed(self) -> bool:
        """The key has the four parts (even if some of them turn out wrong)."""
        return None not in (self.kind, self.submitter, self.period, self.report_type)


def split_extension(filename: str) -> tuple[str, str | None]:
    """``settlement_fiber.CSV.gz`` → (``settlement_fiber``, ``csv.gz``)."""
    lower = filename.lower()
    if lower.endswith(".csv.gz"):
        return filename[: -len(".csv.gz")], "csv.gz"
    if "." in filename:
        stem, ext = filename.rsplit(".", 1)
        return stem, ext.lower()
    return filename, None


def parse_landing_key(key: str) -> LandingKey:
    parts = key.split("/")
    if len(parts) != 4:
        stem, ext = split_extension(parts[-1])
        return LandingKey(key, None, None, None, None, ext)
    kind, submitter, period, filename = parts
    stem, ext = split_extension(filename)
    return LandingKey(key, kind.lower(), submitter.lower(), period, stem.lower(), ext)


def routing_problems(landing: LandingKey, today: dt.date) -> list[Problem]:
    """The file rules a key alone can break (any of them rejects the file)."""
    if not landing.routed:
        return [Problem("file.wrong_folder", value=landing.key,
                        context={"detail": "expected <kind>/<submitter>/<YYYY-MM>/<report_type>.<ext>"})]
    if landing.kind not in KINDS:
        return [Problem("file.wrong_folder", field="kind", value=landing.kind,
                        context={"detail": f"{landing.kind!r} is not one of {', '.join(KINDS)}"})]
    problems = []
    if landing.submitter not in submitter_ids(landing.kind):
        problems.append(Problem("file.unknown_submitter", field="submitter", value=landing.submitter,
                                context={"kind": landing.kind}))
    if landing.report_type not in report_types():
        problems.append(Problem("file.unknown_report_type", field="report_type", value=landing.report_type,
                                context={"kind": landing.kind}))
    elif load_contract(landing.report_type).kind != landing.kind:
        expected = load_contract(landing.report_type).kind
        problems.append(Problem("file.wrong_folder", field="kind", value=landing.kind, context={
            "detail": f"{landing.report_type} is a report of the {expected} folder, not {landing.kind}"}))
    if not PERIOD_PATTERN.match(landing.period or ""):
        problems.append(Problem("file.wrong_period", field="period", value=landing.period))
    elif period_start(landing.period) > today.replace(day=1):
        problems.append(Problem("file.wrong_period", field="period", value=landing.period,
                                context={"detail": f"after the current month {today:%Y-%m}"}))
    if landing.ext not in FORMATS:
        problems.append(Problem("file.unsupported_format", value=landing.ext or ""))
    return problems


def submission_id(key: str, sha256: str) -> str:
    return hashlib.sha256(f"{key}\n{sha256}".encode()).hexdigest()[:16]


def _safe(part: str | None) -> str:
    """A key part as given when it is tame, else a readable stand-in (archive keys stay valid)."""
    if part and _SAFE_PART.match(part) and part not in (".", ".."):
        return part
    return "_" + hashlib.sha256((part or "").encode()).hexdigest()[:8]


def archive_key(landing: LandingKey, sub_id: str, sha256: str) -> str:
    ext = landing.ext or "bin"
    name = f"{sub_id}-{sha256}.{_safe(ext)}"
    if landing.routed:
        return "/".join([_safe(landing.kind), _safe(landing.submitter), _safe(landing.period),
                         _safe(landing.report_type), name])
    return "/".join([UNROUTED, *(_safe(p) for p in landing.key.split("/")), name])


def receipt_key(landing: LandingKey, sub_id: str) -> str:
    if landing.routed:
        return "/".join([_safe(landing.kind), _safe(landing.submitter), _safe(landing.period),
                         f"{_safe(landing.report_type)}.{sub_id}.json"])
    return f"{UNROUTED}/{sub_id}.json"


@dataclass
class Submission:
    """One landing object being ingested: what the steps learn about it on the way."""

    key: str
    landing: LandingKey
    size: int
    etag: str
    received_at: dt.datetime
    sha256: str = ""
    submission_id: str = ""
    archive_key: str = ""
    contract: Contract | None = None
    problems: list[Problem] = dataclasses.field(default_factory=list)
    rejected: bool = False
    rows_read: int = 0
    staged: bool = False
    parsed: TextTable | None = None  # a small file parsed, waiting to be typed with its peers
    details: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def language(self) -> str:
        return submitter_language(self.landing.kind or "", self.landing.submitter or "")

    def reject(self, problems: list[Problem]) -> None:
        self.rejected = True
        self.problems.extend(problems)


def discover(objects, index: dict[str, tuple], known: set[str],
             failing: dict[str, tuple]) -> tuple[list, int, list[str]]:
    """What of a landing listing to read: (objects to read in the order they landed, how many are
    unchanged, keys held after repeated failures). An object whose key, size and etag match
    ``raw.landing_index`` and whose submission is known is unchanged; one given up on (``failed`` in
    ``raw.ingest_failures``, same size and etag) waits for an operator."""
    todo, unchanged, held = [], 0, []
    for obj in objects:
        seen = index.get(str(obj))
        failed = failing.get(str(obj))
        if seen and seen[0] == obj.size and seen[1] == obj.etag and seen[3] in known:
            unchanged += 1
        elif failed and failed[3] == "failed" and (failed[0], failed[1]) == (obj.size, obj.etag):
            held.append(str(obj))  # given up on; waits for an operator
        else:
            todo.append(obj)
    todo.sort(key=lambda o: (o.last_modified, str(o)))
    return todo, unchanged, held


def fetch(area, key: str, target: Path) -> str:
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
