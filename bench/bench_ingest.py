"""Benchmark (not a test): ingest one month of speed_tests and compare with DuckDB's bare read.

    .venv/bin/python bench/bench_ingest.py                 # generate 10 M rows (csv.gz), then measure
    .venv/bin/python bench/bench_ingest.py --rows 1000000  # a smaller month
    .venv/bin/python bench/bench_ingest.py --file PATH     # reuse an existing speed_tests.csv.gz/.parquet

In one process, on the same file, with the same DuckDB threads and memory limit:

1. **bare**: ``create table … as select * from read_csv(file)`` into a fresh DuckDB file — DuckDB
   sniffing and typing the file itself, no checks (the floor);
2. **ingest**: ``qamtu.ingest.ingest_new`` on a fresh QAMTU_HOME whose landing holds that file:
   copy + sha256 + archive, header/encoding sniffing, SQL typing, every suite expectation pushed down to
   SQL, raw load, quarantine, receipt.

Three files (issue 12): the month's csv.gz; a copy of it with one row in 1,000 given a field too
many (``--malformed-every``; the bare read is then ``read_csv(…, ignore_errors=true)``, and the
benchmark checks that exactly those lines were held back as ``file.unreadable_row``); and the
generator's Parquet month (``--parquet-period``). Targets: ≤ 1.5× the bare read for csv.gz (the
malformed copy too), ≤ 2× for Parquet, peak < 2 GiB. The 1-minute load average is printed beside
every figure: the machine is shared.

Prints rows/s, wall and CPU seconds (user + system of the process, all threads) and the peak
resident memory of each phase (sampled every 20 ms with psutil; the process-wide maximum from
getrusage too). Target: ingest within 1.5× of the bare read (wall), < 4 GiB. The file is read once
beforehand so both phases find it in the page cache. ``--repeat N`` measures bare and ingest N
times, alternating, and judges the median ratio: on a shared machine one pair of runs can be off
by 30 % either way. The CPU ratio is printed too: it moves much less with other people's load.

Measured on the 2-core development machine, 10 M rows, 3 alternating runs each, load 0.7–1.7
(2026-11-25; ``--file`` on files the generator wrote for 2026-02 and 2026-03):

==================  =============  ==============  ===========  ===========  ========
file                bare read      ingest          ingest/bare  CPU ratio    peak RSS
==================  =============  ==============  ===========  ===========  ========
csv.gz (338 MiB)    6.73–6.93 s    13.17–13.79 s   1.90–2.00×   1.99–2.07×   1.72 GiB
Parquet (256 MiB)   2.92–3.01 s    8.12–8.27 s     2.74–2.78×   2.60–2.65×   1.09 GiB
==================  =============  ==============  ===========  ===========  ========

The 1.5× target is not met. Where the ingest time goes (csv.gz): typing into the working table on
both threads 6.0 s, the copy into ``raw`` with its lineage columns 4.0 s (writing seven more
columns than the bare table, five of them text), the suite pushed down to SQL 1.5–2 s, copy and
sha256 0.4–0.8 s. Before the ``WITH ORDINALITY`` read was replaced (one thread for the whole
insert) the same runs gave 21.2–22.7 s, 3.08–3.31×.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from peak_memory import PeakMemory  # bench/ is on sys.path: the benchmarks run as scripts

TARGET_RATIO = 1.5  # csv.gz
TARGET_PARQUET = 2.0
TARGET_PEAK_GIB = 2.0


def generate(rows: int, period: str, folder: Path) -> Path:
    """One month of speed tests written by the project's generator (csv.gz)."""
    from qamtu.generate import generate_submissions
    from qamtu.generate.speed import ROWS_PER_MONTH

    out = folder / "generated"
    generate_submissions(out=out, periods=[period], scale=rows / ROWS_PER_MONTH, seed=7, defects=None,
                         progress=None)
    found = sorted((out / "landing" / "measurement" / "qos" / period).glob("speed_tests.*"))
    if not found:
        raise SystemExit(f"the generator wrote no speed_tests file under {out}")
    return found[0]


def warm(path: Path) -> None:
    with path.open("rb") as stream:
        while stream.read(16 * 1024 * 1024):
            pass


def cpu_seconds() -> float:
    """User + system CPU time of this process so far (every thread, DuckDB's included)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def bare_read(path: Path, folder: Path, threads: int, memory_limit: str,
              skip_errors: bool = False) -> tuple[int, float, float, int]:
    """DuckDB alone: ``create table … as select * from read_csv/read_parquet(file)``. With
    ``skip_errors`` (the file with malformed rows) ``read_csv(…, ignore_errors=true)``: DuckDB's own
    reader skipping what it cannot read, the least a reader of that file has to do."""
    import duckdb

    database = folder / "bare.duckdb"
    con = duckdb.connect(str(database), config={"threads": threads, "memory_limit": memory_limit})
    con.execute("set enable_progress_bar = false")
    reader = "read_parquet" if path.name.endswith(".parquet") else "read_csv"
    options = ", ignore_errors=true" if skip_errors else ""
    with PeakMemory() as memory:
        started, cpu = time.perf_counter(), cpu_seconds()
        con.execute(f"create table speed_tests as select * from {reader}('{path}'{options})")
        seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    rows = con.execute("select count(*) from speed_tests").fetchall()[0][0]
    con.close()
    database.unlink()
    return rows, seconds, cpu, memory.peak


def with_malformed_rows(path: Path, folder: Path, every: int) -> tuple[Path, list[int]]:
    """A copy of a speed_tests csv.gz in which every ``every``-th data row has one field too many
    (lines 2 + every − 1, …); returns the copy and the lines made malformed."""
    import gzip

    target = folder / f"malformed-{path.name}"
    bad: list[int] = []
    with gzip.open(path, "rb") as source, gzip.open(target, "wb", compresslevel=1) as sink:
        for number, line in enumerate(source, start=1):
            if number > 1 and (number - 1) % every == 0:
                line = line.rstrip(b"\r\n") + b",extra\n"
                bad.append(number)
            sink.write(line)
    return target, bad


def ingest(
    path: Path, folder: Path, period: str, threads: int, memory_limit: str
) -> tuple[dict, float, float, int]:
    from qamtu.ingest import ingest_new
    from qamtu.settings import Settings

    home = folder / "home"
    shutil.rmtree(home, ignore_errors=True)  # a fresh QAMTU_HOME for every repetition
    ext = "parquet" if path.name.endswith(".parquet") else "csv.gz" if path.name.endswith(".gz") else "csv"
    target = home / "landing" / "measurement" / "qos" / period / f"speed_tests.{ext}"
    target.parent.mkdir(parents=True)
    shutil.copyfile(path, target)  # the submitter's upload: not part of ingestion
    settings = Settings(home=home, warehouse="duckdb", storage="local", duckdb_threads=threads,
                        duckdb_memory_limit=memory_limit)
    with PeakMemory() as memory:
        started, cpu = time.perf_counter(), cpu_seconds()
        summary = ingest_new(settings=settings, today=dt.date.today())
        seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    return summary, seconds, cpu, memory.peak


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--file", type=Path, help="an existing speed_tests .csv.gz/.csv/.parquet")
    parser.add_argument("--rows", type=int, default=10_000_000, help="rows to generate (without --file)")
    parser.add_argument("--period", default="2026-02",
                        help="2026-02: csv.gz (the generator writes Parquet in months 03, 06, 09, 12)")
    parser.add_argument("--parquet-period", default="2026-03",
                        help="also generate and measure this month's Parquet file ('' to skip; without "
                             "--file)")
    parser.add_argument("--malformed-every", type=int, default=1000,
                        help="also measure a copy of the csv.gz with every N-th row malformed (0 to skip; "
                             "1000 = 0.1 %%)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--memory-limit", default="4GB")
    parser.add_argument("--repeat", type=int, default=1,
                        help="pairs of runs (bare, ingest); the median ratio counts")
    parser.add_argument("--keep", action="store_true", help="keep the working folder")
    args = parser.parse_args(argv)

    folder = Path(tempfile.mkdtemp(prefix="qamtu-bench-ingest-"))
    try:
        path = args.file or generate(args.rows, args.period, folder)
        cases: list[tuple[str, Path, str, list[int] | None]] = [(path.name, path, args.period, None)]
        if args.malformed_every and path.name.endswith(".csv.gz"):
            bad_path, bad = with_malformed_rows(path, folder, args.malformed_every)
            cases.append((f"{path.name}, 1 row in {args.malformed_every:,} malformed", bad_path,
                          args.period, bad))
        if args.parquet_period and not args.file:
            parquet = generate(args.rows, args.parquet_period, folder / "parquet")
            cases.append((parquet.name, parquet, args.parquet_period, None))
        failed = False
        results = []
        for title, case_path, period, bad in cases:
            print(f"\n== {title}: {case_path.stat().st_size / 2**20:,.0f} MiB", flush=True)
            warm(case_path)
            target = TARGET_PARQUET if case_path.name.endswith(".parquet") else TARGET_RATIO
            ratios, cpu_ratios, peaks = [], [], []
            print(f"{'':10} {'rows':>12} {'seconds':>9} {'CPU s':>8} {'rows/s':>12} {'peak RSS':>10}  load "
                  "(1 min)")
            for _ in range(max(1, args.repeat)):
                rows, bare_seconds, bare_cpu, bare_peak = bare_read(
                    case_path, folder, args.threads, args.memory_limit, skip_errors=bad is not None
                )
                summary, ingest_seconds, ingest_cpu, ingest_peak = ingest(
                    case_path, folder, period, args.threads, args.memory_limit
                )
                if summary["failed"] or summary["submissions"] != 1:
                    print(f"ingestion did not go through: {summary['failures'] or summary['files']}",
                          file=sys.stderr)
                    return 1
                entry = summary["files"][0]
                for name, n, seconds, cpu, peak in (
                        ("bare read", rows, bare_seconds, bare_cpu, bare_peak),
                        ("ingest", entry["rows_read"], ingest_seconds, ingest_cpu, ingest_peak)):
                    print(f"{name:10} {n:>12,} {seconds:>9.2f} {cpu:>8.2f} {n / seconds:>12,.0f} "
                          f"{peak / 2**30:>6.2f} GiB  {os.getloadavg()[0]:.1f}", flush=True)
                ratios.append(ingest_seconds / bare_seconds)
                cpu_ratios.append(ingest_cpu / bare_cpu)
                peaks.append(ingest_peak)
            print(f"ingest status {entry['status']}: {entry['rows_read']:,} read, {entry['rows_loaded']:,} "
                  f"loaded, {entry['rows_quarantined']:,} held back (validation route: "
                  f"{entry['validation']})")
            if bad is not None:
                held = unreadable_lines(folder / "home", entry["submission_id"])
                print(f"malformed rows injected: {len(bad):,}; held back as file.unreadable_row: "
                      f"{len(held):,}; same lines: {held == bad}")
                failed |= held != bad
            ratio, peak = statistics.median(ratios), max(peaks)
            results.append((title, ratio, peak))
            print(f"ingest / bare = {ratio:.2f}× wall (median of {', '.join(f'{r:.2f}' for r in ratios)}; "
                  f"target ≤ {target}×), {statistics.median(cpu_ratios):.2f}× CPU; ingest peak "
                  f"{peak / 2**30:.2f} GiB (target < {TARGET_PEAK_GIB} GiB); load "
                  f"{os.getloadavg()}", flush=True)
            failed |= not (ratio <= target and peak < TARGET_PEAK_GIB * 2**30)
        process_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        print(f"\nprocess peak {process_peak / 2**30:.2f} GiB; {os.cpu_count()} CPUs")
        for title, ratio, peak in results:
            print(f"  {title}: {ratio:.2f}×, {peak / 2**30:.2f} GiB")
        return 2 if failed else 0
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


def unreadable_lines(home: Path, submission_id: str) -> list[int]:
    import duckdb

    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        return [r[0] for r in con.execute(
            "select line from quarantine.errors where submission_id = ? and rule = 'file.unreadable_row' "
            "order by line", [submission_id]).fetchall()]
    finally:
        con.close()


if __name__ == "__main__":
    sys.exit(main())
