"""What the end-to-end tests of the pipeline THROUGH AIRFLOW share: running
``scripts/run_through_airflow.py`` (the DAGs with ``dag.test()`` on SQLite metadata, in its own process)
under a test's settings, and comparing the published figures with the generator's truth."""

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
from release_precision import as_published

REPO = Path(__file__).resolve().parents[2]
RUNNER = REPO / "scripts" / "run_through_airflow.py"
PERIODS = ["2026-01", "2026-02"]
SCALE = 0.01
SEED = 11
PIPELINE_DAGS = ("reference_data", "ingest_submissions", "build_coverage_marts", "audit_and_publish")


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
    return (f"exit {done.returncode}\n--- stdout ---\n{done.stdout[-6000:]}\n"
            f"--- stderr ---\n{done.stderr[-6000:]}")


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


def assert_figures_match(
    published: dict[str, float | None], truth: dict[str, float | None], where: str
) -> None:
    assert set(published) == set(truth), where
    for code, expected in truth.items():
        actual = published[code]
        if expected is None:
            assert actual is None or (isinstance(actual, float) and math.isnan(actual)), (where, code, actual)
        else:
            assert actual == as_published(expected, code), (where, code, actual, expected)


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


# --- broken data that only a dbt test of error severity sees ------------------------------------------------
# One inspection's fine made hugely negative straight in the raw table (the submission contract rejects a
# negative fine at ingest, so no submitted file can carry it): the region's and the nation's Σ fines turn
# negative, which the marts' dbt test on fct_quality_enforcement.fines_kzt (≥ 0, error severity) fails on.
BROKEN_MODEL, BROKEN_COLUMN = "fct_quality_enforcement", "fines_kzt"


def break_fines_in_raw(settings, period: str) -> int:
    """Make one current inspection of ``period`` carry a fine of −1,000,000,000 KZT; how many rows changed."""
    from qamtu.warehouse import connect

    with connect(settings) as warehouse:
        ((submission_id, source_line),) = warehouse.rows(
            "select i.submission_id, i.source_line from raw.quality_inspections as i "
            "join raw.submissions as s using (submission_id) "
            "where i.period = ? and s.is_current order by i.submission_id, i.source_line limit 1", [period])
        warehouse.execute("update raw.quality_inspections set fine_kzt = -1000000000 "
                          "where submission_id = ? and source_line = ?", [submission_id, source_line])
        return warehouse.rows("select count(*) from raw.quality_inspections where fine_kzt < 0")[0][0]


def error_severity_tests_on(model: str, column: str) -> set[str]:
    """The names of the dbt tests of error severity on ``model.column``, read from the committed manifest."""
    from qamtu.orchestration.dbt import MANIFEST_PATH

    manifest = json.loads(MANIFEST_PATH.read_text(encoding="utf-8"))
    return {
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "test"
        and node.get("column_name") == column
        and node.get("attached_node") == f"model.{manifest['metadata'].get('project_name', 'qamtu')}.{model}"
        and str(node["config"].get("severity", "error")).lower() == "error"
    }


def task_states(settings, dag_id: str) -> dict[str, str]:
    """task id → state of the latest run of ``dag_id``, from Airflow's metadata database."""
    with sqlite3.connect(Path(settings.home) / "airflow" / "airflow.db") as db:
        rows = db.execute(
            "select ti.task_id, ti.state from task_instance as ti where ti.dag_id = ? and "
            "ti.run_id = (select run_id from dag_run where dag_id = ? order by id desc limit 1)",
            [dag_id, dag_id],
        ).fetchall()
    return dict(rows)


def audit_results(settings, period: str) -> dict:
    from qamtu.storage import open_area

    return json.loads(open_area("audit", settings).get_bytes(f"{period}/results.json"))
