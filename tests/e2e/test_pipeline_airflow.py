"""The whole pipeline THROUGH AIRFLOW, as `make run` runs it: generated submissions for two periods,
then reference_data → ingest_submissions → build_coverage_marts (Cosmos) → audit_and_publish with
``dag.test()`` on SQLite metadata (``scripts/run_through_airflow.py``, in its own process), and the
published headline figures compared with the generator's own truth (``truth/expected.json``).

- embedded default: DuckDB file, local folders;
- scale-out by configuration only: PostgreSQL warehouse + S3 (moto's server on loopback);
- a defect only the audit can see: audit fails, nothing published for that period, alert written;
  the clean resubmission then publishes.
"""

from __future__ import annotations

import io
import json
import math
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

REPO = Path(__file__).resolve().parents[2]
RUNNER = REPO / "scripts" / "run_through_airflow.py"
PERIODS = ["2026-01", "2026-02"]
SCALE = 0.01
SEED = 11
PIPELINE_DAGS = ("reference_data", "ingest_submissions", "build_coverage_marts", "audit_and_publish")

pytestmark = [pytest.mark.slow]


# --- helpers ---------------------------------------------------------------------------------------
def settings_env(settings) -> dict[str, str]:
    """The QAMTU_* environment that makes a fresh process build exactly ``settings``."""
    env = {}
    for name, value in settings.model_dump().items():
        if value is not None:
            env[f"QAMTU_{name.upper()}"] = str(value)
    return env


def run_pipeline(settings, *args: str, timeout: float = 1500) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QAMTU_", "AIRFLOW"))}
    env.update(settings_env(settings))
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        if name in os.environ:
            env[name] = os.environ[name]
    return subprocess.run([sys.executable, str(RUNNER), *args], env=env, capture_output=True, text=True,
                          timeout=timeout, cwd=settings.home)


def explain(done: subprocess.CompletedProcess) -> str:
    return f"exit {done.returncode}\n--- stdout ---\n{done.stdout[-6000:]}\n--- stderr ---\n{done.stderr[-6000:]}"


def dag_run_states(settings) -> dict[str, list[str]]:
    """Straight from Airflow's own metadata database: proof the runs went through Airflow."""
    with sqlite3.connect(Path(settings.home) / "airflow" / "airflow.db") as db:
        rows = db.execute("select dag_id, state from dag_run order by id").fetchall()
    states: dict[str, list[str]] = {}
    for dag_id, state in rows:
        states.setdefault(dag_id, []).append(state)
    return states


def latest_pointer(area, period: str) -> dict | None:
    key = f"latest/{period}.json"
    return json.loads(area.get_bytes(key)) if area.exists(key) else None


def published_progress(area, period: str) -> list[dict]:
    """The programme-progress table as officials download it from the period's latest release."""
    pointer = latest_pointer(area, period)
    manifest = json.loads(area.get_bytes(pointer["manifest"]))
    (entry,) = [f for f in manifest["files"] if f["name"] == "parquet/fct_programme_progress.parquet"]
    return pq.read_table(io.BytesIO(area.get_bytes(entry["key"]))).to_pylist()


def assert_figures_match(published: dict[str, float | None], truth: dict[str, float | None], where: str) -> None:
    assert set(published) == set(truth), where
    for code, expected in truth.items():
        actual = published[code]
        if expected is None:
            assert actual is None or (isinstance(actual, float) and math.isnan(actual)), (where, code, actual)
        else:
            assert actual == pytest.approx(expected, rel=1e-9, abs=1e-6), (where, code, actual, expected)


def assert_release_matches_truth(area, period: str, expected: dict) -> None:
    rows = [r for r in published_progress(area, period) if r["period"] == period]
    national = {r["indicator"]: r["actual"] for r in rows if r["region_code"] == "KZ"}
    assert_figures_match(national, expected["national"][period], f"{period} national")
    regions = expected["regions"][period]
    assert regions, "the truth has regional figures"
    for region, figures in regions.items():
        published = {r["indicator"]: r["actual"] for r in rows if r["region_code"] == region
                     and r["indicator"] in figures}
        assert_figures_match(published, figures, f"{period} region {region}")


def publication(settings):
    from qamtu.storage import open_area

    return open_area("publication", settings)


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


# --- a defect only the audit can see, then the clean resubmission ----------------------------------------
AUDIT_DEFECT = "households_passed_above_settlement"


def test_audit_failure_publishes_nothing_alerts_and_the_clean_resubmission_publishes(local_settings):
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
    assert states["build_coverage_marts"] == ["success"]
    assert states["audit_and_publish"] == ["failed"]
    area = publication(settings)
    # The clean month is published; the bad one is not.
    assert_release_matches_truth(area, PERIODS[0], expected)
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
    assert_release_matches_truth(area, bad_period, expected)
    assert latest_pointer(area, bad_period)["version"] == 1
    # The month published before is untouched: same files, same bytes, still v1.
    assert {o.key: area.sha256(o.key) for o in area.list(f"releases/{PERIODS[0]}/")} == first_release
    assert latest_pointer(area, PERIODS[0])["version"] == 1
    # Exactly one resubmission superseded the defective file.
    from qamtu.warehouse import connect

    with connect(settings) as warehouse:
        (superseded,) = warehouse.rows(
            "select count(*) from raw.submissions where period = ? and not is_current and superseded_by is not null",
            [bad_period])[0]
    assert superseded == 1
