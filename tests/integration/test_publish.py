"""Publication: releases opened with the libraries a reader would use, checked against the marts."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from qamtu.settings import Settings
from shared_homes import (
    CLEAN_PERIODS,
    REVISED_REPORT,
    REVISED_SUBMITTER,
    clean_months,
    copy_home,
    revised_months,
)

# Builds whole pipelines or dbt projects (minutes): `make test` runs it; the daily `make check` does not.
pytestmark = pytest.mark.slow

PERIODS = CLEAN_PERIODS
PERIOD = PERIODS[-1]
MISSION_INDICATORS = {
    "villages_fibre_new", "villages_fibre_share", "population_access_share", "households_last_mile",
    "people_last_mile", "road_km_covered", "city_5g_territory_share", "cities_5g_at_target",
    "land_requests_decided_share", "fines_kzt",
}
# Lineage: never in a release, not even by name (docs/portal.md).
LINEAGE_COLUMN_NAMES = ("source_key", "source_line", "submission_id", "archive_key", "loaded_at")
# Lineage and ingestion bookkeeping: columns the published tables leave out.
RAW_COLUMN_NAMES = (*LINEAGE_COLUMN_NAMES, "rows_read", "rows_loaded", "rows_quarantined")
# Marts for one reader only, never in the public release (docs/methodology.md: the akimats' worklists).
UNPUBLISHED_MART_PREFIX = "wrk_"


# --- the data behind the releases: marts the pipeline itself built (tests/shared_homes.py) ------------
class PipelineMarts:
    """A private copy of a home the real pipeline made: generated submissions → ingest → dbt candidate →
    audit → promote."""

    def __init__(self, home: Path):
        self.home = home
        self.settings = Settings(home=home, warehouse="duckdb", storage="local")

    def revise(self, period: str) -> dict:
        """Promote the month's audited revision (kcell resubmitted its fibre report, one connection
        withdrawn: tests/shared_homes.py) into the published marts; the resubmission that became current."""
        from qamtu.pipeline import promote

        assert promote(period, self.settings, echo=lambda *_: None)["periods"] == [period]
        with duckdb.connect(str(self.settings.duckdb_file), read_only=True) as con:
            (row,) = con.execute(
                "select submitter, period, report_type, sha256 from raw.submissions where is_current and "
                "submitter = ? and period = ? and report_type = ?",
                [REVISED_SUBMITTER, period, REVISED_REPORT]).fetchall()
        return dict(zip(("submitter", "period", "report_type", "sha256"), row, strict=True))


@pytest.fixture()
def built(tmp_path, tmp_path_factory) -> PipelineMarts:
    """Three months built, audited and promoted by the pipeline, nothing published: a private copy."""
    return PipelineMarts(copy_home(clean_months(tmp_path_factory), tmp_path / "home"))


@pytest.fixture()
def marts(tmp_path, tmp_path_factory) -> PipelineMarts:
    """The same, plus February's and March's audited revisions waiting in the candidate marts
    (``revise(period)`` promotes one): a private copy."""
    return PipelineMarts(copy_home(revised_months(tmp_path_factory), tmp_path / "home"))


def publish(marts, period=PERIOD, **kwargs):
    from qamtu.publish import publish_release

    lines: list[str] = []
    release = publish_release(period, settings=marts.settings, echo=lines.append, **kwargs)
    return release, lines


# --- helpers -------------------------------------------------------------------------------------
def area_of(settings):
    from qamtu.storage import open_area

    return open_area("publication", settings)


def snapshot(area) -> dict[str, str]:
    return {key: hashlib.sha256(area.get_bytes(key)).hexdigest() for key in area.list("")}


def mart_frame(settings, table: str, period: str = PERIOD) -> pd.DataFrame:
    with duckdb.connect(str(settings.duckdb_file), read_only=True) as con:
        columns = [
            r[0]
            for r in con.execute(
                "select column_name from information_schema.columns where table_schema = 'marts' and "
                "table_name = ? order by ordinal_position",
                [table],
            ).fetchall()
        ]
        where = "where period <= ?" if "period" in columns else ""
        frame = con.execute(f"select * from marts.{table} {where}", [period] if where else []).df()
    return rounded_as_declared(table, frame)


def declared_precision(table: str) -> dict[str, object]:
    """``meta.precision`` of the table's columns, read from the dbt YAML files directly."""
    import yaml

    for path in (Path(__file__).parents[2] / "dbt_project" / "models" / "marts").glob("*.yml"):
        for model in yaml.safe_load(path.read_text(encoding="utf-8"))["models"]:
            if model["name"] == table:
                return {c["name"]: ((c.get("config") or {}).get("meta") or {})["precision"]
                        for c in model.get("columns", [])
                        if "precision" in ((c.get("config") or {}).get("meta") or {})}
    return {}


def rounded_as_declared(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """What a release must print: each declared column rounded half away from zero at its decimals
    (per row by the unit column when the precision is per unit)."""
    from decimal import ROUND_HALF_UP, Decimal

    def at(value, decimals):
        if value is None or pd.isna(value):
            return value
        # The double is a decimal plus float noise (46 / 320 * 100 = 14.374999999999998): noise out first.
        exact = Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-decimals - 6))
        return float(exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))

    for column, precision in declared_precision(table).items():
        if column not in frame.columns or not pd.api.types.is_float_dtype(frame[column]):
            continue
        if isinstance(precision, dict):
            frame[column] = [
                at(v, precision[u]) for v, u in zip(frame[column], frame[precision["by"]], strict=True)
            ]
        else:
            frame[column] = [at(v, precision) for v in frame[column]]
    return frame


def mart_names(settings) -> list[str]:
    """The public marts."""
    with duckdb.connect(str(settings.duckdb_file), read_only=True) as con:
        return sorted(r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'").fetchall()
            if not r[0].startswith(UNPUBLISHED_MART_PREFIX))


def national_actuals(settings, period: str = PERIOD, targeted_only: bool = False) -> dict[str, float]:
    """The national figures of the mart, rounded as the model declares (what a release prints)."""
    with duckdb.connect(str(settings.duckdb_file), read_only=True) as con:
        frame = con.execute(
            "select indicator, actual, unit from marts.fct_programme_progress where period = ? "
            "and region_code = 'KZ' and actual is not null"
            + (" and target is not null" if targeted_only else ""),
            [period],
        ).df()
    frame = rounded_as_declared("fct_programme_progress", frame)
    return dict(zip(frame["indicator"], frame["actual"], strict=True))


def same_rows(left: pd.DataFrame, right: pd.DataFrame) -> None:
    """Equal as tables whatever the row order: sort by every column, compare values as text."""
    assert list(left.columns) == list(right.columns)

    def canonical(frame: pd.DataFrame) -> list[tuple]:
        rows = []
        for record in frame.astype(object).where(frame.notna(), None).itertuples(index=False):
            rows.append(tuple(_canon(v) for v in record))
        return sorted(rows, key=lambda r: tuple("" if v is None else str(v) for v in r))

    assert canonical(left) == canonical(right)


def _canon(value):
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return round(float(value), 9)
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10] if not hasattr(value, "hour") or value.hour == 0 else value.isoformat()
    return str(value)


# --- the tests -----------------------------------------------------------------------------------
def test_release_layout_manifest_checksums_and_pointer(built):
    release, _ = publish(built)
    area = area_of(built.settings)
    prefix = f"releases/{PERIOD}/v1/"
    assert release["version"] == 1 and release["created"] and release["path"] == prefix

    manifest = json.loads(area.get_bytes(prefix + "manifest.json"))
    assert manifest["period"] == PERIOD and manifest["version"] == 1
    listed = {f["key"]: f for f in manifest["files"]}
    stored = set(area.list(prefix))
    assert stored == set(listed) | {prefix + "manifest.json"}
    for key, entry in listed.items():
        data = area.get_bytes(key)
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], key
        assert len(data) == entry["bytes"]

    sums = area.get_bytes(prefix + "SHA256SUMS").decode()
    lines = dict(reversed(line.split("  ", 1)) for line in sums.splitlines())
    assert set(lines) == {f["name"] for f in manifest["files"]} - {"SHA256SUMS"}
    for name, digest in lines.items():
        assert hashlib.sha256(area.get_bytes(prefix + name)).hexdigest() == digest

    latest = json.loads(area.get_bytes("latest.json"))
    assert latest["manifest"] == prefix + "manifest.json" and latest["version"] == 1
    assert latest["manifest_sha256"] == hashlib.sha256(area.get_bytes(prefix + "manifest.json")).hexdigest()
    period_pointer = json.loads(area.get_bytes(f"latest/{PERIOD}.json"))
    assert period_pointer["manifest"] == latest["manifest"]

    methodology = (Path(__file__).parents[2] / "docs" / "methodology.md").read_text(encoding="utf-8")
    assert area.get_bytes(prefix + "methodology.md").decode("utf-8") == methodology


def test_every_mart_as_csv_parquet_xlsx_equals_the_mart(built):
    import openpyxl
    from qamtu.publish.tables import load_docs

    release, lines = publish(built)
    area = area_of(built.settings)
    prefix = release["path"]
    docs = load_docs()
    names = mart_names(built.settings)
    assert names, "no marts to publish"
    xlsx_key = next(k for k in area.list(prefix) if k.endswith(".xlsx"))
    workbook = openpyxl.load_workbook(io.BytesIO(area.get_bytes(xlsx_key)), read_only=True)
    for name in names:
        expected = mart_frame(built.settings, name)
        private = [c for c in expected.columns if c in RAW_COLUMN_NAMES]
        expected = expected.drop(columns=private)

        raw_csv = area.get_bytes(f"{prefix}csv/{name}.csv")
        assert raw_csv.startswith(b"\xef\xbb\xbf"), f"{name}.csv has no UTF-8 BOM"
        from_csv = pd.read_csv(io.BytesIO(raw_csv), encoding="utf-8-sig", dtype=str, keep_default_na=False)
        assert list(from_csv.columns) == list(expected.columns)
        assert len(from_csv) == len(expected)

        from_parquet = pq.read_table(
            pa.BufferReader(area.get_bytes(f"{prefix}parquet/{name}.parquet"))
        ).to_pandas()
        same_rows(from_parquet, expected)

        sheet = workbook[name[:31]]
        rows = list(sheet.iter_rows(values_only=True))
        labels_kk, labels_ru, labels_en, codes = rows[:4]
        assert list(codes) == list(expected.columns)
        for index, column in enumerate(expected.columns):
            documented = docs.get(name).columns.get(column) if docs.get(name) else None
            if documented and documented.labels:
                assert (labels_kk[index], labels_ru[index], labels_en[index]) == (
                    documented.labels["kk"], documented.labels["ru"], documented.labels["en"])
        from_xlsx = pd.DataFrame(rows[4:], columns=list(codes))
        assert len(from_xlsx) == len(expected)
        numeric = [c for c in expected.columns if pd.api.types.is_numeric_dtype(expected[c])
                   and not pd.api.types.is_bool_dtype(expected[c])]
        for column in numeric:
            assert sorted(round(float(v), 6) for v in from_xlsx[column].dropna()) == sorted(
                round(float(v), 6) for v in expected[column].dropna()), (name, column)

    # The CSV's numbers are the mart's numbers (the headline table, compared value by value).
    progress = pd.read_csv(io.BytesIO(area.get_bytes(f"{prefix}csv/fct_programme_progress.csv")),
                           encoding="utf-8-sig", dtype={"region_code": str})
    same_rows(
        progress[["period", "region_code", "indicator", "actual"]],
        mart_frame(built.settings, "fct_programme_progress")[
            ["period", "region_code", "indicator", "actual"]
        ],
    )


def test_datapackage_is_valid_frictionless_and_describes_every_field(built, tmp_path):
    import frictionless

    release, _ = publish(built)
    area = area_of(built.settings)
    folder = tmp_path / "download"
    for key in area.list(release["path"]):
        target = folder / key[len(release["path"]):]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(area.get_bytes(key))
    report = frictionless.validate(str(folder / "datapackage.json"))
    assert report.valid, report.flatten(["resourceName", "rowNumber", "fieldName", "type", "note"])[:10]

    package = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    resources = {r["name"]: r for r in package["resources"]}
    for name in mart_names(built.settings):
        expected_columns = [c for c in mart_frame(built.settings, name).columns if c not in RAW_COLUMN_NAMES]
        assert [f["name"] for f in resources[name]["schema"]["fields"]] == expected_columns
        rows = frictionless.Resource(str(folder / resources[name]["path"])).read_rows()
        assert len(rows) == len(mart_frame(built.settings, name))
    assert "headline_indicators_sdmx" in resources


def test_sdmx_csv_header_codes_and_values(built, tmp_path):
    import sdmx
    from qamtu.reference import region_names

    release, _ = publish(built)
    area = area_of(built.settings)
    prefix = release["path"]
    text = area.get_bytes(prefix + "sdmx/headline_indicators.csv").decode("utf-8")
    records = list(csv.DictReader(io.StringIO(text)))
    assert text.splitlines()[0] == ("STRUCTURE,STRUCTURE_ID,ACTION,FREQ,REF_AREA,INDICATOR,TIME_PERIOD,"
                                    "OBS_VALUE,UNIT_MEASURE,OBS_STATUS")
    assert {r["OBS_STATUS"] for r in records} <= {"A", "P", "M"}
    assert {r["STRUCTURE"] for r in records} == {"dataflow"}
    assert {r["STRUCTURE_ID"] for r in records} == {"QAMTU:DF_CONNECTIVITY(1.0)"}
    assert {r["ACTION"] for r in records} == {"I"} and {r["FREQ"] for r in records} == {"M"}
    assert {r["REF_AREA"] for r in records} <= {"KZ", *region_names()}
    assert {r["INDICATOR"] for r in records} <= MISSION_INDICATORS
    assert {r["TIME_PERIOD"] for r in records} == set(PERIODS)
    for record in records:
        assert re.fullmatch(r"\d{4}-\d{2}", record["TIME_PERIOD"])

    structure_file = tmp_path / "structure.xml"
    structure_file.write_bytes(area.get_bytes(prefix + "sdmx/structure.xml"))
    structure = sdmx.read_sdmx(structure_file)
    dataflow = structure.dataflow["DF_CONNECTIVITY"]
    codes = {cl.id: {c.id for c in cl} for cl in structure.codelist.values()}
    assert {r["REF_AREA"] for r in records} <= codes["CL_AREA"]
    assert MISSION_INDICATORS == codes["CL_INDICATOR"]
    data_file = tmp_path / "headline.csv"
    data_file.write_text(text, encoding="utf-8")
    message = sdmx.read_sdmx(data_file, structure=dataflow)
    series = sdmx.to_pandas(message.data[0])
    national = {key[2]: float(value) for key, value in series.items() if key[1] == "KZ" and key[3] == PERIOD}
    assert national == pytest.approx(national_actuals(built.settings))


def test_data_dictionary_lists_every_published_column(built):
    release, _ = publish(built)
    area = area_of(built.settings)
    dictionary = pd.read_csv(io.BytesIO(area.get_bytes(release["path"] + "data_dictionary.csv")),
                             encoding="utf-8-sig", dtype=str, keep_default_na=False)
    for name in mart_names(built.settings):
        columns = [c for c in mart_frame(built.settings, name).columns if c not in RAW_COLUMN_NAMES]
        assert dictionary[dictionary["table"] == name]["column"].tolist() == columns


def test_same_content_publishes_no_new_version(built):
    first, _ = publish(built)
    area = area_of(built.settings)
    before = snapshot(area)
    second, lines = publish(built)
    assert second["version"] == 1 and not second["created"]
    assert snapshot(area) == before
    assert any("no new version" in line for line in lines)


def progress_figures(settings, up_to: str = PERIOD) -> dict[tuple[str, str, str], float]:
    """(period, region, indicator) → actual of the progress mart, rounded as the model declares."""
    with duckdb.connect(str(settings.duckdb_file), read_only=True) as con:
        frame = con.execute(
            "select period, region_code, indicator, actual, unit from "
            "marts.fct_programme_progress where period <= ? and actual is not null",
            [up_to],
        ).df()
    frame = rounded_as_declared("fct_programme_progress", frame)
    return {(r.period, r.region_code, r.indicator): r.actual for r in frame.itertuples()}


def test_revision_after_resubmission(marts):
    publish(marts)
    area = area_of(marts.settings)
    v1 = {k: v for k, v in snapshot(area).items() if k.startswith(f"releases/{PERIOD}/v1/")}
    before, national_before = progress_figures(marts.settings), national_actuals(marts.settings)
    resubmission = marts.revise(PERIOD)
    after, national_after = progress_figures(marts.settings), national_actuals(marts.settings)
    # kcell withdrew a settlement it had connected in March: March's new fibre villages fall, nationally too.
    assert national_after["villages_fibre_new"] < national_before["villages_fibre_new"]
    changed = {key for key in after if after[key] != before.get(key)}
    assert {key[0] for key in changed} == {PERIOD} and (PERIOD, "KZ", "villages_fibre_new") in changed

    release, _ = publish(marts, notes="Kcell corrected its March fibre report")
    assert release["version"] == 2 and release["created"]
    # v1 untouched, byte for byte, and still readable.
    assert {k: v for k, v in snapshot(area).items() if k.startswith(f"releases/{PERIOD}/v1/")} == v1
    notes = json.loads(area.get_bytes(release["path"] + "revision_notes.json"))
    assert notes["previous"]["version"] == 1
    revised = {(r["period"], r["region_code"], r["indicator"]): (r["previous"], r["current"])
               for r in notes["revised_figures"]}
    assert set(revised) == changed
    for key in changed:
        assert revised[key] == pytest.approx((before[key], after[key])), key
    assert [(r["submitter"], r["period"], r["report_type"], r["sha256"]) for r in notes["resubmissions"]] == [
        (resubmission["submitter"], PERIOD, REVISED_REPORT, resubmission["sha256"])]
    assert notes["notes"] == "Kcell corrected its March fibre report"
    latest = json.loads(area.get_bytes("latest.json"))
    assert (latest["period"], latest["version"]) == (PERIOD, 2)
    html = area.get_bytes(release["path"] + "report.html").decode()
    assert 'data-indicator="villages_fibre_new" data-region="KZ"' in html


@pytest.mark.parametrize("kill_at", ["file csv/fct_programme_progress.csv", "file report.html", "manifest"])
def test_killed_publish_leaves_latest_on_the_previous_release(marts, kill_at):
    publish(marts)
    area = area_of(marts.settings)
    latest_before = area.get_bytes("latest.json")
    v1 = snapshot(area)
    marts.revise(PERIOD)

    class Killed(RuntimeError):
        pass

    def kill(step: str) -> None:
        if step == kill_at:
            raise Killed(step)

    with pytest.raises(Killed):
        publish(marts, on_step=kill)
    assert area.get_bytes("latest.json") == latest_before
    assert json.loads(area.get_bytes(f"latest/{PERIOD}.json"))["version"] == 1
    after = snapshot(area)
    assert {k: v for k, v in after.items() if k in v1} == v1
    leftovers = set(after) - set(v1)
    if kill_at == "manifest":
        # The manifest was written: v2 is a complete release, just not pointed at yet.
        assert f"releases/{PERIOD}/v2/manifest.json" in leftovers
    else:
        assert leftovers == set(), leftovers

    release, _ = publish(marts)
    assert release["version"] == 2
    assert json.loads(area.get_bytes("latest.json"))["version"] == 2
    assert_only_manifest_files(area)


def assert_only_manifest_files(area) -> None:
    listed = {"latest.json"} | {k for k in area.list("latest/")}
    for key in area.list("releases/"):
        if key.endswith("/manifest.json"):
            listed.add(key)
            listed |= {f["key"] for f in json.loads(area.get_bytes(key))["files"]}
    # The portal and its API (rebuilt after each release, outside the releases): its entry page leads
    # to a build that is complete.
    portal = {k for k in area.list("") if k == "index.html" or k.startswith(("site/", "api/"))}
    assert set(area.list("")) - portal == listed, set(area.list("")) - portal - listed
    if "index.html" in portal:
        build = re.search(
            r'href="(site/b[0-9a-f]+/)kk/index.html"', area.get_bytes("index.html").decode()
        ).group(1)
        assert f"{build}kk/index.html" in portal and f"{build}assets/portal.css" in portal


def test_next_period_and_back_revision_keep_latest_on_newest_period(marts):
    publish(marts, period="2026-02")
    area = area_of(marts.settings)
    march, _ = publish(marts, period="2026-03")
    notes = json.loads(area.get_bytes(march["path"] + "revision_notes.json"))
    assert notes["previous"]["period"] == "2026-02" and notes["new_periods"] == ["2026-03"]
    february = pq.read_table(pa.BufferReader(
        area.get_bytes("releases/2026-02/v1/parquet/fct_programme_progress.parquet")))
    assert set(february.column("period").to_pylist()) == {"2026-01", "2026-02"}

    marts.revise("2026-02")
    feb2, _ = publish(marts, period="2026-02")
    assert feb2["version"] == 2
    latest = json.loads(area.get_bytes("latest.json"))
    assert (latest["period"], latest["version"]) == ("2026-03", 1)
    assert latest["periods"]["2026-02"]["version"] == 2
    assert_only_manifest_files(area)


def test_published_files_hold_no_private_data(marts):
    import openpyxl

    publish(marts, period="2026-02")
    marts.revise("2026-03")
    publish(marts)
    area = area_of(marts.settings)
    assert_only_manifest_files(area)
    with duckdb.connect(str(marts.settings.duckdb_file), read_only=True) as con:
        private_values = {str(v) for (v,) in con.execute("select source_key from raw.submissions").fetchall()}
        private_values |= {str(v) for (v,) in con.execute("select submission_id from "
                                                          "raw.submissions").fetchall()}
    for key in area.list(""):
        data = area.get_bytes(key)
        texts = [data.decode("utf-8", errors="ignore")]
        if key.endswith(".parquet"):
            table = pq.read_table(pa.BufferReader(data))
            texts = [" ".join(table.column_names), table.to_pandas().to_csv()]
        elif key.endswith(".xlsx"):
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
            texts = [" ".join(str(c) for sheet in workbook for row in sheet.iter_rows(values_only=True)
                              for c in row if c is not None)]
        for text in texts:
            for name in LINEAGE_COLUMN_NAMES:
                assert not re.search(rf"\b{name}\b", text), f"{key} mentions {name}"
            for value in private_values:
                assert value not in text, f"{key} holds {value}"


def test_report_shows_the_headline_figures_of_the_marts(built):
    release, _ = publish(built)
    html = area_of(built.settings).get_bytes(release["path"] + "report.html").decode("utf-8")
    for external in ("<script src", "<link", "@import", "url(http", "<img"):
        assert external not in html
    targeted = national_actuals(built.settings, targeted_only=True)
    shown = dict(re.findall(r'data-indicator="(\w+)">\s*<h3>.*?data-value="([^"]+)"', html, flags=re.S))
    assert set(shown) == set(targeted)
    for indicator, value in targeted.items():
        assert float(shown[indicator]) == pytest.approx(value)


def test_cli_publish_refuses_marts_no_audit_passed(marts, monkeypatch):
    """The gate on the command line: March's revision was audited, then its candidate rows changed (as
    a rebuild on newer data would change them), so no audit passed on exactly these rows and `qamtu
    publish` refuses — exit 1, one sentence, nothing written. (Publishing through the CLI after a passed
    audit: tests/e2e/test_cli_gate.py and test_readme_commands.py.)"""
    from qamtu.cli import app
    from qamtu.settings import reload_settings
    from typer.testing import CliRunner

    with duckdb.connect(str(marts.settings.duckdb_file)) as con:
        con.execute("update marts_candidate.fct_programme_progress set actual = actual + 1 where period = ? "
                    "and region_code = 'KZ' and indicator = 'villages_fibre_new'", [PERIOD])
    monkeypatch.setenv("QAMTU_HOME", str(marts.home))
    monkeypatch.setenv("QAMTU_WAREHOUSE", "duckdb")
    monkeypatch.setenv("QAMTU_STORAGE", "local")
    reload_settings()
    try:
        result = CliRunner().invoke(app, ["publish", "--period", PERIOD])
    finally:
        monkeypatch.undo()
        reload_settings()
    assert result.exit_code == 1, result.output
    assert "Not published" in result.output and "changed since its audit" in result.output
    assert not (marts.home / "publication").exists()


# --- S3 (moto's server on loopback) --------------------------------------------------------------
@pytest.fixture()
def s3_marts(marts, s3_endpoint, monkeypatch, request):  # s3_endpoint: moto's server (tests/conftest.py)
    import boto3

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    bucket = "qamtu-pub-" + hashlib.sha1(request.node.name.encode()).hexdigest()[:10]
    marts.settings = marts.settings.model_copy(update={
        "storage": "s3", "s3_endpoint_url": s3_endpoint, "s3_access_key_id": "testing",
        "s3_secret_access_key": "testing", "bucket_publication": bucket})
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    client.create_bucket(Bucket=bucket)
    marts.s3 = client
    marts.bucket = bucket
    yield marts
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            client.delete_object(Bucket=bucket, Key=item["Key"])
    client.delete_bucket(Bucket=bucket)


def s3_objects(client, bucket) -> dict[str, bytes]:
    objects = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            objects[item["Key"]] = client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
    return objects


def test_publish_to_s3_revise_and_survive_a_kill(s3_marts):
    client, bucket = s3_marts.s3, s3_marts.bucket
    first, _ = publish(s3_marts)
    assert first["location"].startswith(f"s3://{bucket}/") or first["path"] in first["location"]
    objects = s3_objects(client, bucket)
    latest = json.loads(objects["latest.json"])
    manifest = json.loads(objects[latest["manifest"]])
    assert hashlib.sha256(objects[latest["manifest"]]).hexdigest() == latest["manifest_sha256"]
    for entry in manifest["files"]:
        assert hashlib.sha256(objects[entry["key"]]).hexdigest() == entry["sha256"]
    progress = pq.read_table(
        pa.BufferReader(objects[f"{first['path']}parquet/fct_programme_progress.parquet"])
    )
    same_rows(progress.to_pandas(), mart_frame(s3_marts.settings, "fct_programme_progress"))
    assert not (s3_marts.home / "publication").exists(), "S3 configured: nothing written to the local folder"

    figures_before = progress_figures(s3_marts.settings)
    s3_marts.revise(PERIOD)
    figures_after = progress_figures(s3_marts.settings)

    def kill(step: str) -> None:
        if step == "file datapackage.json":
            raise KeyboardInterrupt(step)

    with pytest.raises(KeyboardInterrupt):
        publish(s3_marts, on_step=kill)
    assert s3_objects(client, bucket) == objects, "a killed publish left the bucket as it was"

    second, _ = publish(s3_marts)
    assert second["version"] == 2
    after = s3_objects(client, bucket)
    assert {k: v for k, v in after.items() if k in objects and k.startswith("releases/")} == {
        k: v for k, v in objects.items() if k.startswith("releases/")}
    assert json.loads(after["latest.json"])["version"] == 2
    notes = json.loads(after[f"{second['path']}revision_notes.json"])
    assert {(r["period"], r["region_code"], r["indicator"]) for r in notes["revised_figures"]} == {
        key for key in figures_after if figures_after[key] != figures_before.get(key)}
    assert_only_manifest_files(area_of(s3_marts.settings))


def test_every_label_exists_in_the_three_languages_and_numbers_read_locally():
    from qamtu.publish.i18n import check_complete
    from qamtu.publish.report import format_number

    assert check_complete() == []
    assert format_number(1234567.25, "ru", decimals=1) == "1\u202f234\u202f567,2"
    assert format_number(1234567.25, "en", decimals=1) == "1,234,567.2"
    assert format_number(45.25, "kk", "percent") == "45,2\u00a0%"
    assert format_number(45.25, "en", "percent") == "45.2%"
    assert format_number(-3, "en") == "−3"
    assert format_number(None, "ru") == "—"
    assert format_number(2_500_000, "kk", "KZT") == "2\u202f500\u202f000\u00a0₸"


@pytest.mark.postgres
def test_publish_from_a_postgres_warehouse(marts, tmp_path):
    """The same marts, with the record of what they were built from, in PostgreSQL publish the same
    figures and name the same inputs as from DuckDB."""
    import uuid

    import psycopg2
    from qamtu.warehouse import connect

    database = f"qamtu_test_publish_{uuid.uuid4().hex[:8]}"
    pg_settings = marts.settings.model_copy(update={"warehouse": "postgres", "pg_database": database,
                                                    "home": tmp_path / "pg-home"})
    try:
        with (
            duckdb.connect(str(marts.settings.duckdb_file), read_only=True) as con,
            connect(pg_settings) as pg,
        ):
            tables = con.execute("select table_schema, table_name from information_schema.tables "
                                 "where table_schema in ('marts', 'raw', 'audit_log')").fetchall()
            for schema, table in tables:
                pg.replace_arrow(schema, table, con.sql(f"select * from {schema}.{table}").to_arrow_table())
        from_duckdb, _ = publish(marts)
        pg_marts = PipelineMarts.__new__(PipelineMarts)
        pg_marts.home, pg_marts.settings = pg_settings.home, pg_settings
        from_postgres, _ = publish(pg_marts)
        assert from_postgres["version"] == 1
        duck_area, pg_area = area_of(marts.settings), area_of(pg_settings)
        for name in mart_names(marts.settings):
            key = f"releases/{PERIOD}/v1/parquet/{name}.parquet"
            same_rows(pq.read_table(pa.BufferReader(pg_area.get_bytes(key))).to_pandas(),
                      pq.read_table(pa.BufferReader(duck_area.get_bytes(key))).to_pandas())
        assert (pg_area.get_bytes(f"releases/{PERIOD}/v1/sdmx/headline_indicators.csv")
                == duck_area.get_bytes(f"releases/{PERIOD}/v1/sdmx/headline_indicators.csv"))
        manifest = json.loads(pg_area.get_bytes(f"releases/{PERIOD}/v1/manifest.json"))
        assert [i["sha256"] for i in manifest["inputs"]] == [
            i["sha256"]
            for i in json.loads(duck_area.get_bytes(f"releases/{PERIOD}/v1/manifest.json"))["inputs"]
        ]
    finally:
        admin = psycopg2.connect(host=pg_settings.pg_host, port=pg_settings.pg_port, user=pg_settings.pg_user,
                                 dbname="postgres")
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute(f'drop database if exists "{database}" with (force)')
        admin.close()
