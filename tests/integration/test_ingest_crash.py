"""Crashes (issue 12): ``kill -9`` of a real ``qamtu ingest`` process while it writes the archive,
while rows are in raw (x-large direct staging, and inside the load transaction), and between the
raw load and the commit of its receipt; the next run must end in exactly the state of a run that
was never interrupted — the same rows per submission and line (no duplicates, nothing missing),
the same submissions, quarantine, receipts and archive, no orphan receipt or temporary file.

The process stops at a named point (``QAMTU_TEST_PAUSE_AT``, :mod:`qamtu.ingest.crashpoints`),
writes a flag file, and this test sends it SIGKILL.
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

# Kills an ingest process at every step and recovers (a minute or more): `make test` runs it; the daily
# `make check` does not.
pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "submissions" / "good"
QAMTU = Path(sys.executable).parent / "qamtu"
# Landing key → bytes: a small CSV of each kind of path (small parsed files, an x-large csv.gz
# staged straight into raw with two rows held back).
FILES = {
    "operator/kcell/2026-03/settlement_fiber.csv": (
        FIXTURES / "operator/kcell/2026-03/settlement_fiber.csv"
    ).read_bytes(),
    "operator/beeline/2026-03/base_stations.csv": (
        FIXTURES / "operator/beeline/2026-03/base_stations.csv"
    ).read_bytes(),
    "measurement/qos/2026-03/speed_tests.csv.gz": gzip.compress(
        (FIXTURES / "measurement/qos/2026-03/speed_tests.csv").read_bytes()
    ),
}
# (rows read, rows loaded) read off the fixture files (see test_ingest.GOOD_COUNTS).
COUNTS = {"settlement_fiber": (4, 4), "base_stations": (4, 4), "speed_tests": (5, 3)}


def land(home: Path) -> None:
    for key, data in FILES.items():
        path = home / "landing" / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def environment(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QAMTU_")}
    env.update({"QAMTU_HOME": str(home), "DO_NOT_TRACK": "1", **extra})
    return env


def ingest(home: Path) -> dict:
    done = subprocess.run([str(QAMTU), "ingest", "--json"], env=environment(home), capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout[done.stdout.index("{"):])


def snapshot(home: Path) -> dict:
    """Everything an ingestion run leaves, without the clock (load/receipt times)."""
    import duckdb

    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        state: dict = {}
        for table in COUNTS:
            raw = con.execute(f"select submission_id, source_line from raw.{table} order by 1, 2").fetchall()
            assert len(raw) == len(set(raw)), f"duplicate rows in raw.{table}"
            state[f"raw.{table}"] = raw
            state[f"quarantine.{table}"] = con.execute(
                f"select submission_id, source_line from quarantine.{table} order by 1, 2").fetchall()
        state["submissions"] = con.execute(
            "select submission_id, source_key, status, is_current, rows_read, rows_loaded, rows_quarantined "
            "from raw.submissions order by 1").fetchall()
        state["errors"] = con.execute(
            "select submission_id, line, field, rule from quarantine.errors order by all").fetchall()
        state["landing_index"] = con.execute(
            "select source_key, sha256, submission_id from raw.landing_index order by 1").fetchall()
        state["failures"] = con.execute("select * from raw.ingest_failures").fetchall()
    finally:
        con.close()
    receipts = {}
    for path in sorted((home / "receipts").rglob("*.json")):
        body = json.loads(path.read_text(encoding="utf-8"))
        receipts[str(path.relative_to(home / "receipts"))] = (
            body["status"], body["rows_read"], body["rows_loaded"], body["rows_quarantined"],
            [(e["line"], e["rule"]) for e in body["errors"]])
    state["receipts"] = receipts
    state["receipt_texts"] = sorted(
        str(p.relative_to(home / "receipts")) for p in (home / "receipts").rglob("*.txt")
    )
    state["archive"] = sorted(str(p.relative_to(home / "archive")) for p in (home / "archive").rglob("*")
                              if p.is_file())
    return state


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> dict:
    home = tmp_path_factory.mktemp("uninterrupted")
    land(home)
    summary = ingest(home)
    assert summary["submissions"] == len(FILES) and summary["failed"] == 0
    state = snapshot(home)
    for table, (read, loaded) in COUNTS.items():  # the reference run itself is right
        assert [(r[4], r[5]) for r in state["submissions"] if f"/{table}." in r[1]] == [(read, loaded)]
        assert len(state[f"raw.{table}"]) == loaded and len(state[f"quarantine.{table}"]) == read - loaded
    assert len(state["receipts"]) == len(state["receipt_texts"]) == len(state["archive"]) == len(FILES)
    return state


@pytest.mark.parametrize("point", ["archive", "staged", "loaded", "receipt"])
def test_kill_9_at_any_step_then_the_next_run_ends_as_an_uninterrupted_one(tmp_path, uninterrupted, point):
    home = tmp_path / "home"
    home.mkdir()
    land(home)
    flag = tmp_path / "reached"
    process = subprocess.Popen([str(QAMTU), "ingest", "--json"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE,
                               env=environment(home, QAMTU_TEST_PAUSE_AT=point,
                                               QAMTU_TEST_PAUSE_FLAG=str(flag)))
    deadline = time.monotonic() + 300
    while not flag.exists():
        assert process.poll() is None, (
            f"ingest ended before reaching {point}: {process.stderr.read()[-2000:]}"
        )
        assert time.monotonic() < deadline, f"ingest never reached {point}"
        time.sleep(0.1)
    os.kill(process.pid, signal.SIGKILL)
    assert process.wait(timeout=60) == -signal.SIGKILL
    process.stderr.close()

    summary = ingest(home)
    assert summary["failed"] == 0
    assert snapshot(home) == uninterrupted
    assert not [p for p in home.rglob(".qamtu-tmp-*")], "a half-written file was left behind"
    assert list((home / "tmp").glob("ingest-*")) == [], "the killed run's scratch folder was left behind"
