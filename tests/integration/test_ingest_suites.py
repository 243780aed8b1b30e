"""The Great Expectations suites under expectations/raw/ are generated from the contracts, name the
rule each expectation enforces, and give the same verdicts whether GX runs them on a pandas frame or
they are compiled to SQL for DuckDB."""

from __future__ import annotations

import datetime as dt
import random

import duckdb
import pyarrow as pa
import pytest
from qamtu.contracts import load_contract, report_types

SUBMITTERS = {"operator": ("kcell", None), "akimat": ("19", "19"), "measurement": ("qos", None)}


def test_committed_suite_files_equal_what_the_contracts_generate():
    from qamtu.ingest.suites import SUITE_DIR, suite_text

    committed = {p.stem for p in SUITE_DIR.glob("*.json")}
    assert committed == set(report_types())
    for report_type in report_types():
        expected = suite_text(load_contract(report_type))
        assert (SUITE_DIR / f"{report_type}.json").read_text(encoding="utf-8") == expected, (
            f"expectations/raw/{report_type}.json is stale: run python -m qamtu.ingest.suites")


@pytest.mark.parametrize("report_type", report_types())
def test_every_expectation_names_a_rule_of_the_catalogue_and_every_constraint_has_one(report_type):
    from qamtu.contracts.rules import is_known_rule
    from qamtu.ingest.suites import expectations_of

    contract = load_contract(report_type)
    expectations = expectations_of(report_type)
    for e in expectations:
        assert is_known_rule(e.rule, contract), (report_type, e.rule)
        assert e.severity in ("error", "warning")
    rules = {(e.rule, e.field) for e in expectations}
    for f in contract.fields:
        wanted = {"required": f.required, "enum": bool(f.enum), "minimum": f.minimum is not None,
                  "maximum": f.maximum is not None, "exclusive_minimum": f.exclusive_minimum is not None,
                  "exclusive_maximum": f.exclusive_maximum is not None, "pattern": bool(f.pattern),
                  "unique": f.unique, "reference": bool(f.reference),
                  "in_submitter_region": f.in_submitter_region}
        for rule, present in wanted.items():
            assert ((rule, f.name) in rules) == present, (report_type, f.name, rule)
    for rule in contract.row_rules:
        assert (rule.id, rule.field) in rules, (report_type, rule.id)


# --- GX on pandas and SQL agree ------------------------------------------------------------------
def _pools(contract) -> dict[str, list[str | None]]:
    """Cell spellings per field: valid ones, aliases, and every kind of wrong."""
    from qamtu.reference import cities_5g, districts, settlements

    kato = settlements()
    in_19 = kato[kato["region_code"] == "19"]["kato_code"].head(4).tolist()
    in_10 = kato[kato["region_code"] == "10"]["kato_code"].head(2).tolist()
    codes = {
        "kato.settlement": in_19 + in_10 + ["191000000", "999999999", "12345", " 192020100 "],
        "kato.district": districts()[districts()["region_code"] == "19"]["kato_code"].head(3).tolist()
        + ["101000000", "192020100", "999999999", "19100"],
        "kato.any": in_19 + ["190000000", "101010100", "199999999", "1901"],
        "city_5g": cities_5g()["kato_code"].head(3).tolist() + ["192020100", "999999999", "7510101"],
        "roads": ["A-3", "A-2", "M-36", "X-999"],
    }
    pools: dict[str, list[str | None]] = {}
    for f in contract.fields:
        if f.reference:
            pool = list(codes[f.reference])
        elif f.enum:
            pool = list(f.enum) + [a for v in f.enum for a in f.value_aliases.get(v, ())[:1]] + ["junk"]
        elif f.type == "string":
            pool = [f"ID-{i}" for i in range(6)]  # few ids: duplicates happen
        elif f.type == "integer":
            pool = ["0", "5", "120", "-3", "1 500", "1,5", "x"]
        elif f.type == "number":
            pool = ["0", "10", "25,5", "-0.5", "43.5", "39", "56", "47", "90", "1330", "1400", "abc"]
        elif f.type == "date":
            pool = ["2026-03-15", "2026-03-31", "2026-04-01", "05.02.2026", "31.02.2026", "2025-12-01"]
        elif f.type == "datetime":
            pool = ["2026-03-10T10:00:00Z", "2026-03-31T23:59:59Z", "2026-04-01T00:00:00Z", "bad"]
        else:
            pool = ["да", "нет", "1", "0", "maybe"]
        pools[f.name] = pool + [None]
    return pools


def _fuzzed(contract, rng: random.Random, rows: int) -> pa.Table:
    pools = _pools(contract)
    columns = {"_line": pa.array(range(2, rows + 2), pa.int64())}
    for name, pool in pools.items():
        columns[name] = pa.array([rng.choice(pool) for _ in range(rows)], pa.string())
    return pa.table(columns)


@pytest.mark.parametrize("report_type", report_types())
def test_gx_on_pandas_and_the_sql_route_flag_the_same_rows(report_type, tmp_path):
    from qamtu.ingest.stage import Workbench
    from qamtu.ingest.suites import row_expectations

    contract = load_contract(report_type)
    submitter, region = SUBMITTERS[contract.kind]
    rng = random.Random(f"routes-{report_type}")
    con = duckdb.connect()
    with Workbench(con, tmp_path) as bench:
        ids = []
        for n in range(2):
            sid = f"{report_type}-{n}"
            bench.add_submission(sid, contract.kind, submitter, "2026-03",
                                 f"{contract.kind}/{submitter}/2026-03/"
                                 f"{report_type}.csv", report_type, dt.date(2026, 3, 31), region)
            bench.stage_arrow(contract, sid, _fuzzed(contract, rng, 400))
            ids.append(sid)
        checked = bench.checked(contract, ids)

        def hits() -> set[tuple]:
            found = set(con.execute("select _submission_id, _line, expectation from "
                                    "work.findings").fetchall())
            con.execute("delete from work.findings")
            return found

        bench.validate_gx(contract, checked)
        by_gx = hits()
        bench.validate_sql(contract, checked)
        by_sql = hits()
    con.close()
    assert by_gx == by_sql
    fired = {e for _, _, e in by_sql}
    assert fired == {e.index for e in row_expectations(report_type)}, "every expectation fires on this input"
