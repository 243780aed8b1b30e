"""A defect only the audit can see, through Airflow on the embedded default: the audit fails,
nothing is published for that period, one alert is written; the operator's clean resubmission then
publishes, and the month published before is untouched."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from airflow_pipeline import (
    PERIODS,
    SCALE,
    SEED,
    assert_release_matches_truth,
    dag_run_states,
    explain,
    latest_pointer,
    publication,
    run_pipeline,
)

pytestmark = [pytest.mark.slow]


# --- a defect only the audit can see, then the clean resubmission ----------------------------------------
AUDIT_DEFECT = "households_passed_above_settlement"


def test_audit_failure_publishes_nothing_alerts_and_the_clean_resubmission_publishes(local_settings):
    from qamtu.generate import DEFECTS, generate_submissions

    settings = local_settings
    home = Path(settings.home)
    defect = DEFECTS[AUDIT_DEFECT]
    assert defect.stage == "audit" and not defect.alters_expected
    bad_period = PERIODS[-1]

    done = run_pipeline(settings, "--periods", ",".join(PERIODS), "--scale", str(SCALE), "--seed", str(SEED),
                        "--defects", f"{AUDIT_DEFECT}@{bad_period}")
    assert done.returncode == 1, explain(done)
    expected = json.loads((home / "truth" / "expected.json").read_text())
    (injected,) = [d for d in json.loads((home / "truth" / "defects.json").read_text())
                   if d["name"] == AUDIT_DEFECT]

    states = dag_run_states(settings)
    assert states["build_coverage_marts"] == ["success"]
    assert states["audit_and_publish"] == ["failed"]
    area = publication(settings)
    # The clean month is published; the bad one is not.
    assert_release_matches_truth(area, PERIODS[0], expected)
    assert latest_pointer(area, bad_period) is None
    assert not area.list(f"releases/{bad_period}/")
    assert f"{bad_period}: NOT published" in done.stdout
    first_release = {o.key: area.sha256(o.key) for o in area.list(f"releases/{PERIODS[0]}/")}

    # The alert: written once, for that period, naming the failed check and the report.
    alerts = [json.loads(p.read_text()) for p in sorted((home / "alerts").glob("*.json"))]
    audit_alerts = [a for a in alerts if a["kind"] == "audit_failed"]
    assert len(audit_alerts) == 1, alerts
    alert = audit_alerts[0]
    assert alert["period"] == bad_period and alert["dag_id"] == "audit_and_publish"
    assert defect.rule in alert["error"]
    assert any(defect.rule in json.dumps(f) for f in alert["details"]["failures"])
    # ... and nothing else failed (the audit task's own failure callback does not repeat it).
    assert [a["kind"] for a in alerts if a["severity"] == "error"] == ["audit_failed"]
    assert injected["period"] == bad_period

    # The operator sends a corrected file: the same month generated clean lands again.
    generate_submissions(out=home, periods=[bad_period], scale=SCALE, seed=SEED)
    again = run_pipeline(settings, "--no-generate", "--periods", ",".join(PERIODS))
    assert again.returncode == 0, explain(again)
    assert_release_matches_truth(area, bad_period, expected)
    assert latest_pointer(area, bad_period)["version"] == 1
    # The month published before is untouched: same files, same bytes, still v1.
    assert {o.key: area.sha256(o.key) for o in area.list(f"releases/{PERIODS[0]}/")} == first_release
    assert latest_pointer(area, PERIODS[0])["version"] == 1
    # Exactly one resubmission superseded the defective file.
    from qamtu.warehouse import connect

    with connect(settings) as warehouse:
        (superseded,) = warehouse.rows(
            "select count(*) from raw.submissions where period = ? and not is_current and superseded_by is not null",
            [bad_period])[0]
    assert superseded == 1
