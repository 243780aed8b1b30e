"""The quality gate on generated submissions: every defect the generator injects (audit-stage ones, and
ingest-stage ones that leave an audit trace) is caught with the right expectation naming the right
region/operator/settlement/road and source file; a clean period passes every suite; the GX route and
the SQL route agree on every suite; a failed audit leaves the published marts and release untouched.

Expected places come from the generator's own truth (``truth/defects.json``), never from the audit.
One generated sample (two months, scale 0.01, every defect injected in the second month) serves the
module; tests that change the warehouse work on a copy of it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from qamtu.generate import DEFECTS, generate_submissions
from qamtu.pipeline import ingest, load_reference, run_period
from qamtu.quality import PromotionRefused, audit_warehouse, build_candidate, promote, run_audit
from qamtu.settings import Settings, reload_settings
from qamtu.warehouse import connect

# Builds whole pipelines or dbt projects (minutes): `make test` runs it; the daily `make check` does not.
pytestmark = pytest.mark.slow

PERIODS = ("2026-01", "2026-02")
CLEAN, DEFECTIVE = PERIODS
SEED = 11
# Ingest-stage defects that reject a whole expected file: the submitter's report is then missing for the
# period, which the completeness gate must catch.
WHOLE_FILE_DEFECTS = ("missing_required_column", "empty_file", "truncated_xlsx", "binary_junk_csv",
                      "wrong_encoding")
AUDIT_DEFECTS = tuple(name for name, d in DEFECTS.items() if d.stage == "audit")


def quiet(*_args, **_kwargs) -> None:
    return None


def _settings(home: Path) -> Settings:
    return Settings(home=home, warehouse="duckdb", storage="local")


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """Generate (every defect, in the second month), ingest, build the candidate, audit both months."""
    home = tmp_path_factory.mktemp("audit-sample") / "qamtu"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("QAMTU_HOME", str(home))
        reload_settings()
        settings = _settings(home)
        generate_submissions(out=home, periods=list(PERIODS), scale=0.01, seed=SEED, defects=list(DEFECTS))
        load_reference(settings, echo=quiet)
        ingest(settings)
        build_candidate(None, settings, echo=quiet)
        audits = {period: run_audit(period, settings=settings, echo=quiet) for period in PERIODS}
    reload_settings()
    defects = json.loads((home / "truth" / "defects.json").read_text(encoding="utf-8"))
    return {"home": home, "settings": settings, "audits": audits, "defects": defects}


def _defect(sample, name: str) -> dict:
    found = [d for d in sample["defects"] if d["name"] == name]
    assert len(found) == 1, f"{name} not injected exactly once: {found}"
    assert found[0]["period"] == DEFECTIVE
    return found[0]


def _submission_of(sample, landing_key: str) -> dict:
    with connect(sample["settings"]) as warehouse:
        rows = warehouse.rows("select submission_id, status, is_current from raw.submissions where "
                              "source_key = ?",
                              [landing_key])
    assert rows, f"no submission recorded for {landing_key}"
    return {"submission_id": rows[-1][0], "status": rows[-1][1], "is_current": rows[-1][2]}


def _critical(sample, rule: str) -> list[dict]:
    return [f for f in sample["audits"][DEFECTIVE]["failures"] if f["rule"] == rule]


def _lines(finding: dict) -> set[tuple[str, int]]:
    return {(s.get("source_key"), s["line"]) for s in finding["sources"] if s.get("line") is not None}


# --- clean period ----------------------------------------------------------------------------------
def test_clean_period_passes_every_suite(sample):
    result = sample["audits"][CLEAN]
    failed = [e["expectation"] for e in result["expectations"] if not e["success"] and e["suite"] != "build"]
    assert failed == []
    assert result["publishable"] is True
    assert not [f for f in result["failures"]]
    suites = {s["suite"] for s in result["suites"]}
    assert {"marts/fct_settlement_connectivity", "checks/speed_tests", "checks/region_totals"} <= suites
    speed = next(s for s in result["suites"] if s["suite"] == "checks/speed_tests")
    facts = json.loads((sample["home"] / "truth" / "facts.json").read_text(encoding="utf-8"))
    assert speed["route"] == "sql" and speed["rows"] == facts["periods"][CLEAN]["speed_tests"]["rows"]


def test_defective_period_is_not_publishable(sample):
    result = sample["audits"][DEFECTIVE]
    assert result["publishable"] is False
    assert result["counts"]["critical_failed"] >= 1


# --- each audit defect -----------------------------------------------------------------------------
def test_households_passed_above_settlement(sample):
    defect = _defect(sample, "households_passed_above_settlement")
    hits = [f for f in _critical(sample, defect["rule"]) if f["operator"] == defect["operator"]]
    assert [(f["region_code"], f["kato_code"]) for f in hits] == [
        (defect["region_code"], defect["kato_code"])
    ]
    assert (defect["file"], defect["line"]) in _lines(hits[0])
    assert hits[0]["limit"] == defect["details"]["settlement_households"]
    assert _submission_of(sample, defect["file"])["submission_id"] in hits[0]["submission_ids"]


def test_city_5g_area_above_city_area(sample):
    defect = _defect(sample, "city_5g_area_above_city_area")
    hits = [f for f in _critical(sample, defect["rule"]) if f["operator"] == defect["operator"]]
    assert {(f["region_code"], f["kato_code"]) for f in hits} == {
        (defect["region_code"], defect["kato_code"])
    }
    assert any((defect["file"], defect["line"]) in _lines(f) for f in hits)
    assert all(f["value"] > f["limit"] == defect["details"]["area_km2"] for f in hits)


@pytest.mark.parametrize("name", ["operator_akimat_disagree", "akimat_fibre_without_operator"])
def test_operator_akimat_disagreement_is_a_warning_not_a_stop(sample, name):
    """One disagreeing settlement in a region of hundreds: a warning naming it (a worklist item), not a
    critical finding — the region still agrees on ≥ 95 % (agreement_min_share)."""
    defect = _defect(sample, name)
    assert not [f for f in _critical(sample, defect["rule"]) if f["region_code"] == defect["region_code"]]
    warnings = [w for w in sample["audits"][DEFECTIVE]["warnings"]
                if w["rule"] == defect["rule"] and w["kato_code"] == defect["kato_code"]]
    assert warnings, f"{name} at {defect['kato_code']} not listed"
    assert {w["region_code"] for w in warnings} == {defect["region_code"]}
    assert defect["operator"] in {
        w["operator"] for w in warnings
    }  # None when no operator reports it connected
    assert all((defect["file"], defect["line"]) in _lines(w) for w in warnings)  # the akimat's row, named


@pytest.mark.parametrize("name", ["operator_akimat_disagree", "akimat_fibre_without_operator"])
def test_disagreement_blocks_below_the_regional_threshold(sample, name):
    """With the threshold at 100 % (every settlement must agree) the same disagreement is critical."""
    defect = _defect(sample, name)
    with connect(sample["settings"]) as warehouse:
        strict = audit_warehouse(warehouse, DEFECTIVE, parameters={"agreement_min_share": 100}, echo=quiet)
    hits = [
        f for f in strict["failures"] if f["rule"] == defect["rule"] and f["kato_code"] == defect["kato_code"]
    ]
    assert hits and {f["region_code"] for f in hits} == {defect["region_code"]}
    assert all((defect["file"], defect["line"]) in _lines(f) for f in hits)


def test_cumulative_drop(sample):
    defect = _defect(sample, "cumulative_drop")
    hits = [f for f in _critical(sample, defect["rule"]) if f["suite"] == "checks/fibre_cumulative"]
    assert {f["operator"] for f in hits} == {defect["operator"]}
    assert {f["kato_code"] for f in hits} == set(defect["details"]["left_out_kato_codes"])
    submission = _submission_of(sample, defect["file"])["submission_id"]
    assert all(submission in f["submission_ids"] for f in hits)


def test_covered_km_drop(sample):
    defect = _defect(sample, "covered_km_drop")
    hits = [f for f in _critical(sample, defect["rule"]) if f["suite"] == "checks/operator_road_km"]
    assert {f["operator"] for f in hits} == {defect["operator"]}
    roads = {road for road, _start, _end in defect["details"]["left_out_stretches"]}
    assert {f["road_code"] for f in hits} == roads
    # Leaving a stretch out lowers the operator's union on that road by at most the stretch's length.
    left_out_km = {road: 0.0 for road in roads}
    for road, start, end in defect["details"]["left_out_stretches"]:
        left_out_km[road] += end - start
    for finding in hits:
        assert 0 < finding["row"]["drop_km"] <= left_out_km[finding["road_code"]] + 1e-6


@pytest.mark.parametrize("name", ("missing_submission", *WHOLE_FILE_DEFECTS))
def test_missing_or_rejected_report_is_listed_not_blocking(sample, name):
    defect = _defect(sample, name)
    kind, submitter, _period, filename = defect["file"].split("/")
    report_type = filename.split(".")[0]
    assert not [f for f in _critical(sample, "submission_complete")]
    hits = [
        f
        for f in sample["audits"][DEFECTIVE]["warnings"]
        if f["rule"] == "submission_complete"
        and (f["submitter"], f["report_type"]) == (submitter, report_type)
    ]
    assert len(hits) == 1
    assert hits[0]["region_code"] == defect["region_code"]
    if name == "missing_submission":
        assert hits[0]["submission_ids"] == []
    else:
        rejected = _submission_of(sample, defect["file"])
        assert rejected["status"] == "rejected"
        assert rejected["submission_id"] in hits[0]["submission_ids"]


def test_missing_reports_withhold_or_flag_exactly_the_figures_they_feed(sample):
    """The completeness policy: every figure a missing/rejected report feeds is M (withheld, no value) in
    the areas its submitter reports for, P elsewhere or where the contract says flag; nothing else moves.
    Expected statuses from the injected defects and the contracts' x-completeness — not from the marts."""
    from qamtu.contracts import load_contract

    absent = {tuple(d["file"].split("/")[:2]) + (d["file"].split("/")[3].split(".")[0],)
              for d in sample["defects"] if d["name"] in ("missing_submission", *WHOLE_FILE_DEFECTS)}
    with connect(sample["settings"]) as warehouse:
        areas = [r[0] for r in warehouse.rows("select distinct region_code from "
                                              "marts_candidate.fct_programme_progress")]
        rows = warehouse.rows("select period, region_code, indicator, obs_status, actual from "
                              "marts_candidate.fct_programme_progress where obs_status <> 'A'")
    expected: dict[tuple[str, str], str] = {}
    for kind, submitter, report_type in absent:
        for indicator, policy in load_contract(report_type).completeness.items():
            for area in areas:
                if kind == "akimat" and area not in (submitter, "KZ"):
                    continue
                status = "M" if policy == "block" and (kind != "akimat" or area == submitter) else "P"
                key = (area, indicator)
                expected[key] = min(expected.get(key, status), status)  # M outranks P
    assert {(r[1], r[2]): r[3] for r in rows} == expected
    assert {r[0] for r in rows} <= {DEFECTIVE}
    assert all(r[4] is None for r in rows if r[3] == "M")


def test_every_audit_defect_is_covered_by_a_test_here():
    tested = {"households_passed_above_settlement", "city_5g_area_above_city_area",
              "operator_akimat_disagree",
              "akimat_fibre_without_operator", "cumulative_drop", "covered_km_drop", "missing_submission"}
    # The challenge answers' defects (warnings) are tested in test_claims.py on both warehouses.
    tested |= {"response_unknown_challenge", "response_after_deadline"}
    assert set(AUDIT_DEFECTS) == tested


def test_no_critical_finding_without_an_injected_cause(sample):
    """No false alarms: every critical finding of the defective month points at an injected defect."""
    defects = [d for d in sample["defects"] if d["name"] in AUDIT_DEFECTS + WHOLE_FILE_DEFECTS]
    katos = {d["kato_code"] for d in defects if d["kato_code"]}
    katos |= {k for d in defects for k in (d.get("details") or {}).get("left_out_kato_codes", [])}
    roads = {s[0] for d in defects for s in (d.get("details") or {}).get("left_out_stretches", [])}
    missing = {tuple(d["file"].split("/")[1:4:2]) for d in defects
               if d["name"] in ("missing_submission", *WHOLE_FILE_DEFECTS)}
    for finding in sample["audits"][DEFECTIVE]["failures"]:
        if finding["rule"] == "submission_complete":
            assert (finding["submitter"], f"{finding['report_type']}") in {
                (s, f.split(".")[0]) for s, f in missing
            }
        elif finding["road_code"]:
            assert finding["road_code"] in roads, finding["message"]
        else:
            assert finding["kato_code"] in katos, finding["message"]


# --- outputs ---------------------------------------------------------------------------------------
def test_results_and_report_are_written_under_the_period(sample):
    result = sample["audits"][DEFECTIVE]
    audit_dir = sample["home"] / "audit" / DEFECTIVE
    stored = json.loads((audit_dir / "results.json").read_text(encoding="utf-8"))
    assert stored["publishable"] is False
    assert [f["expectation"] for f in stored["failures"]] == [f["expectation"] for f in result["failures"]]
    assert (sample["home"] / "audit" / result["results_key"]).read_bytes() == (
        audit_dir / "results.json"
    ).read_bytes()
    html = (audit_dir / "report.html").read_text(encoding="utf-8")
    assert "NOT publishable" in html and "<script" not in html and "src=\"http" not in html
    for name in ("households_passed_above_settlement", "operator_akimat_disagree",
                 "city_5g_area_above_city_area"):
        defect = _defect(sample, name)
        assert defect["kato_code"] in html and defect["file"] in html
    for finding in result["failures"]:
        for key in ("expectation", "severity", "figure", "value", "region_code", "operator", "kato_code",
                    "submission_ids", "message"):
            assert key in finding


def test_gx_and_sql_routes_agree_on_every_suite(sample):
    def verdicts(result):
        return {e["expectation"]: (e["success"], e["unexpected"]) for e in result["expectations"]}

    def flagged(result):
        return {
            (f["expectation"], json.dumps(f["row"], sort_keys=True, default=str))
            for f in result["failures"] + result["warnings"]
        }

    with connect(sample["settings"]) as warehouse:
        for period in PERIODS:
            by_gx = audit_warehouse(warehouse, period, route="gx", echo=quiet)
            by_sql = audit_warehouse(warehouse, period, route="sql", echo=quiet)
            assert verdicts(by_gx) == verdicts(by_sql)
            assert {s["suite"]: s["rows"] for s in by_gx["suites"]} == {
                s["suite"]: s["rows"] for s in by_sql["suites"]
            }
            assert flagged(by_gx) == flagged(by_sql)
            assert by_gx["publishable"] == by_sql["publishable"] == (period == CLEAN)


def test_cli_exit_codes(sample, monkeypatch):
    from qamtu.cli import app
    from typer.testing import CliRunner

    monkeypatch.setenv("QAMTU_HOME", str(sample["home"]))
    reload_settings()
    try:
        runner = CliRunner()
        clean = runner.invoke(app, ["audit", "--period", CLEAN])
        defective = runner.invoke(app, ["audit", "--period", DEFECTIVE])
        wrong = runner.invoke(app, ["audit", "--period", "2026-13"])
    finally:
        monkeypatch.undo()
        reload_settings()
    assert clean.exit_code == 0, clean.output
    assert defective.exit_code == 1, defective.output
    assert wrong.exit_code == 2
    assert str(sample["home"] / "audit" / DEFECTIVE / "report.html") in defective.stdout


# --- write–audit–publish ---------------------------------------------------------------------------
def _copy(sample, tmp_path: Path) -> Settings:
    home = tmp_path / "qamtu"
    shutil.copytree(sample["home"], home)
    return _settings(home)


def _marts_content(settings: Settings) -> dict[str, list[tuple]]:
    with connect(settings) as warehouse:
        tables = [r[0] for r in warehouse.rows(
            "select table_name from information_schema.tables where table_schema = 'marts' order by 1")]
        return {t: sorted(warehouse.rows(f'select * from marts."{t}"'), key=repr) for t in tables}


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_failed_audit_leaves_published_marts_and_release_untouched(sample, tmp_path, monkeypatch):
    from qamtu.publish import publish_release

    settings = _copy(sample, tmp_path)
    monkeypatch.setenv("QAMTU_HOME", str(settings.home))
    reload_settings()
    assert run_audit(CLEAN, settings=settings, echo=quiet)["publishable"]
    assert promote(settings, echo=quiet)["periods"] == [CLEAN]
    publish_release(CLEAN, settings=settings, echo=quiet)
    marts_before = _marts_content(settings)
    release_before = _files(settings.home / "publication")
    assert marts_before["fct_region_coverage"] and {r[0] for r in marts_before["fct_region_coverage"]} == {
        CLEAN
    }

    # The defective month through the pipeline's own steps: build → audit → (refused) promote/publish.
    outcome = run_period(DEFECTIVE, settings, echo=quiet)
    assert outcome["published"] is False and outcome["audit"]["publishable"] is False
    with pytest.raises(PromotionRefused, match="failed"):
        promote(settings, period=DEFECTIVE, echo=quiet)
    assert promote(settings, echo=quiet)["periods"] == []
    reload_settings()
    assert _marts_content(settings) == marts_before
    assert _files(settings.home / "publication") == release_before


def test_promote_refuses_a_candidate_changed_after_its_audit(sample, tmp_path):
    settings = _copy(sample, tmp_path)
    assert run_audit(CLEAN, settings=settings, echo=quiet)["publishable"]
    with connect(settings) as warehouse:
        # A figure that no longer equals the sum over its settlements.
        warehouse.execute("update marts_candidate.fct_region_coverage set population = population + 1 "
                          "where period = ? and region_code = '10'", [CLEAN])
    with pytest.raises(PromotionRefused, match="changed since its audit"):
        promote(settings, period=CLEAN, echo=quiet)
    again = run_audit(CLEAN, settings=settings, echo=quiet)
    assert again["publishable"] is False
    totals = [f for f in again["failures"] if f["rule"] == "region_totals_equal_sum_of_parts"]
    assert {(f["region_code"], f["figure"], f["value"] - f["row"]["sum_of_parts"]) for f in totals} == {
        ("10", "population", 1.0), ("KZ", "population", -1.0)}
    with connect(settings) as warehouse:
        assert not warehouse.table_exists("marts", "fct_region_coverage")


def test_promotion_failing_half_way_changes_nothing(sample, tmp_path):
    """DuckDB: a promotion that fails on its last table (text into an integer column) rolls back the
    tables it had already copied."""
    import duckdb

    settings = _copy(sample, tmp_path)
    assert run_audit(CLEAN, settings=settings, echo=quiet)["publishable"]
    assert promote(settings, echo=quiet)["periods"] == [CLEAN]
    with connect(settings) as warehouse:
        warehouse.execute("create table marts_candidate.zz_probe (period text, figure text)")
        warehouse.execute("insert into marts_candidate.zz_probe values (?, 'not a number')", [CLEAN])
        warehouse.execute("create table marts.zz_probe (period text, figure integer)")
        warehouse.execute("insert into marts.zz_probe values (?, 7)", [CLEAN])
    published = _marts_content(settings)
    assert run_audit(CLEAN, settings=settings, echo=quiet, write=False)["publishable"]
    with pytest.raises(duckdb.Error):
        promote(settings, period=CLEAN, echo=quiet)
    assert _marts_content(settings) == published


def test_overlaps_counted_twice_are_caught(sample, tmp_path):
    """A road whose covered km in the candidate is the plain sum of its stretches (overlaps counted twice)."""
    settings = _copy(sample, tmp_path)
    with connect(settings) as warehouse:
        # A road where operators' stretches overlap, worked out from the raw stretches of the period.
        road, reported = warehouse.rows(
            "select road_code, sum(km_to - km_from) from raw.road_coverage where period = ? "
            "and submission_id in (select submission_id from raw.submissions where is_current) "
            "group by road_code having count(distinct submitter) > 1 order by 2 desc limit 1", [CLEAN])[0]
        covered = warehouse.scalar("select covered_km from marts_candidate.fct_road_coverage "
                                   "where period = ? and road_code = ?", [CLEAN, road])
        assert covered < reported - 1
        warehouse.execute("update marts_candidate.fct_road_coverage set covered_km = ? "
                          "where period = ? and road_code = ?", [reported + 5, CLEAN, road])
    result = run_audit(CLEAN, settings=settings, echo=quiet, write=False)
    overlap = [f for f in result["failures"] if f["rule"] == "overlaps_counted_once"]
    assert [(f["road_code"], f["value"]) for f in overlap] == [(road, pytest.approx(reported + 5))]
    totals = [f for f in result["failures"] if f["rule"] == "region_totals_equal_sum_of_parts"]
    assert [(f["region_code"], f["figure"]) for f in totals] == [("KZ", "road_km_covered")]


def test_results_and_report_land_in_the_audit_area_on_s3(sample, tmp_path, s3_settings, s3_endpoint):
    """Storage on S3 (moto's server): the results and the report are objects under audit/<YYYY-MM>/ of the
    private archive bucket; nothing is written to the local audit folder."""
    from s3_helpers import s3_client

    local = _copy(sample, tmp_path / "copy")
    shutil.rmtree(local.home / "audit")
    settings = s3_settings.model_copy(update={"home": local.home})
    result = run_audit(DEFECTIVE, settings=settings, echo=quiet)
    assert result["publishable"] is False
    client = s3_client(s3_endpoint)
    keys = {
        o["Key"] for o in client.list_objects_v2(Bucket=settings.bucket_archive, Prefix="audit/")["Contents"]
    }
    assert {f"audit/{DEFECTIVE}/results.json", f"audit/{DEFECTIVE}/report.html",
            f"audit/{result['results_key']}", f"audit/{result['report_key']}"} <= keys
    body = client.get_object(Bucket=settings.bucket_archive, Key=f"audit/{DEFECTIVE}/results.json")[
        "Body"
    ].read()
    assert json.loads(body)["audit_id"] == result["audit_id"]
    assert result["report_path"].startswith(f"s3://{settings.bucket_archive}/audit/")
    assert not (local.home / "audit").exists()


def test_a_broken_candidate_build_blocks_the_period(sample, tmp_path):
    """A logged build that errored a model blocks publication (its tables may be stale) and a failed dbt data
    test is reported; a log that no longer describes the candidate's rows is not trusted."""
    from qamtu.quality.candidate import record_build

    settings = _copy(sample, tmp_path)
    summary = {"success": False, "period": None, "failures": ["FAIL some_dbt_test (3 rows)"],
               "models": [{"name": "fct_region_coverage", "status": "success"},
                          {"name": "fct_programme_progress", "status": "error"},
                          {"name": "fct_city_5g_coverage", "status": "skipped"}]}
    with connect(settings) as warehouse:
        record_build(warehouse, summary)
    result = run_audit(CLEAN, settings=settings, echo=quiet, write=False)
    assert result["publishable"] is False
    built = [f for f in result["failures"] if f["rule"] == "candidate_built"]
    assert len(built) == 1 and built[0]["value"] == 2
    assert (
        "fct_programme_progress (error)" in built[0]["message"]
        and "fct_city_5g_coverage" in built[0]["message"]
    )
    assert [w["value"] for w in result["warnings"] if w["rule"] == "dbt_data_test"] == summary["failures"]

    with connect(settings) as warehouse:  # the candidate changed since (rebuilt by other means): stale log
        warehouse.execute("update marts_candidate.dim_road set road_name = road_name || ' ' "
                          "where road_code = (select min(road_code) from marts_candidate.dim_road)")
    again = run_audit(CLEAN, settings=settings, echo=quiet, write=False)
    assert again["build"] is None
    assert again["publishable"] is True
