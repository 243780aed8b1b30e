"""How close a published headline figure must be to the generator's truth: releases round each figure to
the decimals its unit declares in the model's YAML (``meta.precision`` of ``fct_programme_progress.actual``,
half away from zero), so the published value lies within half a unit of its last decimal. Read from the
YAML — the declared contract — never from the publishing code."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
import yaml

PROGRESS_YAML = (
    Path(__file__).resolve().parents[1] / "dbt_project" / "models" / "marts" / "fct_programme_progress.yml"
)


@cache
def decimals_by_indicator() -> dict[str, int]:
    from qamtu.reference import programme_targets

    spec = yaml.safe_load(PROGRESS_YAML.read_text(encoding="utf-8"))
    actual = next(c for c in spec["models"][0]["columns"] if c["name"] == "actual")
    precision = actual["config"]["meta"]["precision"]
    targets = programme_targets()
    return {indicator: int(precision[unit]) for indicator, unit in zip(targets["indicator"], targets["unit"],
                                                                        strict=True)}


def as_published(expected: float, indicator: str):
    """``expected`` as a release can print it: within half a unit of the indicator's last decimal."""
    return pytest.approx(expected, abs=0.5 * 10 ** -decimals_by_indicator()[indicator] + 1e-9)
