"""Reference data of Kazakhstan: the KATO classifier, the road register and the programme targets.

The shipped CSVs under ``data/`` are made by ``python -m qamtu.reference.build`` (see that module and
``docs/reference.md`` for what is real and what is synthetic). This module reads them into typed pandas
frames (cached) and loads them into the warehouse schema ``reference``. It imports nothing else of
``qamtu``: everyone reads it, it reads no one.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

DATA_DIR = Path(__file__).parent / "data"
KATO_FILE = DATA_DIR / "kato.csv"
ROADS_FILE = DATA_DIR / "roads.csv"
TARGETS_FILE = DATA_DIR / "programme_targets.csv"

LEVELS = ("region", "district", "rural_district", "settlement")
REPUBLICAN_CITIES = ("71", "75", "79")

_KATO_TEXT = ("kato_code", "parent_code", "level", "name_kk", "name_ru", "name_en", "region_code",
              "settlement_type")
_KATO_BOOL = ("is_rural", "is_5g_city")
_KATO_INT = ("population", "households")


def _read_csv(path: Path) -> pd.DataFrame:
    # Everything as text first (codes keep their digits), empty cells as missing; typed below.
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8")


def _as_bool(series: pd.Series, path: Path, column: str) -> pd.Series:
    values = series.fillna("").str.lower()
    unknown = values[~values.isin(["true", "false"])]
    if not unknown.empty:
        line = int(unknown.index[0]) + 2  # header is line 1
        raise ValueError(f"{path}: line {line}, field {column}: {unknown.iloc[0]!r} is not true/false")
    return values.eq("true").astype(bool)


@cache
def _kato() -> pd.DataFrame:
    frame = _read_csv(KATO_FILE)
    for column in _KATO_TEXT:
        frame[column] = frame[column].astype(str)
    for column in _KATO_BOOL:
        frame[column] = _as_bool(frame[column], KATO_FILE, column)
    for column in _KATO_INT:
        frame[column] = pd.to_numeric(frame[column]).astype("Int64")
    frame["area_km2"] = pd.to_numeric(frame["area_km2"]).astype("float64")
    return frame


@cache
def _roads() -> pd.DataFrame:
    frame = _read_csv(ROADS_FILE)
    for column in ("road_code", "name", "category", "region_codes"):
        frame[column] = frame[column].astype(str)
    frame["length_km"] = pd.to_numeric(frame["length_km"]).astype("float64")
    return frame


@cache
def _programme_targets() -> pd.DataFrame:
    frame = _read_csv(TARGETS_FILE)
    for column in frame.columns:
        if column not in ("target", "deadline"):
            frame[column] = frame[column].astype(str)
    frame["target"] = pd.to_numeric(frame["target"]).astype("float64")
    frame["deadline"] = pd.to_datetime(frame["deadline"], format="%Y-%m-%d")
    return frame


def kato() -> pd.DataFrame:
    """The whole classifier: regions, districts, rural districts (and town administrations), settlements."""
    return _kato().copy()


def regions() -> pd.DataFrame:
    frame = _kato()
    return frame[frame["level"] == "region"].reset_index(drop=True)


def districts() -> pd.DataFrame:
    frame = _kato()
    return frame[frame["level"] == "district"].reset_index(drop=True)


def settlements() -> pd.DataFrame:
    """Villages, towns and cities (``level = settlement``): the rows that carry population and households."""
    frame = _kato()
    return frame[frame["level"] == "settlement"].reset_index(drop=True)


def rural_settlements() -> pd.DataFrame:
    frame = _kato()
    return frame[(frame["level"] == "settlement") & frame["is_rural"]].reset_index(drop=True)


def cities_5g() -> pd.DataFrame:
    """The 20 cities of regional and republican significance of the 5G target, with their areas."""
    frame = _kato()
    return frame[frame["is_5g_city"]].reset_index(drop=True)


def roads() -> pd.DataFrame:
    return _roads().copy()


def programme_targets() -> pd.DataFrame:
    return _programme_targets().copy()


def region_names() -> dict[str, dict[str, str]]:
    """``{region code: {"kk": ..., "ru": ..., "en": ...}}`` in code order."""
    return {code: dict(names) for code, names in _region_names().items()}


@cache
def _region_names() -> dict[str, dict[str, str]]:
    return {
        str(row.region_code): {"kk": str(row.name_kk), "ru": str(row.name_ru), "en": str(row.name_en)}
        for row in regions().itertuples(index=False)
    }


@cache
def national_population() -> int:
    return int(settlements()["population"].sum())


# --- warehouse ----------------------------------------------------------------------------------------
def _arrow_tables() -> dict[str, Any]:
    import pyarrow as pa

    def text(values: pd.Series) -> pa.Array:
        return pa.array([None if pd.isna(v) else str(v) for v in values], type=pa.string())

    def integers(values: pd.Series) -> pa.Array:
        return pa.array([None if pd.isna(v) else int(v) for v in values], type=pa.int64())

    def floats(values: pd.Series) -> pa.Array:
        return pa.array([None if pd.isna(v) else float(v) for v in values], type=pa.float64())

    def booleans(values: pd.Series) -> pa.Array:
        return pa.array([bool(v) for v in values], type=pa.bool_())

    def dates(values: pd.Series) -> pa.Array:
        return pa.array([None if pd.isna(v) else v.date() for v in values], type=pa.date32())

    k = _kato()
    kato_table = pa.table({
        "kato_code": text(k["kato_code"]), "parent_code": text(k["parent_code"]), "level": text(k["level"]),
        "name_kk": text(k["name_kk"]), "name_ru": text(k["name_ru"]), "name_en": text(k["name_en"]),
        "is_rural": booleans(k["is_rural"]), "population": integers(k["population"]),
        "households": integers(k["households"]), "area_km2": floats(k["area_km2"]),
        "region_code": text(k["region_code"]), "settlement_type": text(k["settlement_type"]),
        "is_5g_city": booleans(k["is_5g_city"]),
    })
    r = _roads()
    roads_table = pa.table({
        "road_code": text(r["road_code"]), "name": text(r["name"]), "category": text(r["category"]),
        "length_km": floats(r["length_km"]), "region_codes": text(r["region_codes"]),
    })
    t = _programme_targets()
    targets_table = pa.table({
        "indicator": text(t["indicator"]), "target": floats(t["target"]), "unit": text(t["unit"]),
        "deadline": dates(t["deadline"]), "description_en": text(t["description_en"]),
        "description_ru": text(t["description_ru"]), "description_kk": text(t["description_kk"]),
        "source": text(t["source"]),
    })
    return {"kato": kato_table, "roads": roads_table, "programme_targets": targets_table}


def load_into_warehouse(warehouse: Any, schema: str = "reference") -> dict[str, int]:
    """Replace ``reference.kato``, ``reference.roads``, ``reference.programme_targets``; returns row counts.

    ``warehouse`` is anything with ``replace_arrow(schema, table, pyarrow.Table) -> int`` (duck-typed,
    so this module needs nothing of ``qamtu.warehouse``).
    """
    return {
        table: int(warehouse.replace_arrow(schema, table, data)) for table, data in _arrow_tables().items()
    }


# --- loaded when needed ---------------------------------------------------------------------------
VERSION_TABLE = "loaded_version"


def shipped_fingerprint() -> str:
    """SHA-256 over the shipped CSVs: changes exactly when the reference data does."""
    import hashlib

    digest = hashlib.sha256()
    for path in (KATO_FILE, ROADS_FILE, TARGETS_FILE):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def ensure_loaded(warehouse: Any, schema: str = "reference", force: bool = False) -> dict[str, int] | None:
    """Load the reference tables unless the warehouse already holds exactly the shipped CSVs (their
    fingerprint is kept in ``reference.loaded_version``). Whatever needs the reference data first
    (ingestion, a build) calls this, so no separate step is needed; returns the row counts when it
    (re)loaded, ``None`` when the warehouse was current. ``force`` reloads whatever is there."""
    import pyarrow as pa

    fingerprint = shipped_fingerprint()
    tables = ("kato", "roads", "programme_targets", VERSION_TABLE)
    if not force and all(warehouse.table_exists(schema, table) for table in tables):
        loaded = warehouse.rows(f"select fingerprint from {schema}.{VERSION_TABLE}")
        if loaded and loaded[0][0] == fingerprint:
            return None
    counts = load_into_warehouse(warehouse, schema)
    warehouse.replace_arrow(schema, VERSION_TABLE, pa.table({"fingerprint": [fingerprint]}))
    return counts
