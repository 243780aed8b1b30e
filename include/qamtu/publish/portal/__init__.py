"""The officials' portal: a static site at the root of the publication area, rebuilt from the published
releases on every publish, in Kazakh, Russian and English, plus the open-data API (``api.py``).

Layout (keys of the publication area; every link in a page is relative, so the site works from a folder
and from S3/MinIO static hosting alike):

    index.html                    the entry page: choose a language (written last: the switch)
    site/<build>/<lang>/...       one build of the pages; a language keeps its folder, so the choice
                                  carries from page to page and the switcher goes to the same page
    site/<build>/data/<table>.*   each table shown, as CSV (UTF-8 with BOM), XLSX and Parquet
    site/<build>/assets/portal.css
    api/v1/...                    the static JSON API (stable paths)

A rebuild writes a new ``site/<build>/`` (the build is named by the sha256 of its content), the API,
and only then the entry page, which is what moves readers to the new build: a reader never sees half
of one build and half of another. Older builds but the one before are removed afterwards.
Everything is scanned for private columns before the first file is written (``privacy.py``).
"""

from __future__ import annotations

import hashlib
import html
import json
import math
import posixpath
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
from markupsafe import Markup

from qamtu.publish import formats
from qamtu.publish.i18n import (
    LANGUAGE_NAMES,
    LANGUAGES,
    PORTAL,
    SHORT_INDICATOR_NAMES,
    UI,
    UNITS,
    format_date,
    format_period,
)
from qamtu.publish.portal.data import PortalData, load
from qamtu.publish.report import format_number
from qamtu.publish.tables import NATION, ColumnDoc, MartTable, TableDoc

TEMPLATE_DIR = Path(__file__).parent / "templates"
ENTRY = "index.html"
SITE = "site"
CITY_5G_TARGET = 75.0
ROAD_CATEGORIES = {"republican": {"kk": "республикалық", "ru": "республиканская", "en": "republican"},
                   "regional": {"kk": "облыстық", "ru": "областная", "en": "regional"}}
KEEP_BUILDS = 2
# The columns the pages read from each large table (its latest month only).
MONTH_COLUMNS = {
    "fct_settlement_connectivity": ("period", "region_code", "district_code", "is_rural", "has_fibre",
                                    "has_mobile_broadband", "population", "population_with_access",
                                    "akimat_has_fibre", "fibre_agrees_with_akimat"),
    "fct_speed_tests_summary": ("period", "area_level", "area_code", "operator", "technology", "tests",
                                "median_download_mbps", "p10_download_mbps"),
    "fct_road_coverage": ("period", "road_code", "road_name", "road_category", "region_codes", "length_km",
                          "covered_km", "covered_share", "operators_reporting"),
    "fct_city_5g_coverage": ("period", "city_kato", "region_code", "name_kk", "name_ru", "name_en",
                             "territory_share_5g", "is_at_target"),
}  # the new one and the one a reader may still be walking


def _t(key: str) -> dict[str, str]:
    return PORTAL.get(key) or UI[key]


# --- tables shown on pages -----------------------------------------------------------------------
@dataclass
class Column:
    code: str
    labels: dict[str, str]
    unit: str = ""
    decimals: int | None = None
    names: dict[str, dict[str, str]] | None = None  # code → label per language (regions, indicators …)
    link: str | None = None  # page path pattern with {value}, e.g. "regions/{value}.html"
    numeric: bool = False
    unit_decimals: dict[str, int] = field(default_factory=dict)  # unit "@unit": decimals per row's unit


@dataclass
class Table:
    key: str  # the stem of its downloads under data/
    title: dict[str, str]
    columns: list[Column]
    data: pa.Table  # what is shown and downloaded (codes, not labels)
    downloads: dict[str, str] = field(default_factory=dict)  # format → key under the build folder


@dataclass
class Section:
    title: dict[str, str]
    note: dict[str, str] | None = None
    chart: str | None = None  # inline SVG
    chart_alt: dict[str, str] | None = None
    tables: list[Table] = field(default_factory=list)
    anchor: str = ""


@dataclass
class Page:
    path: str  # inside a language folder
    title: dict[str, str]
    sections: list[Section]
    intro: dict[str, str] | None = None
    links: list[tuple[str, dict[str, str]]] = field(default_factory=list)  # (page path, label)
    release_links: list[dict[str, Any]] = field(default_factory=list)


def _names(codes: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    return {k: {lang: v.get(lang) or k for lang in LANGUAGES} for k, v in codes.items()}


_CONNECTION: list[Any] = []  # one in-memory DuckDB for a build (connecting costs more than most queries)


def _sql(query: str, **tables: pa.Table) -> pa.Table:
    import duckdb

    if not _CONNECTION:
        _CONNECTION.append(duckdb.connect())
    con = _CONNECTION[0]
    for name, table in tables.items():
        con.register(name, table)
    try:
        return con.sql(query).to_arrow_table()
    finally:
        for name in tables:
            con.unregister(name)


def _round(table: pa.Table, decimals: dict[str, int]) -> pa.Table:
    """Derived shares get the precision of the shares they stand beside (one rule: tables.apply_precision)."""
    from qamtu.publish.tables import apply_precision

    doc = TableDoc(name="derived", columns={c: ColumnDoc(name=c, precision=d) for c, d in decimals.items()})
    return apply_precision(table, doc)


# --- building the content ------------------------------------------------------------------------
class Builder:
    def __init__(self, data: PortalData):
        from qamtu.publish import report

        self.data = data
        self.targets = report._targets()
        self.indicator_names = _names(report.indicator_names())
        self.region_names = _names(report._regions())
        self.area_names = {NATION: dict(UI["nation"])} | self.region_names
        self.latest = data.newest.period
        self.tables = data.tables
        self.report = report
        self.unit_decimals = {unit: d for unit in set(data.units.values())
                              if (d := data.decimals("fct_programme_progress", "actual", unit)) is not None}
        # The latest month's slices of the large tables, cut once (a region page queries them 20 times);
        # a table without the columns a page needs (an older release) leaves that page out.
        self.month: dict[str, pa.Table] = {}
        for name, columns in MONTH_COLUMNS.items():
            table = self.tables.get(name)
            if table is None or not set(columns) <= set(table.column_names):
                continue
            where = "area_level <> 'settlement' and " if name == "fct_speed_tests_summary" else ""
            self.month[name] = _sql(f"select {', '.join(columns)} from t where {where}period = "
                                    f"'{self.latest}'",
                                    t=table)

    def col(self, table: str, code: str, **kwargs) -> Column:
        doc = self.data.docs.get(table)
        labels = dict(doc.columns[code].labels) if doc and code in doc.columns else {}
        labels = _t(code) if code in PORTAL else labels
        labels = {lang: labels.get(lang) or code for lang in LANGUAGES}
        if "decimals" not in kwargs:
            kwargs["decimals"] = self.data.decimals(table, code)
        return Column(code=code, labels=labels, **kwargs)

    def region_col(self) -> Column:
        return Column("region_code", dict(UI["region"]), names=self.area_names, link="regions/{value}.html")

    def progress(self) -> pa.Table:
        return self.tables["fct_programme_progress"]

    # Headline indicators ---------------------------------------------------------------------
    def indicator_page(self, code: str) -> Page:
        info = self.targets[code]
        unit = info["unit"]
        decimals = self.data.decimals("fct_programme_progress", "actual", unit)
        progress = self.progress()
        # A figure built without every report it needs is flagged (P) or withheld (M): the reason is shown.
        flags = ", obs_status, status_reason" if "obs_status" in progress.column_names else ""
        national = _sql("select period, actual, target, pct_of_target, monthly_pace, pace_needed, "
                        f"forecast_period, on_track{flags} from p where indicator = '{code}' and region_code "
                        f"= '{NATION}' order by period", p=progress)
        series_cols = [Column("period", dict(UI["period"])),
                       self.col("fct_programme_progress", "actual", unit=unit,
                                decimals=decimals, numeric=True),
                       self.col("fct_programme_progress", "target", unit=unit,
                                decimals=decimals, numeric=True),
                       self.col("fct_programme_progress", "pct_of_target", unit="percent", numeric=True),
                       self.col("fct_programme_progress", "monthly_pace", unit=unit,
                                decimals=decimals, numeric=True),
                       self.col("fct_programme_progress", "pace_needed", unit=unit,
                                decimals=decimals, numeric=True),
                       self.col("fct_programme_progress", "forecast_period"),
                       self.col("fct_programme_progress", "on_track")]
        if flags:
            series_cols += [Column("obs_status", _t("obs_status"),
                                   names={status: _t(f"obs_status_{status}") for status in ("A", "P", "M")}),
                            Column("status_reason", _t("status_reason"))]
        history = [(r["period"], r["actual"]) for r in national.to_pylist() if r["actual"] is not None]
        last = national.to_pylist()[-1] if national.num_rows else {}
        chart = ""
        if history:
            chart = _trajectory_svg(history, info["target"], info["deadline"], last.get("monthly_pace"))
        sections = [Section(_t("national_series"), chart=chart or None, chart_alt=_t("chart_alt"),
                            anchor="series",
                            tables=[Table(f"indicator-{code}-national", _t("national_series"), series_cols,
                                          national)])]
        regional = _sql(f"select region_code, period, actual from p where indicator = '{code}' and "
                        f"region_code <> '{NATION}' order by region_code, period", p=progress)
        if regional.num_rows:
            periods = sorted(set(regional.column("period").to_pylist()))
            pivot = _sql("pivot r on period using first(actual) group by region_code order by "
                         "region_code", r=regional)
            pivot = pivot.select(["region_code", *periods])
            columns = [self.region_col()] + [
                Column(p, {lang: format_period(p, lang) for lang in LANGUAGES}, unit=unit, decimals=decimals,
                       numeric=True) for p in periods]
            sections.append(Section(_t("by_region"), anchor="regions",
                                    tables=[Table(f"indicator-{code}-regions", _t("by_region"),
                                                  columns, pivot)]))
        else:
            sections.append(Section(_t("by_region"), note=_t("national_only"), anchor="regions"))
        rows = []
        for release in self.data.releases:
            value = self.data.version_values.get((release.period, release.version), {}).get((code, NATION))
            rows.append({"period": release.period, "version": release.version, "value": value,
                         "published_at": release.published_at[:10],
                         "status": "current" if release.current else "superseded",
                         "notes": release.notes or ""})
        versions = pa.Table.from_pylist(rows, schema=pa.schema([
            ("period", pa.string()), ("version", pa.int64()), ("value", pa.float64()),
            ("published_at", pa.string()),
            ("status", pa.string()), ("notes", pa.string())]))
        version_cols = [Column("period", dict(UI["period"])),
                        Column("version", dict(UI["version"]), numeric=True,
                                                                     decimals=0),
                        Column("value", dict(UI["value"]), unit=unit, decimals=decimals, numeric=True),
                        Column("published_at", dict(UI["published"])),
                        Column("status", _t("status"), names={"current": _t("current"),
                                                              "superseded": _t("superseded")}),
                        Column("notes", _t("revision_note"))]
        sections.append(Section(_t("versions"), anchor="versions",
                                tables=[Table(f"indicator-{code}-versions", _t("versions"),
                                              version_cols, versions)]))
        intro = {
            lang: (
                f"{UI['target'][lang]}: "
                f"{self.report.format_number(info['target'], lang, unit, decimals)} "
                f"{UNITS.get(unit, {}).get(lang, '') if unit not in ('percent', 'KZT') else ''}".rstrip()
                + (
                    f" · {UI['deadline'][lang]}: {format_date(info['deadline'], lang)}"
                    if info["deadline"]
                    else ""
                )
            )
            if info["target"] is not None
            else UNITS.get(unit, {}).get(lang, unit)
            for lang in LANGUAGES
        }
        return Page(f"indicators/{code}.html", self.indicator_names[code], sections, intro=intro)

    # Regions -------------------------------------------------------------------------------------
    def region_page(self, region: str) -> Page:
        progress = self.progress()
        rows = _sql(f"select indicator, period, actual, unit from p where region_code = '{region}' "
                    "order by indicator, period", p=progress)
        periods = sorted(set(rows.column("period").to_pylist()))
        sections = []
        if rows.num_rows:
            pivot = _sql("pivot r on period using first(actual) group by indicator, unit", r=rows)
            order = {code: i for i, code in enumerate(self.targets)}
            records = sorted(pivot.to_pylist(), key=lambda r: order.get(r["indicator"], 99))
            # One row per indicator with its own unit: cells are formatted per row (see _cells).
            table = pa.Table.from_pylist(records, schema=pivot.select(["indicator", "unit", *periods]).schema)
            columns = [Column("indicator", dict(UI["indicator"]), names=self.indicator_names,
                              link="indicators/{value}.html"),
                       Column("unit", _t("unit"), names=_names(UNITS))] + [
                Column(p, {lang: format_period(p, lang) for lang in LANGUAGES}, unit="@unit", numeric=True,
                       unit_decimals=self.unit_decimals) for p in periods]
            sections.append(Section(_t("all_indicators"), anchor="indicators", tables=[
                Table(f"region-{region}-indicators", _t("all_indicators"), columns, table)]))
        connectivity = self.month.get("fct_settlement_connectivity")
        if connectivity is not None:
            districts = _sql(
                f"""select c.district_code, count(*) as settlements, count(*) filter (where c.is_rural)
                    as rural_settlements, count(*) filter (where c.has_fibre) as with_fibre,
                    count(*) filter (where c.has_mobile_broadband) as with_mobile_broadband,
                    sum(c.population) as population, sum(c.population_with_access) as population_with_access
                    from c where c.period = '{self.latest}' and c.region_code = '{region}'
                    group by c.district_code order by c.district_code""", c=connectivity)
            names = {}
            if "dim_district" in self.tables:
                names = {r["district_code"]: {lang: r[f"name_{lang}"] for lang in LANGUAGES}
                         for r in self.tables["dim_district"].to_pylist()}
            columns = [Column("district_code", _t("district"), names=names)] + [
                Column(c, _t(c), numeric=True, decimals=0) for c in districts.column_names[1:]]
            sections.append(Section(_t("districts"), anchor="districts", note=self._as_of(), tables=[
                Table(f"region-{region}-districts", _t("districts"), columns, districts)]))
        roads = self.month.get("fct_road_coverage")
        if roads is not None:
            mine = _sql(
                f"""select road_code, road_name, road_category, length_km, covered_km, covered_share,
                            operators_reporting from r where period = '{self.latest}'
                            and list_contains(string_split(region_codes, ';'), '{region}')
                            order by road_code""",
                r=roads,
            )
            if mine.num_rows:
                sections.append(Section(_t("region_roads"), anchor="roads", note=self._as_of(), tables=[
                    Table(f"region-{region}-roads", _t("region_roads"), self._road_columns(mine), mine)]))
        cities = self.month.get("fct_city_5g_coverage")
        if cities is not None:
            mine = _sql(
                f"select city_kato, name_kk, name_ru, name_en, territory_share_5g, is_at_target from c "
                f"where period = '{self.latest}' and region_code = '{region}' order by "
                "city_kato",
                c=cities,
            )
            if mine.num_rows:
                sections.append(Section(_t("region_cities"), anchor="cities", note=self._as_of(), tables=[
                    Table(f"region-{region}-cities", _t("region_cities"), self._city_columns(mine), mine)]))
        speed = self.month.get("fct_speed_tests_summary")
        if speed is not None:
            mine = _sql(
                f"""select operator, technology, tests, median_download_mbps, p10_download_mbps from s
                            where period = '{self.latest}' and area_level = 'region'
                            and area_code = '{region}'
                            order by operator = 'all' desc, operator, technology = 'all' desc, technology""",
                s=speed,
            )
            if mine.num_rows:
                sections.append(Section(_t("region_speed"), anchor="speed", note=self._as_of(), tables=[
                    Table(f"region-{region}-speed", _t("region_speed"), self._speed_columns(mine), mine)]))
        return Page(f"regions/{region}.html",
                    self.region_names.get(region, {lang: region for lang in LANGUAGES}),
                    sections)

    def _as_of(self) -> dict[str, str]:
        return {lang: f"{UI['period'][lang]}: {format_period(self.latest, lang)}" for lang in LANGUAGES}

    def _road_columns(self, table: pa.Table) -> list[Column]:
        known = {"road_code": Column("road_code", {"kk": "Жол", "ru": "Дорога", "en": "Road"}),
                 "road_name": self.col("fct_road_coverage", "road_name"),
                 "road_category": self.col("fct_road_coverage", "road_category", names=ROAD_CATEGORIES),
                 "operators_reporting": Column("operators_reporting", _t("operators_count"), numeric=True,
                                               decimals=0)}
        return [known.get(c) or self.col("fct_road_coverage", c, numeric=True,
                                         unit="percent" if c.endswith("share") else "")
                for c in table.column_names]

    def _city_columns(self, table: pa.Table) -> list[Column]:
        return [Column("city_kato", {"kk": "КАТО", "ru": "КАТО", "en": "KATO"})] + [
            Column(f"name_{lang}", {other: f"{_t('city')[other]} ({lang})" for other in LANGUAGES})
            for lang in LANGUAGES] + [
            self.col("fct_city_5g_coverage", "territory_share_5g", unit="percent", numeric=True),
            Column("is_at_target", _t("at_target"))]

    def _speed_columns(self, table: pa.Table) -> list[Column]:
        operators = _names(self.report.operator_names()) | {
            "all": {"kk": "барлығы", "ru": "все", "en": "all"}
        }
        columns = {"region_code": self.region_col(),
                   "operator": Column("operator", dict(UI["operator"]), names=operators),
                   "technology": Column("technology", _t("technology"),
                                        names={"all": {"kk": "барлығы", "ru": "все", "en": "all"}}),
                   "tests": Column("tests", _t("tests"), numeric=True, decimals=0),
                   "median_download_mbps": self.col("fct_speed_tests_summary",
                                                    "median_download_mbps", numeric=True),
                   "p10_download_mbps": self.col("fct_speed_tests_summary",
                                                 "p10_download_mbps", numeric=True)}
        return [columns[c] for c in table.column_names]

    # Topic pages ---------------------------------------------------------------------------------
    def roads_page(self) -> Page:
        roads = self.month["fct_road_coverage"]
        share = self.data.decimals("fct_road_coverage", "covered_share")
        km = self.data.decimals("fct_road_coverage", "covered_km")
        by_category = _round(
            _sql(
                f"""select road_category, count(*) as roads_count, sum(length_km) as length_km,
            sum(covered_km) as covered_km, 100 * sum(covered_km) / nullif(sum(length_km), 0) as covered_share
            from r where period = '{self.latest}' group by road_category order by road_category""",
                r=roads,
            ),
            {"length_km": km, "covered_km": km, "covered_share": share},
        )
        by_operators = _round(_sql(f"""select operators_reporting as operators_count, count(*) as roads_count,
            sum(length_km) as length_km, sum(covered_km) as covered_km,
            100 * sum(covered_km) / nullif(sum(length_km), 0) as covered_share
            from r where period = '{self.latest}' group by 1 order by 1""", r=roads),
            {"length_km": km, "covered_km": km, "covered_share": share})
        category_names = ROAD_CATEGORIES

        def columns(first: Column) -> list[Column]:
            return [first, Column("roads_count", _t("roads_count"), numeric=True, decimals=0),
                    Column("length_km", _t("length_km"), numeric=True, decimals=km),
                    Column("covered_km", _t("covered_km"), numeric=True, decimals=km),
                    Column("covered_share", _t("covered_share"), unit="percent", numeric=True,
                           decimals=share)]

        every = _sql(
            f"""select road_code, road_name, road_category, length_km, covered_km, covered_share,
                         operators_reporting from r where period = '{self.latest}' order by road_code""",
            r=roads,
        )
        return Page("roads.html", _t("roads"), [
            Section(_t("by_category"), note=self._as_of(), anchor="category", tables=[Table(
                "roads-by-category", _t("by_category"),
                columns(Column("road_category", _t("road_category"), names=category_names)), by_category)]),
            Section(_t("by_operators"), anchor="operators", tables=[Table(
                "roads-by-operators", _t("by_operators"),
                columns(Column("operators_count", _t("operators_count"), numeric=True, decimals=0)),
                by_operators)]),
            Section(_t("roads"), anchor="roads", tables=[Table("roads-all", _t("roads"),
                                                                self._road_columns(every), every)]),
        ])

    def cities_page(self) -> Page:
        cities = _sql(f"select city_kato, name_kk, name_ru, name_en, territory_share_5g, is_at_target from c "
                      f"where period = '{self.latest}' order by territory_share_5g desc, city_kato",
                      c=self.month["fct_city_5g_coverage"])
        decimals = self.data.decimals("fct_city_5g_coverage", "territory_share_5g")
        return Page("cities-5g.html", _t("cities_5g"), [Section(
            _t("cities_5g"),
            note={lang: f"{_t('target_75')[lang]} · {self._as_of()[lang]}" for lang in LANGUAGES},
            chart=_bars_svg([(r["name_en"], r["territory_share_5g"]) for r in cities.to_pylist()],
                            CITY_5G_TARGET, decimals), chart_alt=_t("bars_alt"), anchor="cities",
            tables=[Table("cities-5g", _t("cities_5g"), self._city_columns(cities), cities)])])

    def speed_page(self) -> Page:
        speed = self.month["fct_speed_tests_summary"]
        base = f"period = '{self.latest}'"
        by_region = _sql(
            f"""select area_code as region_code, tests, median_download_mbps, p10_download_mbps from s
            where {base} and area_level = 'region' and operator = 'all' and technology = 'all'
            order by area_code""",
            s=speed,
        )
        by_operator = _sql(
            f"""select operator, technology, tests, median_download_mbps, p10_download_mbps from s
            where {base} and area_level = 'nation' order by operator = 'all' desc, operator,
            technology = 'all' desc, technology""",
            s=speed,
        )
        return Page("speed.html", _t("speed"), [
            Section(_t("by_region"), note=self._as_of(), anchor="regions", tables=[
                Table("speed-by-region", _t("by_region"), self._speed_columns(by_region), by_region)]),
            Section({lang: f"{UI['by_operator'][lang]} · {_t('by_technology')[lang]}" for lang in LANGUAGES},
                    anchor="operators", tables=[Table("speed-by-operator-technology", UI["by_operator"],
                                                      self._speed_columns(by_operator), by_operator)]),
        ])

    def reconciliation_page(self) -> Page:
        decimals = self.data.decimals("fct_region_coverage", "villages_fibre_share")
        table = _round(
            _sql(
                f"""select region_code, count(*) as akimat_reported,
            count(*) filter (where has_fibre) as operator_fibre,
            count(*) filter (where akimat_has_fibre) as akimat_fibre,
            count(*) filter (where fibre_agrees_with_akimat) as agree,
            count(*) filter (where not fibre_agrees_with_akimat) as disagree,
            100.0 * count(*) filter (where fibre_agrees_with_akimat) / count(*) as agree_share
            from c where period = '{self.latest}' and akimat_has_fibre is not null
            group by region_code order by region_code""",
                c=self.month["fct_settlement_connectivity"],
            ),
            {"agree_share": decimals},
        )
        columns = (
            [self.region_col()]
            + [Column(c, _t(c), numeric=True, decimals=0) for c in table.column_names[1:-1]]
            + [Column("agree_share", _t("agree_share"), unit="percent", numeric=True, decimals=decimals)]
        )
        return Page("reconciliation.html", _t("reconciliation"), [Section(
            _t("reconciliation"), note=_t("reconciliation_note"), anchor="regions",
            tables=[Table("reconciliation-by-region", _t("reconciliation"), columns, table)])])

    def home_page(self, pages: list[Page]) -> Page:
        rows = [{"period": r.period, "version": r.version, "published_at": r.published_at[:10],
                 "status": "current" if r.current else "superseded", "notes": r.notes or "",
                 "revised_figures": r.revised_figures} for r in reversed(self.data.releases)]
        catalogue = pa.Table.from_pylist(rows, schema=pa.schema([
            ("period", pa.string()), ("version", pa.int64()), ("published_at", pa.string()),
            ("status", pa.string()),
            ("notes", pa.string()), ("revised_figures", pa.int64())]))
        columns = [Column("period", dict(UI["period"])), Column("version", dict(UI["version"]), numeric=True,
                                                                 decimals=0),
                   Column("published_at", dict(UI["published"])),
                   Column("status", _t("status"),
                          names={"current": _t("current"), "superseded": _t("superseded")}),
                   Column("notes", _t("revision_note")),
                   Column("revised_figures", dict(UI["revised_figures"]), numeric=True, decimals=0)]
        page = Page("index.html", _t("portal"),
                    [Section(_t("catalogue"), note=_t("catalogue_note"), anchor="catalogue",
                                                          tables=[Table("catalogue", _t("catalogue"), columns,
                                                                        catalogue)])])
        page.release_links = [{"period": r.period, "version": r.version, "path": r.path} for r in
                              reversed(self.data.releases)]
        page.links = [(p.path, p.title) for p in pages]
        return page

    def pages(self) -> list[Page]:
        pages = [self.indicator_page(code) for code in self.targets
                 if code in set(self.progress().column("indicator").to_pylist())]
        regions = sorted(set(self.progress().column("region_code").to_pylist()) - {NATION})
        pages += [self.region_page(region) for region in regions]
        for name, build in (("fct_road_coverage", self.roads_page),
                            ("fct_city_5g_coverage", self.cities_page),
                            ("fct_speed_tests_summary", self.speed_page),
                            ("fct_settlement_connectivity", self.reconciliation_page)):
            if name in self.month:
                pages.append(build())
        return [self.home_page(pages), *pages]


def _bars_svg(bars: list[tuple[str, float | None]], target: float, decimals: int | None) -> str:
    """Horizontal bars (0–100 %) with the target as a vertical rule; drawn here, no script, no fonts
    fetched."""
    width, left, bar_height, gap = 640, 170, 16, 6
    height = len(bars) * (bar_height + gap) + 24
    scale = (width - left - 60) / 100
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" aria-hidden="true" font-family="sans-serif" font-size="12">']
    for index, (name, value) in enumerate(bars):
        y = 8 + index * (bar_height + gap)
        share = 0.0 if value is None else float(value)
        colour = "#2E7D32" if share >= target else "#0B3C6E"
        text = "—" if value is None else f"{share:.{decimals or 0}f}"
        parts.append(f'<text x="{left - 6}" y="{y + 12}" text-anchor="end" fill="#10243A">{_xml(name)}</text>'
                     f'<rect x="{left}" y="{y}" width="{share * scale:.1f}" height="{bar_height}" '
                     f'fill="{colour}"/><text x="{left + share * scale + 4:.1f}" y="{y + 12}" '
                     f'fill="#10243A">{text}</text>')
    x = left + target * scale
    parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="2" y2="{height - 14}" stroke="#B00020" '
                 f'stroke-width="2" stroke-dasharray="4 3"/><text x="{x:.1f}" y="{height - 2}" '
                 f'text-anchor="middle" fill="#B00020">{target:g} %</text></svg>')
    return "".join(parts)


def _months(start: str, end: str) -> int:
    return (int(end[:4]) - int(start[:4])) * 12 + int(end[5:7]) - int(start[5:7])


def _plus_months(period: str, months: int) -> str:
    index = int(period[:4]) * 12 + int(period[5:7]) - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _tick(value: float) -> str:
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            return f"{value / limit:.3g}{suffix}"
    return f"{value:.3g}"


def _trajectory_svg(history: list[tuple[str, float]], target: float | None, deadline: str | None,
                    pace: float | None) -> str:
    """Actual (solid, dots), the path needed to the target by the deadline (dashed), the forecast at the
    current pace (dotted, orange) and the target (green rule): drawn here, words-free (ISO months, SI
    numbers), so one SVG serves the three languages."""
    width, height, left, right, top, bottom = 560, 220, 48, 34, 12, 28
    first, (last, last_value) = history[0][0], history[-1]
    end = last
    lines: dict[str, list[tuple[str, float]]] = {"actual": history}
    if target is not None and deadline and deadline[:7] > last:
        end = deadline[:7]
        if last_value < target:
            lines["needed"] = [(last, last_value), (end, target)]
            if pace and pace > 0:
                months = min(_months(last, end), math.ceil((target - last_value) / pace))
                lines["forecast"] = [(last, last_value),
                                     (_plus_months(last, months), last_value + pace * months)]
    span = max(_months(first, end), 1)
    top_value = max([v for series in lines.values() for _, v in series] + [target or 0]) or 1
    top_value *= 1.05

    def x(period: str) -> float:
        return left + (width - left - right) * _months(first, period) / span

    def y(value: float) -> float:
        return top + (height - top - bottom) * (1 - value / top_value)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 '
             f'{width} {height}" aria-hidden="true" font-family="sans-serif" font-size="11" fill="#10243A">']
    for fraction in (0, 0.5, 1):
        value = top_value / 1.05 * fraction
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
                     f'stroke="#DDE3EA"/><text x="{left - 4}" y="{y(value) + 4:.1f}" text-anchor="end">'
                     f'{_tick(value)}</text>')
    for period in sorted({first, last, end}):
        parts.append(f'<text x="{x(period):.1f}" y="{height - 8}" text-anchor="middle">{period}</text>')
    if target is not None:
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y(target):.1f}" y2="{y(target):.1f}" '
                     'stroke="#2E7D32" stroke-width="1.5"/>')
    styles = {"actual": 'stroke="#0B3C6E" stroke-width="2.5"', "needed": 'stroke="#6B6B6B" stroke-width="2" '
              'stroke-dasharray="6 4"',
              "forecast": 'stroke="#D9730D" stroke-width="2" stroke-dasharray="2 3"'}
    for name, series in lines.items():
        points = " ".join(f"{x(p):.1f},{y(v):.1f}" for p, v in series)
        parts.append(f'<polyline points="{points}" fill="none" {styles[name]}/>')
    parts += [f'<circle cx="{x(p):.1f}" cy="{y(v):.1f}" r="3" fill="#0B3C6E"/>' for p, v in history]
    parts.append("</svg>")
    return "".join(parts)


def _xml(text: str) -> str:
    return str(Markup.escape(text))


# --- rendering -----------------------------------------------------------------------------------
def _cell(column: Column, value: Any, unit: str, language: str, page_path: str) -> str:
    """One cell as HTML: numbers in the language's format at the column's (or the row's unit's) decimals,
    codes as their names, months and dates spelled in the language, links relative to the page."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if column.numeric or isinstance(value, int | float):
        if column.unit == "@unit":
            return format_number(value, language, unit, column.unit_decimals.get(unit))
        return format_number(value, language, column.unit, column.decimals)
    text = str(value)
    if column.names and text in column.names:
        label = column.names[text].get(language) or text
    elif column.code in ("period", "forecast_period") and len(text) == 7 and text[4] == "-":
        label = format_period(text, language)
    elif column.code == "published_at":
        label = format_date(text, language)
    else:
        label = text
    if column.link:
        href = posixpath.relpath(column.link.format(value=text), posixpath.dirname(page_path) or ".")
        return f'<a href="{html.escape(href)}">{html.escape(label)}</a>'
    return html.escape(label)


def _body(table: Table, language: str, page_path: str) -> Markup:
    """The rows of a table (the first cell a row header), built here: thousands of cells go faster
    than through the template engine."""
    opening = [f'<{"th" if i == 0 else "td"}{" scope=row" if i == 0 else ""} data-col="{html.escape(c.code)}"'
               f'{" class=num" if c.numeric else ""}>' for i, c in enumerate(table.columns)]
    closing = ["</th>" if i == 0 else "</td>" for i in range(len(table.columns))]
    columns = [table.data.column(c.code).to_pylist() for c in table.columns]
    units = (
        table.data.column("unit").to_pylist()
        if "unit" in table.data.column_names
        else [""] * table.data.num_rows
    )
    lines = []
    for index in range(table.data.num_rows):
        cells = [opening[i] + _cell(c, columns[i][index], units[index], language, page_path) + closing[i]
                 for i, c in enumerate(table.columns)]
        lines.append("<tr>" + "".join(cells) + "</tr>")
    return Markup("\n".join(lines))


def _environment():
    import jinja2

    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
                              autoescape=jinja2.select_autoescape(["html", "j2"]),
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def _rel(page_key: str, target_key: str) -> str:
    return posixpath.relpath(target_key, posixpath.dirname(page_key))


def _render_page(template, page: Page, language: str, build: str, pages: list[Page]) -> str:
    key = f"{build}/{language}/{page.path}"
    nav = [("index.html", _t("catalogue"))] + [
        (p.path, p.title) for p in pages if not p.path.startswith(("indicators/", "regions/", "index"))]
    tables = []
    for section in page.sections:
        for table in section.tables:
            tables.append(table)
    return template.render(
        lang=language,
        page=page,
        languages=LANGUAGES,
        language_names=LANGUAGE_NAMES,
        switch={lang: _rel(key, f"{build}/{lang}/{page.path}") for lang in LANGUAGES},
        home=_rel(key, f"{build}/{language}/index.html"),
        entry=_rel(key, ENTRY),
        css=_rel(key, f"{build}/assets/portal.css"),
        nav=[(_rel(key, f"{build}/{language}/{path}"), labels[language]) for path, labels in nav],
        links=[
            (_rel(key, f"{build}/{language}/{path}"), labels[language], path) for path, labels in page.links
        ],
        releases=[
            {
                **r,
                "report": _rel(key, r["path"] + "report.html"),
                "datapackage": _rel(key, r["path"] + "datapackage.json"),
                "manifest": _rel(key, r["path"] + "manifest.json"),
                "api": _rel(key, f"api/v1/releases/{r['period']}/v{r['version']}.json"),
            }
            for r in page.release_links
        ],
        api=_rel(key, "api/v1/index.json"),
        download=lambda table, fmt: _rel(key, f"{build}/{table.downloads[fmt]}"),
        body=lambda table: _body(table, language, page.path),
        t=lambda k: _t(k)[language],
        L=lambda texts: (texts or {}).get(language, ""),
        short_names=SHORT_INDICATOR_NAMES,
        period_text=lambda p: format_period(p, language),
    )


def _write_downloads(page: Page, folder: Path) -> None:
    """Each table of the page as CSV (UTF-8 with BOM) and Parquet, and the page's tables as one XLSX
    workbook (a sheet per table, named by its section, with an ``about`` sheet): one workbook per page
    instead of one per table keeps a rebuild quick (an XLSX costs more to pack than to fill)."""
    sheets = []
    workbook = f"data/{page.path.removesuffix('.html').replace('/', '-')}.xlsx"
    for section in page.sections:
        for number, table in enumerate(section.tables, start=1):
            base = f"data/{table.key}"
            formats.write_csv(table.data, folder / f"{base}.csv")
            formats.write_parquet(table.data, folder / f"{base}.parquet")
            sheet = (section.anchor or "table") + (f"-{number}" if len(section.tables) > 1 else "")
            docs = TableDoc(name=sheet, labels=dict(table.title), columns={
                c.code: ColumnDoc(name=c.code, labels=dict(c.labels)) for c in table.columns})
            sheets.append(MartTable(name=sheet[:31], data=table.data, doc=docs))
            table.downloads = {"csv": f"{base}.csv", "xlsx": workbook, "parquet": f"{base}.parquet"}
    if sheets:
        formats.write_xlsx(sheets, folder / workbook, dict(page.title), echo=lambda _: None)


def build_site(data: PortalData, folder: Path) -> str:
    """Write one build of the portal and the API under ``folder`` (keys as in the area, the entry page
    included); return the build's folder key ``site/<build>``."""
    from qamtu.publish import api

    builder = Builder(data)
    pages = builder.pages()
    staging = folder / "_build"
    for page in pages:
        _write_downloads(page, staging)
    (staging / "assets").mkdir(parents=True, exist_ok=True)
    (staging / "assets" / "portal.css").write_bytes((TEMPLATE_DIR / "portal.css").read_bytes())
    template = _environment().get_template("page.html.j2")
    # The build is named after its content, so the same releases give the same build.
    rendered = {
        lang: {p.path: _render_page(template, p, lang, f"{SITE}/BUILD", pages) for p in pages}
        for lang in LANGUAGES
    }
    digest = hashlib.sha256()
    for path in sorted(p for p in staging.rglob("*") if p.is_file()):
        digest.update(path.relative_to(staging).as_posix().encode() + b"\0" + path.read_bytes())
    for lang in LANGUAGES:
        for path, page_html in sorted(rendered[lang].items()):
            digest.update(f"{lang}/{path}".encode() + b"\0" + page_html.encode())
    build = f"{SITE}/b{digest.hexdigest()[:12]}"
    target = folder / build
    target.parent.mkdir(parents=True, exist_ok=True)
    staging.rename(target)
    for lang in LANGUAGES:
        for path, page_html in rendered[lang].items():
            file = target / lang / path
            file.parent.mkdir(parents=True, exist_ok=True)
            # Rendered with a placeholder build name: relative links never contain it, so nothing to replace.
            file.write_text(page_html, encoding="utf-8")
    for key, document in api.documents(
        data, builder.indicator_names, builder.targets, builder.area_names
    ).items():
        file = folder / key
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_bytes(formats.dumps_json(document))
    entry = _environment().get_template("entry.html.j2").render(
        languages=LANGUAGES, language_names=LANGUAGE_NAMES, titles=_t("portal"), choose=_t("choose_language"),
        links={lang: f"{build}/{lang}/index.html" for lang in LANGUAGES}, api="api/v1/index.json",
        api_title=_t("api"), subtitle=UI["subtitle"], latest=data.newest)
    (folder / ENTRY).write_text(entry, encoding="utf-8")
    while _CONNECTION:
        _CONNECTION.pop().close()
    return build


def rebuild(area, echo=print) -> dict[str, Any] | None:
    """Rebuild the portal and the API from the releases in ``area``; the entry page is written last."""
    from qamtu.publish import privacy

    started = time.perf_counter()
    data = load(area)
    if data is None:
        return None
    with tempfile.TemporaryDirectory(prefix="qamtu-portal-") as tmp:
        folder = Path(tmp)
        build = build_site(data, folder)
        privacy.refuse_private(folder, echo=echo)
        files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
        for name in files:
            if name != ENTRY:
                area.put_file(name, folder / name)
        area.put_file(ENTRY, folder / ENTRY)  # the switch: readers now enter the new build
    builds = sorted({key.split("/")[1] for key in area.list(f"{SITE}/") if key.count("/") >= 2})
    current = build.split("/")[1]
    kept = _kept_builds(area, builds, current)
    for old in builds:
        if old not in kept:
            for key in area.list(f"{SITE}/{old}/"):
                area.delete(key)
    seconds = time.perf_counter() - started
    echo(f"publish: portal {build}/ ({len(files)} files, {len(data.releases)} release(s)) and api/v1 "
         f"in {seconds:.1f} s; entry page {ENTRY} written last")
    return {"build": build, "files": files, "seconds": seconds}


_BUILDS_LOG = f"{SITE}/builds.json"


def _releases_in(area) -> list[str]:
    return sorted(key.removesuffix("/manifest.json") for key in area.list("releases/")
                  if key.endswith("/manifest.json"))


def is_current(area) -> bool:
    """Whether the entry page leads to a build made from the releases now in the area (a publish that
    died between its pointers and the portal leaves it stale; the next publish sees it)."""
    if not area.exists(ENTRY) or not area.exists(_BUILDS_LOG):
        return False
    return json.loads(area.get_bytes(_BUILDS_LOG)).get("releases") == _releases_in(area)


def _kept_builds(area, builds: list[str], current: str) -> set[str]:
    """The current build and the one before it (read from the log of switches, which also records the
    releases the current build shows)."""
    log = json.loads(area.get_bytes(_BUILDS_LOG)) if area.exists(_BUILDS_LOG) else {}
    history = list(log.get("builds") or []) if isinstance(log, dict) else []
    if not history or history[-1] != current:
        history.append(current)
    history = history[-KEEP_BUILDS:]
    area.put_bytes(_BUILDS_LOG, json.dumps({"builds": history, "releases": _releases_in(area)}).encode())
    return set(history) & set(builds) | {current}
