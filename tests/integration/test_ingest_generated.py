"""Ingestion against the generator's truth: submissions of two months with every defect injected
(``defects=['all']``, small scale). Every ingest-stage defect listed in ``truth/defects.json`` is
held back or rejected with its rule, file and line — and nothing else is: every other row of every
file is loaded. Expected figures come from ``truth/facts.json`` and ``truth/defects.json`` only."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

# Builds whole pipelines or dbt projects (minutes): `make test` runs it; the daily `make check` does not.
pytestmark = pytest.mark.slow

PERIODS = ["2026-02", "2026-03"]
SCALE = 0.001
TODAY = dt.date(2026, 4, 15)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """A QAMTU_HOME whose landing holds the generated files, ingested once."""
    from qamtu.generate import generate_submissions
    from qamtu.ingest import ingest_new
    from qamtu.settings import Settings

    home = tmp_path_factory.mktemp("generated")
    generate_submissions(out=home, periods=PERIODS, scale=SCALE, seed=11, defects=["all"])
    settings = Settings(home=home, warehouse="duckdb", storage="local")
    summary = ingest_new(settings=settings, today=TODAY)
    truth = {name: json.loads((home / "truth" / f"{name}.json").read_text(encoding="utf-8"))
             for name in ("defects", "facts")}
    return settings, summary, truth


def _receipt(settings, entry):
    return json.loads((settings.home / "receipts" / entry["receipt"]).read_text(encoding="utf-8"))


def _expectations(truth):
    """Per landing key: rows written, the lines to hold back with their rules, warnings, rejection."""
    files: dict[str, dict] = {}
    for period in PERIODS:
        for key, facts in truth["facts"]["periods"][period]["files"].items():
            first = facts.get("first_data_line", facts["header_line"] + 1)
            files[key] = {"rows": facts["rows"], "lines": set(range(first, first + facts["rows"])),
                          "errors": set(), "warnings": set(), "rejected_by": None}
    for defect in truth["defects"]:
        if defect["stage"] != "ingest" or defect["area"] != "landing":
            continue
        entry = files.setdefault(defect["file"],
                                 {"rows": 0, "lines": set(), "errors": set(), "warnings": set(),
                                                  "rejected_by": None})
        if defect["severity"] == "warning":
            entry["warnings"].add((defect["line"], defect["rule"]))
        elif defect["rule"].startswith("file."):
            entry["rejected_by"] = defect["rule"]
        else:
            entry["errors"].add((defect["line"], defect["rule"]))
            if defect["name"] == "duplicate_id":
                # A repeated id: both rows are held back (which one is right cannot be told).
                entry["errors"].add((defect["details"]["first_line"], defect["rule"]))
    return files


def test_no_file_failed_and_every_landing_object_got_a_receipt(generated):
    settings, summary, _ = generated
    assert summary["failed"] == 0, summary["failures"]
    landed = {p.relative_to(settings.home / "landing").as_posix()
              for p in (settings.home / "landing").rglob("*") if p.is_file()}
    assert {e["key"] for e in summary["files"]} == landed
    for entry in summary["files"]:
        assert (settings.home / "receipts" / entry["receipt"]).is_file()


def test_every_injected_ingest_defect_is_caught_with_its_rule_file_and_line(generated):
    settings, summary, truth = generated
    entries = {e["key"]: e for e in summary["files"]}
    ingest_defects = [d for d in truth["defects"] if d["stage"] == "ingest" and d["area"] == "landing"]
    assert len(ingest_defects) >= 20
    for defect in ingest_defects:
        entry = entries[defect["file"]]
        receipt = _receipt(settings, entry)
        found = {(e["line"], e["rule"]) for e in receipt["errors"] + receipt["warnings"]}
        if defect["rule"].startswith("file.") and defect["severity"] == "error":
            assert entry["status"] == "rejected", defect["name"]
            assert receipt["errors"][0]["rule"] == defect["rule"], (defect["name"], receipt["errors"])
        else:
            assert (defect["line"], defect["rule"]) in found, (defect["name"], sorted(found)[:5])
            field = next(e["field"] for e in receipt["errors"] + receipt["warnings"]
                         if (e["line"], e["rule"]) == (defect["line"], defect["rule"]))
            assert field == defect["field"], defect["name"]


def test_exactly_the_defective_rows_are_held_back_and_every_clean_row_is_loaded(generated):
    from qamtu.warehouse import connect

    settings, summary, truth = generated
    expected = _expectations(truth)
    entries = {e["key"]: e for e in summary["files"]}
    assert set(entries) == set(expected)
    total_loaded = 0
    with connect(settings) as warehouse:
        for key, want in expected.items():
            entry = entries[key]
            receipt = _receipt(settings, entry)
            if want["rejected_by"]:
                assert (entry["status"], entry["rows_loaded"]) == ("rejected", 0), key
                continue
            held = {line for line, _ in want["errors"]}
            assert {(e["line"], e["rule"]) for e in receipt["errors"]} == want["errors"], key
            assert {(w["line"], w["rule"]) for w in receipt["warnings"]} == want["warnings"], key
            assert entry["rows_read"] == want["rows"], key
            assert entry["rows_loaded"] == want["rows"] - len(held), key
            assert entry["rows_quarantined"] == len(held), key
            assert entry["status"] == (
                "accepted_with_warnings" if want["errors"] or want["warnings"] else "accepted"
            )
            report_type = entry["report_type"]
            loaded = {r[0] for r in warehouse.rows(f"select source_line from raw.{report_type} "
                                                   "where submission_id = ?", [entry["submission_id"]])}
            assert loaded == want["lines"] - held, key
            quarantined = {r[0] for r in warehouse.rows(f"select source_line from quarantine.{report_type} "
                                                        "where submission_id = ?", [entry["submission_id"]])}
            assert quarantined == held, key
            total_loaded += len(loaded)
        assert total_loaded == summary["rows_loaded"]
        assert warehouse.scalar("select count(*) from raw.submissions where is_current") == \
            sum(1 for want in expected.values() if not want["rejected_by"])


def test_the_zero_byte_resubmission_is_rejected_and_supersedes_nothing(generated):
    from qamtu.ingest import ingest_new
    from qamtu.warehouse import connect

    settings, _, truth = generated
    (defect,) = [d for d in truth["defects"] if d["name"] == "zero_byte_resubmission"]
    key = defect["file"]
    with connect(settings) as warehouse:
        before = warehouse.rows("select submission_id from raw.submissions where source_key = ? and "
                                "is_current", [key])
        rows_before = warehouse.scalar("select count(*) from raw.city_5g")
    assert len(before) == 1
    shutil.copyfile(settings.home / "landing_resubmissions" / key, settings.home / "landing" / key)
    summary = ingest_new(settings=settings, today=TODAY)
    assert (
        summary["submissions"] == 1
        and summary["unchanged"] == len(list((settings.home / "landing").rglob("*.*"))) - 1
    )
    (entry,) = summary["files"]
    assert entry["status"] == "rejected" and _receipt(settings, entry)["errors"][0]["rule"] == defect["rule"]
    with connect(settings) as warehouse:
        assert warehouse.rows("select submission_id from raw.submissions where source_key = ? and is_current",
                              [key]) == before
        assert warehouse.scalar("select count(*) from raw.city_5g") == rows_before


def test_speed_tests_counts_match_the_generator(generated):
    from qamtu.warehouse import connect

    settings, _, truth = generated
    with connect(settings) as warehouse:
        for period in PERIODS:
            facts = truth["facts"]["periods"][period]["speed_tests"]
            counted = dict(warehouse.rows(
                "select r.operator, count(*) from raw.speed_tests r join raw.submissions s using "
                "(submission_id) where s.is_current and s.period = ? group by 1", [period]))
            held = sum(
                1 for d in truth["defects"] if d["name"] == "speed_out_of_range" and d["period"] == period
            )
            assert sum(counted.values()) == facts["rows"] - held
            assert set(counted) == set(facts["by_operator"])
            assert all(counted[op] <= facts["by_operator"][op] for op in counted)


def test_generated_files_land_on_s3_too(s3_settings, tmp_path):
    """The same generated month through the S3 backend: identical verdicts."""
    from qamtu.generate import generate_submissions
    from qamtu.ingest import ingest_new
    from qamtu.storage import open_area

    out = tmp_path / "out"
    generate_submissions(out=out, periods=["2026-03"], scale=SCALE, seed=5, defects=["all@2026-03"])
    landing = open_area("landing", s3_settings)
    files = sorted(p for p in (out / "landing").rglob("*") if p.is_file())
    for path in files:
        landing.put_file(path.relative_to(out / "landing").as_posix(), path)
    summary = ingest_new(settings=s3_settings, today=TODAY)
    assert summary["failed"] == 0 and summary["submissions"] == len(files)
    truth = json.loads((out / "truth" / "defects.json").read_text(encoding="utf-8"))
    rejected = {d["file"] for d in truth if d["stage"] == "ingest" and d["area"] == "landing"
                and d["rule"].startswith("file.") and d["severity"] == "error"}
    assert {e["key"] for e in summary["files"] if e["status"] == "rejected"} == rejected
    assert len(open_area("archive", s3_settings).list()) == len(files)
    assert not Path(s3_settings.home / "archive").exists()
