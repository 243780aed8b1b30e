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
import pytest

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
