"""Airflow for the DAG tests: a private AIRFLOW_HOME, set before anything imports airflow."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DAGS_FOLDER = REPO / "dags"

if "AIRFLOW_HOME" not in os.environ:
    os.environ["AIRFLOW_HOME"] = tempfile.mkdtemp(prefix="qamtu-airflow-dags-test-")
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(DAGS_FOLDER))
for name, value in {"DO_NOT_TRACK": "1", "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
                    "SCARF_ANALYTICS": "false"}.items():
    os.environ.setdefault(name, value)


def run_in_fresh_airflow(tmp_path: Path, dags: dict[str, str], dag_id: str, conf: dict | None = None,
                         env: dict[str, str] | None = None, timeout: float = 300):
    """Write ``dags`` (file name → source) to a folder and run ``dag_id`` with ``dag.test()`` in a new
    Python process with its own AIRFLOW_HOME (SQLite, migrated here). Returns the CompletedProcess;
    its stdout ends with ``RUN_STATE=<state>``."""
    import json
    import subprocess
    import sys

    folder = tmp_path / "dags"
    folder.mkdir(exist_ok=True)
    for name, source in dags.items():
        (folder / name).write_text(source, encoding="utf-8")
    process_env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "QAMTU_"))},
        "AIRFLOW_HOME": str(tmp_path / "airflow"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(folder),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "QAMTU_HOME": str(tmp_path / "qamtu"),
        **(env or {}),
    }
    airflow = Path(sys.executable).parent / "airflow"
    subprocess.run([str(airflow), "db", "migrate"], env=process_env, check=True,
                   capture_output=True, timeout=120)
    code = (
        "import json, sys\n"
        "from airflow.dag_processing.dagbag import DagBag\n"
        f"bag = DagBag(dag_folder={str(folder)!r})\n"
        "assert not bag.import_errors, bag.import_errors\n"
        f"run = bag.dags[{dag_id!r}].test(run_conf=json.loads({json.dumps(json.dumps(conf or {}))}))\n"
        "print('RUN_STATE=' + str(run.state))\n"
    )
    return subprocess.run([sys.executable, "-c", code], env=process_env, capture_output=True, text=True,
                          timeout=timeout)
