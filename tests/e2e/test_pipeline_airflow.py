"""The whole pipeline THROUGH AIRFLOW, as `make run` runs it: generated submissions for two periods,
then reference_data → ingest_submissions → build_coverage_marts (Cosmos) → audit_and_publish with
``dag.test()`` on SQLite metadata (``scripts/run_through_airflow.py``, in its own process), and the
published headline figures compared with the generator's own truth (``truth/expected.json``).

- embedded default: DuckDB file, local folders;
- scale-out by configuration only: PostgreSQL warehouse + S3 (moto's server on loopback).

A defect only the audit can see: test_audit_failure_airflow.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from airflow_pipeline import (
    PERIODS,
    PIPELINE_DAGS,
    SCALE,
    SEED,
    assert_release_matches_truth,
    dag_run_states,
    explain,
    latest_pointer,
    publication,
    run_pipeline,
)

pytestmark = [pytest.mark.slow]


# --- embedded default --------------------------------------------------------------------------------
def test_two_periods_through_airflow_on_the_embedded_default(local_settings):
    settings = local_settings
    done = run_pipeline(settings, "--periods", ",".join(PERIODS), "--scale", str(SCALE), "--seed", str(SEED))
    assert done.returncode == 0, explain(done)

    # Every pipeline DAG ran once through Airflow and succeeded.
    states = dag_run_states(settings)
    assert {dag_id: states.get(dag_id) for dag_id in PIPELINE_DAGS} == {d: ["success"] for d in PIPELINE_DAGS}

    expected = json.loads((Path(settings.home) / "truth" / "expected.json").read_text())
    area = publication(settings)
    for period in PERIODS:
        pointer = latest_pointer(area, period)
        assert pointer and pointer["version"] == 1
        assert_release_matches_truth(area, period, expected)
        # The run ends by printing the release path, the headline figures and the report's path.
        release_dir = Path(settings.home) / "publication" / "releases" / period / "v1"
        assert f"{period}: release v1 at {release_dir}/" in done.stdout
        assert f"report: {release_dir / 'report.html'}" in done.stdout
        assert (release_dir / "report.html").stat().st_size > 10_000
        fibre_new = expected["national"][period]["villages_fibre_new"]
        assert any(line.split() == ["villages_fibre_new", f"{fibre_new:,}"] for line in done.stdout.splitlines())
    # The warehouse is the embedded DuckDB file, the areas are local folders.
    assert (Path(settings.home) / "warehouse.duckdb").stat().st_size > 0
    alerts = [json.loads(p.read_text()) for p in (Path(settings.home) / "alerts").glob("*.json")]
    assert [a for a in alerts if a["severity"] == "error"] == []


# --- PostgreSQL + S3 ------------------------------------------------------------------------------------
@pytest.mark.postgres
def test_two_periods_through_airflow_on_postgresql_and_s3(s3_settings, pg_database):
    settings = s3_settings.model_copy(update={"warehouse": "postgres", "pg_database": pg_database})
    done = run_pipeline(settings, "--periods", ",".join(PERIODS), "--scale", str(SCALE), "--seed", str(SEED))
    assert done.returncode == 0, explain(done)
    states = dag_run_states(settings)
    assert {dag_id: states.get(dag_id) for dag_id in PIPELINE_DAGS} == {d: ["success"] for d in PIPELINE_DAGS}

    expected = json.loads((Path(settings.home) / "truth" / "expected.json").read_text())
    area = publication(settings)
    for period in PERIODS:
        assert_release_matches_truth(area, period, expected)
        assert f"{period}: release v1 at s3://{settings.bucket_publication}/" in done.stdout
    # Nothing of the pipeline's state went to the local embedded stores.
    home = Path(settings.home)
    assert not (home / "warehouse.duckdb").exists()
    assert not (home / "publication").exists() and not (home / "archive").exists()
    # The marts live in the PostgreSQL database.
    import psycopg2

    with psycopg2.connect(host="127.0.0.1", user="postgres", dbname=pg_database) as pg, pg.cursor() as cur:
        cur.execute("select count(distinct period) from marts.fct_programme_progress")
        assert cur.fetchone() == (len(PERIODS),)
