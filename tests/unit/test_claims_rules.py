"""The claims and challenge rules that live in two places stay the same: the challenge deadlines of the
contract (their source) and the dbt vars that apply them; the verdict thresholds the generator's oracle
uses and the methodology defaults (dbt vars)."""

from __future__ import annotations

from pathlib import Path

import yaml
from qamtu.contracts import load_contract, periodic_report_types_of, report_types_of
from qamtu.generate import claims

DBT_VARS = yaml.safe_load((Path(__file__).resolve().parents[2] / "dbt_project" / "dbt_project.yml")
                          .read_text(encoding="utf-8"))["vars"]


def test_challenge_deadlines_in_dbt_are_the_contracts():
    deadlines = load_contract("challenges").deadlines
    assert deadlines == {"response_days": 30, "review_days": 14}
    assert DBT_VARS["challenge_response_days"] == deadlines["response_days"]
    assert DBT_VARS["challenge_review_days"] == deadlines["review_days"]


def test_the_oracle_judges_with_the_methodology_defaults():
    assert DBT_VARS["claims_min_tests"] == claims.MIN_TESTS
    assert DBT_VARS["claims_high_speed_mbps"] == claims.HIGH_SPEED_MBPS


def test_challenges_and_answers_are_not_due_every_period():
    assert not load_contract("challenges").expected_each_period
    assert not load_contract("challenge_responses").expected_each_period
    assert "challenges" in report_types_of("akimat") and "challenges" not in periodic_report_types_of(
        "akimat"
    )
    assert "challenge_responses" not in periodic_report_types_of("operator")
    assert "settlement_fiber" in periodic_report_types_of("operator")


def test_verdict_order_measurements_first_then_the_akimat():
    high, few = claims.HIGH_SPEED_MBPS, claims.MIN_TESTS
    assert claims.verdict(few, high - 0.01, disputed=False) == "contradicted"
    assert claims.verdict(few, high - 0.01, disputed=True) == "contradicted"
    assert claims.verdict(few, high, disputed=True) == "disputed"
    assert claims.verdict(few - 1, 0.5, disputed=True) == "disputed"
    assert claims.verdict(few, high, disputed=False) == "confirmed"
    assert claims.verdict(few - 1, 0.5, disputed=False) == "unverified"
