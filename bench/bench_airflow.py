"""Benchmark (not a test): the same generated month through both paths of the pipeline, in one run —
in process (``qamtu.pipeline.run_all``, what ``qamtu run`` does) and through Airflow (the four DAGs with
``dag.test()`` on SQLite metadata, what ``make run`` does: ``scripts/run_through_airflow.py``) — with the
ratio of their times, the peak memory of each and the load average of the machine around them.

    .venv/bin/python bench/bench_airflow.py           # one national month (SCALE=1.0, 10 M speed tests)
    .venv/bin/python bench/bench_airflow.py --scale 0.05     # a quick check
    .venv/bin/python bench/bench_airflow.py --keep /tmp/qamtu-bench-airflow

The month is generated once, into the in-process home; its landing folder is copied to a second home
for Airflow, so both paths read the same files. Each path runs in its own fresh Python process (so its
memory is its own: ``max MiB`` is the process tree's maximum resident set, ``wait4``), in-process first:

- **in process**: ``run_all(generate=False)``: reference → ingest → build → audit → promote → publish;
  ``call s`` is that call, ``process s`` the whole process (imports included).
- **Airflow**: ``reference_data → ingest_submissions → build_coverage_marts → audit_and_publish``, each a
  ``dag.test()``; ``DAG s`` is the sum of the four runs (what Airflow spent running the pipeline),
  ``process s`` the whole process (``airflow db migrate``, imports and DAG parsing included).

Ratio = Airflow DAG s ÷ in-process call s (the target: ≤ 1.5); the process-to-process ratio is printed too.
Both homes must end with release v1 of the month, or the benchmark fails.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from peak_memory import PeakMemory  # bench/ is on sys.path: the benchmarks run as scripts

REPO = Path(__file__).resolve().parents[1]
RUNNER = REPO / "scripts" / "run_through_airflow.py"
TARGET_RATIO = 1.5
DAG_LINE = re.compile(
    r"^Airflow: (?P<dag>\w+) .*→ (?P<state>\w+) in (?P<seconds>[\d.]+) s, (?P<tasks>\d+) task"
)


def child_env(home: Path) -> dict[str, str]:
    """The benchmark's environment without any QAMTU_/AIRFLOW settings of the caller's: the embedded
    default (DuckDB file, local folders) under ``home``, telemetry off."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QAMTU_", "AIRFLOW"))}
    env.update({"QAMTU_HOME": str(home), "QAMTU_WAREHOUSE": "duckdb", "QAMTU_STORAGE": "local",
                "DO_NOT_TRACK": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
                "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False", "SCARF_ANALYTICS": "false",
                "PYTHONUNBUFFERED": "1"})
    return env


def run_child(command: list[str], env: dict[str, str], echo: bool) -> dict:
    """``command`` in a fresh process: its output lines, exit code, wall time and the maximum resident
    set of its process tree (``wait4`` covers the descendants it waited for)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, cwd=env["QAMTU_HOME"], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, bufsize=1)
    lines = []
    for line in process.stdout:
        if echo:
            print("    " + line, end="", flush=True)
        lines.append(line.rstrip("\n"))
    _, status, usage = os.wait4(process.pid, 0)
    return {"lines": lines, "exit": os.waitstatus_to_exitcode(status),
            "seconds": time.perf_counter() - started,
            "max_mib": usage.ru_maxrss / 1024}


# --- the in-process path (run in its own process by the parent) -------------------------------------
def in_process_child(period: str) -> None:
    from qamtu.pipeline import run_all
    from qamtu.settings import get_settings

    with PeakMemory() as memory:
        started = time.perf_counter()
        outcome = run_all([period], settings=get_settings(), generate=False, echo=lambda *_: None)
        seconds = time.perf_counter() - started
    print("RESULT " + json.dumps({"seconds": seconds, "peak_mib": memory.peak / 2**20,
                                  "timings": outcome["timings"],
                                  "published": [o["published"] for o in outcome["outcomes"]]}))


def latest_version(home: Path, period: str) -> int | None:
    pointer = home / "publication" / "latest" / f"{period}.json"
    return json.loads(pointer.read_text())["version"] if pointer.is_file() else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = national (10 M speed tests a month)")
    parser.add_argument("--period", default="2026-01")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, default=None, help="Work here and keep both homes.")
    parser.add_argument("--landing", type=Path, default=None,
                        help="Use this landing folder (a month generated before) instead of generating one.")
    parser.add_argument("--verbose", action="store_true", help="Show both paths' own output.")
    parser.add_argument("--in-process-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.in_process_child:
        in_process_child(args.period)
        return 0

    work = args.keep or Path(tempfile.mkdtemp(prefix="qamtu-bench-airflow-"))
    in_process_home, airflow_home = work / "in_process", work / "airflow"
    for home in (in_process_home, airflow_home):
        shutil.rmtree(home, ignore_errors=True)
        home.mkdir(parents=True)
    load_start = os.getloadavg()
    print(f"one month ({args.period}, scale {args.scale}, seed {args.seed}); {os.cpu_count()} cores, load "
          f"average {load_start[0]:.2f} {load_start[1]:.2f} {load_start[2]:.2f} at start; "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; work in {work}", flush=True)

    try:
        if args.landing is not None:
            shutil.copytree(args.landing, in_process_home / "landing")
            print(f"landing copied from {args.landing} (not generated here)", flush=True)
        else:
            generated = run_child([sys.executable, "-m", "qamtu.cli", "generate", "--periods", args.period,
                                   "--scale", str(args.scale), "--seed", str(args.seed), "--out",
                                   str(in_process_home)], child_env(in_process_home), args.verbose)
            if generated["exit"] != 0:
                print("\n".join(generated["lines"][-20:]))
                print("GENERATE FAILED")
                return 1
            print(f"generated once in {generated['seconds']:.1f} s", flush=True)
        shutil.copytree(in_process_home / "landing", airflow_home / "landing")

        in_process = run_child([sys.executable, str(Path(__file__).resolve()),
                                "--in-process-child", "--period",
                                args.period], child_env(in_process_home), args.verbose)
        load_between = os.getloadavg()
        through_airflow = run_child([sys.executable, str(RUNNER), "--no-generate", "--periods", args.period],
                                    child_env(airflow_home), args.verbose)
        load_end = os.getloadavg()
        versions = {"in process": latest_version(in_process_home, args.period),
                    "Airflow": latest_version(airflow_home, args.period)}
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)

    result_line = next((line for line in in_process["lines"] if line.startswith("RESULT ")), None)
    dag_runs = [m.groupdict() for m in map(DAG_LINE.match, through_airflow["lines"]) if m]
    failed = []
    if in_process["exit"] != 0 or result_line is None:
        failed.append("in-process path: " + " | ".join(in_process["lines"][-5:]))
    if through_airflow["exit"] != 0 or len(dag_runs) != 4 or any(r["state"] != "success" for r in dag_runs):
        failed.append("Airflow path: " + " | ".join(through_airflow["lines"][-8:]))
    if versions != {"in process": 1, "Airflow": 1}:
        failed.append(f"releases of {args.period}: {versions} (both paths must publish v1)")
    if result_line is None or not dag_runs:
        print("\n".join(["BENCHMARK FAILED"] + failed))
        return 1
    inside = json.loads(result_line.removeprefix("RESULT "))
    dag_seconds = sum(float(r["seconds"]) for r in dag_runs)

    print(f"\nin process   call {inside['seconds']:7.1f} s   process {in_process['seconds']:7.1f} s   "
          f"peak {inside['peak_mib']:7.0f} MiB   max {in_process['max_mib']:7.0f} MiB")
    print(
        "             " + ", ".join(f"{step} {seconds:.1f} s" for step, seconds in inside["timings"].items())
    )
    print(f"Airflow      DAGs {dag_seconds:7.1f} s   process {through_airflow['seconds']:7.1f} s   "
          f"{'':>18}max {through_airflow['max_mib']:7.0f} MiB")
    print("             " + ", ".join(f"{r['dag']} {float(r['seconds']):.1f} s ({r['tasks']} "
                                      "tasks)" for r in dag_runs))
    ratio = dag_seconds / inside["seconds"]
    print(f"Airflow ÷ in process: {ratio:.2f}× (DAGs ÷ call; target ≤ {TARGET_RATIO}×: "
          f"{'met' if ratio <= TARGET_RATIO else 'NOT met'}), "
          f"{through_airflow['seconds'] / in_process['seconds']:.2f}× process to process")
    print(f"load average (1 min): {load_start[0]:.2f} at start, {load_between[0]:.2f} between, "
          f"{load_end[0]:.2f} at end")
    print(f"releases of {args.period}: " + ", ".join(f"{k} v{v}" for k, v in versions.items()))
    if failed:  # the times are printed, but they are not the figures of a pipeline that worked
        print("\n".join(["BENCHMARK FAILED"] + failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
