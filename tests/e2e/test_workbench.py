"""The statisticians' workbench on real releases: generated submissions (two months, scale 0.02) run
through the pipeline's own functions; a reader holds the latest ``marts.duckdb`` open while the next
month is ingested, built, audited and published; an operator's resubmission then yields v2.

Expected figures come from the generator's truth (``truth/expected.json``) and from the release
folders' own files read with pyarrow — never from the code that writes the database."""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.util
import json
import math
import os
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from qamtu.settings import Settings
from release_precision import as_published

PERIODS = ("2026-01", "2026-02")
FIRST, SECOND = PERIODS
SCALE, SEED = 0.02, 7
REPO = Path(__file__).resolve().parents[2]
QAMTU = Path(sys.executable).with_name("qamtu")
NATION = "KZ"


@dataclass
class Workbench:
    settings: Settings
    sample: Path
    reads_during_run: list[tuple] = field(default_factory=list)
    read_errors: list[str] = field(default_factory=list)
    cli_during_run: subprocess.CompletedProcess | None = None
    cli_started_while_running: bool = False
    seen_before: tuple = ()
    seen_by_held_connection_after: tuple = ()
    seen_after_reopening: tuple = ()
    second_outcome: dict | None = None
    resubmission_outcome: dict | None = None

    @property
    def publication(self) -> Path:
        return self.settings.area_path("publication")

    def release_folder(self, period: str, version: int) -> Path:
        return self.publication / "releases" / period / f"v{version}"


def land(settings: Settings, sample: Path, period: str) -> int:
    """Put the sample's submissions for ``period`` where submitters put them (the landing area)."""
    from qamtu.storage import open_area

    area = open_area("landing", settings)
    files = sorted(
        p for p in (sample / "landing").rglob("*") if p.is_file() and f"/{period}/" in p.as_posix()
    )
    for path in files:
        area.put_file(path.relative_to(sample / "landing").as_posix(), path)
    return len(files)


def resubmit_with_more_households(settings: Settings, sample: Path) -> str:
    """kcell corrects its February fibre report: in every settlement it reports as connected, all the
    households passed are now connected (a new file at the same landing key: a resubmission). The
    last-mile figures rise; no cumulative figure falls, so the audit still passes."""
    from qamtu.storage import open_area

    key = f"operator/kcell/{SECOND}/settlement_fiber.csv"
    lines = (sample / "landing" / key).read_bytes().decode("cp1251").splitlines(keepends=True)
    corrected_lines, changed = [lines[0]], 0
    for line in lines[1:]:
        fields = line.rstrip("\r\n").split(";")
        if fields[2].strip().lower() == "подключен" and fields[5] != fields[4]:
            fields[5] = fields[4]  # households_connected := households_passed
            changed += 1
        corrected_lines.append(";".join(fields) + line[len(line.rstrip("\r\n")):])
    assert changed, "the sample has no connected kcell settlement with households left to connect"
    corrected = sample / "resubmission" / key
    corrected.parent.mkdir(parents=True, exist_ok=True)
    corrected.write_bytes("".join(corrected_lines).encode("cp1251"))
    open_area("landing", settings).put_file(key, corrected)
    return key


def release_of(con: duckdb.DuckDBPyConnection) -> tuple:
    period, version = con.execute("select period, version from release").fetchone()
    rows, latest = con.execute("select count(*), max(period) from fct_programme_progress").fetchone()
    return period, version, rows, latest


@pytest.fixture(scope="module")
def workbench(tmp_path_factory) -> Workbench:
    from qamtu.generate import generate_submissions
    from qamtu.pipeline import ingest, load_reference, run_period

    root = tmp_path_factory.mktemp("workbench")
    settings = Settings(home=root / "home", warehouse="duckdb", storage="local")
    sample = root / "sample"
    generate_submissions(out=sample, periods=list(PERIODS), scale=SCALE, seed=SEED)
    bench = Workbench(settings=settings, sample=sample)
    quiet = lambda *_: None  # noqa: E731

    land(settings, sample, FIRST)
    load_reference(settings, quiet)
    ingest(settings)
    assert run_period(FIRST, settings, quiet)["published"]

    # A reader holds the latest database open while the next month runs through every step.
    latest = bench.publication / "latest" / "marts.duckdb"
    held = duckdb.connect(str(latest), read_only=True)
    bench.seen_before = release_of(held)
    land(settings, sample, SECOND)
    outcome: dict = {}

    def next_month() -> None:
        try:
            ingest(settings)
            outcome["result"] = run_period(SECOND, settings, quiet)
        except BaseException as error:  # reported by the assertions below
            outcome["error"] = repr(error)

    runner = threading.Thread(target=next_month)
    runner.start()
    env = {**os.environ, "QAMTU_HOME": str(settings.home), "DO_NOT_TRACK": "1"}
    while runner.is_alive():
        try:
            bench.reads_during_run.append(release_of(held))
        except duckdb.Error as error:
            bench.read_errors.append(str(error))
        if bench.cli_during_run is None and len(bench.reads_during_run) >= 3:
            bench.cli_started_while_running = runner.is_alive()
            bench.cli_during_run = subprocess.run(
                [str(QAMTU), "sql", "--format", "json", "select period, version from release"],
                capture_output=True, text=True, env=env, timeout=300)
        time.sleep(0.5)
    runner.join()
    bench.second_outcome = outcome
    bench.seen_by_held_connection_after = release_of(held)
    held.close()
    with duckdb.connect(str(latest), read_only=True) as reopened:
        bench.seen_after_reopening = release_of(reopened)

    # kcell resubmits February: v2.
    resubmit_with_more_households(settings, sample)
    ingest(settings)
    bench.resubmission_outcome = run_period(SECOND, settings, quiet,
                                            notes="kcell corrected its connected households")
    return bench


# --- reading while the pipeline runs -------------------------------------------------------------
def test_reader_holds_latest_database_while_next_month_is_published(workbench):
    outcome = workbench.second_outcome
    assert "error" not in outcome, outcome.get("error")
    assert outcome["result"]["published"], "the next month was not published"
    assert outcome["result"]["release"]["version"] == 1

    assert workbench.seen_before[:2] == (FIRST, 1) and workbench.seen_before[3] == FIRST
    assert workbench.read_errors == []
    assert len(workbench.reads_during_run) >= 10, "the reader was not reading while the pipeline ran"
    assert set(workbench.reads_during_run) == {workbench.seen_before}
    assert workbench.seen_by_held_connection_after == workbench.seen_before

    assert workbench.cli_started_while_running
    cli = workbench.cli_during_run
    assert cli.returncode == 0, cli.stderr
    assert json.loads(cli.stdout)[0]["period"] in PERIODS

    period, version, rows, latest = workbench.seen_after_reopening
    assert (period, version, latest) == (SECOND, 1, SECOND)
    assert rows > workbench.seen_before[2]


# --- vintages ------------------------------------------------------------------------------------
def progress_from_parquet(folder: Path) -> dict[tuple[str, str, str], float | None]:
    table = pq.read_table(folder / "parquet" / "fct_programme_progress.parquet").to_pylist()
    return {(r["period"], r["region_code"], r["indicator"]): r["actual"] for r in table}


def manifest_of(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


def latest_connection(workbench: Workbench) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(workbench.publication / "latest" / "marts.duckdb"), read_only=True)


def close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def test_resubmission_yields_v2(workbench):
    outcome = workbench.resubmission_outcome
    assert outcome["published"], outcome.get("audit", {}).get("failures")
    assert outcome["release"]["version"] == 2
    v1 = progress_from_parquet(workbench.release_folder(SECOND, 1))
    v2 = progress_from_parquet(workbench.release_folder(SECOND, 2))
    assert any(not close(v1[k], v2[k]) for k in v1), "the resubmission changed no headline figure"


def vintage_progress(con, period: str, version: int) -> dict[tuple[str, str, str], tuple[float | None, str]]:
    rows = con.execute(
        "select period, area, figure, value, published_at from vintages where table_name = "
        "'fct_programme_progress' and release_period = ? and version = ?", [period, version]).fetchall()
    return {(p, a, f): (v, at) for p, a, f, v, at in rows}


@pytest.mark.parametrize("version", [1, 2])
def test_vintages_give_each_version_exactly_as_its_release_folder(workbench, version):
    folder = workbench.release_folder(SECOND, version)
    expected = progress_from_parquet(folder)
    published_at = manifest_of(folder)["published_at"]
    with latest_connection(workbench) as con:
        vintages = vintage_progress(con, SECOND, version)
    assert set(vintages) == set(expected)
    for key, value in expected.items():
        assert close(vintages[key][0], value), (key, vintages[key][0], value)
    assert {at for _, at in vintages.values()} == {
        dt.datetime.fromisoformat(published_at.replace("Z", "+00:00"))
    }


def test_vintages_of_every_mart_column_equal_the_release_files(workbench):
    """Beyond the headline table: each numeric column of the regional coverage mart, per region."""
    folder = workbench.release_folder(SECOND, 2)
    rows = pq.read_table(folder / "parquet" / "fct_region_coverage.parquet").to_pylist()
    numeric = [c for c, v in rows[0].items() if isinstance(v, int | float) and not isinstance(v, bool)]
    expected = {(r["period"], r["region_code"], c): r[c] for r in rows for c in numeric}
    with latest_connection(workbench) as con:
        found = {(p, a, f): v for p, a, f, v in con.execute(
            "select period, area, figure, value from vintages where table_name = 'fct_region_coverage' "
            "and release_period = ? and version = 2", [SECOND]).fetchall()}
    assert set(found) == set(expected)
    assert all(close(found[k], None if expected[k] is None else float(expected[k])) for k in expected)


def test_vintages_are_appended_never_rewritten(workbench):
    """Each release's vintages.parquet is the one before it plus its own rows, byte-for-byte values."""
    def rows(folder: Path) -> set[tuple]:
        return {tuple(r.values()) for r in pq.read_table(folder / "vintages.parquet").to_pylist()}

    first = rows(workbench.release_folder(FIRST, 1))
    second_v1 = rows(workbench.release_folder(SECOND, 1))
    second_v2 = rows(workbench.release_folder(SECOND, 2))
    assert first < second_v1 < second_v2
    assert {(r[0], r[1]) for r in second_v2 - second_v1} == {(SECOND, 2)}
    with latest_connection(workbench) as con:
        in_database = {tuple(r) for r in con.execute("select * from vintages").fetchall()}
    assert in_database == second_v2

    from qamtu.warehouse import connect

    with connect(workbench.settings) as warehouse:
        in_warehouse = {tuple(r) for r in warehouse.rows("select * from published.vintages")}
    assert in_warehouse == second_v2


def test_vintages_match_the_generators_truth(workbench):
    """v1 of each month (before the resubmission) holds the national figures the generator intended."""
    truth = json.loads((workbench.sample / "truth" / "expected.json").read_text())["national"]
    with latest_connection(workbench) as con:
        for period in PERIODS:
            figures = {f: v for (p, a, f), (v, _) in vintage_progress(con, period, 1).items()
                       if p == period and a == NATION}
            for indicator, value in truth[period].items():
                assert figures[indicator] == as_published(value, indicator), (period, indicator)


def test_revised_figures_carry_their_revision_note(workbench):
    v1 = progress_from_parquet(workbench.release_folder(SECOND, 1))
    v2 = progress_from_parquet(workbench.release_folder(SECOND, 2))
    changed = {k for k in v1 if not close(v1[k], v2[k])}
    with latest_connection(workbench) as con:
        noted = {(p, a, f): note for p, a, f, note in con.execute(
            "select period, area, figure, revision_note from vintages where table_name = "
            "'fct_programme_progress' and release_period = ? and version = 2", [SECOND]).fetchall()}
    assert {k for k, note in noted.items() if note} == changed
    assert {note for note in noted.values() if note} == {f"releases/{SECOND}/v2/revision_notes.md"}


def test_release_database_is_listed_with_its_checksum(workbench):
    folder = workbench.release_folder(SECOND, 2)
    listed = {f["name"]: f for f in manifest_of(folder)["files"]}
    for name in ("marts.duckdb", "vintages.parquet", "docs/index.html"):
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == listed[name]["sha256"], name
    latest = workbench.publication / "latest" / "marts.duckdb"
    assert latest.read_bytes() == (folder / "marts.duckdb").read_bytes()
    with duckdb.connect(str(folder / "marts.duckdb"), read_only=True) as con:
        comment = con.execute("select comment from duckdb_columns() where table_name = 'fct_region_coverage' "
                              "and column_name = 'population'").fetchone()[0]
    # The labels as the model's YAML has them, read here with PyYAML.
    import yaml

    model = yaml.safe_load((REPO / "dbt_project/models/marts/fct_region_coverage.yml").read_text())["models"][
        0
    ]
    column = next(c for c in model["columns"] if c["name"] == "population")
    labels = column["config"]["meta"]["labels"]
    assert all(labels[lang] in comment for lang in ("kk", "ru", "en")) and column["description"] in comment


# --- qamtu sql -----------------------------------------------------------------------------------
def qamtu_sql(workbench: Workbench, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "QAMTU_HOME": str(workbench.settings.home), "DO_NOT_TRACK": "1"}
    return subprocess.run([str(QAMTU), "sql", *args], capture_output=True, text=True, env=env, timeout=300)


def test_qamtu_sql_reads_any_release_in_three_formats(workbench):
    query = ("select indicator, actual from fct_programme_progress where region_code = 'KZ' "
             f"and period = '{SECOND}' order by indicator")
    expected_v1 = {k[2]: v for k, v in progress_from_parquet(workbench.release_folder(SECOND, 1)).items()
                   if k[0] == SECOND and k[1] == NATION}
    as_json = qamtu_sql(workbench, "--release", f"{SECOND}/v1", "--format", "json", query)
    assert as_json.returncode == 0, as_json.stderr
    assert {r["indicator"]: r["actual"] for r in json.loads(as_json.stdout)} == expected_v1

    expected_v2 = {k[2]: v for k, v in progress_from_parquet(workbench.release_folder(SECOND, 2)).items()
                   if k[0] == SECOND and k[1] == NATION}
    as_csv = qamtu_sql(workbench, "--format", "csv", query)  # latest = February v2
    assert as_csv.returncode == 0, as_csv.stderr
    lines = as_csv.stdout.splitlines()
    assert lines[0] == "indicator,actual"
    assert {line.split(",")[0]: float(line.split(",")[1]) for line in lines[1:]} == expected_v2

    as_table = qamtu_sql(workbench, "--release", FIRST, "select period, version from release")
    assert as_table.returncode == 0 and FIRST in as_table.stdout and "(1 row)" in as_table.stdout


def test_qamtu_sql_refuses_writes_and_unknown_releases(workbench):
    before = (workbench.publication / "latest" / "marts.duckdb").read_bytes()
    for statement in ("delete from vintages", "create table notes (x int)", "drop table release"):
        refused = qamtu_sql(workbench, statement)
        assert refused.returncode == 1 and "read-only" in refused.stderr, (statement, refused.stderr)
    assert (workbench.publication / "latest" / "marts.duckdb").read_bytes() == before
    missing = qamtu_sql(workbench, "--release", "2031-01", "select 1")
    assert missing.returncode == 1 and "2031-01 has no release" in missing.stderr
    malformed = qamtu_sql(workbench, "--release", "march", "select 1")
    assert malformed.returncode == 1 and "YYYY-MM" in malformed.stderr


def test_qamtu_sql_shell(workbench):
    from qamtu.publish.sql import connect_published, locate, shell

    lines = iter([".tables", "select count(*) as n", "from vintages;",
                  "select nonsense from nowhere;", ".quit"])
    said: list[str] = []
    database = locate(None, workbench.settings)
    with connect_published(database) as con:
        shell(con, database, "csv", read=lambda _prompt: next(lines), write=said.append)
        expected = con.execute("select count(*) from vintages").fetchone()[0]
    tables = said[1].splitlines()
    assert {"vintages", "release", "fct_programme_progress"} <= set(tables)
    assert said[2] == f"n\n{expected}"
    assert said[3].startswith("Error:") and "nowhere" in said[3]


def test_qamtu_sql_downloads_from_s3_into_a_cache(workbench, s3_settings):
    """The same publication area on S3 (copied key for key to the moto server): the file is fetched
    once into QAMTU_HOME/cache, checked against the manifest, and queried there."""
    from qamtu.publish.sql import connect_published, locate
    from qamtu.storage import open_area

    area = open_area("publication", s3_settings)
    for path in sorted(p for p in workbench.publication.rglob("*") if p.is_file()):
        area.put_file(path.relative_to(workbench.publication).as_posix(), path)
    database = locate(f"{SECOND}/v1", s3_settings)
    assert database.path.is_relative_to(s3_settings.home / "cache")
    assert database.path.read_bytes() == (workbench.release_folder(SECOND, 1) / "marts.duckdb").read_bytes()
    with connect_published(database) as con:
        assert con.execute("select period, version from release").fetchone() == (SECOND, 1)
    modified = database.path.stat().st_mtime_ns
    assert (
        locate(f"{SECOND}/v1", s3_settings).path.stat().st_mtime_ns == modified
    )  # cached, not fetched again


# --- the cookbook --------------------------------------------------------------------------------
def cookbook() -> list[tuple[str, str]]:
    text = (REPO / "docs" / "cookbook.md").read_text(encoding="utf-8")
    recipes = re.findall(r"^## (\d+)\. (.+?)$.*?```sql\n(.*?)```", text, re.S | re.M)
    return [(f"{number}. {title}", sql) for number, title, sql in recipes]


def run_recipe(con, sql: str, as_of: str | None = None) -> list[dict]:
    statements = [s.strip() for s in sql.split(";") if s.strip()]
    cursor = None
    for statement in statements:
        if as_of and statement.startswith("set variable as_of"):
            statement = f"set variable as_of = timestamptz '{as_of}'"
        cursor = con.execute(statement)
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def test_cookbook_has_ten_recipes():
    assert len(cookbook()) == 10


def test_cookbook_queries_run_on_a_real_release(workbench):
    recipes = dict(cookbook())
    folder = workbench.release_folder(SECOND, 2)
    v1_folder = workbench.release_folder(SECOND, 1)

    def parquet(name: str, release: Path = folder) -> list[dict]:
        return pq.read_table(release / "parquet" / f"{name}.parquet").to_pylist()

    v1_published = manifest_of(v1_folder)["published_at"].replace("Z", "+00:00")
    with latest_connection(workbench) as con:
        answers = {title: run_recipe(con, sql, as_of=v1_published) for title, sql in recipes.items()}
    for title, rows in answers.items():
        assert rows, f"cookbook {title!r} returned no rows"
    by_number = {title.split(".")[0]: rows for title, rows in answers.items()}

    headline = {r["indicator"]: r["actual"] for r in parquet("fct_programme_progress")
                if r["period"] == SECOND and r["region_code"] == NATION}
    assert {r["indicator"]: r["actual"] for r in by_number["1"]} == headline

    regions = {r["region_code"]: r["population_access_share"] for r in parquet("fct_region_coverage")
               if r["period"] == SECOND and r["region_code"] != NATION}
    assert {r["region_code"]: r["population_access_share"] for r in by_number["2"]} == regions

    fines: dict[str, float] = {}
    for r in parquet("fct_quality_enforcement"):
        if r["period"] == SECOND and r["region_code"] != NATION and r["operator"] != "all":
            fines[r["operator"]] = fines.get(r["operator"], 0) + (r["fines_kzt"] or 0)
    assert {r["operator"]: r["fines_kzt"] for r in by_number["3"]} == pytest.approx(fines)

    speed = [
        r for r in parquet("fct_speed_tests_summary") if r["period"] == SECOND and r["area_level"] == "nation"
    ]
    assert len(by_number["4"]) == len(speed)
    assert {(r["operator"], r["technology"]): r["median_download_mbps"] for r in by_number["4"]} == {
        (r["operator"], r["technology"]): r["median_download_mbps"] for r in speed}
    assert all(r["region_code"] != NATION for r in by_number["5"])

    v1 = progress_from_parquet(v1_folder)
    v2 = progress_from_parquet(folder)
    revised = {
        (r["period"], r["area"], r["figure"]): (r["previous_value"], r["value"])
        for r in by_number["6"]
        if r["table_name"] == "fct_programme_progress" and r["release_period"] == SECOND and r["version"] == 2
    }
    assert revised == {k: (v1[k], v2[k]) for k in v1 if not close(v1[k], v2[k])}

    history = by_number["7"]
    assert [(r["release_period"], r["version"]) for r in history] == [(SECOND, 1), (SECOND, 2)]
    assert [r["value"] for r in history] == [v1[(SECOND, NATION, "villages_fibre_new")],
                                             v2[(SECOND, NATION, "villages_fibre_new")]]

    as_of = {(r["period"], r["area"], r["figure"]): r["value"] for r in by_number["8"]
             if r["table_name"] == "fct_programme_progress"}
    assert as_of == v1, "as of v1's publication the figures are v1's"

    settlements = [r for r in parquet("fct_settlement_connectivity") if r["period"] == SECOND]
    disagreements = {}
    for r in settlements:
        if r["fibre_agrees_with_akimat"] is False:
            disagreements[r["region_code"]] = disagreements.get(r["region_code"], 0) + 1
    assert {
        r["region_code"]: r["disagreements"] for r in by_number["9"] if r["disagreements"]
    } == disagreements

    for row in by_number["10"]:
        assert row["rural_settlements_with_fibre"] == row["counted_from_settlements"], row
        assert row["population_with_access"] == row["summed_from_settlements"], row


# --- the documentation site ----------------------------------------------------------------------
def _browser_helpers():
    """The headless-Chromium driver of the report's browser test (DevTools protocol, no mocks)."""
    spec = importlib.util.spec_from_file_location("report_browser",
                                                  REPO / "tests" / "e2e" / "test_report_browser.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def wait_for_text(page, text: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    body = ""
    while time.monotonic() < deadline:
        body = page.evaluate("document.body ? document.body.innerText : ''") or ""
        if text in body:
            return body
        time.sleep(0.25)
    raise AssertionError(f"{text!r} never appeared; the page shows: {body[:500]!r}")


def test_docs_site_renders_offline_in_chromium(workbench, tmp_path):
    browser_module = _browser_helpers()
    if not browser_module.CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: run scripts/install_system_tools.sh")
    site = workbench.release_folder(SECOND, 2) / "docs" / "index.html"
    browser = browser_module.Browser(tmp_path / "profile")
    try:
        page = browser.open("about:blank")
        try:
            # No network at all: anything the page tried to fetch over http(s) would fail and be listed.
            page.call("Network.emulateNetworkConditions", offline=True, latency=0, downloadThroughput=-1,
                      uploadThroughput=-1)
            page.events.clear()
            page.call("Page.navigate", url=f"{site.as_uri()}#!/model/model.qamtu.fct_region_coverage")
            page.wait_for("Page.loadEventFired")
            body = wait_for_text(page, "Халық саны")
            for text in ("fct_region_coverage", "Население", "Population", "population_access_share"):
                assert text in body, text
            fetched = [url for url in page.requests() if not url.startswith(("file:", "data:", "about:"))]
            assert fetched == [], f"the docs site fetched over the network: {fetched}"
            # dbt's own page has <img src="{{ getIcon(…) }}"> in its sidebar template: before Angular fills
            # it in, Chromium refuses that literal file: URL. That is dbt's, not a fetch; nothing else may
            # fail.
            problems = [
                p
                for p in page.problems()
                if not p.startswith("log.error: Unsafe attempt to load URL file:") or "%7B%7B" not in p
            ]
            assert problems == []
            shot = tmp_path / "docs-site.png"
            page.screenshot(shot, height=1400)
            assert browser_module.png_size(shot)[0] == 1280
            if os.environ.get("QAMTU_SCREENSHOTS"):
                target = REPO / "docs" / "screenshots" / "docs-site.png"
                target.write_bytes(shot.read_bytes())

            # The lineage of the headline table: dbt's graph of its parents, drawn offline too.
            page.events.clear()
            page.call("Page.navigate", url=f"{site.as_uri()}#!/model/model.qamtu.fct_programme_progress")
            wait_for_text(page, "int_programme_actuals")
        finally:
            page.close()
    finally:
        browser.close()
