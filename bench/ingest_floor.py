"""Benchmark (not a test): the floor of ingesting a speed_tests csv.gz, statement by statement (issue 12).

    .venv/bin/python bench/ingest_floor.py                 # the 10 M-row month bench_ingest.py generates
    .venv/bin/python bench/ingest_floor.py --rows 1000000  # a quick check
    .venv/bin/python bench/ingest_floor.py --file PATH     # an existing speed_tests.csv.gz

In one process, on the same file, with the settings of the ingest (DuckDB threads 2, memory limit
4GB, a disk database in a temporary folder, session time zone UTC), every statement is timed twice
and the better run is kept (wall and CPU: user + system of the process, every thread):

1. ``bare``: ``create table … as select * from read_csv(file)``, as ``bench_ingest.py``'s baseline
   (DuckDB sniffing the file; the denominator of the ingest's 1.5× target), and ``bare typed``: the
   same with the contract's types given (``columns=…``, no sniffing);
2. the typed read with ``store_rejects=true`` and the options of ``parse.prepare_large`` (delim,
   quote, escape, header=false, skip, auto_detect=false, explicit columns), alone and followed by
   the ingest's expressions for typed sources (``stage.typed_sql``: trimming text, mapping enums,
   NaN/inf → missing) into the in-memory ``work`` database, as a typed clean path would issue it;
3. the all-VARCHAR read with ``store_rejects`` exactly as ``prepare_large`` builds it (its SQL is
   taken from ``prepare_large`` itself), as a ``CREATE TABLE AS``;
4. typing that VARCHAR table with the ingest's expressions (``Workbench._typed_select`` →
   ``stage.typed_sql``, VARCHAR sources), and 3 + 4 fused in one statement into ``work`` as
   ``Workbench.stage_direct`` issues it;
5. the copy into ``raw.speed_tests`` with the lineage columns (five constants, ``loaded_at`` and the
   line number from ``rowid``), ``stage_direct``'s ``INSERT``; the scan of the file that proves it
   regular (``lines.scan``: a thread of the ingest while DuckDB reads); and, as a one-pass floor,
   the typed read of 2 straight into raw with the lineage constants (no line number);
6. the uniqueness check the ingest ran on speed_tests until issue 12 (``Workbench.validate_sql``:
   (submission id, test_id) over the stage view of raw), and cheaper checks; each is checked to
   return the same duplicate rows on a copy of the table with duplicates injected (the ingest now
   runs the ``count(distinct hash(key))`` gate first); and ``validate_sql`` whole (the suite);
7. the whole ``qamtu.ingest.ingest_new`` of the file, as ``bench_ingest.py`` runs it.

Prints one table: statement, wall s, CPU s, CPU ratio to the bare read, the 1-minute load average.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench_ingest import cpu_seconds, generate, ingest, warm  # bench/ is on sys.path: run as a script

SID = "sub-floor-0001"
LINEAGE = {"kind": "measurement", "submitter": "qos", "period": "2026-02",
           "source_key": "measurement/qos/2026-02/speed_tests.csv.gz", "loaded_at": "2026-12-01 00:00:00+00"}


class Timer:
    def __init__(self, runs: int):
        self.runs, self.rows = runs, []

    def measure(self, name: str, run: Callable[[], object], before: Callable[[], None] | None = None,
                runs: int | None = None) -> object:
        """Best of ``runs`` (by CPU) of ``run``; ``before`` (not timed) resets what ``run`` creates."""
        best = None
        result = None
        for _ in range(runs or self.runs):
            if before is not None:
                before()
            started, cpu = time.perf_counter(), cpu_seconds()
            result = run()
            wall, cpu = time.perf_counter() - started, cpu_seconds() - cpu
            load = os.getloadavg()[0]
            if best is None or cpu < best[1]:
                best = (wall, cpu, load)
        self.rows.append((name, *best))
        print(f"  {name:<62} {best[0]:8.2f} s wall {best[1]:8.2f} s CPU  load {best[2]:.1f}", flush=True)
        return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--file", type=Path, help="an existing speed_tests .csv.gz")
    parser.add_argument("--rows", type=int, default=10_000_000, help="rows to generate (without --file)")
    parser.add_argument("--period", default="2026-02", help="the generator writes csv.gz for 2026-02")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--memory-limit", default="4GB")
    parser.add_argument("--runs", type=int, default=2, help="runs of each statement; the best counts")
    parser.add_argument("--no-ingest", action="store_true", help="skip statement 7 (the whole ingest)")
    args = parser.parse_args(argv)

    import duckdb
    from qamtu.contracts import load_contract
    from qamtu.ingest import lines, load, parse, stage, suites
    from qamtu.ingest.suites import q

    folder = Path(tempfile.mkdtemp(prefix="qamtu-bench-floor-"))
    try:
        path = args.file or generate(args.rows, args.period, folder)
        print(f"{path.name}: {path.stat().st_size / 2**20:,.0f} MiB; threads {args.threads}, "
              f"memory limit {args.memory_limit}; {os.cpu_count()} CPUs; load {os.getloadavg()}", flush=True)
        warm(path)
        contract = load_contract("speed_tests")
        large = parse.prepare_large(path, "csv.gz", contract, folder, regular=True)
        if large.unnumbered is None:
            raise SystemExit("prepare_large did not read the file as a regular CSV")
        database = folder / "floor.duckdb"
        con = duckdb.connect(str(database),
                             config={"threads": args.threads, "memory_limit": args.memory_limit})
        # The ingest's working database: ``work`` attached in memory (compressed), its macros, UTC, the
        # reference tables (loaded now, before anything is timed).
        bench = stage.Workbench(con, folder / "scratch", args.memory_limit)
        bench.wait_for_reference()
        timer = Timer(args.runs)
        drop = lambda *names: lambda: [con.execute(f"drop table if exists {n}") for n in names]  # noqa: E731

        # -- 1. bare reads -----------------------------------------------------------------------
        width = large.width
        field_at = {int(column[1:]): name for name, column in large.columns.items()}
        duck_type = {i: stage.DUCK_TYPES[contract.field(field_at[i]).type] if i in field_at else "VARCHAR"
                     for i in range(width)}
        names = [field_at.get(i, f"c{i}") for i in range(width)]
        typed_columns = "{" + ", ".join(f"'{n}': '{duck_type[i]}'" for i, n in enumerate(names)) + "}"
        file = parse._sql_text(str(path))
        timer.measure("1. bare: read_csv(file), sniffed (bench_ingest's baseline)",
                      lambda: con.execute("create table bare as select * from "
                                          f"read_csv({file})"), drop("bare"))
        bare_types = con.execute("select column_name, column_type from (describe bare)").fetchall()
        rows = con.execute("select count(*) from bare").fetchall()[0][0]
        con.execute("drop table bare")
        timer.measure("1t. bare typed: read_csv(file, columns=contract types)",
                      lambda: con.execute(f"create table bare_typed as select * from read_csv({file}, "
                                          "header=true, auto_detect=false, "
                                          f"columns={typed_columns})"), drop("bare_typed"))

        # -- 2. typed read with store_rejects, the ingest's options ------------------------------
        options = large.unnumbered.split("read_csv(", 1)[1]
        typed_options = options.replace("qamtu_rejects_", "floor_rejects_typed_")
        # The same options, only the column types changed (VARCHAR → the contract's types).
        varchar_columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width)) + "}"
        contract_columns = "{" + ", ".join(f"'c{i}': '{duck_type[i]}'" for i in range(width)) + "}"
        if varchar_columns not in typed_options:
            raise SystemExit(f"unexpected reader from prepare_large: {large.unnumbered}")
        typed_reader = f"(select * from read_csv({typed_options.replace(varchar_columns, contract_columns)}"
        varchar_reader = large.unnumbered  # exactly prepare_large's
        print(f"  typed reader: {typed_reader[:300]}…", flush=True)
        timer.measure("2. typed read_csv + store_rejects (ingest's options)",
                      lambda: con.execute(f"create table typed_read as select * from {typed_reader}"),
                      drop("typed_read"))
        rejected = con.execute("select count(*) from floor_rejects_typed_0").fetchall()[0][0] \
            if _has(con, "floor_rejects_typed_0") else 0
        described = dict(con.execute("select column_name, column_type from (describe select * from "
                                     f"{typed_reader})")
                         .fetchall())
        if set(large.columns) != {f.name for f in contract.fields}:
            raise SystemExit("the generated file lacks a field of the contract")
        typed_exprs = [f"{stage.typed_sql(f, large.columns[f.name], described[large.columns[f.name]])} as "
                       f"{q(f.name)}"
                       for f in contract.fields if f.name in large.columns]
        timer.measure("2+. typed read + store_rejects + typed_sql (text, enums) → work",
                      lambda: con.execute(f"create or replace table work.typed_clean as select "
                                          f"{', '.join(typed_exprs)} from {typed_reader}"),
                      drop("work.typed_clean"))

        # -- 3. VARCHAR read as prepare_large does it; 4. typing as the ingest does it ------------
        timer.measure("3. VARCHAR read_csv + store_rejects (prepare_large), CTAS",
                      lambda: con.execute(f"create table varchar_read as select * from {varchar_reader}"),
                      drop("varchar_read"))
        inner = [f"{stage.typed_sql(f, large.columns[f.name], 'VARCHAR')} as {q('v_' + f.name)}"
                 for f in contract.fields if f.name in large.columns]
        timer.measure("4. typing the VARCHAR table (typed_sql) → disk table",
                      lambda: con.execute(f"create table typed_from_varchar as select {', '.join(inner)} "
                                          f"from varchar_read"), drop("typed_from_varchar"))
        con.execute("drop table varchar_read")
        con.execute("drop table typed_from_varchar")
        timer.measure("3+4. read VARCHAR + type in one CTAS → work (stage_direct)",
                      lambda: con.execute(f"create or replace table work.typed_speed_tests as select "
                                          f"{', '.join(inner)} from {varchar_reader}"),
                      drop("work.typed_speed_tests"))

        # -- 5. lineage: the copy into raw, and the scan proving the lines -----------------------
        raw_ddl = ", ".join(f"{q(n)} {t}" for n, t in load.raw_columns(contract))
        con.execute("create schema if not exists raw")
        fields = ", ".join(q(f.name) for f in contract.fields)
        lineage_columns = "submission_id, kind, submitter, period, source_key, source_line, loaded_at"
        outer = [q("v_" + f.name) if f.name in large.columns else f"null::{stage.DUCK_TYPES[f.type]}"
                 for f in contract.fields]
        params = [SID, LINEAGE["kind"], LINEAGE["submitter"], LINEAGE["period"], LINEAGE["source_key"],
                  LINEAGE["loaded_at"]]
        first_line = int(large.first_line)

        def recreate_raw() -> None:
            con.execute("drop table if exists raw.speed_tests")
            con.execute(f"create table raw.speed_tests ({raw_ddl})")

        # A one-pass floor: the typed clean read straight into raw with the lineage constants (the line
        # left empty: numbering it needs the position of the row, see the docstring of stage_direct).
        timer.measure("5d. one pass: typed read + rejects + typed_sql + lineage → raw (no line)",
                      lambda: con.execute(
                          f"insert into raw.speed_tests ({fields}, {lineage_columns}) "
                          f"select {', '.join(typed_exprs)}, ?, ?, ?, ?, ?, null, cast(? as timestamptz) "
                          f"from {typed_reader}", params), recreate_raw)
        timer.measure(
            "5. insert into raw with lineage + line (stage_direct)",
            lambda: con.execute(
                f"insert into raw.speed_tests ({fields}, {lineage_columns}) "
                f"select {', '.join(outer)}, ?, ?, ?, ?, ?, t._k + {first_line}, cast(? as "
                f"timestamptz) from (select rowid as _k, * from work.typed_speed_tests) t",
                params,
            ),
            recreate_raw,
        )
        timer.measure("5s. line regularity scan (lines.scan; a thread in the ingest)",
                      lambda: lines.scan(path, True))
        con.execute("drop table work.typed_speed_tests")

        # -- 6. uniqueness -----------------------------------------------------------------------
        con.execute("create table work.retext_speed_tests (_submission_id varchar, _line bigint, "
                    + ", ".join(f"{q(stage.raw_column(f.name))} varchar" for f in contract.fields
                                if stage.keeps_raw(f)) + ")")
        view = ("create or replace view work.stage_speed_tests as select r.submission_id as _submission_id, "
                "r.source_line as _line, " + ", ".join(
                    f"r.{q(f.name)}" + (f", t.{q(stage.raw_column(f.name))}" if stage.keeps_raw(f) else "")
                    for f in contract.fields)
                + " from {raw} r left join work.retext_speed_tests t on t._submission_id = r.submission_id "
                  f"and t._line = r.source_line where r.submission_id in ('{SID}')")
        con.execute(view.format(raw="floor.raw.speed_tests"))
        expectation = next(e for e in suites.row_expectations("speed_tests")
                           if e.type == "expect_compound_columns_to_be_unique")
        keys = [q(c) for c in suites.unique_columns(expectation)]
        source = f"(select * from work.stage_speed_tests where _submission_id in ('{SID}'))"
        checks = uniqueness_checks(keys, source)
        clean = {}
        for name, check in checks.items():
            timer.measure(f"6. {name}", lambda check=check: check(con),
                          lambda: con.execute("delete from work.findings"))
            clean[name] = con.execute("select count(*) from work.findings").fetchall()[0][0]
        bench.add_submission(SID, LINEAGE["kind"], LINEAGE["submitter"], LINEAGE["period"],
                             LINEAGE["source_key"],
                             "speed_tests", dt.date(2026, 2, 28), None)
        bench._direct.append(SID)
        bench._modes["speed_tests"] = "direct"
        checked = bench.checked(contract, [SID])
        timer.measure("6v. validate_sql: the whole suite (row rules + the ingest's uniqueness)",
                      lambda: bench.validate_sql(contract, checked),
                      lambda: con.execute("delete from work.findings"))
        suite_hits = con.execute("select count(*) from work.findings").fetchall()[0][0]
        con.execute("delete from work.findings")
        # The same duplicates on a copy with some injected: every 250,000th row takes the test_id of
        # line 2, every 300,000th that of line 4, and line 3 has none (ignored by the check).
        con.execute("create table raw.dups as select * from raw.speed_tests")
        for every, offset, line in ((250_000, 7, 2), (300_000, 11, 4)):
            con.execute("update raw.dups set test_id = (select test_id from raw.speed_tests where "
                        f"source_line = {line}) where source_line % {every} = {offset}")
        con.execute("update raw.dups set test_id = null where source_line = 3")
        con.execute(view.format(raw="floor.raw.dups"))
        expected = None
        agree = True
        for name, check in checks.items():
            con.execute("delete from work.findings")
            check(con)
            got = sorted(con.execute("select _submission_id, _line from work.findings").fetchall())
            expected = got if expected is None else expected
            agree &= got == expected
            print(f"  duplicates found by {name}: {len(got)} rows{'' if got == expected else ' DIFFERENT'}")
        if not expected:
            print("  no duplicates found in the injected copy: the comparison proves nothing")
            agree = False
        bench.close()
        con.close()

        # -- 7. the whole ingest -----------------------------------------------------------------
        if not args.no_ingest:
            def whole() -> None:
                summary, *_ = ingest(path, folder, args.period, args.threads, args.memory_limit)
                if summary["failed"] or summary["submissions"] != 1:
                    raise SystemExit("ingestion did not go through: "
                                     f"{summary['failures'] or summary['files']}")
            timer.measure("7. qamtu ingest_new (bench_ingest)", whole)

        base = timer.rows[0][2]
        print(f"\n{rows:,} rows, {rejected} rejected by the typed reader; bare read types: "
              + ", ".join(f"{n} {t}" for n, t in bare_types))
        print(f"suite hits on the clean file: {suite_hits}")
        print(f"clean file: duplicates flagged {clean}; the checks agree on injected duplicates: {agree}")
        print("\n| statement | wall s | CPU s | CPU / bare | load |\n|---|---|---|---|---|")
        for name, wall, cpu, load_avg in timer.rows:
            print(f"| {name} | {wall:.2f} | {cpu:.2f} | {cpu / base:.2f}× | {load_avg:.1f} |")
        print(f"\nload {os.getloadavg()}; {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC")
        return 0 if agree else 2
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _has(con, table: str) -> bool:
    return bool(
        con.execute("select count(*) from duckdb_tables() where table_name = ?", [table]).fetchall()[0][0]
    )


def uniqueness_checks(keys: list[str], source: str) -> dict[str, Callable]:
    """The ingest's check and cheaper ones; each inserts the rows of duplicated keys into
    ``work.findings`` (expectation 0) and returns nothing."""
    present = " and ".join(f"{k} is not null" for k in keys)
    match = " and ".join(f"d.{k} = c.{k}" for k in keys)
    key_list = ", ".join(keys)
    row_hash = f"hash({key_list})"
    insert = "insert into work.findings (_submission_id, _line, expectation) "

    def ingest_sql(
        con,
    ) -> None:  # Workbench.validate_sql before issue 12, verbatim (now behind the hash gate)
        con.execute(
            f"{insert}"
            f"with repeated_hashes as (select {row_hash} as h from {source} where {present} "
            f"group by 1 having count(*) > 1), "
            f"suspects as (select * from {source} where {present} "
            f"and {row_hash} in (select h from repeated_hashes)), "
            f"dups as (select {key_list} from suspects group by all having count(*) > 1) "
            f"select c._submission_id, c._line, 0 from suspects c "
            f"where exists (select 1 from dups d where {match})")

    def group_keys(con) -> None:  # no hash pass: group the keys, join the repeated ones back
        con.execute(
            f"{insert}with dups as (select {key_list} from {source} where {present} group by all "
            f"having count(*) > 1) "
            f"select c._submission_id, c._line, 0 from {source} c semi join dups d on {match}")

    def gate(test: str) -> Callable:
        def check(con) -> None:  # a cheap test first; the ingest's query only when it finds a repeat
            if con.execute(test).fetchall()[0][0]:
                ingest_sql(con)
        return check

    count_distinct = f"select count(*) - count(distinct ({key_list})) from {source} where {present}"
    count_hash = f"select count(*) - count(distinct {row_hash}) from {source} where {present}"
    any_repeat = (f"select count(*) from (select 1 from {source} where {present} group by all "
                  f"having count(*) > 1 limit 1)")
    # Within one submission the submission id is constant: its repeats are those of test_id alone.
    per_submission = [k for k in keys if k.strip('"') != "_submission_id"]
    one_key = (f"select count(*) - count(distinct ({', '.join(per_submission)})) from {source} "
               f"where {present}") if len(per_submission) < len(keys) else count_distinct
    return {
        "uniqueness: the ingest's until issue 12 (hash groups, then values)": ingest_sql,
        "uniqueness: group by key having count > 1, semi join": group_keys,
        "uniqueness: count(*) - count(distinct key) gate": gate(count_distinct),
        "uniqueness: count(*) - count(distinct hash(key)) gate (the ingest's now)": gate(count_hash),
        "uniqueness: group by key having count > 1 limit 1 gate": gate(any_repeat),
        "uniqueness: count distinct test_id (one submission) gate": gate(one_key),
    }


if __name__ == "__main__":
    sys.exit(main())
