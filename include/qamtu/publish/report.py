"""The officials' report: one self-contained HTML page per release, in Kazakh, Russian and English.

Everything is inline: CSS, the SVG charts (Vega-Lite rendered offline by vl-convert), and a few
lines of JavaScript that switch the language (``#kk``, ``#ru``, ``#en`` in the address) and the
indicator shown on the tile map. Without JavaScript the page still reads, in Kazakh.
Charts carry no words (months are ISO, numbers SI), so one SVG serves the three languages.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from functools import cache
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape

from qamtu.periods import next_period, parse_period, previous_period
from qamtu.publish.i18n import (
    DEFAULT_LANGUAGE,
    KINDS,
    LANGUAGE_NAMES,
    LANGUAGES,
    REPORT_TYPES,
    SHORT_INDICATOR_NAMES,
    UI,
    UNITS,
)
from qamtu.publish.tables import NATION, PROGRESS_TABLE, MartTable

TEMPLATE_DIR = Path(__file__).parent / "templates"

# Roughly geographic positions (column, row) of the 20 regions on a 7 × 4 grid, west to east and
# north to south; the three cities sit beside the region around them.
TILE_GRID: dict[str, tuple[int, int]] = {
    "27": (1, 1), "39": (3, 1), "59": (4, 1), "55": (5, 1),
    "23": (1, 2), "15": (2, 2), "62": (3, 2), "11": (4, 2), "71": (5, 2), "10": (6, 2), "63": (7, 2),
    "47": (1, 3), "43": (2, 3), "61": (3, 3), "35": (4, 3), "19": (5, 3), "33": (6, 3),
    "79": (3, 4), "31": (4, 4), "75": (5, 4),
}

# Indicators shown per region on the tile map (the others are national only).
REGIONAL_INDICATORS = ("villages_fibre_share", "population_access_share", "villages_fibre_new",
                       "households_last_mile", "people_last_mile", "land_requests_decided_share", "fines_kzt")

REPUBLICAN_CITIES = ("71", "75", "79")

SUPPORT_TABLE = "fct_akimat_support"
ENFORCEMENT_TABLE = "fct_quality_enforcement"

_COLOR_LOW = (0xE6, 0xEF, 0xF7)
_COLOR_HIGH = (0x0B, 0x3C, 0x6E)


# --- reference labels ----------------------------------------------------------------------------
@cache
def _targets() -> dict[str, dict[str, Any]]:
    from qamtu.reference import programme_targets

    frame = programme_targets()
    result = {}
    for row in frame.to_dict("records"):
        deadline = row["deadline"]
        result[str(row["indicator"])] = {
            "names": {lang: str(row[f"description_{lang}"]) for lang in LANGUAGES},
            "unit": str(row["unit"]),
            "target": None if _missing(row["target"]) else float(row["target"]),
            "deadline": None if _missing(deadline) else deadline.date().isoformat(),
        }
    return result


def indicator_names() -> dict[str, dict[str, str]]:
    return {code: dict(info["names"]) for code, info in _targets().items()}


def indicator_units() -> dict[str, str]:
    return {code: info["unit"] for code, info in _targets().items()}


@cache
def _regions() -> dict[str, dict[str, str]]:
    from qamtu.reference import region_names

    return region_names()


_REGION_WORD = re.compile(r"\s*\b(облысы|[Оо]бласть|Region)\b\s*", re.UNICODE)


def short_region_name(code: str, language: str) -> str:
    """For a small tile: "Akmola", "Акмолинская", but "Almaty city" / "г. Алматы" / "Алматы қаласы"."""
    name = _regions().get(code, {}).get(language, code)
    if code in REPUBLICAN_CITIES:
        return {"ru": name.replace("город ", "г. "), "en": f"{name} city"}.get(language, name)
    return _REGION_WORD.sub(" ", name).strip() or name


# --- formatting ----------------------------------------------------------------------------------
def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(isinstance(value, float) and math.isnan(value)) or str(value) in ("NaT", "nan")
    except TypeError:
        return False


def _group(integer_text: str, separator: str) -> str:
    sign = "-" if integer_text.startswith("-") else ""
    digits = integer_text.lstrip("-")
    groups = []
    while len(digits) > 3:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    groups.insert(0, digits)
    return sign + separator.join(groups)


def format_number(value: Any, language: str, unit: str = "", decimals: int | None = None) -> str:
    """12 345,6 in Kazakh and Russian, 12,345.6 in English; percentages and tenge with their sign."""
    if _missing(value):
        return "—"
    if isinstance(value, bool):
        return "✓" if value else "✗"
    number = float(value)
    if decimals is None:
        decimals = default_decimals(number, unit)
    text = f"{abs(number):.{decimals}f}"
    integer, _, fraction = text.partition(".")
    thousands, point = ("\u202f", ",") if language in ("kk", "ru") else (",", ".")
    result = _group(integer, thousands) + (point + fraction if fraction else "")
    if number < 0 and float(text) != 0:
        result = "−" + result
    if unit == "percent":
        return result + ("\u00a0%" if language in ("kk", "ru") else "%")
    if unit == "KZT":
        return result + "\u00a0₸"
    return result


COUNT_UNITS = ("settlements", "households", "persons", "cities", "KZT")


def default_decimals(number: float, unit: str) -> int:
    """Shares with one decimal; counts (villages, households, people, cities, tenge) whole; others
    whole from 100 up."""
    if unit == "percent":
        return 1
    if unit in COUNT_UNITS:
        return 0
    return 1 if not float(number).is_integer() and abs(number) < 100 else 0


def pace_decimals(value: Any) -> int | None:
    """A monthly pace below 10 keeps a decimal (0.4 cities a month is not 0)."""
    return None if _missing(value) or abs(float(value)) >= 10 else 1


def tri(texts: dict[str, str]) -> Markup:
    """A text in the three languages; CSS shows the one of the page's current language."""
    return Markup("").join(
        Markup('<span data-l="{}">{}</span>').format(lang, texts.get(lang) or texts.get("en") or "")
        for lang in LANGUAGES
    )


def t(key: str) -> Markup:
    return tri(UI[key])


def num(value: Any, unit: str = "", decimals: int | None = None) -> Markup:
    texts = {lang: format_number(value, lang, unit, decimals) for lang in LANGUAGES}
    if len(set(texts.values())) == 1:
        return Markup('<span class="n">{}</span>').format(texts["en"])
    return Markup('<span class="n">{}</span>').format(tri(texts))


def unit_label(unit: str) -> Markup:
    return tri(UNITS.get(unit, {lang: unit for lang in LANGUAGES}))


# --- charts --------------------------------------------------------------------------------------
def _month(period: str) -> dt.date:
    year, month = parse_period(period)
    return dt.date(year, month, 1)


def _months_between(start: str, end: str) -> int:
    (y1, m1), (y2, m2) = parse_period(start), parse_period(end)
    return (y2 - y1) * 12 + (m2 - m1)


_svg_counter = [0]


def _unique_ids(svg: str) -> str:
    """Inline SVGs share one document: give each chart's ids (clip paths, gradients) a unique prefix."""
    _svg_counter[0] += 1
    prefix = f"c{_svg_counter[0]}-"
    svg = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}{m.group(1)}"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}{m.group(1)})", svg)
    return re.sub(r'href="#([^"]+)"', lambda m: f'href="#{prefix}{m.group(1)}"', svg)


def trajectory_svg(history: list[tuple[str, float]], target: float | None, deadline: str | None,
                   pace: float | None) -> str:
    """Actual monthly values (solid), the path needed to the target by the deadline (dashed), the
    forecast at the current pace (dotted) and the target (a horizontal rule)."""
    import altair as alt
    import pandas as pd
    import vl_convert

    last_period, last_value = history[-1]
    rows = [{"month": _month(p), "value": v, "series": "actual"} for p, v in history]
    end = last_period
    if target is not None and deadline is not None:
        deadline_period = deadline[:7]
        if deadline_period > last_period:
            end = deadline_period
        if deadline_period > last_period and last_value < target:
            rows += [{"month": _month(last_period), "value": last_value, "series": "needed"},
                     {"month": _month(deadline_period), "value": target, "series": "needed"}]
            if pace is not None and pace > 0:
                months = min(_months_between(last_period, deadline_period),
                             math.ceil((target - last_value) / pace))
                rows += [{"month": _month(last_period), "value": last_value, "series": "forecast"},
                         {"month": _month(_add_months(last_period, months)),
                          "value": last_value + pace * months, "series": "forecast"}]
    frame = pd.DataFrame(rows)
    frame["month"] = pd.to_datetime(frame["month"])
    x_domain = [pd.Timestamp(_month(history[0][0])).isoformat(), pd.Timestamp(_month(end)).isoformat()]
    y_max = max([v for v in frame["value"]] + ([target] if target is not None else [])) or 1
    x = alt.X("month:T", title=None, scale=alt.Scale(domain=x_domain),
              axis=alt.Axis(format="%Y-%m", labelAngle=0, tickCount=6, labelOverlap=True))
    y = alt.Y("value:Q", title=None, scale=alt.Scale(domain=[0, y_max * 1.05], nice=False),
              axis=alt.Axis(format="~s", tickCount=4))
    colour = alt.Color("series:N", legend=None, scale=alt.Scale(
        domain=["actual", "needed", "forecast"], range=["#0B3C6E", "#8A8A8A", "#D9730D"]))
    dash = alt.StrokeDash("series:N", legend=None, scale=alt.Scale(
        domain=["actual", "needed", "forecast"], range=[[1, 0], [6, 4], [2, 3]]))
    layers = [alt.Chart(frame).mark_line(strokeWidth=2.5).encode(x=x, y=y, color=colour, strokeDash=dash,
                                                                 detail="series:N"),
              alt.Chart(frame[frame["series"] == "actual"]).mark_point(filled=True, size=36, color="#0B3C6E")
              .encode(x=x, y=y)]
    if target is not None:
        layers.append(alt.Chart(pd.DataFrame({"value": [target]})).mark_rule(color="#2E7D32", strokeWidth=1.5)
                      .encode(y="value:Q"))
    chart = alt.layer(*layers).properties(width=330, height=150).configure_view(stroke=None).configure(
        background="transparent", font="sans-serif")
    svg = vl_convert.vegalite_to_svg(chart.to_dict())
    svg = re.sub(r"^<\?xml[^>]*>\s*", "", svg)
    return _unique_ids(svg)


def _add_months(period: str, months: int) -> str:
    for _ in range(months):
        period = next_period(period)
    return period


# --- the report's content ------------------------------------------------------------------------
def _rows(mart: MartTable | None) -> list[dict[str, Any]]:
    return [] if mart is None else mart.data.to_pylist()


def _pick(row: dict[str, Any], *names: str) -> Any:
    for name in names:
        if name in row:
            return row[name]
    return None


def _period_text(value: Any) -> str | None:
    if _missing(value):
        return None
    return str(value)[:7]


def _headline(progress: list[dict[str, Any]], period: str) -> tuple[list[dict], list[dict]]:
    targets = _targets()
    national = [r for r in progress if str(r["region_code"]) == NATION]
    by_indicator: dict[str, list[dict]] = {}
    for row in national:
        by_indicator.setdefault(str(row["indicator"]), []).append(row)
    cards, reported = [], []
    for code in targets:
        rows = sorted(by_indicator.get(code, []), key=lambda r: str(r["period"]))
        now = next((r for r in rows if _period_text(r["period"]) == period), None)
        info = targets[code]
        if now is None:
            continue
        actual = _pick(now, "actual")
        target = _pick(now, "target")
        target = info["target"] if _missing(target) else float(target)
        history = [(_period_text(r["period"]), float(r["actual"])) for r in rows
                   if not _missing(r.get("actual")) and _period_text(r["period"]) <= period]
        if target is None:
            before = next((r for r in rows if _period_text(r["period"]) == previous_period(period)), None)
            reported.append({
                "code": code, "names": info["names"], "unit": info["unit"], "actual": actual,
                "status": _pick(now, "obs_status") or "A", "status_reason": _pick(now, "status_reason"),
                "previous": None if before is None else before.get("actual"),
                "change": None if before is None or _missing(before.get("actual")) or _missing(actual)
                else float(actual) - float(before["actual"]),
            })
            continue
        pace = _pick(now, "monthly_pace", "pace_monthly", "pace")
        pct = _pick(now, "pct_of_target")
        if _missing(pct) and not _missing(actual) and target:
            pct = float(actual) / target * 100
        on_track = _pick(now, "on_track")
        met = not _missing(actual) and float(actual) >= target
        deadline = _pick(now, "deadline")
        deadline = info["deadline"] if _missing(deadline) else str(deadline)[:10]
        cards.append({
            "code": code, "names": info["names"], "unit": info["unit"], "actual": actual, "target": target,
            "status": _pick(now, "obs_status") or "A", "status_reason": _pick(now, "status_reason"),
            "pct": pct, "bar": 0 if _missing(pct) else max(0.0, min(100.0, float(pct))),
            "pace": pace, "pace_needed": _pick(now, "pace_needed", "needed_pace", "required_pace"),
            "forecast": _period_text(_pick(now, "forecast_period", "forecast_date", "forecast")),
            "deadline": deadline, "on_track": bool(on_track) if not _missing(on_track) else False, "met": met,
            "chart": trajectory_svg(history, target, deadline, None if _missing(pace) else float(pace))
            if history else "",
        })
    return cards, reported


def _colour(fraction: float) -> tuple[str, str]:
    rgb = tuple(round(lo + (hi - lo) * fraction) for lo, hi in zip(_COLOR_LOW, _COLOR_HIGH, strict=True))
    return "#{:02X}{:02X}{:02X}".format(*rgb), ("#FFFFFF" if fraction > 0.5 else "#10243A")


def _tile_maps(progress: list[dict[str, Any]], period: str) -> list[dict[str, Any]]:
    targets = _targets()
    maps = []
    for code in REGIONAL_INDICATORS:
        values = {
            str(r["region_code"]): (None if _missing(r.get("actual")) else float(r["actual"]))
            for r in progress
            if str(r["indicator"]) == code
            and _period_text(r["period"]) == period
            and str(r["region_code"]) != NATION
        }
        if not any(v is not None for v in values.values()):
            continue
        present = [v for v in values.values() if v is not None]
        low, high = min(present), max(present)
        ranked = sorted(((v, c) for c, v in values.items() if v is not None), key=lambda p: (-p[0], p[1]))
        rank_of = {c: i for i, (_, c) in enumerate(ranked, start=1)}
        tiles = []
        for region, (column, row) in TILE_GRID.items():
            value = values.get(region)
            fraction = 0.0 if value is None or high == low else (value - low) / (high - low)
            background, foreground = ("#F2F2F2", "#777777") if value is None else _colour(fraction)
            tiles.append({"code": region, "column": column, "row": row, "value": value,
                          "rank": rank_of.get(region),
                          "short": {lang: short_region_name(region, lang) for lang in LANGUAGES},
                          "names": _regions().get(region, {lang: region for lang in LANGUAGES}),
                          "background": background, "foreground": foreground})
        maps.append({
            "code": code, "names": targets.get(code, {}).get("names", {lang: code for lang in LANGUAGES}),
            "short": SHORT_INDICATOR_NAMES.get(code) or targets.get(code, {}).get("names"),
            "unit": targets.get(code, {}).get("unit", ""), "tiles": tiles,
            "ranking": [{"rank": rank_of[c], "code": c, "value": v,
                         "names": _regions().get(c, {lang: c for lang in LANGUAGES})} for v, c in ranked],
            "low": low, "high": high,
        })
    return maps


def _column_unit(column: str) -> str:
    if column.endswith(("_share", "_pct", "_percent")) or column.startswith("pct_"):
        return "percent"
    if column.endswith("_kzt"):
        return "KZT"
    return ""


ALL_OPERATORS = "all"
# Claims against measurements and challenge statistics (per region and KZ, per operator and all).
CLAIMS_TABLE = "fct_claim_statistics"
CHALLENGES_TABLE = "fct_challenge_statistics"


@cache
def operator_names() -> dict[str, dict[str, str]]:
    from qamtu.contracts import submitters

    return {str(o["id"]): {lang: (o.get("labels") or {}).get(lang) or o["id"] for lang in LANGUAGES}
            for o in submitters().get("operator", [])}


def _cell(value: Any, column: str) -> dict[str, Any]:
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    if numeric or value is None or isinstance(value, bool):
        return {"value": num(value, _column_unit(column)), "numeric": numeric}
    return {"value": Markup(escape(str(value))), "numeric": False}


def _region_table(mart: MartTable | None, period: str, by_operator: bool = False) -> dict[str, Any] | None:
    """A mart's rows for the period as a table, every column labelled from the dbt documentation.
    By region (the nation last, as the total; all operators together when the mart has an operator
    column), or with ``by_operator`` the nation's rows one per operator."""
    if mart is None:
        return None
    columns = mart.data.column_names
    rows = [r for r in _rows(mart) if "period" not in r or _period_text(r["period"]) == period]
    has_operator = "operator" in columns
    if by_operator:
        if not has_operator:
            return None
        rows = [r for r in rows if r.get("operator") != ALL_OPERATORS and str(r.get("region_code")) == NATION]
    elif has_operator:
        rows = [r for r in rows if r.get("operator") == ALL_OPERATORS]
    if not rows:
        return None
    shown = [c for c in columns if c not in ("period", "region_code", "operator")]
    body = []
    if by_operator:
        rows.sort(key=lambda r: str(r["operator"]))
        for row in rows:
            operator = str(row["operator"])
            body.append({"first": operator_names().get(operator, {lang: operator for lang in LANGUAGES}),
                         "total": False, "cells": [_cell(row.get(c), c) for c in shown]})
    else:
        has_region = "region_code" in columns
        rows.sort(key=lambda r: (str(r.get("region_code")) == NATION, str(r.get("region_code") or "")))
        for row in rows:
            region = str(row.get("region_code")) if has_region else None
            first = None
            if has_region:
                first = (
                    UI["nation"]
                    if region == NATION
                    else _regions().get(region, {lang: region for lang in LANGUAGES})
                )
            body.append({"first": first, "total": region == NATION,
                         "cells": [_cell(row.get(c), c) for c in shown]})
    return {
        "name": mart.name,
        "first_column": UI["operator"] if by_operator else UI["region"],
        "columns": [
            {"name": c, "labels": {lang: mart.column_label(c, lang) for lang in LANGUAGES}} for c in shown
        ],
        "has_first": body[0]["first"] is not None,
        "rows": body,
    }


def _submitter_names(kind: str, submitter: str) -> dict[str, str]:
    if kind == "akimat":
        return _regions().get(submitter, {lang: submitter for lang in LANGUAGES})
    if kind == "operator":
        return operator_names().get(submitter, {lang: submitter for lang in LANGUAGES})
    return {lang: submitter for lang in LANGUAGES}


def _changes_view(changes: dict[str, Any]) -> dict[str, Any]:
    targets = _targets()
    view = dict(changes)
    view["revised"] = [
        row | {"names": targets.get(row["indicator"], {}).get("names",
                                                              {lang: row["indicator"] for lang in LANGUAGES}),
               "unit": targets.get(row["indicator"], {}).get("unit", ""),
               "region_names": UI["nation"] if row["region_code"] == NATION
               else _regions().get(row["region_code"], {lang: row["region_code"] for lang in LANGUAGES})}
        for row in changes.get("revised_figures", [])
    ]
    for key in ("resubmissions", "late_submissions"):
        view[key] = [
            item | {"kind_names": KINDS.get(item["kind"], {lang: item["kind"] for lang in LANGUAGES}),
                    "report_names": REPORT_TYPES.get(item["report_type"],
                                                     {lang: item["report_type"] for lang in LANGUAGES}),
                    "submitter_names": _submitter_names(item["kind"], item["submitter"])}
            for item in changes.get(key, [])
        ]
    return view


def _environment():
    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.globals.update(t=t, tri=tri, num=num, unit_label=unit_label,
                               pace_decimals=pace_decimals, UI=UI,
                               LANGUAGES=LANGUAGES,
                               LANGUAGE_NAMES=LANGUAGE_NAMES)
    return environment


def render(marts: list[MartTable], period: str, version: int, published_at: str, changes: dict[str, Any],
           files: list[dict[str, Any]]) -> str:
    _svg_counter[0] = 0  # chart ids count from 1 in every report: the same release gives the same bytes
    by_name = {m.name: m for m in marts}
    progress = _rows(by_name.get(PROGRESS_TABLE))
    cards, reported = _headline(progress, period)
    titles = {lang: f"{UI['title'][lang]} — {period} v{version}" for lang in LANGUAGES}
    template = _environment().get_template("report.html.j2")
    html = template.render(
        period=period, version=version, published_at=published_at, titles=titles,
        default_language=DEFAULT_LANGUAGE, cards=cards, reported=reported,
        tile_maps=_tile_maps(progress, period),
        support=_region_table(by_name.get(SUPPORT_TABLE), period),
        enforcement=_region_table(by_name.get(ENFORCEMENT_TABLE), period),
        enforcement_by_operator=_region_table(by_name.get(ENFORCEMENT_TABLE), period, by_operator=True),
        claims=_region_table(by_name.get(CLAIMS_TABLE), period),
        claims_by_operator=_region_table(by_name.get(CLAIMS_TABLE), period, by_operator=True),
        challenges=_region_table(by_name.get(CHALLENGES_TABLE), period),
        challenges_by_operator=_region_table(by_name.get(CHALLENGES_TABLE), period, by_operator=True),
        changes=_changes_view(changes), files=files,
        grid_columns=max(c for c, _ in TILE_GRID.values()), grid_rows=max(r for _, r in TILE_GRID.values()),
    )
    return html
