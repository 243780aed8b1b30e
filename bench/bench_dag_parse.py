"""How long Airflow takes to parse dags/ — the cost every dag-processor loop and every task start pays.

Each repetition runs in a fresh Python process (cold imports, as a new dag-processor child or a
Celery task process sees them) and measures, in that process:

- baseline: ``import airflow.sdk`` alone (what any DAG file costs before its own code);
- folder:   ``DagBag(dags/)`` right after, i.e. parsing every DAG file of the project, Cosmos
            rendering the dbt models from the committed manifest included;
- per file: Airflow's own ``dagbag_stats``.

    .venv/bin/python bench/bench_dag_parse.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

PROBE = r"""
import json, time
t0 = time.perf_counter()
import airflow.sdk  # noqa: F401
t1 = time.perf_counter()
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=DAGS)
t2 = time.perf_counter()
print("RESULT " + json.dumps({
    "baseline_import_s": t1 - t0,
    "folder_parse_s": t2 - t1,
    "dags": len(bag.dag_ids),
    "tasks": sum(len(d.tasks) for d in bag.dags.values()),
    "errors": {k: v[-300:] for k, v in bag.import_errors.items()},
    "files": {s.file.rsplit("/", 1)[-1]: s.duration.total_seconds() for s in bag.dagbag_stats},
}))
"""


def once(env: dict[str, str]) -> dict:
    code = f"DAGS = {str(REPO / 'dags')!r}\n" + PROBE
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    line = next(li for li in done.stdout.splitlines() if li.startswith("RESULT "))
    return json.loads(line.removeprefix("RESULT "))


def main() -> None:
    parser = argparse.ArgumentParser(description="Parse time of dags/")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="qamtu-bench-parse-") as home:
        env = {**os.environ, "AIRFLOW_HOME": home, "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
               "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"), "DO_NOT_TRACK": "1",
               "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False", "QAMTU_HOME": home}
        once(env)  # warm the OS file cache and .pyc files; not counted
        runs = [once(env) for _ in range(args.repeat)]
    if runs[0]["errors"]:
        print("import errors:", json.dumps(runs[0]["errors"], indent=2))
    base = [r["baseline_import_s"] for r in runs]
    folder = [r["folder_parse_s"] for r in runs]
    print(f"dags/: {runs[0]['dags']} DAGs, {runs[0]['tasks']} tasks; {args.repeat} cold processes")
    print(f"  baseline  import airflow.sdk        median {statistics.median(base):.3f} s  "
          f"(min {min(base):.3f}, max {max(base):.3f})")
    print(f"  dags/     DagBag(dags/) after that  median {statistics.median(folder):.3f} s  "
          f"(min {min(folder):.3f}, max {max(folder):.3f})")
    print("  per file (Airflow's dagbag_stats, median):")
    for name in sorted(runs[0]["files"], key=lambda n: -runs[0]["files"][n]):
        print(f"    {name:<28} {statistics.median(r['files'][name] for r in runs):.3f} s")


if __name__ == "__main__":
    main()
