"""Operators' claims set against measurements and the akimats' view, and the akimats' challenges.

The world's hidden facts (fixed by the seed, never by the periods generated):

- **overstated claims**: some village 4G sites of an operator and some Kazakhtelecom fibre links are
  reported as working but deliver little; the measurement platform's speed tests of that operator and
  technology in that settlement run at ``THROTTLE`` × the usual speed (``speed.py``), so enough tests
  contradict the claim;
- **disputed settlements**: villages whose akimat reports ``has_mobile_4g`` = no although an operator
  reports an active 4G site there — half of the villages with an overstated 4G claim, and a few with an
  honest one. They are chosen among villages with fibre from before 2026, so an upheld challenge never
  moves a headline indicator of the clean world (it changes the settlement's mobile status only);
- **challenges**: each disputed 4G claim is challenged once by its akimat, in a month of 2026 fixed by
  the seed (if the operator's site is active then); the operator accepts, contests or stays silent.

The verdicts, worklists and challenge outcomes the pipeline must find are computed here from these
schedules and from the speed tests' own values (``ClaimStats``), by the rules of docs/methodology.md
written out independently of the dbt models (the oracle never shares code with what it checks).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np

from qamtu.contracts import load_contract
from qamtu.generate.tables import stable_fraction
from qamtu.generate.world import World, day_in_month, month_index, month_last_day, month_of, month_period

# Hidden facts of the world.
OVERSTATED_MOBILE_RATE = 0.03  # share of (operator, village) 4G claims that are overstated
OVERSTATED_FIBRE_RATE = 0.02  # share of villages whose Kazakhtelecom fibre is overstated
THROTTLE = 0.08  # speed of an overstated claim's tests, × the usual
DISPUTED_OF_OVERSTATED = 0.5  # villages with an overstated 4G claim that their akimat disputes
DISPUTED_HONEST_RATE = (
    0.012  # villages with fibre and only honest 4G claims that their akimat disputes anyway
)
CHALLENGE_MONTHS = 12  # challenges are submitted in 2026
# Methodology defaults (docs/methodology.md, dbt vars claims_min_tests / claims_high_speed_mbps).
MIN_TESTS = 5
HIGH_SPEED_MBPS = 10.0

CLAIM_TECHNOLOGY = {"fibre": "fixed", "mobile_4g": "4G", "mobile_5g": "5G"}
TECHNOLOGY_CLAIM = {v: k for k, v in CLAIM_TECHNOLOGY.items()}
SPEED_OPERATORS = ("kazakhtelecom", "kcell", "beeline", "tele2")  # the speed tests' operator order
SPEED_TECHNOLOGIES = ("fixed", "2G", "3G", "4G", "5G")
VERDICTS = ("confirmed", "contradicted", "disputed", "unverified")


def speed_key(place: int, operator: int, technology: int) -> int:
    """One integer per (settlement row, operator, technology) of the speed tests."""
    return place * 20 + operator * 5 + technology


def deadlines() -> dict[str, int]:
    return load_contract("challenges").deadlines


@dataclass(frozen=True)
class Challenge:
    challenge_id: str
    region: str
    settlement: int
    kato_code: str
    operator: str
    claim: str
    evidence: str
    measured_download_mbps: float | None
    complaints: int | None
    submitted_on: date
    response: str | None  # accept | contest | None (silent)
    response_evidence: str | None
    responded_on: date | None

    @property
    def month(self) -> int:
        return month_of(self.submitted_on)

    @property
    def deadline_on(self) -> date:
        return self.submitted_on + timedelta(days=deadlines()["response_days"])


class ClaimsPlan:
    """The hidden facts of one world."""

    def __init__(self, world: World):
        self.world = world
        seed = world.seed
        villages = [i for i in range(len(world.codes)) if world.kind[i] == "village"]
        self.overstated_mobile: set[tuple[str, int]] = set()
        for i in villages:
            for op in world.operators:
                if stable_fraction(seed, "overstated", op, world.codes[i], "4G") < OVERSTATED_MOBILE_RATE:
                    self.overstated_mobile.add((op, i))
        self.overstated_fibre: set[int] = {
            i for i in villages if stable_fraction(seed, "overstated", "kazakhtelecom",
                                                   world.codes[i], "fixed")
            < OVERSTATED_FIBRE_RATE}
        old_fibre = {link.settlement for link in world.fibre_links if link.connect_month < 0}
        overstated_villages = {i for _, i in self.overstated_mobile}
        self.disputed: set[int] = set()
        for i in villages:
            if i not in old_fibre:
                continue
            code = world.codes[i]
            if i in overstated_villages:
                if stable_fraction(seed, "dispute", code) < DISPUTED_OF_OVERSTATED:
                    self.disputed.add(i)
            elif stable_fraction(seed, "dispute-honest", code) < DISPUTED_HONEST_RATE:
                self.disputed.add(i)
        # The speed-test groups that run throttled.
        self.throttled = np.zeros(len(world.codes) * 20, dtype=bool)
        for op, i in self.overstated_mobile:
            self.throttled[speed_key(i, SPEED_OPERATORS.index(op), SPEED_TECHNOLOGIES.index("4G"))] = True
        for i in self.overstated_fibre:
            self.throttled[speed_key(i, 0, SPEED_TECHNOLOGIES.index("fixed"))] = True
        self._sites_4g: dict[tuple[str, int], list] = {}
        for site in world.sites:
            if site.technology == "4G":
                self._sites_4g.setdefault((site.operator, site.settlement), []).append(site)
        self._challenges: dict[tuple[str, int], list[Challenge]] = {}

    # --- claims ----------------------------------------------------------------------------------
    def claims(self, m: int) -> set[tuple[int, str, str]]:
        """(settlement row, operator, claim) every operator reports at the end of month ``m``."""
        out = {(link.settlement, link.operator, "fibre") for link in self.world.fibre_links
               if link.status(m) == "connected"}
        for site in self.world.sites:
            if site.technology in ("4G", "5G") and site.status(m) == "active":
                out.add((site.settlement, site.operator, TECHNOLOGY_CLAIM[site.technology]))
        return out

    def claim_mask(self, m: int) -> np.ndarray:
        """Speed-test groups (``speed_key``) that have a claim in month ``m``."""
        mask = np.zeros(len(self.world.codes) * 20, dtype=bool)
        for i, op, claim in self.claims(m):
            mask[
                speed_key(i, SPEED_OPERATORS.index(op), SPEED_TECHNOLOGIES.index(CLAIM_TECHNOLOGY[claim]))
            ] = True
        return mask

    def akimat_has_mobile_4g(self, i: int, m: int) -> bool:
        return i in self.world.access_4g(m) and i not in self.disputed

    def akimat_disputes(self, i: int, claim: str, m: int) -> bool:
        if claim == "fibre":
            return i not in self.world.fibre_connected(m)
        return not self.akimat_has_mobile_4g(i, m)

    # --- challenges ------------------------------------------------------------------------------
    def _active_4g(self, op: str, i: int, m: int) -> bool:
        return any(site.status(m) == "active" for site in self._sites_4g.get((op, i), ()))

    def challenges_of_month(self, region: str, m: int) -> list[Challenge]:
        """The challenges an akimat submits in month ``m`` (with the operator's later answer)."""
        key = (region, m)
        if key in self._challenges:
            return self._challenges[key]
        world, seed = self.world, self.world.seed
        found = []
        for i in sorted(self.disputed):
            if world.region[i] != region:
                continue
            code = world.codes[i]
            for op in world.operators:
                if (op, i) not in self._sites_4g:
                    continue
                month = int(stable_fraction(seed, "challenge-month", op, code) * CHALLENGE_MONTHS)
                if month != m or not self._active_4g(op, i, m):
                    continue
                found.append((day_in_month(m, stable_fraction(seed, "challenge-day", op, code)), code, op, i))
        found.sort()
        challenges = []
        for k, (submitted, code, op, i) in enumerate(found):
            challenge_id = f"{region}-CH-{month_period(m).replace('-', '')}-{k + 1:03d}"
            u = stable_fraction(seed, "challenge-evidence", challenge_id)
            overstated = (op, i) in self.overstated_mobile
            if u < 0.6:
                evidence, complaints = "own_measurements", None
                measured = round((1.0 + 3.0 * u) if overstated else (3.0 + 10.0 * u), 1)
            else:
                evidence, measured = "citizen_complaints", None
                complaints = 3 + int(40 * (u - 0.6))
            fate = stable_fraction(seed, "challenge-response", challenge_id)
            days = 1 + int(stable_fraction(seed, "challenge-response-days", challenge_id) * 25)
            if fate < 0.4:
                response, response_evidence, responded = "accept", None, submitted + timedelta(days=days)
            elif fate < 0.85:
                response = "contest"
                response_evidence = "own_measurements" if fate < 0.65 else "network_logs"
                responded = submitted + timedelta(days=days)
            else:
                response = response_evidence = responded = None
            challenges.append(Challenge(challenge_id, region, i, code, op, "mobile_4g", evidence,
                                        measured, complaints,
                                        submitted, response, response_evidence, responded))
        self._challenges[key] = challenges
        return challenges

    def responses_of_month(self, operator: str, m: int) -> list[Challenge]:
        """The challenges ``operator`` answers in month ``m`` (answers come in the month of the challenge
        or the next: never later than response_days after it)."""
        out = []
        for month in range(max(0, m - 2), m + 1):
            for region in self.world.regions:
                for c in self.challenges_of_month(region, month):
                    if (
                        c.operator == operator
                        and c.responded_on is not None
                        and month_of(c.responded_on) == m
                    ):
                        out.append(c)
        return sorted(out, key=lambda c: (c.responded_on, c.challenge_id))


def plan(world: World) -> ClaimsPlan:
    """The world's claims plan, made once per world."""
    made = world.__dict__.get("_claims_plan")
    if made is None:
        made = world.__dict__["_claims_plan"] = ClaimsPlan(world)
    return made


# --- what the pipeline must find -----------------------------------------------------------------
@dataclass
class ClaimStats:
    """Speed tests per (settlement, operator, technology) group with a claim: count, median, 10th pct."""

    tests: dict[int, int]
    median: dict[int, float]
    p10: dict[int, float]

    @classmethod
    def from_arrays(cls, keys: np.ndarray, downloads: np.ndarray) -> ClaimStats:
        order = np.lexsort((downloads, keys))
        keys, downloads = keys[order], downloads[order]
        starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]]) if len(keys) else np.array([], dtype=int)
        ends = np.r_[starts[1:], len(keys)] if len(keys) else np.array([], dtype=int)
        tests, median, p10 = {}, {}, {}
        for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
            values = downloads[a:b]
            key = int(keys[a])
            tests[key] = b - a
            median[key] = float(np.quantile(values, 0.5))
            p10[key] = float(np.quantile(values, 0.1))
        return cls(tests, median, p10)


def verdict(tests: int, median: float | None, disputed: bool) -> str:
    """Measurements first (enough tests below the high-speed threshold contradict), then the akimat."""
    if tests >= MIN_TESTS and median is not None and median < HIGH_SPEED_MBPS:
        return "contradicted"
    if disputed:
        return "disputed"
    return "confirmed" if tests >= MIN_TESTS else "unverified"


def period_claims(world: World, period: str, stats: ClaimStats) -> dict[str, Any]:
    """Every claim of the period with its verdict, the verdict counts, and each akimat's worklist."""
    p = plan(world)
    m = month_index(period)
    rows = []
    for i, op, claim in sorted(p.claims(m), key=lambda c: (world.codes[c[0]], c[1], c[2])):
        key = speed_key(i, SPEED_OPERATORS.index(op), SPEED_TECHNOLOGIES.index(CLAIM_TECHNOLOGY[claim]))
        tests = stats.tests.get(key, 0)
        median = stats.median.get(key)
        rows.append({"kato_code": world.codes[i], "region_code": world.region[i],
                     "operator": op, "claim": claim,
                     "tests": tests, "median_download_mbps": median, "p10_download_mbps": stats.p10.get(key),
                     "verdict": verdict(tests, median, p.akimat_disputes(i, claim, m)), "row": i})
    counts: dict[str, dict[str, int]] = {}
    for r in rows:
        for scope in (r["operator"], "all"):
            bucket = counts.setdefault(scope, dict.fromkeys(VERDICTS, 0))
            bucket[r["verdict"]] += 1
    # Worklist: settlements with a contradicted or disputed claim, most people first.
    flagged: dict[int, dict[str, Any]] = {}
    for r in rows:
        if r["verdict"] not in ("contradicted", "disputed"):
            continue
        item = flagged.setdefault(r["row"], {"kato_code": r["kato_code"], "region_code": r["region_code"],
                                             "population": int(world.population[r["row"]]),
                                             "contradicted": 0, "disputed": 0})
        item[r["verdict"]] += 1
    worklists: dict[str, list[str]] = {}
    for item in sorted(flagged.values(),
                       key=lambda x: (-x["population"], -(x["contradicted"] + x["disputed"]),
                                                         x["kato_code"])):
        worklists.setdefault(item["region_code"], []).append(item["kato_code"])
    disputed_settlements: dict[str, int] = {}
    for item in flagged.values():
        if item["disputed"]:
            disputed_settlements[item["region_code"]] = disputed_settlements.get(item["region_code"], 0) + 1
    for r in rows:
        del r["row"]
    return {"claims": rows, "verdict_counts": counts, "worklists": worklists,
            "disputed_settlements": disputed_settlements}


def challenge_outcomes(world: World, periods: list[str], verdicts: dict[str, dict[tuple[str, str, str], str]]
                       ) -> dict[str, Any]:
    """Each generated period's challenges (those submitted in generated periods up to it) with their
    status at the period's end, the statistics per region and operator, and the claims an upheld
    challenge voids from the next period on.

    ``verdicts``: period → {(kato_code, operator, claim): verdict} (the claim's verdict in the month the
    challenge was submitted decides a contest)."""
    p = plan(world)
    review_days = deadlines()["review_days"]
    generated = set(periods)
    out: dict[str, Any] = {}
    for period in periods:
        end = month_last_day(month_index(period))
        known = [c for q in periods if q <= period for region in world.regions
                 for c in p.challenges_of_month(region, month_index(q))]
        known_ids = {c.challenge_id for c in known}
        items = []
        for c in known:
            responded = c.responded_on if c.responded_on is not None and c.responded_on <= end else None
            if responded is not None and c.response == "accept":
                status, decided = "upheld", responded
            elif responded is not None:
                decided = responded + timedelta(days=review_days)
                if decided <= end:
                    claim_verdict = verdicts[month_period(c.month)].get((c.kato_code, c.operator, c.claim))
                    status = "upheld" if claim_verdict == "contradicted" else "rejected"
                else:
                    status, decided = "answered", None
            elif c.deadline_on <= end:
                status, decided = "upheld", c.deadline_on
            else:
                status, decided = "open", None
            items.append({"challenge_id": c.challenge_id, "region_code": c.region, "operator": c.operator,
                          "kato_code": c.kato_code, "claim": c.claim,
                          "submitted_on": c.submitted_on.isoformat(),
                          "status": status, "decided_on": decided.isoformat() if decided else None,
                          "days_to_resolve": (decided - c.submitted_on).days if decided else None,
                          "complaints": c.complaints or 0})
        stats: dict[str, dict[str, dict[str, Any]]] = {}
        for it in items:
            for region in (it["region_code"], "KZ"):
                for op in (it["operator"], "all"):
                    s = stats.setdefault(region, {}).setdefault(op, {
                        "received": 0, "open": 0, "answered": 0, "upheld": 0, "rejected": 0, "complaints": 0,
                        "days": []})
                    s["received"] += 1
                    s[it["status"]] += 1
                    s["complaints"] += it["complaints"]
                    if it["days_to_resolve"] is not None:
                        s["days"].append(it["days_to_resolve"])
        for by_op in stats.values():
            for s in by_op.values():
                days = s.pop("days")
                s["median_days_to_resolve"] = float(np.median(days)) if days else None
        # Responses the pipeline sees whose challenge it does not know (submitted before the first
        # generated period): reported, never counted.
        unknown = sorted(
            c.challenge_id
            for op in world.operators
            for c in p.responses_of_month(op, month_index(period))
            if c.challenge_id not in known_ids and month_period(c.month) not in generated
        )
        voided = sorted(
            it["challenge_id"]
            for it in items
            if it["status"] == "upheld"
            and month_of(date.fromisoformat(it["decided_on"])) < month_index(period)
        )
        newly_voided = sorted(
            it["challenge_id"]
            for it in items
            if it["status"] == "upheld"
            and month_of(date.fromisoformat(it["decided_on"])) == month_index(period) - 1
        )
        out[period] = {"challenges": items, "statistics": stats, "responses_to_unknown_challenges": unknown,
                       "claims_voided": voided, "voided_from_this_period": newly_voided}
    return out
