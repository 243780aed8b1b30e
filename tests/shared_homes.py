"""Pipeline states that cost a minute to make, made once per test run and read by every module that needs
them: a state is a whole QAMTU_HOME (landing, archive, DuckDB warehouse, audit area) built by the real
pipeline. The first pytest-xdist worker to ask builds it under a file lock in the run's shared temporary
folder; every test then works on its own copy (:func:`copy_home`), so nothing a test writes is seen by
another.

- ``clean_months``: three months generated (scale 0.01, seed 7), ingested, built, each audited (passed)
  and promoted — nothing published yet.
- ``revised_months``: the same, then a real resubmission by one operator of one report for 2026-02 and
  for 2026-03 (one settlement's fibre connection withdrawn), ingested, built and audited (passed) into
  the candidate schema, NOT promoted: promoting a month publishes its revision as the next version.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from filelock import FileLock

CLEAN_PERIODS = ["2026-01", "2026-02", "2026-03"]
CLEAN_SCALE, CLEAN_SEED = 0.01, 7
# The resubmissions of revised_months: which operator's which report, for which months.
REVISED_SUBMITTER, REVISED_REPORT = "kcell", "settlement_fiber"
REVISED_PERIODS = ["2026-02", "2026-03"]
READY = ".state-complete"


def shared_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The run's temporary folder that every xdist worker sees (each worker's basetemp is below it)."""
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    (root / "shared-states").mkdir(exist_ok=True)
    return root / "shared-states"


def shared_state(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]) -> Path:
    """The folder of state ``name``, built by ``build(folder)`` the first time any worker asks."""
    root = shared_root(tmp_path_factory)
    target = root / name
    with FileLock(str(root / f"{name}.lock")):
        if not (target / READY).exists():
            partial = root / f"{name}.partial"
            shutil.rmtree(partial, ignore_errors=True)
            partial.mkdir()
            build(partial)
            (partial / READY).touch()
            shutil.rmtree(target, ignore_errors=True)
            partial.rename(target)
    return target


def copy_home(state: Path, home: Path) -> Path:
    """A private copy of a state (the test may write anything to it)."""
    shutil.copytree(state, home, ignore=shutil.ignore_patterns("*.lock", "*.wal", READY))
    return home


def _quiet(*_args, **_kwargs) -> None:
    return None


def _settings(home: Path):
    from qamtu.settings import Settings

    return Settings(home=home, warehouse="duckdb", storage="local")


def build_clean_months(home: Path) -> None:
    from qamtu.generate import generate_submissions
    from qamtu.pipeline import audit, build, ingest, promote

    settings = _settings(home)
    generate_submissions(out=home, periods=CLEAN_PERIODS, scale=CLEAN_SCALE, seed=CLEAN_SEED)
    ingest(settings)
    assert build(None, settings, echo=_quiet)["success"]
    for period in CLEAN_PERIODS:
        assert audit(period, settings, echo=_quiet)["publishable"], period
        promote(period, settings, echo=_quiet)


def clean_months(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shared_state(tmp_path_factory, "clean_months", build_clean_months)


def withdraw_one_fibre_connection(landing: Path, period: str) -> dict:
    """The operator sends its fibre report of ``period`` again without the row of one settlement it had
    connected that month (a new file under the same key, in the submitter's own encoding and format:
    kcell writes dates as DD.MM.YYYY). Returns the month and the line withdrawn."""
    path = landing / "operator" / REVISED_SUBMITTER / period / f"{REVISED_REPORT}.csv"
    lines = path.read_bytes().rstrip(b"\r\n").split(b"\n")
    year, month = period.split("-")
    connected_that_month = f".{month}.{year};".encode()
    index = next(i for i, line in enumerate(lines) if i and connected_that_month in line)
    path.write_bytes(b"\n".join(lines[:index] + lines[index + 1:]) + b"\n")
    return {"period": period, "line": index + 1}


def revised_months(tmp_path_factory: pytest.TempPathFactory) -> Path:
    clean = clean_months(tmp_path_factory)

    def build_state(home: Path) -> None:
        from qamtu.pipeline import audit, build, ingest

        home.rmdir()
        copy_home(clean, home)
        settings = _settings(home)
        changes = [withdraw_one_fibre_connection(home / "landing", period) for period in REVISED_PERIODS]
        ingest(settings)
        # One build of every month, then each revised month audited: both audits hold on the same rows.
        assert build(None, settings, echo=_quiet)["success"]
        for period in REVISED_PERIODS:
            assert audit(period, settings, echo=_quiet)["publishable"], period
        (home / "revisions.json").write_text(json.dumps(changes, indent=1), encoding="utf-8")

    return shared_state(tmp_path_factory, "revised_months", build_state)
