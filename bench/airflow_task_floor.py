"""Airflow's own per-task floor under ``dag.test()``: a DAG of N chained no-op TaskFlow tasks on SQLite
metadata, loaded through a DagBag as scripts/run_through_airflow.py loads dags/.
``python bench/airflow_task_floor.py 62``
(the quiet-machine figures in docs/benchmarks.md: 62 tasks 20.0 s, 1 task 11.3 s). It separates what any
Airflow task costs from what the Cosmos dbt tasks add (bench/bench_airflow.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

DAG_FILE = '''
import datetime as dt
from airflow.sdk import dag, task

@dag(dag_id="noop", schedule=None, start_date=dt.datetime(2026, 1, 1, tzinfo=dt.UTC), catchup=False)
def noop():
    previous = None
    for i in range({tasks}):
        @task(task_id=f"t{{i}}")
        def step():
            return None
        current = step()
        if previous is not None:
            previous >> current
        previous = current

noop()
'''


def main() -> None:
    tasks = int(sys.argv[1]) if len(sys.argv) > 1 else 62
    home, folder = tempfile.mkdtemp(prefix="af-noop-"), tempfile.mkdtemp(prefix="af-noop-dags-")
    os.environ.update({
        "AIRFLOW_HOME": home, "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False", "AIRFLOW__CORE__DAGS_FOLDER": folder,
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False", "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
    })
    subprocess.run([os.path.join(os.path.dirname(sys.executable), "airflow"), "db", "migrate"], check=True,
                   capture_output=True)
    with open(os.path.join(folder, "noop.py"), "w", encoding="utf-8") as handle:
        handle.write(DAG_FILE.format(tasks=tasks))
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=folder)
    started = time.perf_counter()
    run = bag.dags["noop"].test()
    print(f"{tasks} no-op tasks under dag.test(): {time.perf_counter() - started:.1f} s, state {run.state}; "
          f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
