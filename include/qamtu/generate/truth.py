"""The headline indicators the clean submissions imply, computed from the world's schedules
(never from the files), following docs/methodology.md:

- settlements are KATO ``level = settlement`` rows, rural ones ``is_rural``; the national and regional
  populations are sums over settlements;
- ``villages_fibre_new``: rural settlements with at least one operator's link ``connected`` and
  ``connected_on`` ≥ 2026-01-01; ``households_last_mile`` / ``people_last_mile`` over the same
  settlements, with the largest ``households_connected`` among the operators reporting it connected;
- ``population_access_share``: fibre connected by any operator, or an active 4G/5G site;
- ``road_km_covered``: union of every operator's stretches per road (overlaps once), national only;
- ``city_5g_territory_share`` / ``cities_5g_at_target``: the largest operator's area per city;
- ``land_requests_decided_share`` and ``fines_kzt`` by the submitting akimat's region.

A share whose denominator is zero (no rural settlements in Astana, Almaty, Shymkent) is ``None``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from qamtu.generate.tables import covered_area
from qamtu.generate.world import World, month_index

PROGRAMME_START = date(2026, 1, 1)
CITY_5G_TARGET_SHARE = 75.0
HEADLINE = (
    "villages_fibre_new", "villages_fibre_share", "population_access_share", "households_last_mile",
    "people_last_mile", "road_km_covered", "city_5g_territory_share", "cities_5g_at_target",
    "land_requests_decided_share", "fines_kzt",
)
REGIONAL = (
    "villages_fibre_new", "villages_fibre_share", "population_access_share", "households_last_mile",
    "people_last_mile", "land_requests_decided_share", "fines_kzt",
)


def _share(part: float, whole: float) -> float | None:
    return None if whole == 0 else part / whole * 100


def period_truth(world: World, period: str) -> dict[str, Any]:
    """National and regional indicators for one period, plus the facts behind them."""
    m = month_index(period)
    regions = world.regions
    # Largest households_connected and newest date per connected settlement.
    best_connected: dict[int, int] = {}
    is_new: dict[int, bool] = {}
    per_operator: dict[str, dict[str, int]] = {op: {"settlements_listed": 0, "settlements_connected": 0,
                                                    "households_connected": 0} for op in world.operators}
    for link in world.fibre_links:
        status = link.status(m)
        if status is None:
            continue
        per_operator[link.operator]["settlements_listed"] += 1
        if status != "connected":
            continue
        connected = world.households_connected(link, m)
        per_operator[link.operator]["settlements_connected"] += 1
        per_operator[link.operator]["households_connected"] += connected
        i = link.settlement
        best_connected[i] = max(best_connected.get(i, 0), connected)
        is_new[i] = is_new.get(i, False) or link.connected_on >= PROGRAMME_START
    access = set(best_connected) | world.access_4g(m)

    regional: dict[str, dict[str, Any]] = {}
    facts_regions: dict[str, dict[str, Any]] = {}
    nat = {"new": 0, "rural_connected": 0, "rural": 0, "pop_access": 0, "pop": 0, "hh": 0, "people": 0.0,
           "land_decided": 0, "land_all": 0, "fines": 0}
    for r in regions:
        new = rural_connected = rural = pop_access = pop = hh = 0
        people = 0.0
        for i in world.by_region[r]:
            population = int(world.population[i])
            pop += population
            if i in access:
                pop_access += population
            if not world.rural[i]:
                continue
            rural += 1
            if i in best_connected:
                rural_connected += 1
                if is_new[i]:
                    new += 1
                    hh += best_connected[i]
                    people += best_connected[i] * population / int(world.households[i])
        register = world.land_register(r, m)
        decided = sum(1 for q in register if q.decision(m)[0] in ("approved", "rejected"))
        inspections = world.inspections(r, m)
        fines = sum(x.fine_kzt for x in inspections)
        regional[r] = {
            "villages_fibre_new": new,
            "villages_fibre_share": _share(rural_connected, rural),
            "population_access_share": _share(pop_access, pop),
            "households_last_mile": hh,
            "people_last_mile": people,
            "land_requests_decided_share": _share(decided, len(register)),
            "fines_kzt": fines,
        }
        facts_regions[r] = {
            "rural_settlements": rural, "rural_connected": rural_connected, "population": pop,
            "population_with_access": pop_access, "land_requests": len(register),
            "land_requests_decided": decided,
            "inspections": len(inspections), "violations": sum(1 for x in inspections if x.violation),
            "fines_kzt": fines,
        }
        for key, value in (("new", new), ("rural_connected", rural_connected), ("rural", rural),
                           ("pop_access", pop_access), ("pop", pop), ("hh", hh), ("people", people),
                           ("land_decided", decided), ("land_all", len(register)), ("fines", fines)):
            nat[key] += value

    city_share: dict[str, float] = {}
    covered_sum = area_sum = 0.0
    at_target = 0
    for city in world.cities:
        best = max(
            covered_area(world, p.settlement, p.share(m)) for p in world.city_5g if p.settlement == city
        )
        area = world.city_area[city]
        covered_sum += best
        area_sum += area
        share = best / area * 100
        city_share[world.codes[city]] = share
        at_target += share >= CITY_5G_TARGET_SHARE

    road_union = world.covered_tenths(m)
    road_by_operator = {}
    for op in world.operators:
        own = sum(end - start for _, start, end, _ in world.road_stretches(op, m))
        road_by_operator[op] = own / 10
    national = {
        "villages_fibre_new": nat["new"],
        "villages_fibre_share": _share(nat["rural_connected"], nat["rural"]),
        "population_access_share": _share(nat["pop_access"], nat["pop"]),
        "households_last_mile": nat["hh"],
        "people_last_mile": nat["people"],
        "road_km_covered": road_union / 10,
        "city_5g_territory_share": covered_sum / area_sum * 100,
        "cities_5g_at_target": at_target,
        "land_requests_decided_share": _share(nat["land_decided"], nat["land_all"]),
        "fines_kzt": nat["fines"],
    }
    facts = {
        "regions": facts_regions,
        "operators": per_operator,
        "road_km_by_operator": road_by_operator,
        "road_km_sum_of_operators": sum(road_by_operator.values()),
        "road_km_union": road_union / 10,
        "city_5g_share_by_city": city_share,
        "settlements_with_access": len(access),
        "settlements_with_fibre": len(best_connected),
        "settlements_with_4g": len(world.access_4g(m)),
    }
    return {"national": national, "regions": regional, "facts": facts}
