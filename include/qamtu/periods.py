"""Reporting periods: calendar months written ``YYYY-MM``."""

from __future__ import annotations

import calendar
import re
from datetime import date

PERIOD_PATTERN = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def parse_period(period: str) -> tuple[int, int]:
    match = PERIOD_PATTERN.match(period)
    if not match:
        raise ValueError(f"not a period (YYYY-MM): {period!r}")
    return int(match.group(1)), int(match.group(2))


def period_start(period: str) -> date:
    year, month = parse_period(period)
    return date(year, month, 1)


def period_end(period: str) -> date:
    """The last day of the month: status reports are snapshots as at this day."""
    year, month = parse_period(period)
    return date(year, month, calendar.monthrange(year, month)[1])


def next_period(period: str) -> str:
    year, month = parse_period(period)
    return f"{year + month // 12}-{month % 12 + 1:02d}"


def previous_period(period: str) -> str:
    year, month = parse_period(period)
    return f"{year - 1}-12" if month == 1 else f"{year}-{month - 1:02d}"


def period_range(start: str, end: str) -> list[str]:
    if parse_period(start) > parse_period(end):
        raise ValueError(f"period range runs backwards: {start}..{end}")
    periods = [start]
    while periods[-1] != end:
        periods.append(next_period(periods[-1]))
    return periods
