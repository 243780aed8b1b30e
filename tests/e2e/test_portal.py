"""The officials' portal and the open-data API on real releases: the pipeline (generate → ingest → dbt →
audit → publish) for two months at scale 0.02, then an operator's resubmission that makes a v2 of the
second month with a revision note. Headless Chromium walks the portal from its entry page in each
language; the figures shown and those of the API are checked against SQL on the marts and against the
releases' SDMX-CSV; a planted private column makes a publish refuse.

Screenshots of the entry, an indicator and a region page are written to docs/screenshots/portal-*.png
when QAMTU_PORTAL_SCREENSHOTS=1 (the README shows them)."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import os
import re
import urllib.parse
from pathlib import Path

import duckdb
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
PERIODS = ["2026-01", "2026-02"]
REVISED = PERIODS[-1]
NOTE = "Kcell resubmitted its fibre report for February without one settlement"
REGIONS = ("11", "35", "63")  # three regions whose figures are checked on the pages
SCREENSHOTS = REPO / "docs" / "screenshots"


def _browser_module():
    path = REPO / "tests" / "e2e" / "test_report_browser.py"
    spec = importlib.util.spec_from_file_location("report_browser", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """Two months the pipeline built and promoted, published, then a v2 of the second (kcell resubmitted
    its February fibre report without one settlement: tests/shared_homes.py); (settings, publication
    folder)."""
    from qamtu import pipeline
    from qamtu.publish import publish_release
    from qamtu.settings import Settings
    from shared_homes import REVISED_PERIODS, copy_home, revised_months

    assert REVISED in REVISED_PERIODS
    home = copy_home(revised_months(tmp_path_factory), tmp_path_factory.mktemp("portal") / "home")
    settings = Settings(home=home, warehouse="duckdb", storage="local")
    quiet = lambda *_: None  # noqa: E731
    # The months as first promoted (their audits passed), then the gate promotes February's audited revision.
    for period in PERIODS:
        assert publish_release(period, settings=settings, echo=quiet)["version"] == 1
    assert pipeline.publish(REVISED, settings, echo=quiet, notes=NOTE)["version"] == 2
    folder = home / "publication"
    assert json.loads((folder / "latest" / f"{REVISED}.json").read_text())["version"] == 2
    return settings, folder


def marts_sql(settings, query: str, params=()):
    with duckdb.connect(str(settings.duckdb_file), read_only=True) as con:
        return con.execute(query, list(params)).fetchall()


def fibre_share_by_sql(settings, period: str, region: str | None) -> float:
    """villages_fibre_share as the methodology defines it, from the settlement mart (not the progress
    mart)."""
    where = "" if region is None else "and region_code = ?"
    (value,) = marts_sql(settings, f"""select 100.0 * count(*) filter (where is_rural and has_fibre)
        / count(*) filter (where is_rural) from marts.fct_settlement_connectivity where period = ? {where}""",
                         [period] + ([] if region is None else [region]))[0]
    return value


def declared_precision() -> dict[tuple[str, str], object]:
    """meta precision of every mart column, read from the YAML files directly."""
    found = {}
    for path in (REPO / "dbt_project" / "models" / "marts").glob("*.yml"):
        for model in yaml.safe_load(path.read_text())["models"]:
            for column in model.get("columns", []):
                meta = (column.get("config") or {}).get("meta") or {}
                if "precision" in meta:
                    found[(model["name"], column["name"])] = meta["precision"]
    return found


def shown_number(text: str, language: str) -> float:
    """A number as the page prints it: 12 345,67 % (kk, ru) or 12,345.67% (en)."""
    cleaned = text.replace("\u202f", "").replace("\u00a0", "").replace("%", "").replace("₸", "").strip()
    cleaned = cleaned.replace("−", "-")
    if language in ("kk", "ru"):
        cleaned = cleaned.replace(" ", "").replace(",", ".")
    else:
        cleaned = cleaned.replace(",", "")
    return float(cleaned)


def entry_build(folder: Path) -> str:
    match = re.search(r'href="(site/b[0-9a-f]+)/kk/index.html"', (folder / "index.html").read_text())
    assert match, "the entry page links to a build"
    return match.group(1)


# --- the API ----------------------------------------------------------------------------------------
def test_api_documents_match_their_schemas_the_marts_and_the_sdmx(published):
    import jsonschema

    settings, folder = published
    api = folder / "api" / "v1"
    index = json.loads((api / "index.json").read_text())
    schema_of = {kind: json.loads((api / "schemas" / f"{kind}.schema.json").read_text())
                 for kind in ("index", "indicator", "release")}
    jsonschema.validate(index, schema_of["index"])
    assert (api / index["schema"]).resolve() == (api / "schemas" / "index.schema.json").resolve()

    precision = declared_precision()[("fct_programme_progress", "actual")]
    progress = marts_sql(settings, "select indicator, region_code, period, actual, unit "
                                   "from marts.fct_programme_progress where period <= ?", [REVISED])
    assert progress
    documents = 0
    for indicator in index["indicators"]:
        for area in indicator["areas"]:
            document = json.loads((api / area["href"]).read_text())
            jsonschema.validate(document, schema_of["indicator"])
            documents += 1
            current = {o["period"]: o for o in document["observations"] if o["status"] == "current"}
            for code, region, period, actual, unit in progress:
                if code != indicator["code"] or region != area["area"] or actual is None:
                    continue
                decimals = precision[unit]
                assert current[period]["value"] == pytest.approx(actual, abs=0.5 * 10 ** -decimals + 1e-9), \
                    (code, region, period)
                # Rounded to the declared decimals, no float noise.
                assert current[period]["value"] == round(current[period]["value"], decimals)
    assert documents > 20 * 5, "every regional indicator has one document per region"

    # Claims against measurements and challenge statistics: the marts' rows, every period up to the newest.
    statistics_schema = json.loads((api / "schemas" / "statistics.schema.json").read_text())
    assert {s["name"] for s in index["statistics"]} == {"claims", "challenges"}
    newest = max(r["period"] for r in index["releases"])
    for entry in index["statistics"]:
        document = json.loads((api / entry["href"]).read_text())
        jsonschema.validate(document, statistics_schema)
        names = [c["name"] for c in document["columns"]]
        expected = marts_sql(settings,
                             f"select {', '.join(names)} from marts.{entry['table']} where period <= ? "
                                       "order by period, region_code, operator", [newest])
        shown = sorted((tuple(row[n] for n in names) for row in document["rows"]), key=lambda r: r[:3])
        assert len(shown) == len(expected) > 0, entry["table"]
        for got, want in zip(shown, expected, strict=True):
            for column, a, b in zip(names, got, want, strict=True):
                assert a == (pytest.approx(b, abs=0.051) if isinstance(b, float) else b), (
                    entry["table"],
                    column,
                )

    # The same figures as the current releases' SDMX-CSV.
    for release in index["releases"]:
        document = json.loads(
            (api / release["href"].removeprefix("./")).read_text()
            if not release["href"].startswith("..")
            else (api / release["href"]).read_text()
        )
        jsonschema.validate(document, schema_of["release"])
        sdmx = next(f for f in document["files"] if f["name"] == "sdmx/headline_indicators.csv")
        sdmx_path = (api / "releases" / release["period"] / sdmx["href"]).resolve()
        rows = list(csv.DictReader(io.StringIO(sdmx_path.read_text(encoding="utf-8"))))
        sdmx_values = {(r["INDICATOR"], r["REF_AREA"]): float(r["OBS_VALUE"]) for r in rows
                       if r["TIME_PERIOD"] == release["period"] and r["OBS_VALUE"] != ""}
        api_values = {(o["indicator"], o["area"]): o["value"] for o in document["observations"]
                      if o["value"] is not None}
        assert api_values == sdmx_values, release


def test_revision_is_in_the_catalogue_the_indicator_page_and_the_api(published):
    settings, folder = published
    api = folder / "api" / "v1"
    index = json.loads((api / "index.json").read_text())
    versions = {(r["period"], r["version"]): r for r in index["releases"]}
    assert versions[(REVISED, 1)]["status"] == "superseded" and versions[(REVISED, 2)]["status"] == "current"
    assert versions[(REVISED, 2)]["notes"] == NOTE and not versions[(REVISED, 1)]["notes"]
    series = json.loads((api / "indicators" / "villages_fibre_share" / "KZ.json").read_text())
    revised = [o for o in series["observations"] if o["period"] == REVISED]
    assert [(o["version"], o["status"]) for o in revised] == [(1, "superseded"), (2, "current")]
    assert revised[1]["notes"] == NOTE
    assert revised[1]["value"] == pytest.approx(fibre_share_by_sql(settings, REVISED, None), abs=0.005)

    build = folder / entry_build(folder)
    for language in ("kk", "ru", "en"):
        catalogue = (build / language / "index.html").read_text()
        assert NOTE in catalogue and catalogue.count("v2") >= 1
        page = (build / language / "indicators" / "villages_fibre_share.html").read_text()
        versions_table = page[page.index('id="versions"'):]
        assert NOTE in versions_table
        assert versions_table.count(">1</td>") + versions_table.count(">2</td>") >= 2


# --- privacy ----------------------------------------------------------------------------------------
def test_a_planted_private_column_refuses_the_release_and_latest_stays(published):
    from qamtu.publish import publish_release
    from qamtu.publish.privacy import PrivateDataError

    settings, folder = published
    before = {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    with duckdb.connect(str(settings.duckdb_file)) as con:
        con.execute("alter table marts.fct_region_coverage add column latitude double default 51.1694")
    try:
        lines: list[str] = []
        with pytest.raises(PrivateDataError) as refused:
            publish_release(REVISED, settings=settings, echo=lines.append)
        message = str(refused.value)
        assert f"releases/{REVISED}/v3/csv/fct_region_coverage.csv: column 'latitude'" in message
        assert "contract speed_tests.latitude is x-private" in message
        assert {f.file for f in refused.value.findings} >= {
            f"releases/{REVISED}/v3/csv/fct_region_coverage.csv",
            f"releases/{REVISED}/v3/parquet/fct_region_coverage.parquet",
            f"releases/{REVISED}/v3/xlsx/qamtu-{REVISED}-v3.xlsx", f"releases/{REVISED}/v3/datapackage.json"}
    finally:
        with duckdb.connect(str(settings.duckdb_file)) as con:
            con.execute("alter table marts.fct_region_coverage drop column latitude")
    after = {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert after == before, "a refused release writes nothing: latest, portal and API untouched"


def test_the_scan_finds_private_columns_in_portal_and_api_files(tmp_path):
    """The scan reads what the portal and the API write: table headers of HTML pages, JSON records."""
    from qamtu.publish.privacy import scan_folder

    (tmp_path / "kk").mkdir()
    (tmp_path / "kk" / "page.html").write_text('<table><tr><th data-col="region_code">x</th>'
                                               '<th data-col="test_id">y</th></tr></table>')
    (tmp_path / "api.json").write_text(
        json.dumps({"observations": [{"period": "2026-01", "inspection_id": "x"}]})
    )
    (tmp_path / "fine.json").write_text(json.dumps({"files": [{"name": "a.csv", "sha256": "00"}]}))
    found = {(f.file, f.column) for f in scan_folder(tmp_path)}
    assert found == {("kk/page.html", "test_id"), ("api.json", "inspection_id")}


# --- the portal in Chromium -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    module = _browser_module()
    if not module.CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: run scripts/install_system_tools.sh")
    instance = module.Browser(tmp_path_factory.mktemp("chromium-profile"))
    yield instance
    instance.close()


def _path_of(url: str) -> Path:
    parsed = urllib.parse.urlparse(url)
    return Path(urllib.parse.unquote(parsed.path))


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_chromium_walks_the_portal_in_each_language(published, browser, language):
    settings, folder = published
    entry = folder / "index.html"
    page = browser.open(entry.as_uri())
    try:
        assert page.problems() == []
        start = page.evaluate(f"document.querySelector('a[hreflang=\"{language}\"]').href")
    finally:
        page.close()
    build_dir = folder / entry_build(folder) / language
    seen, queue, checked_links = set(), [start], 0
    figures: dict[str, dict[str, list[str]]] = {}
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        seen.add(url)
        page = browser.open(url)
        try:
            assert page.problems() == [], url
            assert page.evaluate("document.documentElement.lang") == language, url
            assert page.evaluate("document.querySelectorAll('h1').length") == 1, url
            outside = [u for u in page.requests() if not u.startswith("file://")]
            assert outside == [], f"{url} asked the network for {outside}"
            links = page.evaluate("[...document.querySelectorAll('a[href], link[href]')].map(a => "
                                  "({href: a.href, hreflang: a.getAttribute('hreflang') || ''}))")
            raw = page.evaluate("[...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))")
            assert all(not re.match(r"^[a-z]+:|^/", href) for href in raw), f"{url}: absolute link in {raw}"
            # Every table's headers say what they are; every chart has its text alternative.
            charts = page.evaluate("[...document.querySelectorAll('figure.chart')].map(f => "
                                   "f.getAttribute('aria-label'))")
            assert all(charts), url
            if "/indicators/" in url or "/regions/" in url:
                figures[url] = page.evaluate(
                    "Object.fromEntries([...document.querySelectorAll('section')].map(s => [s.id, "
                    "[...s.querySelectorAll('tbody tr')].map(tr => [...tr.children].map(c => "
                    "c.innerText))]))")
                figures[url]["_heads"] = page.evaluate(
                    "Object.fromEntries([...document.querySelectorAll('section')].map(s => [s.id, "
                    "[...s.querySelectorAll('thead th')].map(th => th.dataset.col)]))")
        finally:
            page.close()
        for link in links:
            target = _path_of(link["href"].split("#")[0])
            assert target.is_file(), f"{url} links to {link['href']}, which does not exist"
            checked_links += 1
            inside = target.resolve().is_relative_to(build_dir.resolve())
            if target.suffix == ".html" and str(target.resolve()).startswith(str(folder / "site")):
                if not link["hreflang"]:
                    assert inside, f"{url}: a page link leaves the {language} pages: {link['href']}"
                if inside:
                    queue.append(link["href"].split("#")[0])
    pages = {_path_of(u).relative_to(build_dir).as_posix() for u in seen}
    assert {"index.html", "indicators/villages_fibre_share.html", "roads.html",
            "cities-5g.html", "speed.html",
            "reconciliation.html"} <= pages
    assert sum(p.startswith("regions/") for p in pages) == 20
    assert sum(p.startswith("indicators/") for p in pages) == 10
    assert checked_links > 500

    # Figures on the pages equal SQL on the marts: the nation and three regions.
    latest = PERIODS[-1]
    indicator = figures[(build_dir / "indicators" / "villages_fibre_share.html").as_uri()]
    series_heads = indicator["_heads"]["series"]
    latest_row = indicator["series"][-1]  # the national series runs by period
    shown = shown_number(latest_row[series_heads.index("actual")], language)
    assert shown == pytest.approx(fibre_share_by_sql(settings, latest, None), abs=0.005)
    # ... with its status (complete, provisional or withheld) as the progress mart flags it.
    from qamtu.publish.i18n import UI

    [(status,)] = marts_sql(settings, "select obs_status from marts.fct_programme_progress where period = ? "
                                      "and region_code = 'KZ' and indicator = "
                                      "'villages_fibre_share'", [latest])
    assert (
        latest_row[series_heads.index("obs_status")]
        == {
            "A": {"kk": "толық", "ru": "полное", "en": "complete"},
            "P": UI["obs_status_P"],
            "M": UI["obs_status_M"],
        }[status][language]
    )
    region_heads = indicator["_heads"]["regions"]
    from qamtu.reference import programme_targets, region_names

    targets = programme_targets()
    indicator_name = targets.loc[
        targets["indicator"] == "villages_fibre_share", f"description_{language}"
    ].item()
    for region in REGIONS:
        region_page = figures[(build_dir / "regions" / f"{region}.html").as_uri()]
        expected = fibre_share_by_sql(settings, latest, region)
        row = next(r for r in region_page["indicators"] if r[0] == indicator_name)
        heads = region_page["_heads"]["indicators"]
        assert shown_number(row[heads.index(latest)], language) == pytest.approx(expected, abs=0.005), region
        # ... and on the indicator page's regional table.
        name = region_names()[region][language]
        regional = next(r for r in indicator["regions"] if r[0] == name)
        assert shown_number(regional[region_heads.index(latest)], language) == pytest.approx(
            expected, abs=0.005
        )

    if os.environ.get("QAMTU_PORTAL_SCREENSHOTS") == "1" and language == "en":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for name, target in (("entry", folder / "index.html"),
                             ("indicator", build_dir / "indicators" / "villages_fibre_share.html"),
                             ("region", build_dir / "regions" / "35.html")):
            page = browser.open(target.as_uri())
            try:
                page.screenshot(SCREENSHOTS / f"portal-{name}.png", height=1400)
            finally:
                page.close()
