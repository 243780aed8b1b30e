"""Placing the named defects (``defects.py``) into one period's tables and files.

Placement is fixed by the seed and the defect's name only (never by which other defects are chosen):
the akimats that receive whole-file defects come from one seed-made permutation, in a fixed order of
slots; every other choice draws from the defect's own random stream. Extra rows use ids and KATO
"slots" that cannot collide with clean rows or with each other.
"""

from __future__ import annotations

import dataclasses
import zlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

import numpy as np

from qamtu.generate.defects import DEFECTS
from qamtu.generate.formats import AKIMAT_FORMATS, OPERATOR_FORMATS, FileFormat, Rendered, render
from qamtu.generate.tables import Row, Table, stable_fraction
from qamtu.generate.truth import PROGRAMME_START
from qamtu.generate.world import (
    MOBILE,
    STREAM,
    FibreLink,
    World,
    month_first_day,
    month_index,
    month_last_day,
    rng_for,
)

TableKey = tuple[str, str, str]  # kind, submitter, report_type


class DefectSkipped(Exception):
    """The defect cannot be placed in this period (e.g. it needs a previous generated period)."""


@dataclass
class Injection:
    """One injected defect; ``row`` is looked up after rendering to give its line."""

    name: str
    table: TableKey | None = None
    row: Row | None = None
    line_of: str | None = None  # row | totals | header | None
    line: int | None = None
    kato_code: str | None = None
    operator: str | None = None
    road_code: str | None = None
    region_code: str | None = None
    field: str | None = None
    value: Any = None
    details: dict[str, Any] = dataclasses.field(default_factory=dict)
    transform: Callable[[Table, FileFormat, Rendered], bytes] | None = None  # replaces the file's bytes
    omit: bool = False  # the file is not written at all
    copy_to: str | None = None  # an extra file: the rendered bytes of ``table`` under this folder
    resubmission: bool = False  # an extra, empty object for the same key under landing_resubmissions/
    speed_row: int | None = None  # speed tests: the 0-based row given a negative download

    def record(self, period: str, key: str | None, area: str = "landing") -> dict[str, Any]:
        d = DEFECTS[self.name]
        return {
            "name": self.name, "stage": d.stage, "rule": d.rule, "severity": d.severity, "period": period,
            "file": key, "area": area, "line": self.line, "kato_code": self.kato_code,
            "operator": self.operator,
            "road_code": self.road_code, "region_code": self.region_code, "field": self.field,
            "value": _jsonable(self.value), "alters_expected": list(d.alters_expected),
            "details": {k: _jsonable(v) for k, v in self.details.items()} or None,
        }


def _jsonable(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


@dataclass
class Context:
    world: World
    period: str
    tables: dict[TableKey, Table]
    has_previous: bool  # the previous month is among the generated periods

    @property
    def m(self) -> int:
        return month_index(self.period)

    def rng(self, name: str) -> np.random.Generator:
        return rng_for(self.world.seed, STREAM["defects"], zlib.crc32(name.encode()), self.m + 1000)

    def table(self, kind: str, submitter: str, report_type: str) -> Table:
        return self.tables[(kind, submitter, report_type)]

    def insert(self, table: Table, row: Row, rng: np.random.Generator, after: int = -1) -> None:
        position = int(rng.integers(after + 1, len(table.rows) + 1))
        table.rows.insert(position, row)


def allocation(world: World) -> dict[str, str]:
    """Which akimat receives each whole-file defect (fixed by the seed, one akimat per slot)."""
    order = [str(a) for a in rng_for(world.seed, STREAM["defects"]).permutation(list(world.akimats))]
    xlsx = [a for a in order if AKIMAT_FORMATS[a].ext == "xlsx"]
    csv = [a for a in order if AKIMAT_FORMATS[a].ext == "csv"]
    slots = {"truncated_xlsx": xlsx[0], "missing_submission": xlsx[1], "wrong_encoding": csv[0],
             "binary_junk_csv": csv[1], "empty_file": csv[2], "missing_required_column": csv[3]}
    spare = [a for a in order if a not in slots.values()]
    slots["negative_number"] = spare[0]
    return slots


# --- helpers -------------------------------------------------------------------------------------
def _absent_settlement(ctx: Context, operator: str, slot: int) -> int:
    """A rural settlement the operator's settlement_fiber does not list; ``slot`` keeps two defects
    on the same operator from choosing the same one."""
    listed = {row["kato_code"] for row in ctx.table("operator", operator, "settlement_fiber").rows}
    world = ctx.world
    candidates = [i for i in np.flatnonzero(world.rural) if world.codes[i] not in listed]
    candidates.sort(key=lambda i: stable_fraction(world.seed, "absent", world.codes[i]))
    return int(candidates[slot])


def _operator(ctx: Context, name: str, choices: tuple[str, ...]) -> str:
    return choices[int(ctx.rng(name + "/operator").integers(len(choices)))]


def _fibre_row(world: World, i: int, operator: str, **values: Any) -> Row:
    from qamtu.generate.tables import settlement_label

    row = {"kato_code": world.codes[i], "settlement_name": settlement_label(world, i, operator),
           "status": "connected",
           "connected_on": None, "households_passed": 0, "households_connected": 0, "max_speed_mbps": None}
    row.update(values)
    return row


def _extra_row(ctx: Context, name: str, key: TableKey, row: Row, rng: np.random.Generator | None = None,
               **found: Any) -> Injection:
    """``row`` as an extra row of table ``key``, at a place drawn from ``rng`` (default: the defect's own
    stream); ``found`` are the Injection's fields that say where and what it is."""
    ctx.insert(ctx.table(*key), row, ctx.rng(name) if rng is None else rng)
    return Injection(name, key, row, "row", **found)


# --- row defects ---------------------------------------------------------------------------------
def households_connected_above_passed(ctx: Context) -> Injection:
    name = "households_connected_above_passed"
    op = _operator(ctx, name, ctx.world.operators)
    i = _absent_settlement(ctx, op, 0)
    passed = max(10, int(ctx.world.households[i]) // 3)
    row = _fibre_row(ctx.world, i, op, connected_on=month_first_day(ctx.m) + timedelta(days=3),
                     households_passed=passed, households_connected=passed + 17, max_speed_mbps=100.0)
    return _extra_row(ctx, name, ("operator", op, "settlement_fiber"), row,
                      kato_code=row["kato_code"], operator=op,
                      region_code=ctx.world.region[i], field="households_connected", value=passed + 17,
                      details={"households_passed": passed})


def connected_on_after_period(ctx: Context) -> Injection:
    name = "connected_on_after_period"
    op = _operator(ctx, name, ctx.world.operators)
    i = _absent_settlement(ctx, op, 1)
    households = int(ctx.world.households[i])
    when = month_last_day(ctx.m) + timedelta(days=9)
    row = _fibre_row(ctx.world, i, op, connected_on=when, households_passed=households // 2,
                     households_connected=households // 4)
    return _extra_row(ctx, name, ("operator", op, "settlement_fiber"), row,
                      kato_code=row["kato_code"], operator=op,
                      region_code=ctx.world.region[i], field="connected_on", value=when)


def unknown_kato_code(ctx: Context) -> Injection:
    name = "unknown_kato_code"
    world = ctx.world
    op = _operator(ctx, name, world.operators)
    i = _absent_settlement(ctx, op, 2)
    code = next(world.codes[i][:6] + suffix for suffix in ("998", "997", "996", "995")
                if world.codes[i][:6] + suffix not in world.kato_codes)
    row = _fibre_row(world, i, op, kato_code=code, status="planned")
    return _extra_row(ctx, name, ("operator", op, "settlement_fiber"), row, kato_code=code, operator=op,
                      region_code=code[:2], field="kato_code", value=code)


def _extra_road_stretch(ctx: Context, name: str, min_length_tenths: int, field: str,
                        ends: Callable[[int], tuple[float, float]],
                        details: Callable[[int, Row], dict[str, Any]]) -> Injection:
    """An extra 4G road_coverage stretch of a mobile operator on a road at least ``min_length_tenths``
    long; ``ends(length in tenths)`` gives its km_from and km_to, ``field`` is the one at fault."""
    world = ctx.world
    rng = ctx.rng(name)
    op = _operator(ctx, name, MOBILE)
    roads = [r for r, length in enumerate(world.road_length_tenths) if length >= min_length_tenths]
    r = roads[int(rng.integers(len(roads)))]
    length = world.road_length_tenths[r]
    km_from, km_to = ends(length)
    row = {"road_code": world.road_codes[r], "km_from": km_from, "km_to": km_to, "technology": "4G"}
    return _extra_row(ctx, name, ("operator", op, "road_coverage"), row, rng, operator=op,
                      road_code=row["road_code"], field=field, value=row[field], details=details(length, row))


def road_km_beyond_length(ctx: Context) -> Injection:
    return _extra_road_stretch(ctx, "road_km_beyond_length", 300, "km_to",
                               ends=lambda length: ((length - 120) / 10, (length + 234) / 10),
                               details=lambda length, _row: {"length_km": length / 10})


def road_stretch_reversed(ctx: Context) -> Injection:
    return _extra_road_stretch(ctx, "road_stretch_reversed", 600, "km_from",
                               ends=lambda length: ((length * 6 // 10) / 10, (length * 4 // 10) / 10),
                               details=lambda _length, row: {"km_to": row["km_to"]})


def _akimat(ctx: Context, name: str, villages_only: bool = False) -> str:
    choices = [a for a in ctx.world.akimats if not villages_only or any(ctx.world.rural[i]
                                                                        for i in ctx.world.by_region[a])]
    return choices[int(ctx.rng(name + "/akimat").integers(len(choices)))]


def _inspection_row(ctx: Context, region: str, number: int, i: int, **values: Any) -> Row:
    world = ctx.world
    row = {"inspection_id": f"{region}-QI-{ctx.period.replace('-', '')}-{number}",
           "kato_code": world.codes[i],
           "operator": "kcell", "inspected_on": month_first_day(ctx.m) + timedelta(days=10),
           "technology": "4G",
           "measured_download_mbps": 4.2, "required_download_mbps": 10.0, "violation": True,
           "fine_kzt": 86500, "fine_paid": False}
    row.update(values)
    return row


def fine_without_violation(ctx: Context) -> Injection:
    name = "fine_without_violation"
    a = _akimat(ctx, name)
    i = ctx.world.by_region[a][0]
    row = _inspection_row(ctx, a, 9001, i, measured_download_mbps=24.8, violation=False, fine_kzt=86500)
    return _extra_row(ctx, name, ("akimat", a, "quality_inspections"), row, kato_code=row["kato_code"],
                      operator="kcell", region_code=a, field="fine_kzt", value=86500)


def kato_outside_region(ctx: Context) -> Injection:
    name = "kato_outside_region"
    world = ctx.world
    a = _akimat(ctx, name)
    rng = ctx.rng(name)
    others = [i for i in range(len(world.codes)) if world.region[i] != a]
    i = others[int(rng.integers(len(others)))]
    row = _inspection_row(ctx, a, 9002, i)
    return _extra_row(ctx, name, ("akimat", a, "quality_inspections"), row, rng, kato_code=row["kato_code"],
                      operator="kcell", region_code=a, field="kato_code", value=row["kato_code"],
                      details={"kato_region": world.region[i]})


def missing_required_value(ctx: Context) -> Injection:
    name = "missing_required_value"
    a = _akimat(ctx, name)
    i = ctx.world.by_region[a][-1]
    row = _inspection_row(ctx, a, 9003, i, operator=None)
    return _extra_row(ctx, name, ("akimat", a, "quality_inspections"), row, kato_code=row["kato_code"],
                      region_code=a, field="operator", value=None)


def _land_row(ctx: Context, region: str, number: int, **values: Any) -> Row:
    world = ctx.world
    i = world.by_region[region][0]
    requested = month_last_day(ctx.m) - timedelta(days=5)
    row = {"request_id": f"{region}-{ctx.period.replace('-', '')}-{number}", "operator": "kazakhtelecom",
           "kato_code": world.codes[i], "purpose": "fibre_route", "requested_on": requested,
           "decision": "approved", "decided_on": requested + timedelta(days=2)}
    row.update(values)
    return row


def decision_before_request(ctx: Context) -> Injection:
    name = "decision_before_request"
    a = _akimat(ctx, name)
    requested = month_last_day(ctx.m) - timedelta(days=5)
    decided = requested - timedelta(days=12)
    row = _land_row(ctx, a, 90001, requested_on=requested, decided_on=decided)
    return _extra_row(ctx, name, ("akimat", a, "land_allocation"), row, kato_code=row["kato_code"],
                      operator="kazakhtelecom", region_code=a, field="decided_on", value=decided,
                      details={"requested_on": requested})


def unknown_operator(ctx: Context) -> Injection:
    name = "unknown_operator"
    a = _akimat(ctx, name)
    row = _land_row(ctx, a, 90002, operator="Jusan Mobile", purpose="base_station", decision="pending",
                    decided_on=None)
    return _extra_row(ctx, name, ("akimat", a, "land_allocation"), row, kato_code=row["kato_code"],
                      operator="Jusan Mobile", region_code=a, field="operator", value="Jusan Mobile")


def invalid_date(ctx: Context) -> Injection:
    name = "invalid_date"
    a = _akimat(ctx, name)
    year = ctx.period[:4]
    text = f"{year}-02-31" if AKIMAT_FORMATS[a].date_style == "iso" else f"31.02.{year}"
    row = _land_row(ctx, a, 90003, requested_on=text, decision="pending", decided_on=None)
    return _extra_row(ctx, name, ("akimat", a, "land_allocation"), row, kato_code=row["kato_code"],
                      operator="kazakhtelecom", region_code=a, field="requested_on", value=text)


def negative_number(ctx: Context, slots: dict[str, str]) -> Injection:
    name = "negative_number"
    a = slots[name]
    table = ctx.table("akimat", a, "pole_access")
    present = {(r["district_kato"], r["operator"]) for r in table.rows}
    districts = sorted({r["district_kato"] for r in table.rows})
    pair = next((d, op) for d in districts for op in ("tele2", "beeline", "kcell") if (d, op) not in present)
    row = {"district_kato": pair[0], "operator": pair[1], "poles_requested": 30, "poles_granted": -5}
    return _extra_row(ctx, name, ("akimat", a, "pole_access"), row, kato_code=pair[0], operator=pair[1],
                      region_code=a, field="poles_granted", value=-5)


def coordinates_outside_kazakhstan(ctx: Context) -> Injection:
    name = "coordinates_outside_kazakhstan"
    world = ctx.world
    op = _operator(ctx, name, MOBILE)
    i = next(i for i in world.by_region["61"] if world.rural[i])
    site_id = {"kcell": "KC-61-99001", "beeline": "BL6199001", "tele2": "T2_61_99001"}[op]
    row = {"site_id": site_id, "kato_code": world.codes[i], "latitude": 39.9, "longitude": 67.1,
           "technology": "4G", "status": "planned", "on_air_date": None, "road_code": None}
    return _extra_row(ctx, name, ("operator", op, "base_stations"), row,
                      kato_code=row["kato_code"], operator=op,
                      region_code="61", field="latitude", value=39.9)


def duplicate_id(ctx: Context) -> Injection:
    name = "duplicate_id"
    rng = ctx.rng(name)
    op = _operator(ctx, name, MOBILE)
    table = ctx.table("operator", op, "base_stations")
    legacy = [k for k, r in enumerate(table.rows) if r["technology"] in ("2G", "3G")]
    original = legacy[int(rng.integers(len(legacy)))]
    row = dict(table.rows[original])
    ctx.insert(table, row, rng, after=original)
    inj = Injection(name, ("operator", op, "base_stations"), row, "row",
                    kato_code=row["kato_code"], operator=op,
                    region_code=row["kato_code"][:2], field="site_id", value=row["site_id"])
    inj.details["first_row"] = table.rows[original]  # replaced by its line after rendering
    return inj


def speed_out_of_range(ctx: Context, rows: int) -> Injection:
    name = "speed_out_of_range"
    k = int(ctx.rng(name).integers(rows))
    return Injection(name, ("measurement", "qos", "speed_tests"), line=k + 2,
                     field="download_mbps", value=-12.5,
                     speed_row=k)


# --- file defects --------------------------------------------------------------------------------
def totals_row_mismatch(ctx: Context) -> Injection:
    name = "totals_row_mismatch"
    table = ctx.table("operator", "kazakhtelecom", "settlement_fiber")
    total = sum(r["households_connected"] or 0 for r in table.rows) + 1000
    table.totals_override = {"households_connected": total}
    return Injection(name, ("operator", "kazakhtelecom", "settlement_fiber"), line_of="totals",
                     operator="kazakhtelecom", field="households_connected", value=total,
                     details={"sum_of_rows": total - 1000})


def unknown_header(ctx: Context) -> Injection:
    name = "unknown_header"
    table = ctx.table("operator", "tele2", "base_stations")
    header = "Ескертпе"
    table.extra_columns[header] = ""
    rng = ctx.rng(name)
    for row in table.rows:
        if rng.random() < 0.05:
            row[header] = "тексерілді"
    return Injection(name, ("operator", "tele2", "base_stations"), line_of="header", operator="tele2",
                     field=header, value=header)


def missing_required_column(ctx: Context, slots: dict[str, str]) -> Injection:
    name = "missing_required_column"
    a = slots[name]
    ctx.table("akimat", a, "pole_access").columns.remove("operator")
    return Injection(name, ("akimat", a, "pole_access"), line_of="header", region_code=a, field="operator")


def empty_file(ctx: Context, slots: dict[str, str]) -> Injection:
    a = slots["empty_file"]
    return Injection("empty_file", ("akimat", a, "pole_access"), region_code=a, transform=lambda *_: b"")


def truncated_xlsx(ctx: Context, slots: dict[str, str]) -> Injection:
    a = slots["truncated_xlsx"]
    return Injection("truncated_xlsx", ("akimat", a, "power_connections"), region_code=a,
                     transform=lambda _t, _f, rendered: rendered.data[: len(rendered.data) // 2])


def binary_junk_csv(ctx: Context, slots: dict[str, str]) -> Injection:
    a = slots["binary_junk_csv"]
    junk = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + ctx.rng("binary_junk_csv").bytes(4096 - 16)
    return Injection("binary_junk_csv", ("akimat", a, "pole_access"), region_code=a,
                     transform=lambda *_: junk)


def wrong_encoding(ctx: Context, slots: dict[str, str]) -> Injection:
    a = slots["wrong_encoding"]

    def utf16(table: Table, fmt: FileFormat, _rendered: Rendered) -> bytes:
        text = render(table, fmt).data.decode(fmt.encoding)
        return text.encode("utf-16")  # BOM FF FE, little endian

    return Injection("wrong_encoding", ("akimat", a, "power_connections"), region_code=a, transform=utf16,
                     value="UTF-16LE with BOM")


def missing_submission(ctx: Context, slots: dict[str, str]) -> Injection:
    a = slots["missing_submission"]
    return Injection("missing_submission", ("akimat", a, "power_connections"), region_code=a, omit=True)


def file_in_wrong_folder(ctx: Context) -> Injection:
    name = "file_in_wrong_folder"
    op = _operator(ctx, name, MOBILE)
    a = _akimat(ctx, name)
    return Injection(name, ("operator", op, "road_coverage"), operator=op, region_code=a,
                     copy_to=f"akimat/{a}/{ctx.period}")


def wrong_period_folder(ctx: Context) -> Injection:
    name = "wrong_period_folder"
    op = _operator(ctx, name, ctx.world.operators)
    return Injection(name, ("operator", op, "city_5g"), operator=op,
                     copy_to=f"operator/{op}/{ctx.period[:4]}-13")


def unknown_submitter(ctx: Context) -> Injection:
    name = "unknown_submitter"
    op = _operator(ctx, name, ctx.world.operators)
    return Injection(name, ("operator", op, "city_5g"), operator="jusan",
                     copy_to=f"operator/jusan/{ctx.period}",
                     details={"copied_from": op})


def zero_byte_resubmission(ctx: Context) -> Injection:
    name = "zero_byte_resubmission"
    op = _operator(ctx, name, ctx.world.operators)
    return Injection(name, ("operator", op, "city_5g"), operator=op, resubmission=True)


# --- audit defects -------------------------------------------------------------------------------
def households_passed_above_settlement(ctx: Context) -> Injection:
    name = "households_passed_above_settlement"
    world = ctx.world
    rng = ctx.rng(name)
    op = _operator(ctx, name, ("kazakhtelecom", "kazakhtelecom", *MOBILE))
    operators_of: dict[str, int] = {}
    for link in world.fibre_links:
        if link.status(ctx.m) is not None:
            operators_of[world.codes[link.settlement]] = operators_of.get(world.codes[link.settlement], 0) + 1
    table = ctx.table("operator", op, "settlement_fiber")
    single = [r for r in table.rows if r["status"] == "connected" and operators_of.get(r["kato_code"]) == 1
              and r["kato_code"] in world.index]
    row = single[int(rng.integers(len(single)))]
    households = int(world.households[world.index[row["kato_code"]]])
    row["households_passed"] = households + max(5, households // 10)
    return Injection(name, ("operator", op, "settlement_fiber"), row, "row",
                     kato_code=row["kato_code"], operator=op,
                     region_code=row["kato_code"][:2], field="households_passed",
                     value=row["households_passed"],
                     details={"settlement_households": households})


def city_5g_area_above_city_area(ctx: Context) -> Injection:
    name = "city_5g_area_above_city_area"
    world = ctx.world
    rng = ctx.rng(name)
    op = _operator(ctx, name, MOBILE)
    table = ctx.table("operator", op, "city_5g")
    row = table.rows[int(rng.integers(len(table.rows)))]
    area = world.city_area[world.index[row["city_kato"]]]
    row["covered_area_km2"] = round(area * 1.18, 1)
    return Injection(name, ("operator", op, "city_5g"), row, "row", kato_code=row["city_kato"], operator=op,
                     region_code=row["city_kato"][:2], field="covered_area_km2",
                     value=row["covered_area_km2"],
                     details={"area_km2": area})


def _connected_links(world: World, m: int) -> dict[int, list[FibreLink]]:
    """Settlement → its fibre links connected in month ``m``, in the world's order."""
    by: dict[int, list[FibreLink]] = {}
    for link in world.fibre_links:
        if link.status(m) == "connected":
            by.setdefault(link.settlement, []).append(link)
    return by


def _connected_by(ctx: Context) -> dict[int, list[str]]:
    """Settlement → the operators whose fibre connects it this period."""
    return {i: [link.operator for link in links] for i, links in _connected_links(ctx.world, ctx.m).items()}


def _require_previous(ctx: Context) -> None:
    """A cross-period defect needs the previous month among the generated periods."""
    if not ctx.has_previous:
        raise DefectSkipped(f"{ctx.period}: the previous period is not generated")


def _akimat_contradicts_operators(ctx: Context, name: str, operators_connect: bool) -> Injection:
    """An akimat's settlement_connectivity row of a rural settlement of its region says has_fibre the
    opposite of the operators: no where an operator reports it fibre-connected (``operators_connect``),
    yes where none does."""
    world = ctx.world
    rng = ctx.rng(name)
    a = _akimat(ctx, name, villages_only=True)
    connected = _connected_by(ctx)
    candidates = [i for i in world.by_region[a] if world.rural[i] and (i in connected) == operators_connect]
    if not candidates:
        raise DefectSkipped(f"no rural settlement of region {a} has fibre in "
                            f"{ctx.period}" if operators_connect
                            else f"every settlement of region {a} has fibre in {ctx.period}")
    i = candidates[int(rng.integers(len(candidates)))]
    table = ctx.table("akimat", a, "settlement_connectivity")
    row = next(r for r in table.rows if r["kato_code"] == world.codes[i])
    row["has_fibre"] = not operators_connect
    return Injection(name, ("akimat", a, "settlement_connectivity"), row, "row", kato_code=world.codes[i],
                     operator=sorted(connected[i])[0] if operators_connect else None, region_code=a,
                     field="has_fibre", value=row["has_fibre"])


def operator_akimat_disagree(ctx: Context) -> Injection:
    return _akimat_contradicts_operators(ctx, "operator_akimat_disagree", operators_connect=True)


def akimat_fibre_without_operator(ctx: Context) -> Injection:
    return _akimat_contradicts_operators(ctx, "akimat_fibre_without_operator", operators_connect=False)


def cumulative_drop(ctx: Context) -> Injection:
    name = "cumulative_drop"
    _require_previous(ctx)
    world = ctx.world
    m = ctx.m
    links_of = _connected_links(world, m)

    def harmless(link) -> bool:
        # Leaving this link out changes no headline figure: another operator keeps the settlement
        # connected, as new (or not) as before, with at least as many households connected.
        others = [x for x in links_of[link.settlement] if x is not link]
        if not others or link.status(m - 1) != "connected":
            return False
        new_all = any(x.connected_on >= PROGRAMME_START for x in links_of[link.settlement])
        new_rest = any(x.connected_on >= PROGRAMME_START for x in others)
        best_rest = max(world.households_connected(x, m) for x in others)
        return new_all == new_rest and best_rest >= world.households_connected(link, m)

    candidates: dict[str, list[str]] = {}
    for link in world.fibre_links:
        if link.settlement in links_of and link in links_of[link.settlement] and harmless(link):
            candidates.setdefault(link.operator, []).append(world.codes[link.settlement])
    # Leave out enough for the operator's connected count to fall clearly below last period's
    # (this month's new connections, plus a margin for defective extra rows in the same file).
    need: dict[str, int] = {}
    for op in world.operators:
        now = sum(1 for x in world.fibre_links if x.operator == op and x.status(m) == "connected")
        before = sum(1 for x in world.fibre_links if x.operator == op and x.status(m - 1) == "connected")
        need[op] = max(0, now - before) + 5
    ops = [op for op in MOBILE if len(candidates.get(op, ())) >= need[op]] \
        or [op for op in sorted(candidates) if len(candidates[op]) >= need[op]]
    if not ops:
        raise DefectSkipped(f"{ctx.period}: too few settlements another operator also connects")
    rng = ctx.rng(name)
    op = ops[int(rng.integers(len(ops)))]
    chosen = sorted(rng.choice(candidates[op], size=need[op], replace=False).tolist())
    table = ctx.table("operator", op, "settlement_fiber")
    table.rows = [r for r in table.rows if r["kato_code"] not in set(chosen)]
    return Injection(
        name,
        ("operator", op, "settlement_fiber"),
        operator=op,
        field="status",
        details={
            "left_out_kato_codes": chosen,
            "connected_previous_period": sum(
                1 for x in world.fibre_links if x.operator == op and x.status(m - 1) == "connected"
            ),
            "connected_reported": sum(1 for r in table.rows if r["status"] == "connected"),
        },
    )


def covered_km_drop(ctx: Context) -> Injection:
    name = "covered_km_drop"
    _require_previous(ctx)
    world = ctx.world
    m = ctx.m
    pieces_of: dict[str, list] = {}
    for p in world.road_pieces:
        pieces_of.setdefault(world.road_codes[p.road], []).append(p)
    rng = ctx.rng(name)
    for op in [MOBILE[k] for k in rng.permutation(len(MOBILE))]:
        stretches = world.road_stretches(op, m)
        whole = set(stretches)
        own_now = sum(b - a for _, a, b, _ in stretches)
        own_before = sum(b - a for _, a, b, _ in world.road_stretches(op, m - 1))

        def droppable(code: str, a: int, b: int, op: str = op) -> bool:
            for p in pieces_of[code]:
                if p.end <= a or p.start >= b:
                    continue
                mine = p.covers.get(op)
                if mine is None or mine[0] > m - 1:
                    return False
                if not any(c[0] <= m for other, c in p.covers.items() if other != op):
                    return False
            return True

        candidates = sorted((s for s in whole if droppable(s[0], s[1], s[2])), key=lambda s: (s[1] - s[2], s))
        dropped: list[tuple[str, int, int, str]] = []
        for s in candidates:
            if own_now - sum(b - a for _, a, b, _ in dropped) < own_before:
                break
            dropped.append(s)
        if dropped and own_now - sum(b - a for _, a, b, _ in dropped) < own_before:
            table = ctx.table("operator", op, "road_coverage")
            gone = {(code, a / 10, b / 10) for code, a, b, _ in dropped}
            table.rows = [r for r in table.rows if (r["road_code"], r["km_from"], r["km_to"]) not in gone]
            return Injection(
                name,
                ("operator", op, "road_coverage"),
                operator=op,
                field="km_to",
                details={
                    "left_out_stretches": [[c, a / 10, b / 10] for c, a, b, _ in sorted(dropped)],
                    "own_km_previous_period": own_before / 10,
                    "own_km_reported": (own_now - sum(b - a for _, a, b, _ in dropped)) / 10,
                },
            )
    raise DefectSkipped(f"{ctx.period}: no operator's stretches are covered by others enough to drop")


# --- claims and challenges ----------------------------------------------------------------------
def _challenge_akimat(ctx: Context, name: str) -> str:
    """An akimat with challenges this period if any (so the defect's row sits among good ones)."""
    busy = [a for a in ctx.world.akimats if ctx.table("akimat", a, "challenges").rows]
    choices = busy or [
        a for a in ctx.world.akimats if any(ctx.world.rural[i] for i in ctx.world.by_region[a])
    ]
    return choices[int(ctx.rng(name + "/akimat").integers(len(choices)))]


def challenge_unknown_settlement(ctx: Context) -> Injection:
    name = "challenge_unknown_settlement"
    world = ctx.world
    a = _challenge_akimat(ctx, name)
    i = next(i for i in world.by_region[a] if world.rural[i])
    code = next(world.codes[i][:6] + suffix for suffix in ("989", "988", "987", "986")
                if world.codes[i][:6] + suffix not in world.kato_codes)
    row = {"challenge_id": f"{a}-CH-{ctx.period.replace('-', '')}-901", "kato_code": code,
           "operator": "kcell",
           "claim": "mobile_4g", "evidence": "citizen_complaints", "measured_download_mbps": None,
           "complaints": 12,
           "submitted_on": month_first_day(ctx.m) + timedelta(days=4)}
    return _extra_row(ctx, name, ("akimat", a, "challenges"), row, kato_code=code, operator="kcell",
                      region_code=a, field="kato_code", value=code)


def response_unknown_challenge(ctx: Context) -> Injection:
    name = "response_unknown_challenge"
    op = _operator(ctx, name, MOBILE)
    region = _akimat(ctx, name)
    challenge_id = f"{region}-CH-{ctx.period.replace('-', '')}-999"
    row = {"challenge_id": challenge_id, "response": "contest", "evidence": "network_logs",
           "responded_on": month_first_day(ctx.m) + timedelta(days=6)}
    return _extra_row(ctx, name, ("operator", op, "challenge_responses"), row, operator=op,
                      region_code=region,
                      field="challenge_id", value=challenge_id)


def response_after_deadline(ctx: Context) -> Injection:
    from qamtu.generate.claims import plan

    name = "response_after_deadline"
    if not ctx.has_previous:
        raise DefectSkipped(f"{ctx.period}: needs the previous period's challenges")
    world = ctx.world
    end = month_last_day(ctx.m)
    previous = [c for region in world.regions for c in plan(world).challenges_of_month(region, ctx.m - 1)
                if c.deadline_on + timedelta(days=3) <= end]
    # A silent challenge first (upheld on its deadline); else one answered in time before this period.
    silent = [c for c in previous if c.responded_on is None]
    answered = [c for c in previous if c.responded_on is not None and c.responded_on < month_first_day(ctx.m)]
    choices = silent or answered
    if not choices:
        raise DefectSkipped(f"{ctx.period}: no challenge of the previous period whose deadline has passed")
    c = choices[int(ctx.rng(name).integers(len(choices)))]
    responded = c.deadline_on + timedelta(days=3)
    row = {"challenge_id": c.challenge_id, "response": "contest", "evidence": "own_measurements",
           "responded_on": responded}
    table = ctx.table("operator", c.operator, "challenge_responses")
    if any(r["challenge_id"] == c.challenge_id for r in table.rows):
        raise DefectSkipped(f"{ctx.period}: {c.challenge_id} is already answered in this period's file")
    return _extra_row(ctx, name, ("operator", c.operator, "challenge_responses"), row, ctx.rng(name + "/row"),
                      kato_code=c.kato_code, operator=c.operator, region_code=c.region, field="responded_on",
                      value=responded, details={"challenge_id": c.challenge_id, "deadline_on": c.deadline_on})


# Application order: changes of existing rows before extra rows, so nothing edits a defect's row.
def apply(name: str, ctx: Context, slots: dict[str, str], speed_rows: int) -> Injection:
    table_free = {
        "speed_out_of_range": lambda: speed_out_of_range(ctx, speed_rows),
    }
    with_slots = {
        "negative_number": negative_number, "missing_required_column": missing_required_column,
        "empty_file": empty_file, "truncated_xlsx": truncated_xlsx, "binary_junk_csv": binary_junk_csv,
        "wrong_encoding": wrong_encoding, "missing_submission": missing_submission,
    }
    if name in table_free:
        return table_free[name]()
    if name in with_slots:
        return with_slots[name](ctx, slots)
    return globals()[name](ctx)


ORDER = (
    "cumulative_drop", "covered_km_drop", "households_passed_above_settlement",
    "city_5g_area_above_city_area",
    "operator_akimat_disagree", "akimat_fibre_without_operator", "missing_required_column", "unknown_header",
    "households_connected_above_passed", "connected_on_after_period", "unknown_kato_code",
    "road_km_beyond_length",
    "road_stretch_reversed", "fine_without_violation", "kato_outside_region", "missing_required_value",
    "decision_before_request", "unknown_operator", "invalid_date", "negative_number",
    "coordinates_outside_kazakhstan", "duplicate_id", "speed_out_of_range",
    "totals_row_mismatch", "empty_file",
    "truncated_xlsx", "binary_junk_csv", "wrong_encoding", "missing_submission", "file_in_wrong_folder",
    "wrong_period_folder", "unknown_submitter", "zero_byte_resubmission", "challenge_unknown_settlement",
    "response_unknown_challenge", "response_after_deadline",
)
assert set(ORDER) == set(DEFECTS), set(ORDER) ^ set(DEFECTS)


def operator_format(op: str) -> FileFormat:
    return OPERATOR_FORMATS[op]


def utf16_format(fmt: FileFormat) -> FileFormat:
    return replace(fmt, encoding="utf-16")
