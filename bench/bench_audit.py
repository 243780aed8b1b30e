"""Benchmark (not a test): audit one full month — 10 million speed tests included — beside the same
checks as bare SQL, in the same process, on the same DuckDB warehouse.

    .venv/bin/python bench/bench_audit.py                  # 10 M speed tests
    .venv/bin/python bench/bench_audit.py --rows 2000000   # a smaller month
    .venv/bin/python bench/bench_audit.py --keep /tmp/x    # keep (and reuse) the prepared warehouse

Preparation (not timed): two months are generated at scale 0.01 (every report of every submitter,
national KATO and road register), ingested and built into the candidate marts; then the audited
month's speed tests in ``raw.speed_tests`` are replaced by ``--rows`` synthetic tests made with
DuckDB's ``range()`` (same submission, realistic values: the generated month's settlements, operators
and technologies, coordinates in Kazakhstan, log-normal-ish speeds) and the speed-test marts are
rebuilt from them, so every suite sees a national-size month.

Measured ``--rounds`` times, the order alternating (best of each reported):

1. **audit**: ``audit_warehouse`` — every suite of ``expectations/`` (GX 1.x on pandas for the marts
   and cross checks, the speed-test suite compiled to SQL and pushed down), findings, lineage;
   and ``run_audit`` (the same plus candidate fingerprint, results JSON, HTML report, audit log);
2. **bare SQL**: the same rules as plain SQL — per relation one ``count(*) filter (where …)`` scan over
   its rows (the suite's expectations compiled to predicates), the uniqueness ``group by``s and row
   counts — no GX, no findings, no report.

Prints seconds, the ratio audit ÷ bare (target ≤ 2×) and the peak resident memory of the audit
(the 10 M rows never travel through Python).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from peak_memory import PeakMemory  # bench/ is on sys.path: the benchmarks run as scripts

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "include"))

PERIODS = ["2026-01", "2026-02"]
AUDITED = PERIODS[-1]
TARGET_RATIO = 2.0


def quiet(*_args, **_kwargs) -> None:
    return None


def prepare(home: Path, rows: int) -> None:
    from qamtu.generate import generate_submissions
    from qamtu.pipeline import ingest, load_reference
    from qamtu.quality import build_candidate
    from qamtu.settings import Settings
    from qamtu.warehouse import connect

    settings = Settings(home=home, warehouse="duckdb", storage="local")
    started = time.perf_counter()
    generate_submissions(out=home, periods=PERIODS, scale=0.01, seed=7)
    load_reference(settings, echo=quiet)
    ingest(settings)
    build_candidate(None, settings, echo=quiet)
    print(f"prepared two months at scale 0.01 in {time.perf_counter() - started:.0f}s")

    started = time.perf_counter()
    with connect(settings) as warehouse:
        con = warehouse.raw
        submission, key = con.execute(
            "select submission_id, source_key from raw.submissions where is_current and report_type = "
            "'speed_tests' and period = ?", [AUDITED]).fetchone()
        # What a real month looks like: the generated month's (settlement, operator, technology) mix.
        con.execute("create temp table mix as select row_number() over () - 1 as i, kato_code, operator, "
                    "technology from (select distinct kato_code, operator, technology from raw.speed_tests "
                    "where period = ?)",
                    [AUDITED])
        mix = con.execute("select count(*) from mix").fetchone()[0]
        con.execute("delete from raw.speed_tests where period = ?", [AUDITED])
        con.execute(f"""
            insert into raw.speed_tests
            select
                'QOS{AUDITED.replace('-', '')}-' || lpad(cast(n + 1 as varchar), 9, '0') as test_id,
                timestamptz '{AUDITED}-01 00:00:00+00' + to_seconds(cast(hash(n, 1) % 2419200 as bigint)),
                40.6 + (hash(n, 2) % 1400000) / 100000.0 as latitude,
                46.6 + (hash(n, 3) % 4000000) / 100000.0 as longitude,
                mix.kato_code, mix.operator, mix.technology,
                round(1 + exp((hash(n, 4) % 600) / 100.0), 2) as download_mbps,
                round(0.5 + exp((hash(n, 5) % 450) / 100.0), 2) as upload_mbps,
                round(5 + (hash(n, 6) % 20000) / 100.0, 1) as latency_ms,
                '{submission}', 'measurement', 'qos', '{AUDITED}', '{key}', n + 2, now()
            from range({rows}) as r(n)
            join mix on mix.i = hash(n, 7) % {mix}
        """)
        con.execute("update raw.submissions set rows_read = ?, rows_loaded = ? where submission_id = ?",
                    [rows, rows, submission])
        count = con.execute("select count(*) from raw.speed_tests where period = ?", [AUDITED]).fetchone()[0]
    print(f"raw.speed_tests {AUDITED}: {count:,} rows from range() in {time.perf_counter() - started:.0f}s")
    started = time.perf_counter()
    build_candidate(AUDITED, settings, echo=quiet, select="fct_speed_tests_summary+")
    print(f"speed-test marts rebuilt from them in {time.perf_counter() - started:.0f}s")


def bare_sql(warehouse) -> dict[str, int]:
    """The same rules as plain SQL over the same rows: per relation one scan counting each predicate,
    plus uniqueness and row counts. Returns the number of flagged rows per expectation."""
    from qamtu.quality import load_suites
    from qamtu.quality.relations import relation_sql
    from qamtu.quality.suites import (
        UNIQUENESS_TYPES,
        failure_predicate,
        resolve_parameters,
        table_figure_sql,
        table_verdict,
        unique_violation_sql,
    )

    suites = load_suites()
    parameters = resolve_parameters(suites)
    flagged = {}
    for suite in suites:
        columns = warehouse.columns("marts_candidate", suite.model) if suite.relation == "mart" else None
        sql = relation_sql(suite, "marts_candidate", AUDITED, "duckdb", columns)
        row_level = [e for e in suite.expectations if not e.is_table_level and e.type not in UNIQUENESS_TYPES]
        if row_level:
            counts = ", ".join("count(*) filter (where "
                               f"{failure_predicate(e, parameters)})" for e in row_level)
            for expectation, value in zip(row_level, warehouse.rows(f"select {counts} from ({sql}) as r")[0],
                                          strict=True):
                flagged[expectation.id] = int(value)
        for expectation in suite.expectations:
            if expectation.type in UNIQUENESS_TYPES:
                flagged[expectation.id] = int(warehouse.scalar(
                    f"select count(*) from ({unique_violation_sql(expectation, sql, '1')}) as v"))
            elif expectation.is_table_level:
                observed = int(warehouse.scalar(table_figure_sql(expectation, sql)))
                flagged[expectation.id] = 0 if table_verdict(expectation, observed, parameters) else 1
    return flagged


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--keep", type=Path, default=None, help="prepared home to reuse (made if missing)")
    args = parser.parse_args()

    from qamtu.quality import audit_warehouse, run_audit
    from qamtu.quality.suites import gx_context
    from qamtu.settings import Settings
    from qamtu.warehouse import connect

    scratch = None
    if args.keep:
        home = args.keep
    else:
        scratch = Path(tempfile.mkdtemp(prefix="qamtu-bench-audit-"))
        home = scratch / "qamtu"
    try:
        if not (home / "warehouse.duckdb").exists():
            prepare(home, args.rows)
        settings = Settings(home=home, warehouse="duckdb", storage="local")
        started = time.perf_counter()
        gx_context()  # GX's import and context: a process start-up cost, reported apart
        print(f"GX import + ephemeral context: {time.perf_counter() - started:.1f}s (once per process, not "
              "counted)")

        audits, runs, bares = [], [], []
        peak = 0
        result = None
        for round_number in range(args.rounds):
            with connect(settings) as warehouse:
                # Alternate which goes first, so neither always finds the other's warm caches.
                for which in (("bare", "audit") if round_number % 2 == 0 else ("audit", "bare")):
                    if which == "bare":
                        started = time.perf_counter()
                        flagged = bare_sql(warehouse)
                        bares.append(time.perf_counter() - started)
                        continue
                    with PeakMemory() as memory:
                        started = time.perf_counter()
                        result = audit_warehouse(warehouse, AUDITED, echo=quiet)
                        audits.append(time.perf_counter() - started)
                    peak = max(peak, memory.peak)
            started = time.perf_counter()
            run_audit(AUDITED, settings=settings, echo=quiet)
            runs.append(time.perf_counter() - started)

        verdicts = {e["expectation"]: e["unexpected"] for e in result["expectations"]}
        differ = {k: (verdicts.get(k), flagged.get(k)) for k in verdicts.keys() | flagged.keys()
                  if verdicts.get(k) != flagged.get(k)}
        assert not differ, f"the audit and the bare SQL disagree: {differ}"
        speed = next(s for s in result["suites"] if s["suite"] == "checks/speed_tests")
        bare, audit, full = min(bares), min(audits), min(runs)
        print(
            f"month {AUDITED}: {speed['rows']:,} speed tests; {len(result['expectations'])} expectations in "
            f"{len(result['suites'])} suites; publishable={result['publishable']}"
        )
        print(f"bare SQL (same rules):            {bare:7.2f}s")
        print(f"audit (GX + SQL push-down):       {audit:7.2f}s   {audit / bare:4.2f}× bare   "
              f"(speed-test suite {speed['seconds']:.2f}s)")
        print(f"run_audit (+ fingerprint, report): {full:7.2f}s   {full / bare:4.2f}× bare")
        print(f"peak RSS during the audit: {peak / 2**20:,.0f} MiB")
        ok = audit / bare <= TARGET_RATIO
        print(f"target ≤ {TARGET_RATIO}× bare SQL: {'met' if ok else 'NOT met'}")
        return 0 if ok else 1
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
