"""Reference data: the shipped CSVs (read with the csv module), the loader, the build script, the
warehouse."""

from __future__ import annotations

import csv
import subprocess
import sys
import uuid
from collections import Counter, defaultdict
from pathlib import Path

import pandas as pd
import pytest
import qamtu.reference as reference
from qamtu.settings import Settings
from qamtu.warehouse import connect

DATA = Path(reference.__file__).parent / "data"

# The spec's "Reference data" section: two-digit codes and English names; kk/ru are the official names.
SPEC_REGIONS = {
    "10": ("Abai", "Абай облысы", "Область Абай"),
    "11": ("Akmola", "Ақмола облысы", "Акмолинская область"),
    "15": ("Aktobe", "Ақтөбе облысы", "Актюбинская область"),
    "19": ("Almaty", "Алматы облысы", "Алматинская область"),
    "23": ("Atyrau", "Атырау облысы", "Атырауская область"),
    "27": ("West Kazakhstan", "Батыс Қазақстан облысы", "Западно-Казахстанская область"),
    "31": ("Zhambyl", "Жамбыл облысы", "Жамбылская область"),
    "33": ("Zhetisu", "Жетісу облысы", "Область Жетісу"),
    "35": ("Karaganda", "Қарағанды облысы", "Карагандинская область"),
    "39": ("Kostanay", "Қостанай облысы", "Костанайская область"),
    "43": ("Kyzylorda", "Қызылорда облысы", "Кызылординская область"),
    "47": ("Mangystau", "Маңғыстау облысы", "Мангистауская область"),
    "55": ("Pavlodar", "Павлодар облысы", "Павлодарская область"),
    "59": ("North Kazakhstan", "Солтүстік Қазақстан облысы", "Северо-Казахстанская область"),
    "61": ("Turkestan", "Түркістан облысы", "Туркестанская область"),
    "62": ("Ulytau", "Ұлытау облысы", "Область Ұлытау"),
    "63": ("East Kazakhstan", "Шығыс Қазақстан облысы", "Восточно-Казахстанская область"),
    "71": ("Astana", "Астана қаласы", "город Астана"),
    "75": ("Almaty", "Алматы қаласы", "город Алматы"),
    "79": ("Shymkent", "Шымкент қаласы", "город Шымкент"),
}
# The spec's 20 cities of the 5G target: the republican cities and the 17 regional centres.
SPEC_5G_CITIES = {
    "71": "Astana", "75": "Almaty", "79": "Shymkent", "10": "Semey", "11": "Kokshetau", "15": "Aktobe",
    "19": "Konaev", "23": "Atyrau", "27": "Oral", "31": "Taraz", "33": "Taldykorgan", "35": "Karaganda",
    "39": "Kostanay", "43": "Kyzylorda", "47": "Aktau", "55": "Pavlodar", "59": "Petropavl",
    "61": "Turkistan",
    "62": "Zhezkazgan", "63": "Oskemen",
}
# MISSION.md's "Headline indicators" table: code → (target or None, deadline or None).
MISSION_TARGETS = {
    "villages_fibre_new": (3000, "2027-12-31"),
    "villages_fibre_share": (None, None),
    "population_access_share": (99, "2027-12-31"),
    "households_last_mile": (400_000, "2027-12-31"),
    "people_last_mile": (2_500_000, "2027-12-31"),
    "road_km_covered": (40_000, "2027-12-31"),
    "city_5g_territory_share": (75, "2027-12-31"),
    "cities_5g_at_target": (20, "2027-12-31"),
    "land_requests_decided_share": (None, None),
    "fines_kzt": (None, None),
}


def read(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def kato_rows() -> list[dict[str, str]]:
    return read("kato.csv")


@pytest.fixture(scope="module")
def settlement_rows(kato_rows) -> list[dict[str, str]]:
    return [r for r in kato_rows if r["level"] == "settlement"]


# --- the files themselves --------------------------------------------------------------------------------
def test_kato_columns_in_order():
    with (DATA / "kato.csv").open(encoding="utf-8") as handle:
        header = handle.readline().rstrip("\n").split(",")
    assert header == ["kato_code", "parent_code", "level", "name_kk", "name_ru", "name_en", "is_rural",
                      "population", "households", "area_km2", "region_code", "settlement_type", "is_5g_city"]


def test_twenty_regions_with_the_spec_codes_and_names(kato_rows):
    regions = {r["kato_code"]: r for r in kato_rows if r["level"] == "region"}
    assert sorted(regions) == sorted(f"{code}0000000" for code in SPEC_REGIONS)
    for code, (en, kk, ru) in SPEC_REGIONS.items():
        row = regions[f"{code}0000000"]
        assert row["name_en"].startswith(en), row
        assert (row["name_kk"], row["name_ru"]) == (kk, ru)
        assert row["parent_code"] == "" and row["region_code"] == code
        assert row["population"] == "" and row["households"] == ""


def test_codes_are_unique_nine_digits_and_follow_the_level_structure(kato_rows):
    codes = [r["kato_code"] for r in kato_rows]
    assert len(codes) == len(set(codes))
    for r in kato_rows:
        code = r["kato_code"]
        assert len(code) == 9 and code.isdigit(), code
        assert r["region_code"] == code[:2]
        if r["level"] == "region":
            assert code[2:] == "0000000"
        elif r["level"] == "district":
            assert code[2:4] != "00" and code[4:] == "00000", code
        elif r["level"] == "rural_district":
            assert code[4:6] != "00" and code[6:] == "000", code
        else:
            assert r["level"] == "settlement" and code[6:] != "000", code


def test_every_settlement_nests_under_its_rural_district_district_and_region(kato_rows, settlement_rows):
    by_code = {r["kato_code"]: r for r in kato_rows}
    for s in settlement_rows:
        code = s["kato_code"]
        rural_district = by_code[s["parent_code"]]
        district = by_code[rural_district["parent_code"]]
        region = by_code[district["parent_code"]]
        assert (rural_district["kato_code"], district["kato_code"], region["kato_code"]) == (
            code[:6] + "000", code[:4] + "00000", code[:2] + "0000000"), code
        assert (rural_district["level"], district["level"], region["level"]) == (
            "rural_district", "district", "region")


def test_population_and_households_only_on_settlements(kato_rows, settlement_rows):
    aggregates = [r for r in kato_rows if r["level"] != "settlement"]
    assert all(r["population"] == "" and r["households"] == "" for r in aggregates)
    assert all(int(s["population"]) > 0 and int(s["households"]) >= 1 for s in settlement_rows)
    population = sum(int(s["population"]) for s in settlement_rows)
    assert 20_000_000 <= population <= 20_600_000


def test_rural_settlements_count_population_and_spread(settlement_rows):
    rural = [s for s in settlement_rows if s["is_rural"] == "true"]
    assert 6_000 <= len(rural) <= 6_600
    assert all(s["settlement_type"] == "village" and s["is_5g_city"] == "false" for s in rural)
    assert 7_500_000 <= sum(int(s["population"]) for s in rural) <= 7_700_000
    assert 160 <= len({s["kato_code"][:4] for s in rural}) <= 170
    per_region = Counter(s["region_code"] for s in rural)
    assert set(per_region) == set(SPEC_REGIONS) - {"71", "75", "79"}
    assert min(per_region["61"], per_region["19"], per_region["31"]) > 3 * max(
        per_region["62"], per_region["47"]
    )
    towns = [s for s in settlement_rows if s["settlement_type"] == "town"]
    assert 60 <= len(towns) <= 70 and all(t["is_rural"] == "false" for t in towns)
    assert {s["settlement_type"] for s in settlement_rows} == {"village", "town", "city"}


def test_persons_per_household_south_higher_than_north(settlement_rows):
    people, households = defaultdict(int), defaultdict(int)
    for s in settlement_rows:
        if s["is_rural"] == "true":
            people[s["region_code"]] += int(s["population"])
            households[s["region_code"]] += int(s["households"])
    ratio = {region: people[region] / households[region] for region in people}
    assert 4.5 <= ratio["61"] <= 5.5
    assert 2.7 <= ratio["59"] <= 3.2


def test_the_twenty_5g_cities_with_areas(kato_rows, settlement_rows):
    cities = [s for s in settlement_rows if s["is_5g_city"] == "true"]
    assert {c["region_code"]: c["name_en"] for c in cities} == SPEC_5G_CITIES
    for c in cities:
        assert c["settlement_type"] == "city" and c["is_rural"] == "false"
        assert float(c["area_km2"]) > 0
    by_name = {c["name_en"]: c for c in cities}
    assert abs(float(by_name["Astana"]["area_km2"]) - 797) < 20
    assert abs(float(by_name["Almaty"]["area_km2"]) - 683) < 20
    assert abs(float(by_name["Shymkent"]["area_km2"]) - 1170) < 30
    assert 2_100_000 <= int(by_name["Almaty"]["population"]) <= 2_500_000
    assert 1_300_000 <= int(by_name["Astana"]["population"]) <= 1_700_000
    assert 1_100_000 <= int(by_name["Shymkent"]["population"]) <= 1_400_000
    assert all(r["area_km2"] == "" for r in kato_rows if r["is_5g_city"] == "false")
    # regional centres: city administration (district) → town administration → the city
    by_code = {r["kato_code"]: r for r in kato_rows}
    for c in cities:
        town_admin = by_code[c["parent_code"]]
        assert town_admin["level"] == "rural_district"
        assert by_code[town_admin["parent_code"]]["level"] == "district"


def test_road_register_totals_and_regions():
    roads = read("roads.csv")
    codes = [r["road_code"] for r in roads]
    assert len(codes) == len(set(codes))
    assert {r["category"] for r in roads} == {"republican", "regional"}
    republican = sum(float(r["length_km"]) for r in roads if r["category"] == "republican")
    total = sum(float(r["length_km"]) for r in roads)
    assert 24_000 <= republican <= 26_000
    assert 60_000 <= total <= 75_000
    assert all(float(r["length_km"]) > 0 for r in roads)
    assert {"M-32", "M-36", "M-39", "M-51", "A-1", "A-17"} <= set(codes)
    regions_crossed = {code for r in roads for code in r["region_codes"].split(";")}
    assert regions_crossed == set(SPEC_REGIONS)
    m32 = next(r for r in roads if r["road_code"] == "M-32")
    assert m32["region_codes"].split(";")[-1] == "79" and "Шымкент" in m32["name"]


def test_programme_targets_are_the_mission_numbers():
    rows = read("programme_targets.csv")
    assert [r["indicator"] for r in rows] == list(MISSION_TARGETS)
    units = {}
    for r in rows:
        target, deadline = MISSION_TARGETS[r["indicator"]]
        assert (float(r["target"]) if r["target"] else None) == target, r["indicator"]
        assert (r["deadline"] or None) == deadline, r["indicator"]
        assert r["description_en"] and r["description_ru"] and r["description_kk"]
        assert "6 January 2026" in r["source"]
        units[r["indicator"]] = r["unit"]
    assert units["road_km_covered"] == "km" and units["fines_kzt"] == "KZT"
    assert units["households_last_mile"] == "households" and units["people_last_mile"] == "persons"


def test_build_reproduces_the_committed_files_byte_for_byte(tmp_path):
    result = subprocess.run([sys.executable, "-m", "qamtu.reference.build", "--out", str(tmp_path)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    for name in ("kato.csv", "roads.csv", "programme_targets.csv"):
        assert (tmp_path / name).read_bytes() == (DATA / name).read_bytes(), name


def test_another_seed_gives_other_synthetic_data(tmp_path):
    result = subprocess.run([sys.executable, "-m", "qamtu.reference.build", "--out",
                             str(tmp_path), "--seed", "1"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "kato.csv").read_bytes() != (DATA / "kato.csv").read_bytes()


# --- the loader ----------------------------------------------------------------------------------------
def test_loader_frames_match_the_files(kato_rows, settlement_rows):
    kato = reference.kato()
    assert len(kato) == len(kato_rows)
    assert kato["is_rural"].dtype == bool and kato["is_5g_city"].dtype == bool
    assert kato["population"].dtype == pd.Int64Dtype() and kato["households"].dtype == pd.Int64Dtype()
    assert kato["area_km2"].dtype == "float64"
    assert pd.api.types.is_string_dtype(kato["kato_code"])
    assert list(reference.regions()["region_code"]) == list(SPEC_REGIONS)
    assert len(reference.districts()) == sum(r["level"] == "district" for r in kato_rows)
    assert len(reference.settlements()) == len(settlement_rows)
    assert len(reference.rural_settlements()) == sum(s["is_rural"] == "true" for s in settlement_rows)
    assert reference.national_population() == sum(int(s["population"]) for s in settlement_rows)
    cities = reference.cities_5g()
    assert len(cities) == 20 and cities["area_km2"].notna().all()
    names = reference.region_names()
    assert names["62"] == {"kk": "Ұлытау облысы", "ru": "Область Ұлытау", "en": "Ulytau Region"}
    # a caller changing its copy does not change the next caller's
    kato.loc[0, "name_en"] = "changed"
    names["62"]["en"] = "changed"
    assert reference.kato().loc[0, "name_en"] == kato_rows[0]["name_en"]
    assert reference.region_names()["62"]["en"] == "Ulytau Region"


def test_loader_roads_and_targets_types():
    roads = reference.roads()
    assert roads["length_km"].dtype == "float64"
    assert round(roads["length_km"].sum(), 1) == round(
        sum(float(r["length_km"]) for r in read("roads.csv")), 1
    )
    targets = reference.programme_targets().set_index("indicator")
    assert targets.loc["road_km_covered", "target"] == 40_000
    assert pd.isna(targets.loc["fines_kzt", "target"]) and pd.isna(targets.loc["fines_kzt", "deadline"])
    assert targets.loc["villages_fibre_new", "deadline"] == pd.Timestamp("2027-12-31")


def test_reference_imports_nothing_else_of_qamtu():
    code = ("import sys, qamtu.reference as r; r.kato(); "
            "print(sorted(m for m in sys.modules if m.startswith('qamtu')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['qamtu', 'qamtu.reference']"


# --- the warehouse -------------------------------------------------------------------------------------
def check_loaded(warehouse, kato_rows, settlement_rows):
    counts = reference.load_into_warehouse(warehouse)
    expected = {"kato": len(kato_rows), "roads": len(read("roads.csv")),
                "programme_targets": len(read("programme_targets.csv"))}
    assert counts == expected
    for table, rows in expected.items():
        assert warehouse.scalar(f"select count(*) from reference.{table}") == rows
    population = sum(int(s["population"]) for s in settlement_rows)
    assert warehouse.scalar("select sum(population) from reference.kato where level = "
                            "'settlement'") == population
    assert warehouse.scalar("select sum(population) from reference.kato") == population
    rural = sum(s["is_rural"] == "true" for s in settlement_rows)
    assert warehouse.scalar("select count(*) from reference.kato where is_rural") == rural
    assert warehouse.scalar("select count(*) from reference.kato where parent_code is null") == 20
    assert warehouse.scalar(
        "select count(*) from reference.programme_targets where deadline = date '2027-12-31'") == 7
    types = dict(warehouse.rows(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = 'reference' and table_name in ('kato', 'programme_targets', 'roads')"))
    assert types["is_rural"].upper() == "BOOLEAN" and types["is_5g_city"].upper() == "BOOLEAN"
    assert types["population"].upper() == "BIGINT" and types["households"].upper() == "BIGINT"
    assert types["area_km2"].upper() in ("DOUBLE", "DOUBLE PRECISION")
    assert types["length_km"].upper() in ("DOUBLE", "DOUBLE PRECISION")
    assert types["deadline"].upper() == "DATE"
    # loading again replaces, never duplicates
    assert reference.load_into_warehouse(warehouse) == expected
    assert warehouse.scalar("select count(*) from reference.kato") == len(kato_rows)


def test_load_into_duckdb(tmp_path, kato_rows, settlement_rows):
    with connect(Settings(home=tmp_path)) as warehouse:
        check_loaded(warehouse, kato_rows, settlement_rows)
    assert (tmp_path / "warehouse.duckdb").exists()


@pytest.mark.postgres
def test_load_into_postgres(kato_rows, settlement_rows):
    database = f"qamtu_test_reference_{uuid.uuid4().hex[:8]}"
    settings = Settings(warehouse="postgres", pg_database=database)
    try:
        with connect(settings) as warehouse:
            check_loaded(warehouse, kato_rows, settlement_rows)
    finally:
        import psycopg2

        admin = psycopg2.connect(host=settings.pg_host, port=settings.pg_port, user=settings.pg_user,
                                 dbname="postgres")
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute(f'drop database if exists "{database}"')
        admin.close()
