"""`dbt build` of one month at national scale (10 million speed tests) beside the same aggregation as one
bare DuckDB SQL statement, in the same run, on the same file: wall time and peak memory of each.

Each side runs in its own fresh Python process; peak memory is that process's maximum resident set
(``wait4`` rusage), wall time is measured inside it:

- dbt:  ``qamtu.warehouse.dbt_runner.build_marts(period=...)`` — the whole project (staging →
        intermediate → marts, every data test and unit test) in one in-process dbt invocation, the
        speed-test summary among it;
- bare: one ``CREATE TABLE ... AS SELECT`` with the summary's grouping sets (median, 10th percentile)
        over the same raw rows, written here by hand — what the summary costs without dbt. Like the
        model, it takes the median and the 10th percentile of download from one list-form
        ``quantile_cont`` state (half the memory of one state each; the same figures).

The raw speed tests are synthetic unless ``--home`` points at a QAMTU_HOME whose DuckDB warehouse
already holds ingested ones: ``--rows`` rows built with a DuckDB ``range()`` query (settlements of
the KATO reference drawn by hash, four operators, five technologies, spread speeds and latencies).

    .venv/bin/python bench/bench_dbt.py [--rows 10000000] [--period 2026-01] [--home DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "include"))

BARE_SQL = """
create or replace table main.bare_speed_summary as
with current_tests as (
    select period, submission_id, kato_code, substr(kato_code, 1, 2) as region_code, operator, technology,
           download_mbps, upload_mbps, latency_ms
    from raw.speed_tests
    where submission_id in (
        select submission_id from raw.submissions
        where is_current and status in ('accepted', 'accepted_with_warnings')
          and report_type = 'speed_tests' and period = $period)
)
select period, submission_id, region_code, kato_code, operator, technology,
       grouping(kato_code) as kato_rolled_up, grouping(region_code) as region_rolled_up,
       grouping(operator) as operator_rolled_up, grouping(technology) as technology_rolled_up,
       count(*) as tests, quantile_cont(download_mbps, [0.1, 0.5]) as p10_p50_download_mbps,
       median(upload_mbps) as median_upload_mbps, median(latency_ms) as median_latency_ms
from current_tests
group by grouping sets (
    (period, submission_id, region_code, kato_code, operator, technology),
    (period, submission_id, region_code, kato_code),
    (period, submission_id, region_code, operator, technology),
    (period, submission_id, region_code),
    (period, submission_id, operator, technology),
    (period, submission_id)
)
"""

DBT_CHILD = """
import json, sys, time
sys.path.insert(0, {include!r})
from qamtu.settings import Settings
from qamtu.warehouse.dbt_runner import build_marts
started = time.perf_counter()
result = build_marts(period={period!r}, settings=Settings(home={home!r}, warehouse="duckdb"),
                     echo=lambda line: None)
seconds = time.perf_counter() - started
summary = next((m for m in result["models"] if m["name"] == "fct_speed_tests_summary"), {{}})
print("RESULT " + json.dumps({{"seconds": seconds, "success": result["success"],
                              "models": len(result["models"]),
                              "tests": result["tests"], "summary_model_seconds": summary.get("seconds"),
                              "errors": result["errors"][:3]}}))
"""

# The same DuckDB settings as dbt's profile (threads, memory limit, no insertion order): with insertion
# order kept the statement ran out of its 4 GB at 10 M rows.
BARE_CHILD = """
import json, time, duckdb
started = time.perf_counter()
con = duckdb.connect({path!r}, config={{"threads": {threads}, "memory_limit": {memory!r},
                                        "preserve_insertion_order": False}})
con.execute({sql!r}, {{"period": {period!r}}})
rows = con.execute("select count(*) from main.bare_speed_summary").fetchone()[0]
con.execute("drop table main.bare_speed_summary")
con.close()
print("RESULT " + json.dumps({{"seconds": time.perf_counter() - started, "rows": rows}}))
"""


def run_child(code: str, env: dict[str, str]) -> tuple[dict, float]:
    """Run ``code`` in a fresh Python; its RESULT line and its peak resident memory in MiB."""
    process = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(process.pid, 0)
    stdout, stderr = process.stdout.read(), process.stderr.read()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"child failed ({process.returncode}):\n{stderr[-3000:]}")
    line = next(li for li in stdout.splitlines() if li.startswith("RESULT "))
    return json.loads(line.removeprefix("RESULT ")), usage.ru_maxrss / 1024


def prepare_synthetic(home: Path, rows: int, period: str) -> float:
    """Reference data, empty raw tables, one current speed-test submission with ``rows`` synthetic rows."""
    from qamtu.reference import load_into_warehouse
    from qamtu.settings import Settings
    from qamtu.warehouse import connect
    from qamtu.warehouse.dbt_runner import ensure_sources

    started = time.perf_counter()
    settings = Settings(home=home, warehouse="duckdb")
    submission = f"measurement-qos-{period}-speed_tests-bench"
    with connect(settings) as warehouse:
        load_into_warehouse(warehouse)
        ensure_sources(warehouse)
        warehouse.execute(
            "insert into raw.submissions (submission_id, kind, submitter, period, report_type, source_key, "
            "status, is_current, rows_read, rows_loaded, rows_quarantined, received_at) values "
            "(?, 'measurement', 'qos', ?, 'speed_tests', ?, 'accepted', true, ?, ?, 0, now())",
            [submission, period, f"measurement/qos/{period}/speed_tests.parquet", rows, rows])
        # The number of settlements as a literal: with a scalar subquery in the join condition DuckDB
        # plans a nested-loop join (10 M draws × every settlement), which ran for more than 10 minutes.
        settlements = warehouse.scalar("select count(*) from reference.kato where level = 'settlement'")
        warehouse.execute(f"""
            insert into raw.speed_tests
            with codes as (
                select kato_code, (row_number() over (order by kato_code) - 1) as n
                from reference.kato where level = 'settlement'
            ),
            draws as (
                select i, hash(i) as h1, hash(i + 1000000007) as h2, hash(i + 2000000011) as h3
                from range({rows}) t(i)
            )
            select
                'T' || lpad(cast(i as varchar), 9, '0') as test_id,
                timestamptz '{period}-01 00:00:00+00' + to_seconds(cast(h1 % 2419200 as bigint))
                    as measured_at,
                40.5 + (h2 % 15000) / 1000.0 as latitude,
                46.5 + (h3 % 40900) / 1000.0 as longitude,
                codes.kato_code,
                ['kazakhtelecom', 'kcell', 'beeline', 'tele2'][1 + cast(h2 % 4 as integer)] as operator,
                ['fixed', '2G', '3G', '4G', '5G'][1 + cast(h3 % 5 as integer)] as technology,
                0.5 + (h1 % 300000) / 1000.0 as download_mbps,
                0.2 + (h2 % 80000) / 1000.0 as upload_mbps,
                5.0 + (h3 % 200000) / 1000.0 as latency_ms,
                '{submission}' as submission_id, 'measurement' as kind, 'qos' as submitter,
                '{period}' as period,
                'measurement/qos/{period}/speed_tests.parquet' as source_key, i + 2 as source_line,
                now() as loaded_at
            from draws
            join codes on codes.n = h1 % {settlements}
        """)
        loaded = warehouse.scalar("select count(*) from raw.speed_tests")
    assert loaded == rows, (loaded, rows)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description="dbt build vs one bare DuckDB statement, one month")
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--period", default="2026-01")
    parser.add_argument("--home", type=Path,
                        help="a QAMTU_HOME whose warehouse already holds the speed tests")
    args = parser.parse_args()

    from qamtu.settings import Settings

    scratch = None if args.home else tempfile.TemporaryDirectory(prefix="qamtu-bench-dbt-")
    home = args.home or Path(scratch.name)
    try:
        if args.home is None:
            seconds = prepare_synthetic(home, args.rows, args.period)
            print(f"prepared {args.rows:,} synthetic speed tests (DuckDB range()) for {args.period} in "
                  f"{seconds:.1f}s")
        settings = Settings(home=home, warehouse="duckdb")
        env = {**os.environ, "DO_NOT_TRACK": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "False"}
        load_before = os.getloadavg()[0]

        # Each side may fail (e.g. out of DuckDB's memory limit): say so and still measure the other.
        outcomes = {}
        for side, code in (("bare", BARE_CHILD.format(
                                path=str(settings.duckdb_file), threads=settings.duckdb_threads,
                                memory=settings.duckdb_memory_limit, sql=BARE_SQL, period=args.period)),
                           ("dbt", DBT_CHILD.format(include=str(REPO / "include"), period=args.period,
                                                    home=str(home)))):
            try:
                outcomes[side] = run_child(code, env)
            except RuntimeError as error:
                last = [line for line in str(error).splitlines() if line.strip()]
                print(f"{side} FAILED: {' / '.join(last[-6:-3] if len(last) > 6 else last[-2:])}", flush=True)
                outcomes[side] = (None, 0.0)
        (bare, bare_mib), (dbt, dbt_mib) = outcomes["bare"], outcomes["dbt"]
        if dbt is not None and not dbt["success"]:
            print(f"dbt build did not succeed: {dbt['errors']}")

        print(f"machine: {os.cpu_count()} cores, load average {load_before:.1f} at start; DuckDB threads "
              f"{settings.duckdb_threads}, memory_limit {settings.duckdb_memory_limit}")
        print(f"{'':<44}{'wall s':>10}{'peak MiB':>10}")
        for label, result, mib in (("bare DuckDB statement (summary only)", bare, bare_mib),
                                   ("dbt build (all models, tests, unit tests)", dbt, dbt_mib)):
            seconds = "FAILED" if result is None else f"{result['seconds']:.1f}"
            print(f"{label:<44}{seconds:>10}{mib:>10.0f}")
        if dbt is not None:
            print(f"{'  of which fct_speed_tests_summary':<44}{dbt['summary_model_seconds'] or 0:>10.1f}")
        if bare is None or dbt is None:
            raise SystemExit("no ratio: a side failed (see above)")
        ratio = dbt["seconds"] / bare["seconds"]
        # A failed data test still means every model was built and timed: the ratio stands, flagged.
        print(f"dbt ÷ bare: {ratio:.2f}× wall, {dbt_mib / bare_mib:.2f}× memory "
              f"({'within' if ratio <= 2 else 'OVER'} the 2× target); {bare['rows']:,} summary rows; "
              f"dbt: {dbt['models']} models, tests {dbt['tests']}"
              + ("" if dbt["success"] else "; dbt reported errors (above)"))
        if not dbt["success"]:
            raise SystemExit(1)
    finally:
        if scratch is not None:
            scratch.cleanup()


if __name__ == "__main__":
    main()
