"""Clean submissions as rows of canonical values (str, int, float, date, bool, None), one ``Table``
per landing key. Formats (``formats.py``) render them; defects (``inject.py``) alter copies."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from qamtu.contracts import load_contract, report_types_of, submitter_ids
from qamtu.generate.world import World, month_index, month_last_day

Row = dict[str, Any]


@dataclass
class Table:
    kind: str
    submitter: str
    period: str
    report_type: str
    rows: list[Row]
    columns: list[str] = field(default_factory=list)  # field names to write, in order
    extra_columns: dict[str, str] = field(default_factory=dict)  # unknown header → value (defects)
    totals_override: dict[str, float] | None = None  # totals row values that differ from the sums (defects)

    def __post_init__(self) -> None:
        if not self.columns:
            self.columns = list(load_contract(self.report_type).field_names)

    @property
    def folder(self) -> str:
        return f"{self.kind}/{self.submitter}/{self.period}"


def stable_fraction(*parts: object) -> float:
    """A number in [0, 1) fixed by its parts (for choices that must not depend on generation order)."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def submissions() -> list[tuple[str, str, str]]:
    """Every (kind, submitter, report_type) the spec expects each period."""
    keys = []
    for kind in ("operator", "akimat", "measurement"):
        for submitter in submitter_ids(kind):
            for report_type in report_types_of(kind):
                keys.append((kind, submitter, report_type))
    return keys


def settlement_label(world: World, i: int, operator: str) -> str:
    """How each operator names a settlement (informative field): Kcell adds the district, with a comma."""
    if operator == "kcell":
        return f"{world.names['ru'][i]}, {world.name_ru[world.district[i]]}"
    return world.names[{"tele2": "kk", "beeline": "en"}.get(operator, "ru")][i]


def _listed(things: Iterable[Any], operator: str, m: int) -> Iterator[tuple[Any, str]]:
    """The operator's fibre links or sites that exist in month ``m``, each with its status then."""
    for thing in things:
        if thing.operator == operator:
            status = thing.status(m)
            if status is not None:
                yield thing, status


def settlement_fiber(world: World, operator: str, period: str) -> Table:
    m = month_index(period)
    rows = []
    for link, status in _listed(world.fibre_links, operator, m):
        connected = status == "connected"
        rows.append({
            "kato_code": world.codes[link.settlement],
            "settlement_name": settlement_label(world, link.settlement, operator),
            "status": status,
            "connected_on": link.connected_on if connected else None,
            "households_passed": world.households_passed(link, m),
            "households_connected": world.households_connected(link, m),
            "max_speed_mbps": link.max_speed if connected else None,
        })
    rows.sort(key=lambda r: r["kato_code"])
    return Table("operator", operator, period, "settlement_fiber", rows)


def base_stations(world: World, operator: str, period: str) -> Table:
    m = month_index(period)
    rows = []
    for site, status in _listed(world.sites, operator, m):
        rows.append({
            "site_id": site.site_id, "kato_code": world.codes[site.settlement], "latitude": site.latitude,
            "longitude": site.longitude, "technology": site.technology, "status": status,
            "on_air_date": site.on_air_date if status == "active" else None, "road_code": site.road_code,
        })
    rows.sort(key=lambda r: r["site_id"])
    return Table("operator", operator, period, "base_stations", rows)


def road_coverage(world: World, operator: str, period: str) -> Table:
    m = month_index(period)
    rows = []
    for code, start, end, tech in world.road_stretches(operator, m):
        # Some operators report a long stretch as two overlapping ones (two sites' cells): the union
        # is the same, a naive sum counts the overlap twice.
        if end - start >= 60 and stable_fraction(world.seed, operator, code, start) < 0.04:
            middle = (start + end) // 2
            overlap = min(25, (end - start) // 4)
            parts = [(start, middle + overlap), (middle - overlap, end)]
        else:
            parts = [(start, end)]
        for a, b in parts:
            rows.append({"road_code": code, "km_from": a / 10, "km_to": b / 10, "technology": tech})
    return Table("operator", operator, period, "road_coverage", rows)


def city_5g(world: World, operator: str, period: str) -> Table:
    m = month_index(period)
    active_5g: dict[int, int] = {}
    for site in world.sites:
        if site.operator == operator and site.technology == "5G" and site.status(m) == "active":
            active_5g[site.settlement] = active_5g.get(site.settlement, 0) + 1
    rows = []
    for plan in world.city_5g:
        if plan.operator != operator:
            continue
        rows.append({
            "city_kato": world.codes[plan.settlement],
            "covered_area_km2": covered_area(world, plan.settlement, plan.share(m)),
            "sites_5g": active_5g.get(plan.settlement, 0),
        })
    return Table("operator", operator, period, "city_5g", rows)


def covered_area(world: World, city: int, share: float) -> float:
    return round(world.city_area[city] * share, 1)


def land_allocation(world: World, region: str, period: str) -> Table:
    m = month_index(period)
    rows = []
    for request in world.land_register(region, m):
        decision, decided_on = request.decision(m)
        rows.append({
            "request_id": request.request_id, "operator": request.operator, "kato_code": request.kato_code,
            "purpose": request.purpose, "requested_on": request.requested_on, "decision": decision,
            "decided_on": decided_on,
        })
    return Table("akimat", region, period, "land_allocation", rows)


def pole_access(world: World, region: str, period: str) -> Table:
    rows = [{"district_kato": d, "operator": op, "poles_requested": req, "poles_granted": granted}
            for d, op, req, granted in world.pole_rows(region, month_index(period))]
    return Table("akimat", region, period, "pole_access", rows)


def quality_inspections(world: World, region: str, period: str) -> Table:
    rows = [{
        "inspection_id": x.inspection_id, "kato_code": x.kato_code, "operator": x.operator,
        "inspected_on": x.inspected_on, "technology": x.technology, "measured_download_mbps": x.measured,
        "required_download_mbps": x.required, "violation": x.violation, "fine_kzt": x.fine_kzt,
        "fine_paid": x.fine_paid,
    } for x in world.inspections(region, month_index(period))]
    return Table("akimat", region, period, "quality_inspections", rows)


def power_connections(world: World, region: str, period: str) -> Table:
    rows = [{"site_id": site.site_id, "operator": site.operator, "requested_on": requested,
             "conditions_issued_on": issued}
            for site, requested, issued in world.power_rows(region, month_index(period))]
    rows.sort(key=lambda r: (r["requested_on"], r["site_id"]))
    return Table("akimat", region, period, "power_connections", rows)


def settlement_connectivity(world: World, region: str, period: str) -> Table:
    from qamtu.generate.claims import plan

    m = month_index(period)
    fibre = world.fibre_connected(m)
    claims = plan(world)
    # has_mobile_4g: no where the akimat disputes the operators' 4G (claims.py).
    rows = [{"kato_code": world.codes[i], "has_fibre": i in fibre,
             "has_mobile_4g": claims.akimat_has_mobile_4g(i, m)}
            for i in world.by_region[region]]
    return Table("akimat", region, period, "settlement_connectivity", rows)


def challenges(world: World, region: str, period: str) -> Table:
    from qamtu.generate.claims import plan

    rows = [{"challenge_id": c.challenge_id, "kato_code": c.kato_code, "operator": c.operator,
             "claim": c.claim,
             "evidence": c.evidence, "measured_download_mbps": c.measured_download_mbps,
             "complaints": c.complaints,
             "submitted_on": c.submitted_on}
            for c in plan(world).challenges_of_month(region, month_index(period))]
    return Table("akimat", region, period, "challenges", rows)


def challenge_responses(world: World, operator: str, period: str) -> Table:
    from qamtu.generate.claims import plan

    rows = [{"challenge_id": c.challenge_id, "response": c.response, "evidence": c.response_evidence,
             "responded_on": c.responded_on}
            for c in plan(world).responses_of_month(operator, month_index(period))]
    return Table("operator", operator, period, "challenge_responses", rows)


BUILDERS = {
    "settlement_fiber": settlement_fiber, "base_stations": base_stations, "road_coverage": road_coverage,
    "city_5g": city_5g, "land_allocation": land_allocation, "pole_access": pole_access,
    "quality_inspections": quality_inspections, "power_connections": power_connections,
    "settlement_connectivity": settlement_connectivity, "challenges": challenges,
    "challenge_responses": challenge_responses,
}


def build_table(world: World, kind: str, submitter: str, report_type: str, period: str) -> Table:
    table = BUILDERS[report_type](world, submitter, period)
    assert table.kind == kind
    return table


def period_end(period: str):  # convenience for defects
    return month_last_day(month_index(period))
