"""Run the pipeline THROUGH AIRFLOW on the embedded default, as `make run` does.

Each DAG of dags/ runs with ``dag.test()`` (Airflow's own task runner, no scheduler to start) on a
SQLite metadata database under ``$AIRFLOW_HOME`` (default ``$QAMTU_HOME/airflow``), in the order
their Assets chain them:

    reference_data → ingest_submissions → build_coverage_marts → audit_and_publish

then prints each period's release, its headline figures and its report. The warehouse and the
storage are whatever ``QAMTU_*`` says (DuckDB file and local folders by default).

    python scripts/run_through_airflow.py --periods 2026-01..2026-03 --scale 0.05
    python scripts/run_through_airflow.py --no-generate --period 2026-02     # re-run one month
    python scripts/run_through_airflow.py --stop-after ingest_submissions    # land and ingest only

Exit code 0 when every DAG run succeeded, 1 otherwise (e.g. a period failed its audit).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DAGS_FOLDER = REPO / "dags"
PIPELINE = ("reference_data", "ingest_submissions", "build_coverage_marts", "audit_and_publish")


def configure_environment(verbose: bool) -> Path:
    """Everything Airflow reads at import time: set it before importing airflow."""
    home = Path(os.environ.get("QAMTU_HOME", ".qamtu")).resolve()
    os.environ["QAMTU_HOME"] = str(home)  # absolute: task code may run with another working directory
    airflow_home = Path(os.environ.setdefault("AIRFLOW_HOME", str(home / "airflow"))).resolve()
    os.environ["AIRFLOW_HOME"] = str(airflow_home)
    defaults = {
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO" if verbose else "WARNING",
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        # Cosmos keeps dbt's partial-parse cache per DAG id, under /tmp/cosmos by default: shared by every
        # checkout and home on the machine. One cache per Airflow home keeps runs apart.
        "AIRFLOW__COSMOS__CACHE_DIR": str(airflow_home / "cosmos"),
        "DO_NOT_TRACK": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
        "SCARF_ANALYTICS": "false",
    }
    for name, value in defaults.items():
        os.environ.setdefault(name, value)
    airflow_home.mkdir(parents=True, exist_ok=True)
    return airflow_home


def migrate_metadata() -> None:
    """Create or upgrade the SQLite metadata database (a no-op when already current)."""
    airflow = Path(sys.executable).parent / "airflow"
    done = subprocess.run([str(airflow), "db", "migrate"], capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"airflow db migrate failed ({done.returncode})")


def emitted_extras(dag_id: str, run_id: str) -> list[dict]:
    """The ``extra`` of every Asset event a run emitted, from Airflow's metadata database: what the
    scheduler would hand the DAGs scheduled on those Assets."""
    from airflow.models.asset import AssetEvent
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        rows = session.scalars(select(AssetEvent).where(AssetEvent.source_dag_id == dag_id,
                                                        AssetEvent.source_run_id == run_id))
        return [dict(event.extra or {}) for event in rows]


def run_dag(bag, dag_id: str, conf: dict | None = None) -> tuple[str, str]:
    dag = bag.dags[dag_id]
    started = time.perf_counter()
    run = dag.test(run_conf=conf or {})
    states = {ti.task_id + (f"[{ti.map_index}]" if ti.map_index >= 0 else ""): str(ti.state)
              for ti in run.get_task_instances()}
    state = str(run.state)
    failed = sorted(t for t, s in states.items() if s not in ("success", "skipped"))
    line = f"Airflow: {dag_id} {'(' + str(conf) + ') ' if conf else ''}→ {state} in " \
           f"{time.perf_counter() - started:.1f} s, {len(states)} task(s)"
    if failed:
        line += f"; not successful: {', '.join(f'{t}={states[t]}' for t in failed)}"
    print(line, flush=True)
    return state, run.run_id


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--periods", default="2026-01..2026-03", help="Months to generate and run.")
    parser.add_argument("--period", default=None, help="Build/audit/publish only this month.")
    parser.add_argument("--scale", type=float, default=0.05, help="Sample scale (1.0 = national).")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--defects", default=None, help="Defects to inject in the generated sample.")
    parser.add_argument("--no-generate", action="store_true", help="Use what is already in landing.")
    parser.add_argument("--stop-after", choices=PIPELINE[:-1], default=None,
                        help="Run the DAGs up to this one only (e.g. to look at raw data before the build).")
    parser.add_argument("--verbose", action="store_true", help="Airflow's INFO logs too.")
    args = parser.parse_args(argv)

    configure_environment(args.verbose)
    migrate_metadata()

    from qamtu.cli import parse_periods
    from qamtu.pipeline import generate_sample, print_releases
    from qamtu.settings import reload_settings

    settings = reload_settings()
    periods = parse_periods(args.periods)
    if not args.no_generate:
        defects = None if not args.defects else args.defects.split(",")
        generate_sample(periods, args.scale, args.seed, settings=settings, defects=defects)

    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS_FOLDER))
    if bag.import_errors:
        for path, error in bag.import_errors.items():
            print(f"DAG import error in {path}:\n{error}", file=sys.stderr)
        return 1

    # The Assets chain the DAGs: each downstream run gets the periods its upstream's events name,
    # as the scheduler would (a --period run names its month, like a backfill).
    from qamtu.orchestration import periods_to_work_on

    ok = True
    for dag_id in ("reference_data", "ingest_submissions"):
        state, ingest_run = run_dag(bag, dag_id)
        ok = ok and state == "success"
        if dag_id == args.stop_after:
            return 0 if ok else 1
    if not ok:
        return 1
    periods_changed = [args.period] if args.period else \
        periods_to_work_on(None, emitted_extras("ingest_submissions", ingest_run))
    if not periods_changed:
        print("Airflow: no new submission in landing: nothing to build or publish", flush=True)
    else:
        state, build_run = run_dag(bag, "build_coverage_marts", {"periods": periods_changed})
        ok = state == "success"
        if args.stop_after == "build_coverage_marts":
            return 0 if ok else 1
        candidate = periods_to_work_on(None, emitted_extras("build_coverage_marts", build_run))
        if ok and candidate:
            state, _ = run_dag(bag, "audit_and_publish", {"periods": candidate})
            ok = state == "success"

    print_releases([args.period] if args.period else periods, settings)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
