"""The whole pipeline THROUGH AIRFLOW, as `make run` runs it, scaled out by configuration only: a
PostgreSQL warehouse and S3 (moto's server on loopback). Generated submissions for two periods, then
reference_data → ingest_submissions → build_coverage_marts (Cosmos) → audit_and_publish with
``dag.test()`` on SQLite metadata (``scripts/run_through_airflow.py``, in its own process), and the
published headline figures compared with the generator's own truth (``truth/expected.json``).

The embedded default (DuckDB file, local folders), with a defect only the audit can see and its
clean resubmission: test_audit_failure_airflow.py.
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
    publication,
    run_pipeline,
)

pytestmark = [pytest.mark.slow]


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
