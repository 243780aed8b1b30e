"""The audit suites as files (valid GX 1.x suites, one per mart, every expectation with its rule and
severity) and the two routes they run by — GX on pandas and the SQL push-down — giving the same
verdicts, on hand-made speed tests whose bad rows are planted here, on DuckDB and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from dbt_fixtures import create_raw_tables, submit
from qamtu.generate.defects import AUDIT_RULES, DEFECTS
from qamtu.quality.audit import evaluate_suite
from qamtu.quality.relations import expected_submissions
from qamtu.quality.suites import (
    CHECK_SUITES_DIR,
    MART_SUITES_DIR,
    SuiteError,
    gx_suite,
    load_suites,
    read_suite,
    resolve_parameters,
)
from qamtu.settings import Settings
from qamtu.warehouse import connect

REPO = Path(__file__).resolve().parents[2]
SUITES = load_suites()


def test_one_suite_per_mart_model():
    marts = sorted(p.stem for p in (REPO / "dbt_project" / "models" / "marts").glob("*.sql"))
    assert marts, "no mart models found"
    assert sorted(p.stem for p in MART_SUITES_DIR.glob("*.json")) == marts


@pytest.mark.parametrize("suite", SUITES, ids=lambda s: s.name)
def test_suite_file_is_a_gx_suite_with_rules_and_severities(suite):
    document = suite.document  # as the audit runs it (a mart's key gate generated in front)
    assert document["expectations"], f"{suite.path} has no expectations"
    gx = gx_suite(suite)  # GX itself accepts every expectation and its kwargs
    assert len(gx.expectations) == len(document["expectations"])
    for item in document["expectations"]:
        meta = item["meta"]
        assert meta["severity"] in ("critical", "warning")
        assert item["severity"] == meta["severity"]
        assert meta["rule"] and meta["description"] and meta["guards"]
    if suite.kind == "checks":
        assert suite.path.with_name(suite.relation).is_file()
    else:
        assert suite.relation == "mart"


def test_each_mart_key_is_written_once_and_gated_by_the_audit():
    """The key of a mart is its YAML's meta.primary_key: the dbt test refers to it (a YAML anchor, so the
    parsed test lists the same columns), the audit's one-row-per-key gate is generated from it, and no
    suite file writes it again."""
    import yaml

    for path in sorted((REPO / "dbt_project" / "models" / "marts").glob("*.yml")):
        text = path.read_text(encoding="utf-8")
        (model,) = yaml.safe_load(text)["models"]
        key = model["config"]["meta"]["primary_key"]
        assert "columns: *primary_key" in text, path
        assert model["data_tests"][0]["unique_combination"]["arguments"]["columns"] == key
        suite = next(s for s in SUITES if s.name == f"marts/{model['name']}")
        first = suite.expectations[0]
        assert first.meta["rule"] == "one_row_per_key" and first.meta["severity"] == "critical"
        assert (first.kwargs.get("column_list") or [first.kwargs.get("column")]) == key
        written = json.loads(suite.path.read_text(encoding="utf-8"))["expectations"]
        assert key not in [
            item["kwargs"].get("column_list") or [item["kwargs"].get("column")]
            for item in written
            if item["meta"]["rule"] == "one_row_per_key"
        ], suite.path


def test_every_audit_rule_of_the_generator_is_a_critical_expectation():
    critical_rules = {e.rule for s in SUITES for e in s.expectations if e.severity == "critical"}
    warned = {d.rule for d in DEFECTS.values() if d.stage == "audit" and d.severity == "warning"}
    assert set(AUDIT_RULES) - warned <= critical_rules
    audit_defect_rules = {d.rule for d in DEFECTS.values() if d.stage == "audit" and d.severity == "error"}
    assert audit_defect_rules <= critical_rules
    # Audit defects the audit only warns about (an operator's late or stray answer to a challenge).
    warning_rules = {e.rule for s in SUITES for e in s.expectations if e.severity == "warning"}
    assert {
        d.rule for d in DEFECTS.values() if d.stage == "audit" and d.severity == "warning"
    } <= warning_rules


def test_contract_parameters_read_the_contract():
    schema = json.loads(
        (REPO / "include/qamtu/contracts/schemas/speed_tests.json").read_text(encoding="utf-8")
    )
    constraints = {f["name"]: f.get("constraints", {}) for f in schema["fields"]}
    values = resolve_parameters(SUITES)
    assert values["contract:speed_tests.latitude.minimum"] == constraints["latitude"]["minimum"] == 40.5
    assert values["contract:speed_tests.longitude.maximum"] == constraints["longitude"]["maximum"] == 87.4
    assert (
        values["contract:speed_tests.download_mbps.minimum"] == constraints["download_mbps"]["minimum"] == 0
    )


def test_expected_submissions_are_every_submitter_times_report_type():
    submitters = json.loads((REPO / "include/qamtu/contracts/submitters.json").read_text(encoding="utf-8"))
    kinds = {}
    for path in (REPO / "include/qamtu/contracts/schemas").glob("*.json"):
        schema = json.loads(path.read_text(encoding="utf-8"))
        if schema.get("x-expected-each-period", True):  # challenges and answers come only when there are some
            kinds.setdefault(schema["kind"], []).append(path.stem)
    expected = {
        (kind, s["id"], rt) for kind, people in submitters.items() for s in people for rt in kinds[kind]
    }
    assert set(expected_submissions()) == expected
    assert len(expected) == 4 * 4 + 20 * 5 + 1


def test_a_broken_suite_file_is_refused_with_its_name(tmp_path):
    path = tmp_path / "marts" / "fct_x.json"
    path.parent.mkdir()
    path.write_text(json.dumps({"name": "x", "expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "a"},
         "meta": {"rule": "r", "severity": "fatal", "description": "d"}}]}), encoding="utf-8")
    with pytest.raises(SuiteError,
                       match=r"fct_x.json: expectation 0 .*meta.severity must be critical or warning, not "
                             r".fatal."):
        read_suite(path)


# --- GX route ≡ SQL route on planted bad speed tests ----------------------------------------------
PERIOD = "2026-03"


def _speed_rows() -> tuple[list[dict], dict[str, set[str]]]:
    """30 good tests and planted bad ones; returns the rows and, per rule, the test ids that break it."""
    base = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
    rows = []
    for i in range(30):
        rows.append({"test_id": f"T{i:03d}", "measured_at": base + dt.timedelta(hours=i),
                     "latitude": 43.2 + i * 0.1,
                     "longitude": 76.9, "kato_code": "751010100", "operator": "kcell", "technology": "4G",
                     "download_mbps": 50.0 + i, "upload_mbps": 10.0, "latency_ms": 30.0})
    bad = {
        "B-LAT": {"latitude": 39.9},                                  # south of Kazakhstan
        "B-LON": {"longitude": 88.0},                                 # east of Kazakhstan
        "B-NEG": {"download_mbps": -12.5},                            # negative speed
        "B-LAT2": {"latency_ms": -1.0},                               # negative latency
        "B-FAST": {"download_mbps": 25000.0},                         # implausible (warning)
        "B-LATE": {"measured_at": dt.datetime(2026, 4, 1, 0, 0, tzinfo=dt.UTC)},  # after the period
    }
    for test_id, change in bad.items():
        rows.append({**rows[0], "test_id": test_id, **change})
    rows.append({**rows[1]})  # T001 twice
    broken = {
        "coordinates_in_kazakhstan": {"B-LAT", "B-LON"},
        "speeds_in_range": {"B-NEG", "B-LAT2"},
        "speeds_plausible": {"B-FAST"},
        "event_not_after_period": {"B-LATE"},
        "test_id_unique": {"T001"},
    }
    return rows, broken


def _flagged_by_rule(outcomes) -> dict[str, set[str]]:
    flagged: dict[str, set[str]] = {}
    for outcome in outcomes:
        if not outcome.success:
            flagged.setdefault(outcome.expectation.rule, set()).update(r["test_id"] for r in outcome.rows)
    return flagged


def _routes_agree_on_speed_tests(settings: Settings) -> None:
    rows, broken = _speed_rows()
    suite = next(s for s in SUITES if s.name == "checks/speed_tests")
    assert suite.route == "sql"
    parameters = resolve_parameters([suite])
    with connect(settings) as warehouse:
        create_raw_tables(warehouse)
        submit(warehouse, "qos", PERIOD, "speed_tests", rows)
        # A rejected file of the same period must not be checked (its rows never count).
        submit(warehouse, "qos", PERIOD, "speed_tests", [{**rows[0], "test_id": "R1", "latitude": 10.0}],
               status="rejected")
        by_sql, total_sql = evaluate_suite(warehouse, suite, "marts_candidate", PERIOD,
                                           parameters, route="sql")
        by_gx, total_gx = evaluate_suite(warehouse, suite, "marts_candidate", PERIOD, parameters, route="gx")
    assert total_sql == total_gx == len(rows)
    assert [(o.expectation.index, o.success, o.unexpected) for o in by_sql] == \
           [(o.expectation.index, o.success, o.unexpected) for o in by_gx]
    assert _flagged_by_rule(by_sql) == _flagged_by_rule(by_gx) == broken
    severities = {o.expectation.rule: o.expectation.severity for o in by_sql if not o.success}
    assert severities["speeds_plausible"] == "warning"
    assert {severities[r] for r in broken if r != "speeds_plausible"} == {"critical"}


def test_sql_route_agrees_with_gx_on_duckdb(local_settings):
    _routes_agree_on_speed_tests(local_settings)


def test_sql_route_agrees_with_gx_on_postgres(pg_settings):
    _routes_agree_on_speed_tests(pg_settings)


def test_readme_lists_every_rule_and_parameter():
    readme = (CHECK_SUITES_DIR / "README.md").read_text(encoding="utf-8")
    rules = {e.rule for s in SUITES for e in s.expectations}
    assert [r for r in sorted(rules) if f"| `{r}` |" not in readme] == []
    from qamtu.quality.suites import DEFAULT_PARAMETERS

    assert [p for p in DEFAULT_PARAMETERS if f"| `{p}` |" not in readme] == []
