"""One gate on the command line: `qamtu build` builds the candidate, `qamtu audit` audits it, `qamtu publish`
promotes and publishes only what passed its audit on exactly those rows — run as a user runs them, each
command its own process, on one home:

- 2026-02 carries an audit-stage defect (the generator's ``households_passed_above_settlement``):
  its audit exits 1 naming the rule, its publish refuses, exit 1, nothing written;
- 2026-01 is clean: audit → publish gives v1, a second publish no new version;
- a row that breaks an error-severity dbt test: build exits 1, the audit refuses with ``dbt_data_test``,
  publish refuses and `latest` stays at v1;
- `qamtu status --json` says all of it; a second process waits for the warehouse, then says who holds it.

Expected facts come from the generator's truth (``truth/defects.json``) and from the files on disk.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from qamtu.generate import generate_submissions

QAMTU = str(Path(sys.executable).with_name("qamtu"))
CLEAN, DEFECTIVE = "2026-01", "2026-02"
DEFECT = "households_passed_above_settlement"


def qamtu(home: Path, *args: str, timeout: float = 900, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("QAMTU_")}
    environment.update({"QAMTU_HOME": str(home), "COLUMNS": "200", **env})
    return subprocess.run([QAMTU, *args], capture_output=True, text=True, timeout=timeout, env=environment)


def publication_files(home: Path) -> list[str]:
    area = home / "publication"
    return sorted(str(p.relative_to(area)) for p in area.rglob("*") if p.is_file()) if area.exists() else []


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("cli-gate") / "qamtu"
    generate_submissions(out=home, periods=[CLEAN, DEFECTIVE], scale=0.01, seed=5,
                         defects=[f"{DEFECT}@{DEFECTIVE}"])
    ingested = qamtu(home, "ingest")
    assert ingested.returncode == 0, ingested.stderr[-3000:]
    return home


def test_publish_before_any_audit_is_refused_and_writes_nothing(home):
    result = qamtu(home, "publish", "--period", CLEAN)
    assert result.returncode == 1
    assert "Not published" in result.stderr and "has not been audited" in result.stderr
    assert publication_files(home) == []


def test_the_gate_on_defective_and_clean_months(home):
    # No `qamtu reference` first: the build loads the reference data itself.
    built = qamtu(home, "build")
    assert built.returncode == 0, built.stderr[-3000:]
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        schemas = {r[0] for r in con.execute("select schema_name from "
                                             "information_schema.schemata").fetchall()}
        assert con.execute("select count(*) from reference.kato").fetchone()[0] > 8000
    assert (
        "marts_candidate" in schemas and "marts" not in schemas
    )  # the build never writes the published marts

    defect = next(d for d in json.loads((home / "truth" / "defects.json").read_text()) if d["name"] == DEFECT)
    audited = qamtu(home, "audit", "--period", DEFECTIVE)
    assert audited.returncode == 1
    assert (
        "CRITICAL" in audited.stderr
        and defect["rule"] in audited.stderr
        and defect["kato_code"] in audited.stderr
    )
    refused = qamtu(home, "publish", "--period", DEFECTIVE)
    assert refused.returncode == 1
    assert refused.stderr.count("Not published") == 1 and "failed" in refused.stderr
    assert publication_files(home) == []  # nothing written, no `latest`

    assert qamtu(home, "audit", "--period", CLEAN).returncode == 0
    published = qamtu(home, "publish", "--period", CLEAN)
    assert published.returncode == 0, published.stderr[-3000:]
    assert published.stdout.strip() == f"releases/{CLEAN}/v1/"
    latest = json.loads((home / "publication" / "latest.json").read_text())
    assert (latest["period"], latest["version"]) == (CLEAN, 1)
    before = publication_files(home)
    again = qamtu(home, "publish", "--period", CLEAN)
    assert again.returncode == 0 and "Unchanged" in again.stderr
    assert publication_files(home) == before  # no new version, nothing rewritten

    status = json.loads(qamtu(home, "status", "--json").stdout)
    by_period = {s["period"]: s for s in status}
    assert by_period[CLEAN]["published"]["version"] == 1 and by_period[CLEAN]["audited"]["passed"]
    assert by_period[CLEAN]["next_step"] == "—"
    failed = by_period[DEFECTIVE]["audited"]
    assert (
        not failed["passed"]
        and failed["critical_findings"] >= 1
        and by_period[DEFECTIVE]["published"] is None
    )
    for period in (CLEAN, DEFECTIVE):
        received = by_period[period]["received"]
        assert received["expected"] == 117
        assert received["on_time"] + received["late"] + received["rejected"] + received["missing"] == 117
        files = len(list((home / "landing").glob(f"*/*/{period}/*")))
        assert by_period[period]["ingested"]["submissions"] == files


def test_an_error_severity_dbt_test_blocks_the_candidate(home):
    """Data that slipped past ingestion and breaks an error-severity dbt test (accepted_values of
    stg_settlement_fiber.fibre_status): the build fails, the audit refuses, nothing new is published."""
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        con.execute("insert into raw.settlement_fiber by name select * replace ('switched_off' as status) "
                    "from raw.settlement_fiber where period = ? limit 1", [CLEAN])
    built = qamtu(home, "build")
    assert built.returncode == 1
    assert "accepted_values" in built.stderr and "Candidate NOT usable" in built.stderr
    audited = qamtu(home, "audit", "--period", CLEAN)
    assert audited.returncode == 1 and "dbt_data_test" in audited.stderr
    refused = qamtu(home, "publish", "--period", CLEAN)
    assert refused.returncode == 1 and "Not published" in refused.stderr
    latest = json.loads((home / "publication" / "latest.json").read_text())
    assert latest["version"] == 1 and not (home / "publication" / "releases" / CLEAN / "v2").exists()


def test_a_second_process_waits_then_names_the_holder(home):
    holder_code = ("import time, sys; from qamtu.warehouse import connect\n"
                   "with connect():\n    print('held', flush=True); time.sleep(float(sys.argv[1]))")
    env = {k: v for k, v in os.environ.items() if not k.startswith("QAMTU_")} | {"QAMTU_HOME": str(home)}

    # Held for 3 s: `qamtu status` waits and then succeeds.
    holder = subprocess.Popen([sys.executable, "-c", holder_code, "3"], stdout=subprocess.PIPE,
                              text=True, env=env)
    assert holder.stdout.readline().strip() == "held"
    started = time.monotonic()
    waited = qamtu(home, "status", "--json", QAMTU_LOCK_TIMEOUT_SECONDS="60")
    assert waited.returncode == 0, waited.stderr
    assert time.monotonic() - started >= 1.5
    holder.wait(timeout=30)

    # Held longer than the timeout: one sentence naming the holder's command and PID, exit 3.
    holder = subprocess.Popen([sys.executable, "-c", holder_code, "30"], stdout=subprocess.PIPE,
                              text=True, env=env)
    try:
        assert holder.stdout.readline().strip() == "held"
        busy = qamtu(home, "build", QAMTU_LOCK_TIMEOUT_SECONDS="2")
        assert busy.returncode == 3
        message = " ".join(busy.stderr.split())
        assert f"PID {holder.pid}" in message and "python" in message and "Traceback" not in busy.stderr
        assert message.startswith("Not built: The warehouse")
    finally:
        holder.kill()
        holder.wait()

    # A DuckDB process outside qamtu's lock (a statistician's shell on the working file): DuckDB's own
    # lock names it; the command still waits, then says so in one sentence.
    outsider = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); "
                               "print('held', flush=True); time.sleep(30)", str(home / "warehouse.duckdb")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert outsider.stdout.readline().strip() == "held"
        busy = qamtu(home, "audit", "--period", CLEAN, QAMTU_LOCK_TIMEOUT_SECONDS="2")
        assert busy.returncode == 3
        assert f"PID {outsider.pid}" in " ".join(busy.stderr.split()) and "Traceback" not in busy.stderr
    finally:
        outsider.kill()
        outsider.wait()
