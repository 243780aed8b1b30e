"""Run the benchmarks in sequence (``make bench`` = ``.venv/bin/python -m bench``), each in its own
Python process so its memory figures are its own, then print a summary of the figures each printed.

    .venv/bin/python -m bench                        # every benchmark at full size (10 M rows: slow)
    .venv/bin/python -m bench --quick                # smaller sizes: a smoke run of every benchmark
    .venv/bin/python -m bench --only dbt --only audit
    .venv/bin/python -m bench --list

Each benchmark's own output is shown as it runs; the summary repeats, per benchmark, its exit status,
its wall time, the maximum resident set of its process tree and the lines carrying its figures.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Benchmark:
    name: str
    script: str
    what: str
    quick: tuple[str, ...]
    # Lines of its output that carry the figures (searched in order; every match is kept).
    figures: tuple[str, ...]


BENCHMARKS = (
    Benchmark("generate", "bench_generate.py", "one month of speed tests written by the generator (issue 2)",
              ("--scale", "0.05"), (r"^\s*generator:", r"^\s*baseline", r"overhead")),
    Benchmark("dag_parse", "bench_dag_parse.py", "parse time of dags/ (issue 7)",
              ("--repeat", "2"), (r"^dags/:", r"^\s*baseline", r"^\s*dags/\s")),
    Benchmark("ingest", "bench_ingest.py", "ingestion of one month of speed tests",
              ("--rows", "500000"), (r"^ingest status", r"^bare read\s", r"^ingest\s+\d", r"^ingest / bare")),
    Benchmark("dbt", "bench_dbt.py", "dbt build of one month vs one bare DuckDB statement (issue 4)",
              ("--rows", "500000"), (r"^bare DuckDB", r"^dbt build", r"of which", r"dbt ÷ bare")),
    Benchmark("audit", "bench_audit.py", "validation of one month vs the same checks as bare SQL (issue 5)",
              ("--rows", "500000", "--rounds", "1"),
              (r"^month ", r"^bare SQL", r"^audit ", r"^run_audit", r"^peak RSS", r"^target")),
    Benchmark("pipeline", "bench_pipeline.py",
              "the full monthly run per stage vs the bare DuckDB baseline (issue 7)",
              ("--scale", "0.05"), (r"^pipeline \(no generate\)", r"^bare total", r"^pipeline ÷ bare",
                                    r"^national ", r"^PIPELINE FAILED", r"^machine:")),
    Benchmark("airflow", "bench_airflow.py", "one month through Airflow (dag.test) vs in process (issue 11)",
              ("--scale", "0.05"), (r"^in process ", r"^Airflow ", r"^Airflow ÷ in process", r"^load average",
                                    r"^BENCHMARK FAILED")),
)


def run(benchmark: Benchmark, extra: list[str]) -> dict:
    """The benchmark in a fresh Python, its output streamed through; exit status, wall time, max RSS."""
    command = [sys.executable, str(BENCH / benchmark.script), *extra]
    print(f"\n=== {benchmark.name}: {benchmark.what}\n$ {' '.join(command)}", flush=True)
    env = {**os.environ, "DO_NOT_TRACK": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
           "PYTHONUNBUFFERED": "1"}
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               bufsize=1)
    lines = []
    for line in process.stdout:
        print(line, end="", flush=True)
        lines.append(line.rstrip("\n"))
    # wait4 on the child: its rusage covers its waited-for descendants too (their maximum RSS included).
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    figures = [line.strip() for line in lines if any(re.search(p, line) for p in benchmark.figures)]
    if process.returncode != 0:
        figures += [f"(exit {process.returncode}) " + line.strip() for line in lines[-3:]]
    return {"name": benchmark.name, "status": process.returncode, "seconds": seconds,
            "max_mib": usage.ru_maxrss / 1024, "figures": figures}


def main() -> int:
    names = [b.name for b in BENCHMARKS]
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", choices=names, metavar="NAME",
                        help=f"run only this benchmark (repeatable): {', '.join(names)}")
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run, not the figures)")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = parser.parse_args()
    if args.list:
        for b in BENCHMARKS:
            print(f"{b.name:<10} bench/{b.script:<20} {b.what}")
        return 0

    chosen = [b for b in BENCHMARKS if not args.only or b.name in args.only]
    load = os.getloadavg()
    print(f"{len(chosen)} benchmark(s), {'quick sizes' if args.quick else 'full size'}; {os.cpu_count()} "
          f"cores, load average {load[0]:.2f} at start; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    results = [run(b, list(b.quick) if args.quick else []) for b in chosen]

    print("\n=== summary" + (" (quick sizes: not the reported figures)" if args.quick else ""))
    print(f"{'benchmark':<11}{'status':>7}{'wall s':>9}{'max MiB':>9}  figures")
    for r in results:
        first, *rest = r["figures"] or ["(no figure line found: see its output above)"]
        print(
            f"{r['name']:<11}{'ok' if r['status'] == 0 else 'FAIL':>7}"
            f"{r['seconds']:>9.1f}{r['max_mib']:>9.0f}  {first}"
        )
        for line in rest:
            print(f"{'':<36}  {line}")
    return 0 if all(r["status"] == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
