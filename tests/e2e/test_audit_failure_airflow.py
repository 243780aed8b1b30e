"""The whole pipeline THROUGH AIRFLOW on the embedded default (DuckDB file, local folders), as `make
run` runs it: two generated months, a defect only the audit can see in the second. The first month
is published with the generator's truth; the audit of the second fails, nothing is published for it,
one alert is written; the operator's clean resubmission then runs every DAG again and publishes, and
the month published before is untouched. (PostgreSQL + S3 through Airflow: test_pipeline_airflow.py.)

And one policy for dbt tests on both paths: data that fails a dbt test of error severity blocks the
candidate through Airflow exactly as it does in process (`qamtu build → audit`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from airflow_pipeline import (
    BROKEN_COLUMN,
    BROKEN_MODEL,
    PERIODS,
    PIPELINE_DAGS,
    SCALE,
    SEED,
    assert_release_matches_truth,
    audit_results,
    break_fines_in_raw,
    dag_run_states,
    error_severity_tests_on,
    explain,
    latest_pointer,
    publication,
    run_pipeline,
    task_states,
)

pytestmark = [pytest.mark.slow]


# --- a defect only the audit can see, then the clean resubmission ----------------------------------------
AUDIT_DEFECT = "households_passed_above_settlement"


def test_two_months_through_airflow_an_audit_failure_and_the_clean_resubmission(local_settings):
    from qamtu.generate import DEFECTS, generate_submissions

    settings = local_settings
    home = Path(settings.home)
    defect = DEFECTS[AUDIT_DEFECT]
    assert defect.stage == "audit" and not defect.alters_expected
    bad_period = PERIODS[-1]

    done = run_pipeline(settings, "--periods", ",".join(PERIODS), "--scale", str(SCALE), "--seed", str(SEED),
                        "--defects", f"{AUDIT_DEFECT}@{bad_period}")
    assert done.returncode == 1, explain(done)
    expected = json.loads((home / "truth" / "expected.json").read_text())
    (injected,) = [d for d in json.loads((home / "truth" / "defects.json").read_text())
                   if d["name"] == AUDIT_DEFECT]

    states = dag_run_states(settings)
    assert {dag_id: states.get(dag_id) for dag_id in PIPELINE_DAGS} == {
        "reference_data": ["success"], "ingest_submissions": ["success"], "build_coverage_marts": ["success"],
        "audit_and_publish": ["failed"]}
    area = publication(settings)
    # The clean month is published with the truth's figures, and the run says where; the bad one is not.
    assert_release_matches_truth(area, PERIODS[0], expected)
    assert_run_printed_release(done.stdout, home, PERIODS[0], expected)
    assert latest_pointer(area, bad_period) is None
    assert not area.list(f"releases/{bad_period}/")
    assert f"{bad_period}: NOT published" in done.stdout
    first_release = {o.key: area.sha256(o.key) for o in area.list(f"releases/{PERIODS[0]}/")}

    # The alert: written once, for that period, naming the failed check and the report.
    alerts = [json.loads(p.read_text()) for p in sorted((home / "alerts").glob("*.json"))]
    audit_alerts = [a for a in alerts if a["kind"] == "audit_failed"]
    assert len(audit_alerts) == 1, alerts
    alert = audit_alerts[0]
    assert alert["period"] == bad_period and alert["dag_id"] == "audit_and_publish"
    assert defect.rule in alert["error"]
    assert any(defect.rule in json.dumps(f) for f in alert["details"]["failures"])
    # ... and nothing else failed (the audit task's own failure callback does not repeat it).
    assert [a["kind"] for a in alerts if a["severity"] == "error"] == ["audit_failed"]
    assert injected["period"] == bad_period

    # The operator sends a corrected file: the same month generated clean lands again.
    generate_submissions(out=home, periods=[bad_period], scale=SCALE, seed=SEED)
    again = run_pipeline(settings, "--no-generate", "--periods", ",".join(PERIODS))
    assert again.returncode == 0, explain(again)
    # Every DAG ran again through Airflow and succeeded.
    assert {dag_id: dag_run_states(settings)[dag_id][-1] for dag_id in PIPELINE_DAGS} == {
        dag_id: "success" for dag_id in PIPELINE_DAGS}
    assert_release_matches_truth(area, bad_period, expected)
    assert_run_printed_release(again.stdout, home, bad_period, expected)
    assert latest_pointer(area, bad_period)["version"] == 1
    # The month published before is untouched: same files, same bytes, still v1.
    assert {o.key: area.sha256(o.key) for o in area.list(f"releases/{PERIODS[0]}/")} == first_release
    assert latest_pointer(area, PERIODS[0])["version"] == 1
    # Exactly one resubmission superseded the defective file.
    from qamtu.warehouse import connect

    with connect(settings) as warehouse:
        (superseded,) = warehouse.rows(
            "select count(*) from raw.submissions where period = ? and not is_current and superseded_by is "
            "not null",
            [bad_period])[0]
    assert superseded == 1
    # The warehouse is the embedded DuckDB file; the one error alert was the audit's.
    assert (home / "warehouse.duckdb").stat().st_size > 0
    alerts = [json.loads(p.read_text()) for p in sorted((home / "alerts").glob("*.json"))]
    assert [a["kind"] for a in alerts if a["severity"] == "error"] == ["audit_failed"]


def assert_run_printed_release(stdout: str, home: Path, period: str, expected: dict) -> None:
    """The run ends by printing the release's path, its headline figures and the report's path."""
    release_dir = home / "publication" / "releases" / period / "v1"
    assert f"{period}: release v1 at {release_dir}/" in stdout
    assert f"report: {release_dir / 'report.html'}" in stdout
    assert (release_dir / "report.html").stat().st_size > 10_000
    fibre_new = expected["national"][period]["villages_fibre_new"]
    assert any(line.split() == ["villages_fibre_new", f"{fibre_new:,}"] for line in stdout.splitlines())


# --- a dbt test of error severity fails: the same verdict through Airflow as in process ---------------------
def _dbt_test_findings(results: dict) -> dict[str, list[str]]:
    """severity → the messages of the audit's findings on dbt data tests."""
    findings: dict[str, list[str]] = {}
    for severity, key in (("critical", "failures"), ("warning", "warnings")):
        findings[severity] = sorted(f["message"] for f in results[key] if f.get("rule") == "dbt_data_test")
    return findings


def test_an_error_severity_dbt_test_failure_blocks_the_candidate_through_airflow_as_in_process(
    local_settings,
):
    import shutil

    from qamtu import pipeline
    from qamtu.quality import PromotionRefused
    from qamtu.settings import Settings

    settings = local_settings
    home = Path(settings.home)
    period = PERIODS[0]
    (broken_test,) = error_severity_tests_on(BROKEN_MODEL, BROKEN_COLUMN)

    # Land and ingest a clean month (in process: both paths then read the same raw rows), then break it
    # where only dbt's test looks.
    pipeline.generate_sample([period], SCALE, SEED, settings, echo=lambda *_: None)
    pipeline.ingest(settings)
    assert break_fines_in_raw(settings, period) == 1
    # The same broken warehouse and landing, for the in-process path (its own home).
    in_process = Settings(home=home.parent / f"{home.name}-in-process", warehouse="duckdb", storage="local")
    shutil.copytree(home, in_process.home, ignore=shutil.ignore_patterns("airflow"))

    # Through Airflow: the build runs and is logged, the audit fails on the dbt test, nothing is published.
    done = run_pipeline(settings, "--no-generate", "--period", period)
    assert done.returncode == 1, explain(done)
    assert dag_run_states(settings)["build_coverage_marts"] == ["success"]
    assert dag_run_states(settings)["audit_and_publish"] == ["failed"]
    build_tasks = task_states(settings, "build_coverage_marts")
    # Airflow shows it: the one dbt build failed (on the test), every model built, the build was announced.
    assert build_tasks["dbt.dbt_producer_watcher"] == "failed"
    models = {t: s for t, s in build_tasks.items() if t.endswith("_run")}
    assert f"dbt.{BROKEN_MODEL}_run" in models and set(models.values()) == {"success"}
    assert build_tasks["candidate_ready"] == "success"
    through_airflow = audit_results(settings, period)
    assert through_airflow["publishable"] is False
    # The build log names the test as `qamtu build` does ("FAIL <test> (<n> rows)"), and only that one.
    assert [line.split()[:2] for line in through_airflow["build"]["test_errors"]] == [["FAIL", broken_test]]
    findings = _dbt_test_findings(through_airflow)
    assert any(broken_test in message for message in findings["critical"]), findings
    area = publication(settings)
    assert latest_pointer(area, period) is None and not area.list(f"releases/{period}/")
    assert f"{period}: NOT published" in done.stdout

    # In process, on the same data: the same verdict, the same findings on dbt tests.
    pipeline.build(period, in_process, echo=lambda *_: None)
    in_process_results = pipeline.audit(period, in_process, echo=lambda *_: None)
    assert in_process_results["publishable"] is False
    assert in_process_results["build"]["test_errors"] == through_airflow["build"]["test_errors"]
    assert _dbt_test_findings(in_process_results) == findings
    with pytest.raises(PromotionRefused):
        pipeline.publish(period, in_process, echo=lambda *_: None)
    assert latest_pointer(publication(in_process), period) is None
    shutil.rmtree(in_process.home, ignore_errors=True)
