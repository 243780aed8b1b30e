"""Benchmark (not a test): the full monthly run at national scale (10 million speed tests) through the
real pipeline code, stage by stage, beside the bare DuckDB baseline of the same work, in the same run.

    .venv/bin/python bench/bench_pipeline.py                      # one month, scale 1.0 (10 M speed tests)
    .venv/bin/python bench/bench_pipeline.py --scale 0.05         # a quick check
    .venv/bin/python bench/bench_pipeline.py --periods 2026-01..2026-02 --keep /tmp/qamtu-bench

**Pipeline**: the functions of ``qamtu.pipeline`` that ``qamtu run`` calls in a row and the DAGs call
task by task — generate (reported, not in the ratio), reference, ingest, then per period build (dbt,
candidate marts), audit, promote, publish — on a fresh QAMTU_HOME (embedded DuckDB, local storage).
Each stage runs in its own fresh Python process, as an Airflow task does, so its memory is its own:
``call s`` is the wall time of the function call, ``process s`` that of the whole process (imports
included), ``peak MiB`` the largest RSS a psutil thread sampled during the call, ``max MiB`` the
process's maximum resident set (``wait4``).

**Bare baseline** (one more fresh process, same machine, same DuckDB threads and memory limit, after
the pipeline so both find the files in the page cache): the same landing files read into DuckDB tables
(speed tests with ``read_csv``/``read_parquet``; the operators' fibre and base-station reports
re-encoded to UTF-8 CSV first, spreadsheets through openpyxl, then ``read_csv``/``read_json``; the
KATO reference with ``read_csv``), the headline figures of the speed-test summary (the same grouping
sets) and of the region coverage (settlements, rural settlements with fibre, population with
high-speed internet) in one aggregation statement each, and both written with ``COPY`` to Parquet and
CSV. No contract checks, no quarantine, no receipts, no dbt tests, no audit, no release report: the
floor of the same data work. Ratio = pipeline stages (generate excluded, call times) ÷ baseline.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil
from peak_memory import PeakMemory  # bench/ is on sys.path: the benchmarks run as scripts

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "include"))

GLOBAL_STAGES = ("generate", "reference", "ingest")
PERIOD_STAGES = ("build", "audit", "promote", "publish")


def quiet(*_args, **_kwargs) -> None:
    return None


def bench_settings(home: Path):
    from qamtu.settings import Settings

    return Settings(home=home, warehouse="duckdb", storage="local")


# --- the pipeline, one stage per process -----------------------------------------------------------
def run_stage(
    stage: str, home: Path, period: str | None, periods: list[str], scale: float, seed: int
) -> dict:
    """One stage exactly as ``qamtu.pipeline.run_all`` calls it; a short summary of its outcome."""
    from qamtu import pipeline

    settings = bench_settings(home)
    if stage == "generate":
        summary = pipeline.generate_sample(periods, scale, seed, settings, None, quiet)
        return {"files": summary.get("files")}
    if stage == "reference":
        return {"tables": pipeline.load_reference(settings, quiet)}
    if stage == "ingest":
        summary = pipeline.ingest(settings)
        return {k: summary.get(k) for k in ("submissions", "accepted", "accepted_with_warnings", "rejected",
                                             "failed", "rows_read", "rows_loaded", "rows_quarantined")}
    if stage == "build":
        summary = pipeline.build(period, settings, quiet)
        return {"success": summary.get("success"), "models": len(summary.get("models") or []),
                "tests": summary.get("tests"), "errors": (summary.get("errors") or [])[:3]}
    if stage == "audit":
        report = pipeline.audit(period, settings, quiet)
        return {
            "publishable": report["publishable"],
            "failures": len(report.get("failures") or []),
            "warnings": len(report.get("warnings") or []),
            "first_failures": [str(f.get("message", f))[:200] for f in (report.get("failures") or [])[:3]],
        }
    if stage == "promote":
        pipeline.promote(period, settings, quiet)
        return {}
    if stage == "publish":
        release = pipeline.publish(period, settings, quiet)
        return {"version": release.get("version"), "created": release.get("created"),
                "path": release.get("path")}
    raise ValueError(f"unknown stage {stage}")


def stage_child(args: argparse.Namespace) -> None:
    periods = args.periods.split(",")
    with PeakMemory() as memory:
        started = time.perf_counter()
        outcome = run_stage(args.stage, args.home, args.period, periods, args.scale, args.seed)
        seconds = time.perf_counter() - started
    print("RESULT " + json.dumps({"seconds": seconds, "peak_mib": memory.peak / 2**20, "outcome": outcome},
                                 default=str))


# --- the bare baseline -----------------------------------------------------------------------------
def _text_rows(path: Path) -> list[list[str | None]]:
    """Rows of a CSV (UTF-8 or Windows-1251; ',' ';' or tab) or of a workbook's first sheet, as text,
    header first; title rows above the header and a totals row below the data dropped."""
    from qamtu.contracts import TOTALS_MARKERS, normalize_label

    if path.suffix == ".xlsx":
        import openpyxl

        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        rows = [[None if v is None else (v.date().isoformat() if hasattr(v, "date") else str(v)) for v in row]
                for row in book.worksheets[0].iter_rows(values_only=True)]
        book.close()
    else:
        data = path.read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1251")
        first = text.split("\n", 1)[0]
        delimiter = max(("\t", ";", ","), key=first.count)
        rows = [[cell if cell != "" else None for cell in row] for row in csv.reader(io.StringIO(text),
                                                                                     delimiter=delimiter)]
    width = max(len(r) for r in rows)
    start = next(i for i, r in enumerate(rows) if len(r) == width and all(c is not None for c in r))
    body = [r for r in rows[start + 1:] if r and any(c is not None for c in r)]
    return [rows[start]] + [r for r in body if normalize_label(r[0] or "") not in TOTALS_MARKERS]


def _as_utf8_csv(path: Path, fields: list[str], out: Path) -> Path:
    """The report as a UTF-8 CSV with the contract's field names (columns in the contract's order,
    as every submitter writes them)."""
    rows = _text_rows(path)
    with out.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(fields)
        for row in rows[1:]:
            writer.writerow([(row[i] if i < len(row) else None) for i in range(len(fields))])
    return out


def _value_map_table(con, name: str, report_type: str, field_name: str) -> None:
    """alias → canonical value of an enum field of the contract, as a table the SQL joins."""
    from qamtu.contracts import load_contract

    field = next(f for f in load_contract(report_type).fields if f.name == field_name)
    con.execute(f"create or replace table {name} (spelling varchar, value varchar)")
    con.executemany(f"insert into {name} values (?, ?)", list(field.value_map().items()))


NUMBER = "try_cast(regexp_replace(replace({0}, ',', '.'), '[^0-9.\\-]', '', 'g') as double)"

BARE_SPEED_SUMMARY = """
create or replace table bare_speed_summary as
-- One quantile state for median and p10 of download, as the dbt model does (a fair floor).
select * exclude (download_quantiles) from (
select period, region_code, kato_code, operator, technology,
       grouping(kato_code) as kato_rolled_up, grouping(region_code) as region_rolled_up,
       grouping(operator) as operator_rolled_up, grouping(technology) as technology_rolled_up,
       count(*) as tests, quantile_cont(download_mbps, [0.1, 0.5]) as download_quantiles,
       download_quantiles[2] as median_download_mbps,
       download_quantiles[1] as p10_download_mbps, median(upload_mbps) as median_upload_mbps,
       median(latency_ms) as median_latency_ms
from (select period, cast(kato_code as varchar) as kato_code,
             substr(cast(kato_code as varchar), 1, 2) as region_code,
             operator, technology, download_mbps, upload_mbps, latency_ms from speed_tests)
group by grouping sets (
    (period, region_code, kato_code, operator, technology),
    (period, region_code, kato_code),
    (period, region_code, operator, technology),
    (period, region_code),
    (period, operator, technology),
    (period)
))
"""

BARE_REGION_COVERAGE = """
create or replace table bare_region_coverage as
with settlements as (
    select cast(kato_code as varchar) as kato_code, cast(region_code as varchar) as region_code,
           is_rural, coalesce(population, 0) as population
    from kato where level = 'settlement'
),
fibre as (
    select fibre.period, cast(fibre.kato_code as varchar) as kato_code,
           bool_or(statuses.value = 'connected') as has_fibre
    from fibre left join fibre_statuses as statuses on statuses.spelling = lower(trim(fibre.status))
    group by all
),
mobile as (
    select sites.period, cast(sites.kato_code as varchar) as kato_code,
           count(*) filter (where statuses.value = 'active' and sites.technology in ('4G', '5G')) > 0
               as has_mobile_broadband
    from sites left join site_statuses as statuses on statuses.spelling = lower(trim(sites.status))
    group by all
),
access as (
    select periods.period, settlements.*, coalesce(fibre.has_fibre, false) as has_fibre,
           coalesce(fibre.has_fibre, false) or coalesce(mobile.has_mobile_broadband, false) as has_access
    from (select distinct period from speed_tests) as periods
    cross join settlements
    left join fibre on fibre.period = periods.period and fibre.kato_code = settlements.kato_code
    left join mobile on mobile.period = periods.period and mobile.kato_code = settlements.kato_code
)
select period, coalesce(region_code, 'KZ') as region_code,
       count(*) as settlements, count(*) filter (where is_rural) as rural_settlements,
       count(*) filter (where is_rural and has_fibre) as rural_settlements_with_fibre,
       round(100.0 * count(*) filter (where is_rural and has_fibre)
             / nullif(count(*) filter (where is_rural), 0), 2) as villages_fibre_share,
       count(*) filter (where has_access) as settlements_with_access,
       sum(population) as population, sum(population) filter (where has_access) as population_with_access,
       round(100.0 * coalesce(sum(population) filter (where has_access), 0) / nullif(sum(population), 0), 2)
           as population_access_share
from access
group by grouping sets ((period, region_code), (period))
"""


def bare_child(args: argparse.Namespace) -> None:
    """Read the landing files into DuckDB, aggregate, COPY out; timings and peak RSS per step."""
    import duckdb
    from qamtu.contracts import load_contract

    settings = bench_settings(args.home)
    landing = settings.area_path("landing")
    out = Path(args.bare_dir)
    out.mkdir(parents=True, exist_ok=True)
    steps: dict[str, dict[str, float]] = {}
    figures: dict[str, Any] = {}
    con = duckdb.connect(str(out / "bare.duckdb"),
                         config={"threads": settings.duckdb_threads,
                                 "memory_limit": settings.duckdb_memory_limit,
                                 "preserve_insertion_order": False})  # as dbt's profile

    with PeakMemory() as memory:
        started = time.perf_counter()
        speed_files = sorted(str(p) for p in landing.glob("measurement/*/*/speed_tests.*"))
        selects = []
        for file in speed_files:
            period = Path(file).parent.name
            reader = "read_parquet" if file.endswith(".parquet") else "read_csv"
            selects.append(f"select '{period}' as period, * from {reader}('{file}')")
        con.execute("create table speed_tests as " + " union all by name ".join(selects))
        con.execute("create table kato as select * from "
                    f"read_csv('{REPO}/include/qamtu/reference/data/kato.csv', "
                    "types={'kato_code': 'VARCHAR', 'parent_code': 'VARCHAR', 'region_code': 'VARCHAR'})")
        staged = out / "staged"
        staged.mkdir(exist_ok=True)
        for report_type, table in (("settlement_fiber", "fibre"), ("base_stations", "sites")):
            fields = [f.name for f in load_contract(report_type).fields]
            selects = []
            for path in sorted(landing.glob(f"operator/*/*/{report_type}.*")):
                operator, period = path.parent.parent.name, path.parent.name
                if path.suffix == ".json":
                    columns = ", ".join(repr(f) + ": " + repr("VARCHAR") for f in fields)
                    source = f"read_json('{path}', format='array', columns={{{columns}}})"
                else:
                    utf8 = _as_utf8_csv(path, fields, staged / f"{operator}-{period}-{report_type}.csv")
                    source = f"read_csv('{utf8}', all_varchar=true, header=true)"
                selects.append(f"select '{operator}' as operator, '{period}' as period, * from {source}")
            con.execute(f"create table {table} as " + " union all by name ".join(selects))
        _value_map_table(con, "fibre_statuses", "settlement_fiber", "status")
        _value_map_table(con, "site_statuses", "base_stations", "status")
        _value_map_table(con, "site_technologies", "base_stations", "technology")
        con.execute("update sites set technology = coalesce((select value from site_technologies "
                    "where spelling = lower(trim(sites.technology))), technology)")
        steps["read"] = {"seconds": time.perf_counter() - started}
    steps["read"]["peak_mib"] = memory.peak / 2**20
    figures["speed_tests"] = con.execute("select count(*) from speed_tests").fetchone()[0]
    figures["fibre_rows"] = con.execute("select count(*) from fibre").fetchone()[0]
    figures["site_rows"] = con.execute("select count(*) from sites").fetchone()[0]

    with PeakMemory() as memory:
        started = time.perf_counter()
        con.execute(BARE_SPEED_SUMMARY)
        con.execute(BARE_REGION_COVERAGE)
        steps["aggregate"] = {"seconds": time.perf_counter() - started}
    steps["aggregate"]["peak_mib"] = memory.peak / 2**20

    with PeakMemory() as memory:
        started = time.perf_counter()
        for table in ("bare_speed_summary", "bare_region_coverage"):
            con.execute(f"copy {table} to '{out / table}.parquet' (format parquet)")
            con.execute(f"copy {table} to '{out / table}.csv' (header)")
        steps["export"] = {"seconds": time.perf_counter() - started}
    steps["export"]["peak_mib"] = memory.peak / 2**20

    figures["nation"] = {
        row[0]: {"tests": row[1], "median_download_mbps": row[2]}
        for row in con.execute("select period, tests, median_download_mbps from bare_speed_summary "
                               "where kato_rolled_up = 1 and region_rolled_up = 1 and operator_rolled_up = 1 "
                               "and technology_rolled_up = 1 order by period").fetchall()}
    for row in con.execute("select period, villages_fibre_share, population_access_share from "
                           "bare_region_coverage where region_code = 'KZ' order by period").fetchall():
        figures["nation"].setdefault(row[0], {}).update(villages_fibre_share=row[1],
                                                        population_access_share=row[2])
    con.close()
    print("RESULT " + json.dumps({"steps": steps, "figures": figures}, default=str))


def pipeline_figures(home: Path, periods: list[str]) -> dict[str, dict[str, Any]]:
    """The same national figures read back from the pipeline's marts (published ones, or the candidate
    when nothing was published), for the side-by-side check."""
    from qamtu.warehouse import connect

    figures: dict[str, dict[str, Any]] = {}
    with connect(bench_settings(home)) as warehouse:
        schema = "marts" if warehouse.table_exists("marts", "fct_speed_tests_summary") else "marts_candidate"
        if not warehouse.table_exists(schema, "fct_speed_tests_summary"):
            return {}
        for period in periods:
            row = warehouse.rows(f"select tests, median_download_mbps from {schema}.fct_speed_tests_summary "
                                 "where period = ? and area_level = 'nation' and operator = 'all' and "
                                 "technology = 'all'",
                                 [period])
            coverage = warehouse.rows(f"select villages_fibre_share, population_access_share from "
                                      f"{schema}.fct_region_coverage where period = ? and region_code = 'KZ'",
                                      [period])
            figures[period] = {
                "tests": row[0][0] if row else None, "median_download_mbps": row[0][1] if row else None,
                "villages_fibre_share": round(coverage[0][0], 2) if coverage and coverage[0][0] is not None
                else None,
                "population_access_share": round(coverage[0][1], 2) if coverage and coverage[0][1] is not None
                else None,
                "schema": schema}
    return figures


# --- the parent: run everything, print the table ---------------------------------------------------
def run_measured(argv: list[str], env: dict[str, str]) -> tuple[dict | None, float, float, str]:
    """This script in a fresh Python with ``argv``: its RESULT (None if it failed), its wall time, its
    maximum resident set in MiB (``wait4``) and the tail of its stderr."""
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        process = subprocess.Popen([sys.executable, __file__, *argv], env=env, stdout=out,
                                   stderr=err, text=True)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    line = next((li for li in stdout.splitlines() if li.startswith("RESULT ")), None)
    result = json.loads(line.removeprefix("RESULT ")) if process.returncode == 0 and line else None
    if result is None and process.returncode == 0:
        stderr += "\n(no RESULT line)"
    return result, wall, usage.ru_maxrss / 1024, stderr[-4000:]


def parse_period_list(text: str) -> list[str]:
    from qamtu.cli import parse_periods

    return parse_periods(text)


def main() -> int:
    parser = argparse.ArgumentParser(description="The full monthly run vs the bare DuckDB baseline")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="1.0 = national scale (10 M speed tests a month)")
    parser.add_argument("--periods", default="2026-01", help="months: 2026-01, 2026-01..2026-03 or a list")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, default=None,
                        help="work (and leave everything) in this empty folder")
    # Internal: one stage or the baseline in a fresh process.
    parser.add_argument("--stage", help=argparse.SUPPRESS)
    parser.add_argument("--bare-dir", help=argparse.SUPPRESS)
    parser.add_argument("--home", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--period", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.stage == "bare":
        bare_child(args)
        return 0
    if args.stage:
        stage_child(args)
        return 0

    periods = parse_period_list(args.periods)
    if args.keep:
        if args.keep.exists() and any(args.keep.iterdir()):
            raise SystemExit(f"--keep {args.keep}: the folder must be empty or new")
        work = args.keep
        work.mkdir(parents=True, exist_ok=True)
    else:
        work = Path(tempfile.mkdtemp(prefix="qamtu-bench-pipeline-"))
    home, bare_dir = work / "qamtu", work / "bare"
    env = {**os.environ, "DO_NOT_TRACK": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
           "QAMTU_HOME": str(home), "QAMTU_WAREHOUSE": "duckdb", "QAMTU_STORAGE": "local"}
    settings = bench_settings(home)
    load_before = os.getloadavg()
    print(f"bench_pipeline: periods {', '.join(periods)}, scale {args.scale}, seed {args.seed}; work {work}")
    print(f"machine: {os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB, load average "
          f"{load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f} at start; DuckDB threads "
          f"{settings.duckdb_threads}, memory_limit {settings.duckdb_memory_limit}")

    rows: list[tuple[str, float | None, float, float | None, float, str]] = []
    failed: str | None = None
    common = ["--home", str(home), "--periods", ",".join(periods), "--scale", str(args.scale),
              "--seed", str(args.seed)]
    plan = [(stage, None) for stage in GLOBAL_STAGES] + [
        (stage, p) for p in periods for stage in PERIOD_STAGES
    ]
    skipped_periods: set[str] = set()
    bare, bare_wall, bare_max, ours = None, 0.0, 0.0, {}
    try:
        for stage, period in plan:
            if period in skipped_periods:
                continue
            label = stage if period is None else f"{stage} {period}"
            argv = ["--stage", stage, *common] + (["--period", period] if period else [])
            result, wall, max_mib, stderr = run_measured(argv, env)
            if result is None:
                rows.append((label, None, wall, None, max_mib, "FAILED"))
                failed = f"{label}: {stderr.strip()[-2500:]}"
                break
            outcome = result["outcome"]
            note = ", ".join(f"{k} {v}" for k, v in outcome.items() if k not in ("path", "first_failures")
                             and v not in (None, [], {}) and not isinstance(v, dict))
            rows.append((label, result["seconds"], wall, result["peak_mib"], max_mib, note))
            print(f"  {label:<18} {result['seconds']:8.1f} s  peak {result['peak_mib']:7.0f} MiB   {note}",
                  flush=True)
            if stage == "build" and not outcome.get("success"):
                print(f"  build {period} did not succeed: {outcome.get('errors')}")
            if stage == "audit" and not outcome.get("publishable"):
                print(f"  audit {period} FAILED, nothing promoted or published: "
                      f"{outcome.get('first_failures')}")
                skipped_periods.add(period)

        bare, bare_wall, bare_max, bare_err = run_measured(
            ["--stage", "bare", "--home", str(home), "--bare-dir", str(bare_dir)], env)
        if bare is None:
            print(f"bare baseline FAILED:\n{bare_err}")
        try:
            ours = pipeline_figures(home, periods)
        except Exception as error:  # the comparison is a check, not a stage: say why it is missing
            print(f"could not read the pipeline's figures back: {error}")
    finally:
        print()
        print(f"{'stage':<20}{'call s':>9}{'process s':>11}{'peak MiB':>10}{'max MiB':>9}  outcome")
        for label, seconds, wall, peak, max_mib, note in rows:
            call = "—" if seconds is None else f"{seconds:.1f}"
            peak_text = "—" if peak is None else f"{peak:.0f}"
            print(f"{label:<20}{call:>9}{wall:>11.1f}{peak_text:>10}{max_mib:>9.0f}  {note}")
        measured = [r for r in rows if not r[0].startswith("generate") and r[1] is not None]
        pipeline_call = sum(r[1] for r in measured)
        pipeline_process = sum(r[2] for r in measured)
        pipeline_peak = max((r[4] for r in measured), default=0.0)
        print(f"{'pipeline (no generate)':<20}{pipeline_call:>9.1f}{pipeline_process:>11.1f}{'':>10}"
              f"{pipeline_peak:>9.0f}")
        if failed:
            print(f"\nPIPELINE FAILED at {failed}")
        if bare is not None:
            for step, figures in bare["steps"].items():
                print(f"{'bare ' + step:<20}{figures['seconds']:>9.1f}{'':>11}{figures['peak_mib']:>10.0f}")
            bare_total = sum(s["seconds"] for s in bare["steps"].values())
            print(f"{'bare total':<20}{bare_total:>9.1f}{bare_wall:>11.1f}{'':>10}{bare_max:>9.0f}")
            print(f"bare read: {bare['figures']['speed_tests']:,} speed tests, "
                  f"{bare['figures']['fibre_rows']:,} fibre report rows, {bare['figures']['site_rows']:,} "
                  "base-station rows")
            if skipped_periods:
                print(f"\npromote and publish did not run for {', '.join(sorted(skipped_periods))} (audit "
                      "failed): the pipeline total below lacks them")
            if not failed and bare_total > 0:
                print(f"\npipeline ÷ bare: {pipeline_call / bare_total:.2f}× wall (stage calls), "
                      f"{pipeline_process / bare_wall:.2f}× (whole processes); peak memory "
                      f"{pipeline_peak:.0f} MiB vs {bare_max:.0f} MiB ({pipeline_peak / bare_max:.2f}×)")
            for period, theirs in bare["figures"]["nation"].items():
                mine = ours.get(period, {})
                print(f"national {period} (pipeline from {mine.get('schema', '—')}): " + "; ".join(
                    f"{name} pipeline {mine.get(name)} / bare {value}" for name, value in theirs.items()))
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept: {work}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
