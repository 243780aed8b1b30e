"""The ingest_submissions DAG, run for real with ``dag.test()`` on a private AIRFLOW_HOME (SQLite
metadata, migrated here) in its own process: rows land in raw, and an Asset event is emitted for each
report type that received data — and only for those — naming the periods it touched."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

# Runs the ingest DAG under Airflow's dag.test() (a minute or more): `make test` runs it; the daily
# `make check` does not.
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "submissions"


@pytest.fixture()
def airflow_env(tmp_path):
    dags = tmp_path / "dags"
    dags.mkdir()
    shutil.copyfile(REPO / "dags" / "ingest_submissions.py", dags / "ingest_submissions.py")
    home = tmp_path / "qamtu"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "QAMTU_"))},
        "AIRFLOW_HOME": str(tmp_path / "airflow"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "QAMTU_HOME": str(home),
        "DO_NOT_TRACK": "1",
        "SCARF_ANALYTICS": "false",
    }
    airflow = Path(sys.executable).parent / "airflow"
    subprocess.run([str(airflow), "db", "migrate"], env=env, check=True, capture_output=True, timeout=300)
    return env, dags, home, tmp_path / "airflow" / "airflow.db"


def run_dag(env: dict, dags: Path) -> subprocess.CompletedProcess:
    code = (
        "from airflow.dag_processing.dagbag import DagBag\n"
        f"bag = DagBag(dag_folder={str(dags)!r})\n"
        "assert not bag.import_errors, bag.import_errors\n"
        "run = bag.dags['ingest_submissions'].test()\n"
        "print('RUN_STATE=' + str(run.state))\n"
    )
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600)


def test_dag_ingests_and_emits_one_asset_per_report_type_with_data(airflow_env):
    env, dags, home, metadata = airflow_env
    landing = home / "landing"
    for key in ("operator/kcell/2026-03/settlement_fiber.csv", "akimat/19/2026-03/quality_inspections.csv"):
        (landing / key).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(FIXTURES / "good" / key, landing / key)
    (landing / "akimat/23/2026-03").mkdir(parents=True)
    (landing / "akimat/23/2026-03/pole_access.csv").write_bytes(b"")  # rejected: no event for pole_access

    result = run_dag(env, dags)
    assert "RUN_STATE=success" in result.stdout, result.stdout[-3000:] + result.stderr[-3000:]

    import duckdb

    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from raw.settlement_fiber").fetchall() == [(4,)]
        assert con.execute("select count(*) from raw.quality_inspections").fetchall() == [(3,)]
        assert con.execute("select source_key, status from raw.submissions order by 1").fetchall() == [
            ("akimat/19/2026-03/quality_inspections.csv", "accepted"),
            ("akimat/23/2026-03/pole_access.csv", "rejected"),
            ("operator/kcell/2026-03/settlement_fiber.csv", "accepted")]
    assert (home / "receipts/akimat/23/2026-03").is_dir()

    with sqlite3.connect(metadata) as db:
        events = db.execute("select a.uri, e.extra from asset_event e join asset a on a.id = e.asset_id "
                            "order by a.uri").fetchall()
        states = dict(db.execute("select task_id, state from task_instance where dag_id = "
                                 "'ingest_submissions'"))
    assert [(uri, json.loads(extra)) for uri, extra in events] == [
        ("qamtu://raw/quality_inspections", {"periods": ["2026-03"], "rows_loaded": 3, "submissions": 1}),
        ("qamtu://raw/settlement_fiber", {"periods": ["2026-03"], "rows_loaded": 4, "submissions": 1}),
    ]
    assert states["ingest"] == "success"
    assert states["emit_settlement_fiber"] == states["emit_quality_inspections"] == "success"
    assert states["emit_pole_access"] == states["emit_speed_tests"] == "skipped"

    # Nothing new: the next run succeeds, emits nothing more.
    again = run_dag(env, dags)
    assert "RUN_STATE=success" in again.stdout, again.stdout[-3000:] + again.stderr[-3000:]
    with sqlite3.connect(metadata) as db:
        assert db.execute("select count(*) from asset_event").fetchone() == (2,)
