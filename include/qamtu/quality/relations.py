"""The rows each suite validates, as SQL for the configured warehouse.

A mart suite validates the candidate mart's rows of the audited period (the whole table for a mart
without a ``period`` column). A check suite validates the relation of its ``.sql`` template beside it
(``expectations/checks/<name>.sql``), rendered with Jinja from:

- ``schema`` (the marts being audited, e.g. ``marts_candidate``), ``staging``, ``intermediate``, ``raw``;
- ``period``, ``previous_period``, ``period_start``, ``period_end`` (dates), ``period_after`` (the first
  instant after the period, UTC);
- ``dialect`` (``duckdb`` | ``postgres``);
- ``expected_submissions``: a SQL ``VALUES`` list of (kind, submitter, report_type) — every report the
  contracts expect from every submitter each period.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from qamtu.quality.suites import Suite, literal, q

STAGING, INTERMEDIATE, RAW = "staging", "intermediate", "raw"


def expected_submissions() -> list[tuple[str, str, str]]:
    """(kind, submitter, report_type) of every report due each period, from the contracts."""
    from qamtu.contracts import KINDS, periodic_report_types_of, submitter_ids

    return [
        (kind, submitter, report_type)
        for kind in KINDS
        for submitter in submitter_ids(kind)
        for report_type in periodic_report_types_of(kind)
    ]


def template_context(schema: str, period: str, dialect: str) -> dict[str, Any]:
    from qamtu.periods import next_period, parse_period, period_end, period_start, previous_period

    parse_period(period)
    values = ",\n        ".join(
        "(" + ", ".join(literal(v) for v in row) + ")" for row in expected_submissions()
    )
    return {
        "schema": q(schema), "staging": STAGING, "intermediate": INTERMEDIATE, "raw": RAW,
        "period": period, "previous_period": previous_period(period),
        "period_start": period_start(period).isoformat(), "period_end": period_end(period).isoformat(),
        "period_after": f"{period_start(next_period(period)).isoformat()} 00:00:00+00",
        "dialect": dialect, "expected_submissions": values,
    }


@cache
def _environment():
    import jinja2

    return jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True)


def check_template(suite: Suite) -> Path:
    path = suite.path.with_name(suite.relation)
    if suite.relation == "mart" or not path.exists():
        raise FileNotFoundError(f"{suite.path}: its relation {suite.relation!r} is not a file beside it")
    return path


def relation_sql(
    suite: Suite, schema: str, period: str, dialect: str, mart_columns: list[str] | None = None
) -> str:
    """The SQL of the rows ``suite`` validates for ``period``. ``mart_columns``: the candidate mart's
    columns (mart suites; a mart without ``period`` is validated whole)."""
    if suite.relation == "mart":
        table = f"{q(schema)}.{q(suite.model)}"
        if mart_columns is not None and "period" not in mart_columns:
            return f"select * from {table}"
        return f"select * from {table} where period = {literal(period)}"
    template = _environment().from_string(check_template(suite).read_text(encoding="utf-8"))
    return template.render(**template_context(schema, period, dialect)).strip().rstrip(";")
