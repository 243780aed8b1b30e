"""The generator's truth: one synthetic programme of Kazakhstan, built once from the seed.

Everything here is a schedule (who connects what, in which month), so the state at the end of
any month is a pure function of the world and the month index. The files are renderings of these
states; ``truth.py`` computes the headline indicators from the same states, never from files.

Month index ``m``: 2026-01 is 0, 2025-12 is -1, 2027-12 is 23. Each component draws from its own
random stream (``SeedSequence([seed, stream])``), so adding periods or defects never changes the
files of another period, and the world does not depend on which periods are generated.

Scale: the national structures (settlements, fibre links, village sites, road stretches, the 20
cities, districts) never scale; the elastic tables do (speed tests, land requests, inspections,
city and road base stations).
"""

from __future__ import annotations

import calendar
import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property

import numpy as np

from qamtu import reference
from qamtu.contracts import operator_ids, submitter_ids
from qamtu.periods import parse_period

MOBILE = ("kcell", "beeline", "tele2")
# Monthly calculation index (МРП) 2026, KZT: fines are set in multiples of it.
MCI_KZT = 4325
# Required download speed an inspection checks against, Mbit/s, by technology.
REQUIRED_MBPS = {"fixed": 30.0, "2G": 0.1, "3G": 2.0, "4G": 10.0, "5G": 50.0}
# Approximate region centres (lat, lon) and the spread of their settlements, degrees.
REGION_CENTRES = {
    "10": (48.9, 79.6, 1.2, 2.2), "11": (51.9, 70.2, 1.1, 2.0), "15": (48.6, 58.3, 1.5, 2.8),
    "19": (44.6, 77.4, 0.8, 2.0), "23": (47.1, 52.6, 1.0, 2.0), "27": (50.6, 51.6, 1.0, 2.0),
    "31": (44.1, 72.6, 1.0, 2.0), "33": (45.3, 79.2, 0.9, 1.8), "35": (48.4, 74.2, 1.5, 2.6),
    "39": (52.0, 63.8, 1.4, 1.8), "43": (45.0, 64.2, 1.0, 2.2), "47": (44.0, 53.6, 1.0, 1.5),
    "55": (52.2, 76.1, 1.0, 1.8), "59": (54.1, 69.6, 0.6, 2.0), "61": (42.6, 68.6, 0.8, 1.6),
    "62": (47.6, 67.4, 1.2, 2.0), "63": (49.6, 83.4, 1.0, 2.0), "71": (51.17, 71.45, 0.08, 0.12),
    "75": (43.24, 76.89, 0.07, 0.1), "79": (42.32, 69.59, 0.06, 0.09),
}
# Coordinates of the 20 cities (regional centres and republican cities).
CITY_COORDINATES = {
    "10": (50.41, 80.25), "11": (53.28, 69.39), "15": (50.28, 57.17), "19": (43.87, 77.07),
    "23": (47.11, 51.92), "27": (51.23, 51.37), "31": (42.90, 71.37), "33": (45.02, 78.37),
    "35": (49.80, 73.10), "39": (53.21, 63.63), "43": (44.85, 65.51), "47": (43.65, 51.16),
    "55": (52.29, 76.97), "59": (54.87, 69.15), "61": (43.30, 68.25), "62": (47.80, 67.71),
    "63": (49.95, 82.61), "71": (51.17, 71.45), "75": (43.24, 76.89), "79": (42.32, 69.59),
}
LAT_RANGE = (40.6, 55.4)
LON_RANGE = (46.6, 87.3)

# Random streams (one per component, so components never shift each other).
STREAM = {
    "coordinates": 1, "fibre": 2, "village_sites": 3, "city_sites": 4, "roads": 5, "road_sites": 6,
    "city_5g": 7, "poles": 8, "land": 100, "inspections": 200, "power": 9, "pace": 10, "speed": 300,
    "defects": 400, "names": 11,
}


def month_index(period: str) -> int:
    year, month = parse_period(period)
    return (year - 2026) * 12 + month - 1


def month_period(m: int) -> str:
    year, month0 = divmod(m, 12)
    return f"{2026 + year}-{month0 + 1:02d}"


def month_first_day(m: int) -> date:
    year, month0 = divmod(m, 12)
    return date(2026 + year, month0 + 1, 1)


def month_last_day(m: int) -> date:
    first = month_first_day(m)
    return date(first.year, first.month, calendar.monthrange(first.year, first.month)[1])


def month_of(day: date) -> int:
    return (day.year - 2026) * 12 + day.month - 1


def day_in_month(m: int, u: float) -> date:
    first = month_first_day(m)
    days = calendar.monthrange(first.year, first.month)[1]
    return first + timedelta(days=min(days - 1, int(u * days)))


def rng_for(seed: int, *stream: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, *[s + 10_000 for s in stream]]))


@dataclass
class FibreLink:
    """One operator serving (or planning to serve) one settlement with fibre."""

    operator: str
    settlement: int  # row of World.settlements
    listed_from: int  # first month it appears (status planned)
    construction_from: int
    connect_month: int
    connected_on: date
    passed_share: float
    adopt_max: float
    adopt_tau: float
    max_speed: float | None
    poles: int  # poles needed along the route (pole_access)

    def status(self, m: int) -> str | None:
        if m >= self.connect_month:
            return "connected"
        if m >= self.construction_from:
            return "construction"
        if m >= self.listed_from:
            return "planned"
        return None


@dataclass
class Site:
    """One base-station site with its life: planned → active → (dismantled)."""

    operator: str
    site_id: str
    settlement: int
    latitude: float
    longitude: float
    technology: str
    planned_from: int
    on_air_month: int
    on_air_date: date
    dismantled_from: int | None = None
    road_code: str | None = None
    purpose: str = "village"  # village | city | city5g | road
    power_requested_on: date | None = None
    power_issued_on: date | None = None

    def status(self, m: int) -> str | None:
        if self.dismantled_from is not None and m >= self.dismantled_from:
            return "dismantled"
        if m >= self.on_air_month:
            return "active"
        if m >= self.planned_from:
            return "planned"
        return None


@dataclass
class RoadPiece:
    """A stretch of a road in tenths of a km, and which operators cover it from which month."""

    road: int
    start: int  # tenths of a km
    end: int
    covers: dict[str, tuple[int, str]] = field(default_factory=dict)  # operator → (month, technology)


@dataclass
class City5G:
    operator: str
    settlement: int
    share_start: float  # share of the city's area covered at 2026-01
    share_deadline: float  # at 2027-12
    share_cap: float

    def share(self, m: int) -> float:
        value = self.share_start + (self.share_deadline - self.share_start) * m / 23
        return float(min(self.share_cap, max(0.0, value)))


@dataclass
class LandRequest:
    request_id: str
    region: str
    operator: str
    kato_code: str
    purpose: str
    requested_on: date
    outcome: str  # approved | rejected | pending (never decided)
    decided_on: date | None

    def decision(self, m: int) -> tuple[str, date | None]:
        if self.decided_on is not None and self.decided_on <= month_last_day(m):
            return self.outcome, self.decided_on
        return "pending", None


@dataclass
class Inspection:
    inspection_id: str
    kato_code: str
    operator: str
    inspected_on: date
    technology: str
    measured: float
    required: float
    violation: bool
    fine_kzt: int
    fine_paid: bool | None


class World:
    """The whole synthetic programme for one seed and scale."""

    def __init__(self, seed: int, scale: float):
        if scale <= 0:
            raise ValueError(f"scale must be > 0, got {scale}")
        self.seed = seed
        self.scale = scale
        self.operators = operator_ids()
        self.akimats = submitter_ids("akimat")
        kato = reference.kato()
        self.kato_codes = set(kato["kato_code"])
        self.parent = dict(zip(kato["kato_code"], kato["parent_code"], strict=True))
        self.name_ru = dict(zip(kato["kato_code"], kato["name_ru"], strict=True))
        self.districts = kato[kato["level"] == "district"].reset_index(drop=True)
        s = reference.settlements()
        self.settlements = s
        self.codes: list[str] = list(s["kato_code"])
        self.region: list[str] = list(s["region_code"])
        self.population = s["population"].astype("int64").to_numpy()
        self.households = s["households"].astype("int64").to_numpy()
        self.rural = s["is_rural"].to_numpy(dtype=bool)
        self.kind: list[str] = list(s["settlement_type"])
        self.district: list[str] = [self.parent[self.parent[c]] for c in self.codes]
        self.index = {c: i for i, c in enumerate(self.codes)}
        self.cities = [self.index[c] for c in reference.cities_5g()["kato_code"]]
        self.city_area = {i: float(a) for i, a in zip(self.cities,
                                                      reference.cities_5g()["area_km2"], strict=True)}
        roads = reference.roads()
        self.road_codes: list[str] = [str(v) for v in roads["road_code"]]
        self.road_republican: list[bool] = [v == "republican" for v in roads["category"]]
        self.road_regions: list[list[str]] = [str(v).split(";") for v in roads["region_codes"]]
        self.road_length_tenths = [int(round(v * 10)) for v in roads["length_km"]]
        self.names = {lang: [str(v) for v in s[f"name_{lang}"]] for lang in ("kk", "ru", "en")}
        self.regions = list(reference.region_names())
        self.by_region: dict[str, list[int]] = {r: [] for r in self.regions}
        for i, r in enumerate(self.region):
            self.by_region[r].append(i)
        self._place_settlements()
        self._plan_fibre()
        self._plan_sites()
        self._plan_roads()
        self._plan_city_5g()
        self._plan_poles()
        self._plan_power()
        self._land: dict[tuple[str, int], list[LandRequest]] = {}
        self._inspections: dict[tuple[str, int], list[Inspection]] = {}
        self._state: dict[tuple[str, int], set[int]] = {}

    # --- geography -------------------------------------------------------------------------------
    def _place_settlements(self) -> None:
        rng = rng_for(self.seed, STREAM["coordinates"])
        n = len(self.codes)
        lat = np.empty(n)
        lon = np.empty(n)
        noise = rng.standard_normal((n, 2))
        for i, r in enumerate(self.region):
            if self.kind[i] == "city":
                lat[i], lon[i] = CITY_COORDINATES[r]
            else:
                c_lat, c_lon, s_lat, s_lon = REGION_CENTRES[r]
                lat[i] = c_lat + s_lat * noise[i, 0] * 0.6
                lon[i] = c_lon + s_lon * noise[i, 1] * 0.6
        self.lat = np.clip(lat, *LAT_RANGE)
        self.lon = np.clip(lon, *LON_RANGE)

    def coordinates_near(self, i: int, rng: np.random.Generator, spread: float) -> tuple[float, float]:
        d_lat, d_lon = rng.normal(0, spread, 2)
        lat = min(LAT_RANGE[1], max(LAT_RANGE[0], float(self.lat[i] + d_lat)))
        lon = min(LON_RANGE[1], max(LON_RANGE[0], float(self.lon[i] + d_lon * 1.4)))
        return round(lat, 5), round(lon, 5)

    # --- fibre -----------------------------------------------------------------------------------
    def _plan_fibre(self) -> None:
        rng = rng_for(self.seed, STREAM["fibre"])
        pace_rng = rng_for(self.seed, STREAM["pace"])
        village_regions = sorted({self.region[i] for i in range(len(self.codes)) if self.rural[i]})
        order = [str(r) for r in pace_rng.permutation(village_regions)]
        # Regional pace: the month by which a region's programme villages are all connected.
        self.region_pace: dict[str, str] = {}
        self.region_end_month: dict[str, int] = {}
        for k, r in enumerate(order):
            pace = "lagging" if k < 4 else ("fast" if k < 9 else "normal")
            end = {"lagging": (28, 34), "fast": (17, 20), "normal": (22, 25)}[pace]
            self.region_pace[r] = pace
            self.region_end_month[r] = int(pace_rng.integers(end[0], end[1] + 1))
        links: list[FibreLink] = []
        villages = np.flatnonzero(self.rural)
        pop = self.population[villages].astype(float)
        # About 40 % of villages had fibre before 2026, the larger ones more likely.
        n_base = int(round(0.40 * len(villages)))
        base = set(rng.choice(villages, size=n_base, replace=False, p=pop**0.8 / (pop**0.8).sum()).tolist())
        rest = np.array([v for v in villages if v not in base])
        rest_pop = self.population[rest].astype(float)
        # The 2026–2027 programme: most of the rest (> 3,000); the smallest, remotest stay out.
        n_prog = int(round(0.885 * len(rest)))
        prog = set(
            rng.choice(rest, size=n_prog, replace=False, p=rest_pop**0.5 / (rest_pop**0.5).sum()).tolist()
        )
        self.programme_villages = prog
        base_ops = (("kazakhtelecom", 0.85), ("kcell", 0.05), ("beeline", 0.06), ("tele2", 0.04))
        prog_ops = (("kazakhtelecom", 0.78), ("kcell", 0.08), ("beeline", 0.08), ("tele2", 0.06))

        def pick(options: tuple[tuple[str, float], ...]) -> str:
            names = [o for o, _ in options]
            weights = np.array([w for _, w in options])
            return str(names[int(rng.choice(len(names), p=weights / weights.sum()))])

        def link(op: str, i: int, month: int, primary: bool) -> FibreLink:
            speeds = {"kazakhtelecom": (100, 300, 500, 1000), "kcell": (100, 200), "beeline": (100, 500),
                      "tele2": (None, None, 100)}[op]
            speed = speeds[int(rng.integers(len(speeds)))]
            share = rng.uniform(0.7, 1.0) if primary else rng.uniform(0.25, 0.85)
            if self.kind[i] != "village":
                share = rng.uniform(0.75, 0.95) if primary else rng.uniform(0.2, 0.5)
            listed = month - int(rng.integers(3, 15))
            if (
                month >= 0
            ):  # the programme (announced January 2026): every village listed as planned from the start
                listed = min(listed, 0)
            return FibreLink(
                operator=op, settlement=int(i), listed_from=listed,
                construction_from=month - int(rng.integers(1, 4)), connect_month=month,
                connected_on=day_in_month(month, float(rng.random())), passed_share=float(share),
                adopt_max=float(rng.uniform(0.6, 0.95)), adopt_tau=float(rng.uniform(2.0, 7.0)),
                max_speed=None if speed is None else float(speed), poles=int(rng.integers(15, 121)),
            )

        for i in range(len(self.codes)):
            if self.kind[i] == "village":
                if i in base:
                    first_op, month = pick(base_ops), int(rng.integers(-170, 0))
                elif i in prog:
                    first_op = pick(prog_ops)
                    month = int(rng.integers(0, self.region_end_month[self.region[i]] + 1))
                else:
                    continue
                links.append(link(first_op, i, month, True))
                if rng.random() < 0.07:  # a second operator, later
                    second = pick(tuple((o, w) for o, w in prog_ops if o != first_op))
                    links.append(link(second, i, month + int(rng.integers(2, 31)), False))
            else:  # towns and cities: Kazakhtelecom long ago, often a second operator
                links.append(link("kazakhtelecom", i, int(rng.integers(-200, -60)), True))
                if self.kind[i] == "city" or rng.random() < 0.5:
                    links.append(link(str(rng.choice(MOBILE)), i, int(rng.integers(-120, 6)), False))
        self.fibre_links = links

    def households_passed(self, link: FibreLink, m: int) -> int:
        if link.status(m) != "connected":
            return 0
        return int(math.floor(self.households[link.settlement] * link.passed_share))

    def households_connected(self, link: FibreLink, m: int) -> int:
        if link.status(m) != "connected":
            return 0
        months = m - link.connect_month + 1
        adoption = link.adopt_max * (1.0 - math.exp(-months / link.adopt_tau))
        return int(math.floor(self.households_passed(link, m) * adoption))

    # --- base stations ---------------------------------------------------------------------------
    def _plan_sites(self) -> None:
        rng = rng_for(self.seed, STREAM["village_sites"])
        sites: list[Site] = []
        counters: dict[tuple[str, str], int] = {}

        def site_id(op: str, region: str) -> str:
            key = (op, region)
            counters[key] = counters.get(key, 0) + 1
            n = counters[key]
            return {"kcell": f"KC-{region}-{n:05d}", "beeline": f"BL{region}{n:05d}",
                    "tele2": f"T2_{region}_{n:05d}", "kazakhtelecom": f"KT-LTE-{region}-{n:04d}"}[op]

        def add(op: str, i: int, tech: str, on_air: int, planned_lead: int, purpose: str,
                dismantled: int | None = None, road: str | None = None, spread: float = 0.02,
                r: np.random.Generator = rng) -> Site:
            lat, lon = self.coordinates_near(i, r, spread)
            site = Site(operator=op, site_id=site_id(op, self.region[i]), settlement=int(i), latitude=lat,
                        longitude=lon, technology=tech, planned_from=on_air - planned_lead,
                        on_air_month=on_air,
                        on_air_date=day_in_month(on_air, float(r.random())), dismantled_from=dismantled,
                        road_code=road, purpose=purpose)
            if tech in ("4G", "5G"):
                # Sites ask the akimat for technical conditions to connect to electricity.
                requested = day_in_month(site.planned_from, float(r.random()))
                site.power_requested_on = requested
                site.power_issued_on = requested + timedelta(days=int(7 + r.exponential(20)))
            sites.append(site)
            return site

        mobile_w = np.array([0.4, 0.35, 0.25])
        villages = np.flatnonzero(self.rural)
        pop = self.population[villages].astype(float)
        n_4g = int(round(0.62 * len(villages)))
        base_4g = set(rng.choice(villages, size=n_4g, replace=False, p=pop**0.7 / (pop**0.7).sum()).tolist())
        for i in villages:
            if i in base_4g:
                op = MOBILE[int(rng.choice(3, p=mobile_w))]
                add(op, i, "4G", int(rng.integers(-84, 0)), 3, "village")
                if rng.random() < 0.25:
                    other = [o for o in MOBILE if o != op][int(rng.integers(2))]
                    add(other, i, "4G", int(rng.integers(-60, 24)), int(rng.integers(2, 7)), "village")
            elif rng.random() < 0.88:
                # 4G roll-out in villages, at the region's pace (lagging regions later).
                end = self.region_end_month.get(self.region[i], 24)
                op = "kazakhtelecom" if rng.random() < 0.05 else MOBILE[int(rng.choice(3, p=mobile_w))]
                add(op, i, "4G", int(rng.integers(0, end + 4)), int(rng.integers(2, 7)), "village")
            if rng.random() < 0.30:  # legacy 2G/3G, some switched off
                op = MOBILE[int(rng.choice(3, p=mobile_w))]
                off = int(rng.integers(-6, 31)) if rng.random() < 0.4 else None
                add(op, i, str(rng.choice(["2G", "3G"])), int(rng.integers(-180, -84)), 3,
                    "village", dismantled=off)

        city_rng = rng_for(self.seed, STREAM["city_sites"])
        for i in range(len(self.codes)):
            if self.kind[i] == "village":
                continue
            spread = 0.05 if self.kind[i] == "city" else 0.02
            for op in MOBILE:
                n4 = max(1, int(round(self.population[i] * self.scale / 2500)))
                for _ in range(n4):
                    add(op, i, "4G", int(city_rng.integers(-120, 12)) if _ else -130, 3,
                        "city", spread=spread,
                        r=city_rng)
                for _ in range(int(round(n4 * 0.3))):
                    add(op, i, str(city_rng.choice(["2G", "3G"])),
                        int(city_rng.integers(-200, -120)), 3, "city",
                        spread=spread, r=city_rng)
            add("kazakhtelecom", i, "4G", int(city_rng.integers(-90, -12)), 3, "city",
                spread=spread, r=city_rng)
        self.sites = sites
        self._site_counter = counters
        self._add_site = add

    def _plan_city_5g(self) -> None:
        rng = rng_for(self.seed, STREAM["city_5g"])
        lagging = set(rng.choice(len(self.cities), size=4, replace=False).tolist())
        self.city_5g: list[City5G] = []
        for k, i in enumerate(self.cities):
            leader = MOBILE[int(rng.integers(3))]
            start = float(rng.uniform(0.25, 0.55))
            deadline = float(rng.uniform(0.55, 0.72) if k in lagging else rng.uniform(0.77, 0.93))
            for op in self.operators:
                if op == leader:
                    factor = 1.0
                elif op == "kazakhtelecom":
                    factor = float(rng.uniform(0.05, 0.15)) if self.region[i] in ("71", "75") else 0.0
                else:
                    factor = float(rng.uniform(0.25, 0.9))
                plan = City5G(op, i, start * factor, deadline * factor,
                              min(0.97, max(deadline * factor, 0.0) + 0.1))
                self.city_5g.append(plan)
                # 5G sites, going on air as the covered share grows (count scales, area does not).
                if factor == 0.0:
                    continue
                total = max(2, int(round(self.city_area[i] * plan.share_deadline * self.scale * 1.5)))
                months = list(range(-12, 36))
                shares = [plan.share(m) for m in months]
                for s in range(total):
                    needed = (s + 0.5) / total * plan.share_deadline
                    on_air = next((m for m, v in zip(months, shares, strict=True) if v >= needed), 35)
                    self._add_site(op, i, "5G", on_air, int(rng.integers(2, 6)), "city5g", spread=0.04, r=rng)

    # --- roads -----------------------------------------------------------------------------------
    def _plan_roads(self) -> None:
        rng = rng_for(self.seed, STREAM["roads"])
        pieces: list[RoadPiece] = []
        for r, length in enumerate(self.road_length_tenths):
            at = 0
            while at < length:
                size = int(rng.integers(30, 401))
                end = length if length - (at + size) < 30 else at + size
                pieces.append(RoadPiece(road=r, start=at, end=end))
                at = end
        # Weighted random order: republican roads get coverage first.
        weight = np.array([3.0 if self.road_republican[p.road] else 1.0 for p in pieces])
        order = np.argsort(-rng.random(len(pieces)) ** (1 / weight), kind="stable")
        base_km, prog_km = 250_000, 160_000  # tenths: ~25,000 km covered at the start, ~16,000 more planned
        covered = 0
        schedule: list[tuple[int, int]] = []  # (piece index, month)
        for idx in order:
            p = pieces[idx]
            length = p.end - p.start
            if covered < base_km:
                schedule.append((int(idx), int(rng.integers(-96, 0))))
            elif covered < base_km + prog_km:
                schedule.append((int(idx), -1))  # months assigned below, in a roughly linear ramp
            else:
                break
            covered += length
        programme = [i for i, (_, month) in enumerate(schedule) if month == -1]
        ramp = rng.permutation(len(programme))
        for rank, k in zip(ramp, programme, strict=True):
            schedule[k] = (schedule[k][0], int(rank * 27 // max(1, len(programme))))
        ops = np.array(MOBILE)
        for idx, month in schedule:
            p = pieces[idx]
            count = int(rng.choice([1, 2, 3], p=[0.85, 0.12, 0.03]))
            chosen = list(rng.choice(ops, size=count, replace=False, p=[0.42, 0.35, 0.23]))
            if rng.random() < 0.01:
                chosen.append("kazakhtelecom")
            for k, op in enumerate(chosen):
                tech = str(rng.choice(["4G", "3G", "2G"], p=[0.8, 0.15, 0.05]))
                p.covers[str(op)] = (month if k == 0 else month + int(rng.integers(0, 13)), tech)
        self.road_pieces = pieces
        # Base stations built along the roads (their count scales).
        site_rng = rng_for(self.seed, STREAM["road_sites"])
        towns = {r: [i for i in self.by_region[r] if self.kind[i] != "village"] for r in self.regions}
        for p in pieces:
            regions = [r for r in self.road_regions[p.road] if towns.get(r)]
            for op, (month, tech) in sorted(p.covers.items()):
                expected = (p.end - p.start) / 10 / 15 * self.scale
                n = int(expected) + int(site_rng.random() < expected - int(expected))
                for _ in range(n):
                    region = regions[int(site_rng.integers(len(regions)))]
                    i = towns[region][int(site_rng.integers(len(towns[region])))]
                    self._add_site(op, i, tech, month, 3, "road", road=self.road_codes[p.road], spread=0.3,
                                   r=site_rng)

    def road_stretches(self, operator: str, m: int) -> list[tuple[str, int, int, str]]:
        """The operator's covered stretches at the end of month ``m``: (road_code, from, to, technology),
        in tenths of a km. Adjacent covered pieces with the same technology merge into one stretch."""
        stretches: list[tuple[str, int, int, str]] = []
        last: list | None = None
        for p in self.road_pieces:
            cover = p.covers.get(operator)
            if cover is None or cover[0] > m:
                last = None
                continue
            code = self.road_codes[p.road]
            if last is not None and last[0] == code and last[2] == p.start and last[3] == cover[1]:
                last[2] = p.end
            else:
                last = [code, p.start, p.end, cover[1]]
                stretches.append(last)  # type: ignore[arg-type]
        return [tuple(s) for s in stretches]  # type: ignore[misc]

    def covered_tenths(self, m: int) -> int:
        """Road length covered by any operator at the end of month ``m`` (overlaps once), tenths of km."""
        return sum(p.end - p.start for p in self.road_pieces if any(c[0] <= m for c in p.covers.values()))

    # --- pole access -----------------------------------------------------------------------------
    def _plan_poles(self) -> None:
        rng = rng_for(self.seed, STREAM["poles"])
        self.pole_base: dict[tuple[str, str], tuple[int, float, int]] = {}
        for code in self.districts["kato_code"]:
            self.pole_base[(str(code), "kazakhtelecom")] = (int(rng.integers(50, 401)),
                                                            float(rng.uniform(0.8, 1.0)),
                                                             int(rng.integers(3, 15)))
        self.links_by_district: dict[tuple[str, str], list[FibreLink]] = {}
        for link in self.fibre_links:
            if link.connect_month >= 0:
                key = (self.district[link.settlement], link.operator)
                self.links_by_district.setdefault(key, []).append(link)

    def pole_rows(self, region: str, m: int) -> list[tuple[str, str, int, int]]:
        """(district_kato, operator, requested, granted) cumulative at the end of month ``m``."""
        rows = []
        for code in self.districts.loc[self.districts["region_code"] == region, "kato_code"]:
            for op in self.operators:
                requested = granted = 0
                base = self.pole_base.get((str(code), op))
                if base is not None:
                    requested = base[0] + base[2] * max(0, m + 1)
                    granted = int(math.floor(requested * base[1]))
                for link in self.links_by_district.get((str(code), op), ()):
                    if m >= link.construction_from - 2:  # poles are asked for shortly before building
                        requested += link.poles
                    if m >= link.construction_from:
                        granted += link.poles
                if requested > 0:
                    rows.append((str(code), op, requested, granted))
        return rows

    # --- power connections -----------------------------------------------------------------------
    def _plan_power(self) -> None:
        self.power_sites: dict[str, list[Site]] = {r: [] for r in self.regions}
        for site in self.sites:
            if site.power_requested_on is not None:
                self.power_sites[self.region[site.settlement]].append(site)

    def power_rows(self, region: str, m: int) -> list[tuple[Site, date, date | None]]:
        """Sites waiting for electricity (or connected within the last two months) at the end of ``m``."""
        end = month_last_day(m)
        rows = []
        latest: Site | None = None
        for site in self.power_sites[region]:
            assert site.power_requested_on is not None and site.power_issued_on is not None
            if site.power_requested_on > end:
                continue
            if m <= site.on_air_month + 2:
                issued = site.power_issued_on if site.power_issued_on <= end else None
                rows.append((site, site.power_requested_on, issued))
            elif latest is None or (site.power_requested_on, site.site_id) > (
                latest.power_requested_on,
                latest.site_id,
            ):
                latest = site
        if not rows and latest is not None:
            # Nothing waiting: the register still shows its latest entry (a file is never empty).
            rows.append((latest, latest.power_requested_on, latest.power_issued_on))
        return rows

    # --- land requests ---------------------------------------------------------------------------
    @cached_property
    def _region_weight(self) -> dict[str, float]:
        counts = {r: 20 for r in self.regions}
        for i in self.programme_villages:
            counts[self.region[i]] += 1
        total = sum(counts.values())
        return {r: c / total for r, c in counts.items()}

    LAND_FIRST_MONTH = -3  # the register starts with requests of 2025-10

    def land_requests_of_month(self, region: str, m: int) -> list[LandRequest]:
        key = (region, m)
        if key in self._land:
            return self._land[key]
        rng = rng_for(self.seed, STREAM["land"], int(region), m + 1000)
        lam = 3000 * self.scale * self._region_weight[region]
        n = max(1, int(rng.poisson(lam)))
        places = self.by_region[region]
        districts = list(self.districts.loc[self.districts["region_code"] == region, "kato_code"])
        requests = []
        for k in range(n):
            purpose = str(rng.choice(["fibre_route", "base_station", "other"], p=[0.5, 0.4, 0.1]))
            if purpose == "fibre_route":
                op = "kazakhtelecom" if rng.random() < 0.8 else MOBILE[int(rng.integers(3))]
            else:
                op = MOBILE[int(rng.integers(3))] if rng.random() < 0.9 else "kazakhtelecom"
            kato = (str(districts[int(rng.integers(len(districts)))]) if rng.random() < 0.15
                    else self.codes[places[int(rng.integers(len(places)))]])
            requested = day_in_month(m, float(rng.random()))
            roll = rng.random()
            outcome = "pending" if roll < 0.03 else ("rejected" if roll < 0.13 else "approved")
            decided = (
                None if outcome == "pending" else requested + timedelta(days=int(3 + rng.exponential(25)))
            )
            requests.append(LandRequest(
                request_id=f"{region}-{month_period(m).replace('-', '')}-{k + 1:05d}",
                region=region, operator=op,
                kato_code=kato, purpose=purpose, requested_on=requested, outcome=outcome, decided_on=decided))
        self._land[key] = requests
        return requests

    def land_register(self, region: str, m: int) -> list[LandRequest]:
        """Every request received from the start of the register up to the end of month ``m``."""
        first = min(self.LAND_FIRST_MONTH, m)
        return [r for month in range(first, m + 1) for r in self.land_requests_of_month(region, month)]

    # --- quality inspections ---------------------------------------------------------------------
    def inspections(self, region: str, m: int) -> list[Inspection]:
        key = (region, m)
        if key in self._inspections:
            return self._inspections[key]
        rng = rng_for(self.seed, STREAM["inspections"], int(region), m + 1000)
        n = max(1, int(rng.poisson(45 * self.scale)))
        places = np.array(self.by_region[region])
        weights = self.population[places].astype(float)
        rows = []
        for k in range(n):
            i = int(places[int(rng.choice(len(places), p=weights / weights.sum()))])
            op = self.operators[int(rng.choice(4, p=[0.35, 0.25, 0.22, 0.18]))]
            if op == "kazakhtelecom":
                tech = "fixed" if rng.random() < 0.9 else "4G"
            else:
                tech = str(rng.choice(["4G", "3G", "5G", "2G"], p=[0.75, 0.1, 0.1, 0.05]))
                if tech == "5G" and self.kind[i] != "city":
                    tech = "4G"
            required = REQUIRED_MBPS[tech]
            measured = round(required * float(rng.lognormal(0.35, 0.5)), 1)
            violation = measured < required
            fine = int(MCI_KZT * int(rng.choice([10, 20, 30, 50]))) if violation and rng.random() < 0.7 else 0
            rows.append(Inspection(
                inspection_id=f"{region}-QI-{month_period(m).replace('-', '')}-{k + 1:04d}",
                kato_code=self.codes[i],
                operator=op, inspected_on=day_in_month(m, float(rng.random())), technology=tech,
                measured=measured,
                required=required, violation=violation, fine_kzt=fine,
                fine_paid=(bool(rng.random() < 0.55) if fine > 0 else None)))
        self._inspections[key] = rows
        return rows

    # --- states used by tables and indicators ----------------------------------------------------
    def fibre_state(self, m: int) -> list[tuple[FibreLink, str]]:
        return [(link, status) for link in self.fibre_links if (status := link.status(m)) is not None]

    def access_4g(self, m: int) -> set[int]:
        """Settlements with an active 4G or 5G site of any operator at the end of month ``m``."""
        key = ("access_4g", m)
        if key not in self._state:
            self._state[key] = {s.settlement for s in self.sites
                                if s.technology in ("4G", "5G") and s.status(m) == "active"}
        return self._state[key]

    def fibre_connected(self, m: int) -> set[int]:
        """Settlements at least one operator reports connected by fibre at the end of month ``m``."""
        key = ("fibre", m)
        if key not in self._state:
            self._state[key] = {link.settlement for link in self.fibre_links if link.status(m) == "connected"}
        return self._state[key]
