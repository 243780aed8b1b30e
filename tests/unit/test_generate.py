"""The generator: determinism, layout, the promised formats (checked on the bytes), expected.json
recomputed here from the files themselves (read with csv/json/python-calamine/pyarrow, not with the
ingest), and every injected defect found where defects.json says it is.

Three runs at a small scale, made once: clean A, clean B (same arguments) and D (``--defects all``).
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import operator
import re
import zipfile
from collections import defaultdict
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
import qamtu.reference as reference
from python_calamine import CalamineWorkbook
from qamtu.contracts import (
    BOOLEAN_FALSE,
    BOOLEAN_TRUE,
    TOTALS_MARKERS,
    load_contract,
    normalize_label,
    report_types_of,
    submitter_ids,
)
from qamtu.contracts.rules import is_known_rule
from qamtu.generate import DEFECTS, defects_markdown, generate_submissions

PERIODS = ["2026-01", "2026-02", "2026-03"]
SCALE = 0.002
SEED = 11
HEADLINE = ("villages_fibre_new", "villages_fibre_share", "population_access_share", "households_last_mile",
            "people_last_mile", "road_km_covered", "city_5g_territory_share", "cities_5g_at_target",
            "land_requests_decided_share", "fines_kzt")
REGIONAL = ("villages_fibre_new", "villages_fibre_share", "population_access_share", "households_last_mile",
            "people_last_mile", "land_requests_decided_share", "fines_kzt")
KEY = re.compile(
    r"^(operator|akimat|measurement)/([^/]+)/(\d{4}-\d{2})/([a-z0-9_]+)\.(csv|csv\.gz|xlsx|json|parquet)$"
)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = {}
    for name, defects in (("A", None), ("B", None), ("D", ["all"])):
        folder = tmp_path_factory.mktemp(f"generate-{name}")
        summary = generate_submissions(out=folder, periods=PERIODS, scale=SCALE, seed=SEED, defects=defects)
        assert summary["periods"] == PERIODS
        assert summary["skipped_defects"] == []
        out[name] = folder
    return out


def files_of(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def load(folder: Path, name: str) -> Any:
    return json.loads((folder / "truth" / name).read_text(encoding="utf-8"))


# --- a reader written for the test (independent of qamtu.ingest) --------------------------------
def fmt_of(facts: dict, kind: str, submitter: str) -> dict:
    return facts["formats"][kind][submitter] if kind != "measurement" else {}


def to_number(raw: Any) -> float | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, int | float):
        return float(raw)
    text = str(raw).replace("\u00a0", "").replace(" ", "").replace(",", ".")
    return float(text)


def to_date(raw: Any) -> date | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    text = str(raw)
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text)
        day, month, year = text.split(".")
        return date(int(year), int(month), int(day))
    except ValueError:
        return text  # not a date (a defect): left as written


def to_value(report_type: str, name: str, raw: Any) -> Any:
    f = load_contract(report_type).field(name)
    if raw is None or raw == "":
        return None
    if f.type in ("integer", "number"):
        return to_number(raw)
    if f.type == "date":
        return to_date(raw)
    if f.type == "boolean":
        text = normalize_label(raw)
        return True if text in BOOLEAN_TRUE else (False if text in BOOLEAN_FALSE else raw)
    if f.enum is not None:
        return f.value_map().get(normalize_label(raw), raw)
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw)


def read_table(path: Path, report_type: str, fmt: dict) -> dict[str, Any]:
    """{"header": [field or None], "header_line": n, "rows": [(line, {field: raw})],
    "totals": (line, [cells])}."""
    contract = load_contract(report_type)
    names = contract.header_map()
    totals = None
    if path.name.endswith(".xlsx"):
        book = CalamineWorkbook.from_path(str(path))
        wanted = {normalize_label(n) for n in contract.sheet_names()}
        sheet = next((s for s in book.sheet_names if normalize_label(s) in wanted), book.sheet_names[0])
        cells = book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        at = next(i for i, row in enumerate(cells[:11])
                  if sum(normalize_label(c) in names for c in row if isinstance(c, str)) >= 2)
        header = [names.get(normalize_label(c)) if isinstance(c, str) else None for c in cells[at]]
        rows = []
        for i, row in enumerate(cells[at + 1:], start=at + 2):
            first = next((c for c in row if c not in ("", None)), None)
            if first is None:
                continue
            if isinstance(first, str) and normalize_label(first) in TOTALS_MARKERS:
                totals = (i, row)
                break
            rows.append((i, {h: (None if c == "" else c) for h, c in zip(header, row, strict=False) if h}))
        return {"header": header, "header_line": at + 1, "rows": rows, "totals": totals,
                "raw_header": cells[at]}
    if path.name.endswith(".json"):
        objects = json.loads(path.read_text(encoding="utf-8"))
        header = [names.get(normalize_label(k)) for k in (objects[0] if objects else {})]
        rows = [(i + 2, {names[normalize_label(k)]: v for k, v in obj.items() if normalize_label(k) in names})
                for i, obj in enumerate(objects)]
        return {"header": header, "header_line": 1, "rows": rows, "totals": None,
                "raw_header": list(objects[0])}
    if path.name.endswith(".parquet"):
        table = pq.read_table(path)
        rows = [(i + 2, row) for i, row in enumerate(table.to_pylist())]
        return {"header": table.column_names, "header_line": 1, "rows": rows, "totals": None,
                "raw_header": table.column_names}
    data = gzip.decompress(path.read_bytes()) if path.name.endswith(".gz") else path.read_bytes()
    text = data.decode(fmt.get("encoding") or "utf-8")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=fmt.get("delimiter") or ",")
    raw_header = next(reader)
    header = [names.get(normalize_label(h)) for h in raw_header]
    rows = [(i + 2, {h: (v if v != "" else None) for h, v in zip(header, values, strict=True) if h})
            for i, values in enumerate(reader)]
    return {"header": header, "header_line": 1, "rows": rows, "totals": None, "raw_header": raw_header}


def canonical_rows(path: Path, report_type: str, fmt: dict) -> list[tuple[int, dict[str, Any]]]:
    table = read_table(path, report_type, fmt)
    return [(line, {k: to_value(report_type, k, v) for k, v in row.items()}) for line, row in table["rows"]]


def submission_path(
    folder: Path, facts: dict, kind: str, submitter: str, period: str, report_type: str
) -> Path:
    key = next(k for k in facts["periods"][period]["files"]
               if k.startswith(f"{kind}/{submitter}/{period}/{report_type}."))
    return folder / "landing" / key


# --- determinism and layout ---------------------------------------------------------------------
def test_same_arguments_give_byte_identical_files(runs: dict[str, Path]) -> None:
    a, b = files_of(runs["A"]), files_of(runs["B"])
    assert len(a) > 300
    assert a == b


def test_periods_without_defects_are_identical_to_the_clean_run(runs: dict[str, Path]) -> None:
    a, d = files_of(runs["A"]), files_of(runs["D"])
    for key, digest in a.items():
        if key.startswith("landing/") and "/2026-03/" not in key:
            assert d[key] == digest, key
    changed = [k for k in a if "/2026-03/" in k and d.get(k) != a[k]]
    assert changed, "the defects of the last period changed none of its files"


def test_every_submitter_and_report_type_every_period(runs: dict[str, Path]) -> None:
    landing = runs["A"] / "landing"
    seen = defaultdict(set)
    for path in landing.rglob("*"):
        if path.is_file():
            match = KEY.match(path.relative_to(landing).as_posix())
            assert match, path
            kind, submitter, period, report_type, _ = match.groups()
            assert (kind, submitter, report_type) not in seen[period], f"two files for one key: {path}"
            seen[period].add((kind, submitter, report_type))
    expected = {(kind, s, rt) for kind in ("operator", "akimat", "measurement") for s in submitter_ids(kind)
                for rt in report_types_of(kind) if load_contract(rt).expected_each_period}
    assert len(expected) == 4 * 4 + 20 * 5 + 1
    assert set(seen) == set(PERIODS)
    # Challenges and responses come only in a month that has some (never as an empty file).
    occasional = {(kind, s, rt) for kind in ("operator", "akimat") for s in submitter_ids(kind)
                  for rt in report_types_of(kind) if not load_contract(rt).expected_each_period}
    for period in PERIODS:
        assert seen[period] - occasional == expected, period


def test_expected_json_has_every_indicator_with_plausible_values(runs: dict[str, Path]) -> None:
    expected = load(runs["A"], "expected.json")
    assert set(expected) == {"national", "regions"}
    regions = list(reference.region_names())
    previous = None
    for period in PERIODS:
        nat = expected["national"][period]
        assert set(nat) == set(HEADLINE)
        assert 30 < nat["villages_fibre_share"] < 100
        assert 90 < nat["population_access_share"] < 100
        assert 20_000 < nat["road_km_covered"] < 45_000
        assert 10 < nat["city_5g_territory_share"] < 100
        assert 0 <= nat["cities_5g_at_target"] <= 20
        assert 0 < nat["land_requests_decided_share"] <= 100
        assert nat["fines_kzt"] >= 0
        assert nat["villages_fibre_new"] > 0 and nat["households_last_mile"] > 0
        if previous:  # the programme only moves forward
            for code in ("villages_fibre_new", "villages_fibre_share", "households_last_mile",
                         "road_km_covered",
                         "city_5g_territory_share"):
                assert nat[code] >= previous[code], (period, code)
        previous = nat
        by_region = expected["regions"][period]
        assert sorted(by_region) == sorted(regions)
        for code in ("villages_fibre_new", "households_last_mile", "fines_kzt"):
            assert nat[code] == sum(r[code] for r in by_region.values()), code
        assert nat["people_last_mile"] == pytest.approx(
            sum(r["people_last_mile"] for r in by_region.values())
        )
        for r, values in by_region.items():
            assert set(values) == set(REGIONAL)
            has_villages = r not in ("71", "75", "79")
            assert (values["villages_fibre_share"] is None) == (not has_villages), r


def test_the_programme_trajectory_over_two_years(tmp_path: Path) -> None:
    """Truth only (no files): > 3,000 new villages by end-2027, regions at different paces."""
    from qamtu.generate.truth import period_truth
    from qamtu.generate.world import World

    world = World(SEED, SCALE)
    end = period_truth(world, "2027-12")
    start = period_truth(world, "2026-01")
    assert end["national"]["villages_fibre_new"] > 3000
    assert 35 < start["national"]["villages_fibre_share"] < 50
    assert end["national"]["road_km_covered"] > 37_000
    assert end["national"]["population_access_share"] > 99
    assert end["national"]["cities_5g_at_target"] < 20 < end["national"]["cities_5g_at_target"] + 10
    done = {r: v["villages_fibre_new"] / max(1, v["villages_fibre_new"] + len(
        [i for i in world.programme_villages if world.region[i] == r]) - v["villages_fibre_new"])
            for r, v in end["regions"].items() if r not in ("71", "75", "79")}
    assert min(done.values()) < 0.9 < max(done.values())  # some regions lag, others have finished
    facts = end["facts"]
    assert 3_000 < facts["road_km_sum_of_operators"] - facts["road_km_union"] < 12_000  # real overlaps
    kt = facts["operators"]["kazakhtelecom"]["settlements_connected"]
    assert kt > 2 * max(
        facts["operators"][op]["settlements_connected"] for op in ("kcell", "beeline", "tele2")
    )


# --- formats, on the bytes ------------------------------------------------------------------------
def test_operator_files_in_their_promised_formats(runs: dict[str, Path]) -> None:
    folder = runs["A"] / "landing"
    kcell = (folder / "operator/kcell/2026-03/settlement_fiber.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        kcell.decode("utf-8")
    text = kcell.decode("cp1251")
    first = text.split("\r\n")[0]
    assert first.split(";")[0] == "Код КАТО" and first.count(";") == 6
    assert re.search(r";\d{1,3} \d{3};", text), "no space thousands separator"
    assert re.search(r"[А-Яа-я]+, [а-я]", text), "no settlement name with a comma"
    coverage = (folder / "operator/kcell/2026-03/road_coverage.csv").read_bytes().decode("cp1251")
    assert re.search(r";\d+,\d;", coverage), "no decimal comma"

    tele2 = (folder / "operator/tele2/2026-03/settlement_fiber.csv").read_bytes()
    assert tele2.startswith(b"\xef\xbb\xbf")
    header = tele2.decode("utf-8-sig").split("\n")[0].split("\t")
    assert header[0] == "КАТО коды" and len(header) == 7
    assert "қосылған" in tele2.decode("utf-8-sig")

    beeline = json.loads((folder / "operator/beeline/2026-03/base_stations.json").read_text(encoding="utf-8"))
    assert isinstance(beeline, list) and {"site_id", "latitude", "status"} <= set(beeline[0])

    book = CalamineWorkbook.from_path(str(folder / "operator/kazakhtelecom/2026-03/settlement_fiber.xlsx"))
    assert book.sheet_names == ["ВОЛС", "Примечание"]
    cells = book.get_sheet_by_name("ВОЛС").to_python(skip_empty_area=False)
    assert cells[0][0] == "Казахтелеком" and cells[2][0] == "по состоянию на 31.03.2026"
    assert cells[4][0] == "Код КАТО"
    assert cells[-1][0] == "Итого"
    dates = [row[3] for row in cells[5:-1] if row[3] != ""]
    assert dates and all(isinstance(d, date) for d in dates), "connected_on not Excel date cells"
    assert cells[-1][5] == sum(row[5] for row in cells[5:-1])  # the totals row matches the rows


def test_akimat_and_measurement_files_in_their_promised_formats(runs: dict[str, Path]) -> None:
    folder = runs["A"] / "landing"
    facts = load(runs["A"], "facts.json")
    akimats = facts["formats"]["akimat"]
    assert {f["ext"] for f in akimats.values()} == {"csv", "xlsx"}
    assert {f["lang"] for f in akimats.values()} == {"ru", "kk"}
    # Windows-1251, ';', да/нет, DD.MM.YYYY.
    text = (folder / "akimat/15/2026-03/quality_inspections.csv").read_bytes().decode("cp1251")
    assert text.split("\r\n")[0].count(";") == 9 and re.search(r";(да|нет);", text)
    assert re.search(r";\d{2}\.\d{2}\.2026;", text)
    # ',' with decimal commas: quoted fields holding the delimiter.
    text = (folder / "akimat/27/2026-03/quality_inspections.csv").read_text(encoding="utf-8")
    assert re.search(r',"\d+,\d",', text)
    # Kazakh booleans and headers.
    text = (folder / "akimat/10/2026-03/settlement_connectivity.csv").read_text(encoding="utf-8")
    assert text.split("\n")[0] == "КАТО коды,ТОБЖ бар,4G бар" and ",иә," in text
    # A cover sheet before the data sheet named like the report type.
    book = CalamineWorkbook.from_path(str(folder / "akimat/19/2026-03/pole_access.xlsx"))
    assert book.sheet_names == ["Титул", "pole_access"]
    cells = book.get_sheet_by_name("pole_access").to_python(skip_empty_area=False)
    assert cells[-1][0] == "Барлығы"
    # Speed tests: csv.gz and Parquet, 10 M × scale rows.
    rows = int(round(10_000_000 * SCALE))
    with gzip.open(folder / "measurement/qos/2026-01/speed_tests.csv.gz", "rt", encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    assert len(lines) == rows + 1 and lines[0].startswith('"test_id","measured_at"')
    assert re.fullmatch(r"QOS202601-\d{9},2026-01-\d\dT\d\d:\d\d:\d\dZ,.*", lines[1])
    assert pq.read_metadata(folder / "measurement/qos/2026-03/speed_tests.parquet").num_rows == rows
    gz = (folder / "measurement/qos/2026-01/speed_tests.csv.gz").read_bytes()
    assert gz[4:8] == b"\x00\x00\x00\x00"  # gzip mtime 0: reproducible


@cache
def lookups() -> tuple[dict[str, str], dict[str, float], set[str]]:
    kato = reference.kato()
    roads = reference.roads()
    return (dict(zip(kato["kato_code"], kato["level"], strict=True)),
            dict(zip(roads["road_code"], roads["length_km"], strict=True)),
            set(reference.cities_5g()["kato_code"]))


COMPARE = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


def broken_rules(report_type: str, row: dict[str, Any], submitter: str, period_end: date) -> list[str]:
    """The contract's constraints and row rules, checked here from their definitions."""
    level, length, cities = lookups()
    contract = load_contract(report_type)
    broken = []
    for f in contract.fields:
        value = row.get(f.name)
        if value is None:
            if f.required:
                broken.append(f"required {f.name}")
            continue
        if f.minimum is not None and value < f.minimum or f.maximum is not None and value > f.maximum \
                or f.exclusive_minimum is not None and value <= f.exclusive_minimum:
            broken.append(f"bounds {f.name}={value}")
        if (
            f.reference == "kato.settlement"
            and level.get(value) != "settlement"
            or f.reference == "kato.district"
            and level.get(value) != "district"
            or f.reference == "kato.any"
            and value not in level
            or f.reference == "roads"
            and value not in length
            or f.reference == "city_5g"
            and value not in cities
        ):
            broken.append(f"reference {f.name}={value}")
        if f.in_submitter_region and value[:2] != submitter:
            broken.append(f"region {f.name}={value}")
    for rule in contract.row_rules:
        value, p = row.get(rule.field), rule.params
        when = row.get(p["when"]["field"]) in p["when"]["in"] if "when" in p else None
        if rule.check == "compare":
            ok = value is None or row.get(p["other"]) is None or COMPARE[p["op"]](value, row[p["other"]])
        elif rule.check == "required_iff":
            ok = (value is not None) == when
        elif rule.check == "required_unless":
            ok = value is not None or when
        elif rule.check == "not_after_period_end":
            ok = value is None or value <= period_end
        elif rule.check == "positive_only_if":
            ok = value is None or value <= 0 or when
        elif rule.check == "at_most_reference":
            ok = value is None or value <= length.get(row[p["key"]], float("inf"))
        else:
            raise AssertionError(f"unknown check {rule.check}")
        if not ok:
            broken.append(rule.id)
    return broken


def test_every_clean_file_reads_back_completely_and_keeps_every_rule(runs: dict[str, Path]) -> None:
    """Every value of every clean file parses with the contract's spellings, and no row breaks a rule."""
    facts = load(runs["A"], "facts.json")
    for key, info in facts["periods"]["2026-02"]["files"].items():
        kind, submitter, _, name = key.split("/")
        report_type = name.split(".")[0]
        if report_type == "speed_tests":
            continue
        contract = load_contract(report_type)
        rows = canonical_rows(runs["A"] / "landing" / key, report_type, fmt_of(facts, kind, submitter))
        assert len(rows) == info["rows"] > 0, key
        assert rows[0][0] == info["first_data_line"], key
        for line, row in rows:
            for f in contract.fields:
                value = row.get(f.name)
                if f.required:
                    assert value is not None, (key, line, f.name)
                if f.enum is not None and value is not None:
                    assert value in f.enum, (key, line, f.name, value)
                if f.type == "boolean" and value is not None:
                    assert isinstance(value, bool), (key, line, f.name, value)
            assert broken_rules(report_type, row, submitter, date(2026, 2, 28)) == [], (key, line)
        for f in contract.fields:
            if f.unique:
                values = [row[f.name] for _, row in rows]
                assert len(values) == len(set(values)), (key, f.name)
        if contract.primary_key:
            keys = [tuple(row[k] for k in contract.primary_key) for _, row in rows]
            assert len(keys) == len(set(keys)), key


# --- expected.json recomputed from the clean files ------------------------------------------------
def recompute(folder: Path, facts: dict, period: str, skip: frozenset = frozenset()) -> dict[str, float]:
    """The headline indicators from the files; ``skip`` = {(landing key, line)} rows left out."""

    def rows(kind: str, submitter: str, report_type: str) -> list[dict[str, Any]]:
        path = submission_path(folder, facts, kind, submitter, period, report_type)
        key = path.relative_to(folder / "landing").as_posix()
        return [row for line, row in canonical_rows(path, report_type, fmt_of(facts, kind, submitter))
                if (key, line) not in skip]

    settlements = reference.settlements()
    rural = set(settlements.loc[settlements["is_rural"], "kato_code"])
    population = dict(zip(settlements["kato_code"], settlements["population"].astype(int), strict=True))
    households = dict(zip(settlements["kato_code"], settlements["households"].astype(int), strict=True))
    fibre: dict[str, list[tuple[date, float]]] = defaultdict(list)
    access: set[str] = set()
    stretches: dict[str, list[tuple[float, float]]] = defaultdict(list)
    city_best: dict[str, float] = defaultdict(float)
    for op in submitter_ids("operator"):
        for row in rows("operator", op, "settlement_fiber"):
            if row["status"] == "connected":
                fibre[row["kato_code"]].append((row["connected_on"], row["households_connected"]))
        for row in rows("operator", op, "base_stations"):
            if row["status"] == "active" and row["technology"] in ("4G", "5G"):
                access.add(row["kato_code"])
        for row in rows("operator", op, "road_coverage"):
            stretches[row["road_code"]].append((row["km_from"], row["km_to"]))
        for row in rows("operator", op, "city_5g"):
            city_best[row["city_kato"]] = max(city_best[row["city_kato"]], row["covered_area_km2"])
    new = [k for k in rural if any(d >= date(2026, 1, 1) for d, _ in fibre.get(k, ()))]
    road_km = 0.0
    for spans in stretches.values():
        end = -1.0
        for a, b in sorted(spans):  # union of intervals
            if b > end:
                road_km += b - max(a, end)
                end = b
    cities = reference.cities_5g()
    area = dict(zip(cities["kato_code"], cities["area_km2"], strict=True))
    access |= set(fibre)
    land_all = land_decided = 0
    fines = 0.0
    for a in submitter_ids("akimat"):
        for row in rows("akimat", a, "land_allocation"):
            land_all += 1
            land_decided += row["decision"] in ("approved", "rejected")
        for row in rows("akimat", a, "quality_inspections"):
            fines += row["fine_kzt"]
    return {
        "villages_fibre_new": len(new),
        "villages_fibre_share": len(rural & set(fibre)) / len(rural) * 100,
        "households_last_mile": sum(max(h for _, h in fibre[k]) for k in new),
        "people_last_mile": sum(max(h for _, h in fibre[k]) * population[k] / households[k] for k in new),
        "population_access_share": sum(population[k] for k in access) / sum(population.values()) * 100,
        "road_km_covered": road_km,
        "city_5g_territory_share": sum(city_best[c] for c in area) / sum(area.values()) * 100,
        "cities_5g_at_target": sum(city_best[c] / area[c] * 100 >= 75 for c in area),
        "land_requests_decided_share": land_decided / land_all * 100,
        "fines_kzt": fines,
    }


@pytest.mark.parametrize("period", ["2026-01", "2026-03"])
def test_expected_json_equals_a_recomputation_from_the_files(runs: dict[str, Path], period: str) -> None:
    facts = load(runs["A"], "facts.json")
    expected = load(runs["A"], "expected.json")["national"][period]
    recomputed = recompute(runs["A"], facts, period)
    assert set(recomputed) == set(HEADLINE)
    for code, value in recomputed.items():
        assert expected[code] == pytest.approx(value, rel=1e-9, abs=1e-6), code


# --- defects ---------------------------------------------------------------------------------------
def test_defects_doc_is_generated_from_the_registry() -> None:
    doc = Path(__file__).resolve().parents[2] / "docs" / "defects.md"
    assert doc.read_text(encoding="utf-8") == defects_markdown()


def test_defect_registry_names_known_rules() -> None:
    from qamtu.generate.defects import AUDIT_RULES

    for defect in DEFECTS.values():
        assert defect.stage in ("ingest", "audit")
        if defect.stage == "ingest":
            assert is_known_rule(defect.rule, defect.report_type), defect.name
        else:
            assert defect.rule in AUDIT_RULES, defect.name
    assert DEFECTS["totals_row_mismatch"].severity == "warning"
    assert DEFECTS["unknown_header"].severity == "warning"
    assert DEFECTS["negative_number"].severity == "error"


def test_unknown_defect_or_period_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown defect 'no_such_defect'"):
        generate_submissions(out=tmp_path, periods=["2026-01"], scale=SCALE, seed=1,
                             defects=["no_such_defect"])
    with pytest.raises(ValueError, match="2026-05 is not among the generated periods"):
        generate_submissions(out=tmp_path, periods=["2026-01"], scale=SCALE, seed=1,
                             defects=["empty_file@2026-05"])


def defect_records(runs: dict[str, Path]) -> dict[str, dict]:
    records = load(runs["D"], "defects.json")
    by_name = {r["name"]: r for r in records}
    assert len(by_name) == len(records) == len(DEFECTS)
    return by_name


def test_every_defect_is_listed_with_its_place(runs: dict[str, Path]) -> None:
    for name, record in defect_records(runs).items():
        defect = DEFECTS[name]
        assert (record["stage"], record["rule"], record["severity"]) == (
            defect.stage,
            defect.rule,
            defect.severity,
        )
        assert record["period"] == "2026-03"
        assert KEY.match(record["file"]) or name == "wrong_period_folder", record
        assert set(record) >= {"name", "file", "line", "kato_code", "operator", "road_code",
                               "region_code", "rule",
                               "stage"}


def test_row_defects_are_on_their_lines(runs: dict[str, Path]) -> None:
    """Open each file, go to the line, see the bad value."""
    facts = load(runs["D"], "facts.json")
    kato = reference.kato()
    households = dict(zip(kato["kato_code"], kato["households"], strict=True))
    roads = reference.roads()
    length = dict(zip(roads["road_code"], roads["length_km"], strict=True))
    checked = 0
    for name, record in defect_records(runs).items():
        if record["line"] is None or record["field"] is None or DEFECTS[name].report_type is None \
                or name == "missing_required_column":  # a header defect: checked with the file defects
            continue
        report_type = DEFECTS[name].report_type
        kind, submitter = record["file"].split("/")[:2]
        path = runs["D"] / "landing" / record["file"]
        table = read_table(path, report_type, fmt_of(facts, kind, submitter))
        if name == "unknown_header":
            assert record["line"] == table["header_line"] and record["field"] in table["raw_header"]
            checked += 1
            continue
        if name == "totals_row_mismatch":
            line, cells = table["totals"]
            assert line == record["line"]
            column = table["header"].index("households_connected")
            assert (
                cells[column] == record["value"] != sum(r["households_connected"] for _, r in table["rows"])
            )
            checked += 1
            continue
        row = dict(table["rows"])[record["line"]]
        value = to_value(report_type, record["field"], row.get(record["field"]))
        expected = record["value"]
        if isinstance(value, date):
            value = value.isoformat()
        if isinstance(value, float) and isinstance(expected, int | float):
            assert value == pytest.approx(expected), name
        else:
            assert value == expected, (name, value, expected)
        if record["kato_code"] and "kato_code" in row:
            assert to_value(report_type, "kato_code", row["kato_code"]) == record["kato_code"], name
        # Each one breaks what it says.
        canon = {k: to_value(report_type, k, v) for k, v in row.items()}
        if name == "households_connected_above_passed":
            assert canon["households_connected"] > canon["households_passed"]
        elif name == "households_passed_above_settlement":
            assert canon["households_passed"] > households[canon["kato_code"]]
            assert canon["households_connected"] <= canon["households_passed"]
        elif name == "connected_on_after_period":
            assert canon["connected_on"] > date(2026, 3, 31)
        elif name == "road_km_beyond_length":
            assert canon["km_to"] > length[canon["road_code"]]
        elif name == "road_stretch_reversed":
            assert canon["km_from"] > canon["km_to"]
        elif name == "fine_without_violation":
            assert canon["violation"] is False and canon["fine_kzt"] > 0
        elif name == "decision_before_request":
            assert canon["decided_on"] < canon["requested_on"]
        elif name == "coordinates_outside_kazakhstan":
            assert not 40.5 <= canon["latitude"] <= 55.5
        elif name == "unknown_kato_code":
            assert canon["kato_code"] not in households
        elif name == "kato_outside_region":
            assert canon["kato_code"][:2] != submitter
        elif name == "duplicate_id":
            first = dict(table["rows"])[record["details"]["first_line"]]
            assert first["site_id"] == row["site_id"] and record["details"]["first_line"] < record["line"]
        elif name == "city_5g_area_above_city_area":
            assert canon["covered_area_km2"] > record["details"]["area_km2"]
        elif name == "operator_akimat_disagree":
            fibre = canonical_rows(submission_path(runs["D"], facts, "operator",
                                                   record["operator"], "2026-03",
                                                   "settlement_fiber"), "settlement_fiber",
                                   fmt_of(facts, "operator", record["operator"]))
            assert any(r["kato_code"] == record["kato_code"] and r["status"] == "connected" for _, r in fibre)
        elif name == "negative_number":
            assert canon["poles_granted"] < 0
        elif name == "speed_out_of_range":
            assert canon["download_mbps"] < 0
        checked += 1
    assert checked >= 20


def test_file_defects_are_in_the_bytes(runs: dict[str, Path]) -> None:
    records = defect_records(runs)
    clean, broken = runs["A"] / "landing", runs["D"] / "landing"

    def data(name: str) -> bytes:
        return (broken / records[name]["file"]).read_bytes()

    assert data("empty_file") == b""
    truncated = data("truncated_xlsx")
    assert len(truncated) == len((clean / records["truncated_xlsx"]["file"]).read_bytes()) // 2
    with pytest.raises(zipfile.BadZipFile):
        zipfile.ZipFile(io.BytesIO(truncated))
    junk = data("binary_junk_csv")
    assert junk.startswith(b"\x89PNG") and b"\x00" in junk and len(junk) == 4096
    utf16 = data("wrong_encoding")
    assert utf16.startswith(b"\xff\xfe") and b"\x00" in utf16
    with pytest.raises(UnicodeDecodeError):
        utf16.decode("utf-8")
    original = (clean / records["wrong_encoding"]["file"]).read_bytes()
    assert utf16.decode("utf-16").splitlines()[0].encode("utf-8") == original.decode(
        "utf-8-sig" if original.startswith(b"\xef\xbb\xbf") else "utf-8").splitlines()[0].encode("utf-8")
    assert not (broken / records["missing_submission"]["file"]).exists()
    assert (clean / records["missing_submission"]["file"]).exists()
    facts = load(runs["D"], "facts.json")
    key = records["missing_required_column"]["file"]
    table = read_table(broken / key, "pole_access", fmt_of(facts, "akimat", key.split("/")[1]))
    assert "operator" not in table["header"] and "district_kato" in table["header"]
    for name, source_kind in (("file_in_wrong_folder", "road_coverage"), ("wrong_period_folder", "city_5g"),
                              ("unknown_submitter", "city_5g")):
        record = records[name]
        source = (record["details"] or {}).get("copied_from") or record["operator"]
        ext = record["file"].rsplit("/", 1)[1].split(".", 1)[1]
        original = clean / f"operator/{source}/2026-03/{source_kind}.{ext}"
        assert data(name) == (broken / original.relative_to(clean)).read_bytes()
    assert records["wrong_period_folder"]["file"].split("/")[2] == "2026-13"
    assert records["file_in_wrong_folder"]["file"].startswith("akimat/")
    assert records["unknown_submitter"]["file"].startswith("operator/jusan/")
    resubmission = records["zero_byte_resubmission"]
    assert resubmission["area"] == "landing_resubmissions"
    assert (runs["D"] / "landing_resubmissions" / resubmission["file"]).read_bytes() == b""
    assert (broken / resubmission["file"]).stat().st_size > 0


def test_cross_period_defects_fall_from_the_previous_period(runs: dict[str, Path]) -> None:
    records = defect_records(runs)
    facts = load(runs["D"], "facts.json")
    expected = load(runs["D"], "expected.json")["national"]["2026-03"]
    drop = records["cumulative_drop"]
    fmt = fmt_of(facts, "operator", drop["operator"])

    def connected(period: str) -> set[str]:
        path = submission_path(runs["D"], facts, "operator", drop["operator"], period, "settlement_fiber")
        return {
            r["kato_code"]
            for _, r in canonical_rows(path, "settlement_fiber", fmt)
            if r["status"] == "connected"
        }

    before, now = connected("2026-02"), connected("2026-03")
    left_out = set(drop["details"]["left_out_kato_codes"])
    assert left_out and left_out <= before and not left_out & now
    assert len(now) < len(before)
    # The drop moves no headline figure (another operator still reports those settlements).
    recomputed = recompute(runs["D"], facts, "2026-03", quarantined(records))
    for code in ("villages_fibre_new", "villages_fibre_share", "households_last_mile", "people_last_mile",
                 "population_access_share", "road_km_covered"):
        assert recomputed[code] == pytest.approx(expected[code], rel=1e-9, abs=1e-6), code

    km = records["covered_km_drop"]
    fmt = fmt_of(facts, "operator", km["operator"])

    def own_km(period: str) -> float:
        path = submission_path(runs["D"], facts, "operator", km["operator"], period, "road_coverage")
        spans: dict[str, list] = defaultdict(list)
        for _, r in canonical_rows(path, "road_coverage", fmt):
            spans[r["road_code"]].append((r["km_from"], r["km_to"]))
        total = 0.0
        for items in spans.values():
            end = -1.0
            for a, b in sorted(items):
                if b > end:
                    total += b - max(a, end)
                    end = b
        return total

    assert own_km("2026-03") < own_km("2026-02")


def quarantined(records: dict[str, dict]) -> frozenset:
    """The rows an ingest must quarantine: the ingest-stage row defects (errors) with a line."""
    return frozenset((r["file"], r["line"]) for r in records.values()
                     if r["stage"] == "ingest" and r["severity"] == "error" and r["line"] is not None
                     and r["name"] != "missing_required_column")


def test_expected_json_holds_for_the_defective_run_once_bad_rows_are_quarantined(
    runs: dict[str, Path],
) -> None:
    """Ingest defects are extra rows or files feeding no indicator; of the audit defects only the ones
    that say so (alters_expected) move a headline figure."""
    records = defect_records(runs)
    facts = load(runs["D"], "facts.json")
    expected = load(runs["D"], "expected.json")["national"]["2026-03"]
    assert expected == load(runs["A"], "expected.json")["national"]["2026-03"]
    recomputed = recompute(runs["D"], facts, "2026-03", quarantined(records))
    moved = {
        code for code in HEADLINE if recomputed[code] != pytest.approx(expected[code], rel=1e-9, abs=1e-6)
    }
    announced = {code for r in records.values() for code in r["alters_expected"]}
    assert announced == {"city_5g_territory_share", "cities_5g_at_target"}
    assert "city_5g_territory_share" in moved and moved <= announced


def test_defect_placement_does_not_depend_on_the_other_defects(tmp_path: Path, runs: dict[str, Path]) -> None:
    generate_submissions(out=tmp_path, periods=PERIODS, scale=SCALE, seed=SEED,
                         defects=["negative_number", "empty_file@2026-02"])
    records = {r["name"]: r for r in load(tmp_path, "defects.json")}
    all_records = defect_records(runs)
    for key in ("file", "line", "operator", "kato_code", "value"):
        assert records["negative_number"][key] == all_records["negative_number"][key], key
    assert records["empty_file"]["period"] == "2026-02"
    assert (tmp_path / "landing" / records["empty_file"]["file"]).read_bytes() == b""


def test_cli_lists_defects_and_generates(tmp_path: Path) -> None:
    from qamtu.cli import app
    from typer.testing import CliRunner

    runner = CliRunner()
    listed = runner.invoke(app, ["generate", "--list-defects"])
    assert listed.exit_code == 0
    for name in DEFECTS:
        assert name in listed.output
    done = runner.invoke(app, ["generate", "--periods", "2026-01", "--scale", "0.001", "--seed", "3",
                               "--out", str(tmp_path), "--defects", "empty_file,unknown_header"])
    assert done.exit_code == 0, done.output
    assert json.loads((tmp_path / "truth" / "defects.json").read_text(encoding="utf-8"))[0]["name"] in (
        "empty_file", "unknown_header")
    assert (tmp_path / "landing" / "measurement" / "qos" / "2026-01" / "speed_tests.csv.gz").exists()


def test_days_and_dates_stay_inside_their_periods(runs: dict[str, Path]) -> None:
    """Clean event dates fall in or before the period, never after its last day."""
    facts = load(runs["A"], "facts.json")
    last = date(2026, 3, 31)
    for a in submitter_ids("akimat"):
        fmt = fmt_of(facts, "akimat", a)
        for report_type, fields in (("land_allocation", ("requested_on", "decided_on")),
                                    ("quality_inspections", ("inspected_on",)),
                                    ("power_connections", ("requested_on", "conditions_issued_on"))):
            path = submission_path(runs["A"], facts, "akimat", a, "2026-03", report_type)
            for _, row in canonical_rows(path, report_type, fmt):
                for name in fields:
                    assert row[name] is None or row[name] <= last, (path, name, row[name])
                if report_type == "quality_inspections":
                    assert row["inspected_on"] >= last - timedelta(days=30)
