"""dbt, invoked in-process: one ``dbtRunner().invoke(["build", ...])`` per call (dbt's start-up costs 2–3 s,
so never one invocation per model), its profile taken from :mod:`qamtu.settings` through the environment
variables ``dbt_project/profiles.yml`` reads, a progress line per model from dbt's event callbacks.

DuckDB allows one writer process, and one configuration per file within a process: close every
:class:`qamtu.warehouse.Warehouse` connection to the same file before calling :func:`build_marts` in
the same process (``with connect(...) as warehouse: ...`` closes it on leaving the block).

The committed ``dbt_project/target/manifest.json`` (Cosmos renders the Airflow tasks from it) is
written by :func:`parse_manifest`, normalised so that the same project always gives the same bytes.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from qamtu.settings import DBT_PROJECT_DIR, MARTS_SCHEMA, Settings, get_settings

MANIFEST_PATH = DBT_PROJECT_DIR / "target" / "manifest.json"
DEFAULT_MARTS_SCHEMA = MARTS_SCHEMA

# Raw lineage columns every raw.<report_type> table ends with (the shared raw-layer convention).
LINEAGE_COLUMNS = (
    ("submission_id", "TEXT"), ("kind", "TEXT"), ("submitter", "TEXT"), ("period", "TEXT"),
    ("source_key", "TEXT"), ("source_line", "BIGINT"), ("loaded_at", "TIMESTAMP WITH TIME ZONE"),
)
SUBMISSIONS_COLUMNS = (
    ("submission_id", "TEXT"), ("kind", "TEXT"), ("submitter", "TEXT"), ("period", "TEXT"),
    ("report_type", "TEXT"), ("source_key", "TEXT"), ("archive_key", "TEXT"), ("sha256", "TEXT"),
    ("size_bytes", "BIGINT"), ("received_at", "TIMESTAMP WITH TIME ZONE"), ("status", "TEXT"),
    ("is_current", "BOOLEAN"), ("superseded_by", "TEXT"), ("rows_read", "BIGINT"), ("rows_loaded", "BIGINT"),
    ("rows_quarantined", "BIGINT"), ("contract_version", "TEXT"),
)
CONTRACT_SQL_TYPES = {
    "string": "TEXT", "integer": "BIGINT", "number": "DOUBLE PRECISION", "date": "DATE",
    "datetime": "TIMESTAMP WITH TIME ZONE", "boolean": "BOOLEAN",
}
# dbt's own telemetry stays off, whatever the caller's environment says.
QUIET_ENV = {"DO_NOT_TRACK": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "False"}

Echo = Callable[[str], Any]


# --- profile -------------------------------------------------------------------------------------
def dbt_env(settings: Settings | None = None, marts_schema: str = DEFAULT_MARTS_SCHEMA) -> dict[str, str]:
    """The environment ``dbt_project/profiles.yml`` reads, derived from the settings."""
    settings = settings or get_settings()
    env = {
        **QUIET_ENV,
        "QAMTU_WAREHOUSE": settings.warehouse,
        "QAMTU_DUCKDB_PATH": str(Path(settings.duckdb_file).resolve()),
        "QAMTU_DUCKDB_THREADS": str(settings.duckdb_threads),
        "QAMTU_DUCKDB_MEMORY_LIMIT": settings.duckdb_memory_limit,
        "QAMTU_PG_HOST": settings.pg_host,
        "QAMTU_PG_PORT": str(settings.pg_port),
        "QAMTU_PG_USER": settings.pg_user,
        "QAMTU_PG_PASSWORD": settings.pg_password,
        "QAMTU_PG_DATABASE": settings.pg_database,
        "QAMTU_MARTS_SCHEMA": marts_schema,
    }
    return env


# dbt reads its profile from os.environ: one invocation at a time per process.
_ENV_LOCK = threading.Lock()


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    with _ENV_LOCK:
        saved = {name: os.environ.get(name) for name in values}
        os.environ.update(values)
        try:
            yield
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


# --- sources -------------------------------------------------------------------------------------
def raw_table_columns(report_type: str) -> list[tuple[str, str]]:
    """A raw table's columns: the contract's fields with their SQL types, then the lineage columns."""
    from qamtu.contracts import load_contract

    contract = load_contract(report_type)
    return [(f.name, CONTRACT_SQL_TYPES[f.type]) for f in contract.fields] + list(LINEAGE_COLUMNS)


REPORT_POLICY_COLUMNS = (("kind", "TEXT"), ("submitter", "TEXT"), ("report_type", "TEXT"),
                         ("indicator", "TEXT"),
                         ("when_missing", "TEXT"))


def report_policy_rows() -> list[tuple[str, str, str, str | None, str | None]]:
    """Every report the contracts expect each month × the headline indicator it feeds and what its
    absence does to it (``x-completeness``); a report feeding no indicator has one row with nulls."""
    from qamtu.contracts import load_contract, periodic_report_types_of, submitter_ids

    rows = []
    for kind in ("operator", "akimat", "measurement"):
        for report_type in periodic_report_types_of(kind):  # challenges and answers are not due monthly
            feeds = sorted(load_contract(report_type).completeness.items()) or [(None, None)]
            rows.extend((kind, submitter, report_type, indicator, policy)
                        for submitter in submitter_ids(kind) for indicator, policy in feeds)
    return rows


def write_report_policy(warehouse) -> int:
    """``raw.report_policy`` from the contracts, rewritten at every build (dbt reads it in
    ``int_figure_status``; delete + insert, never drop, so nothing that reads it is pinned)."""
    from qamtu.warehouse import quote_ident

    column_sql = ", ".join(f"{quote_ident(name)} {sql_type}" for name, sql_type in REPORT_POLICY_COLUMNS)
    warehouse.execute(f"create table if not exists raw.report_policy ({column_sql})")
    rows = report_policy_rows()
    warehouse.execute("begin")
    try:
        warehouse.execute("delete from raw.report_policy")
        values = ", ".join("(?, ?, ?, ?, ?)" for _ in rows)
        warehouse.execute(f"insert into raw.report_policy values {values}", [v for row in rows for v in row])
        warehouse.execute("commit")
    except BaseException:
        warehouse.execute("rollback")
        raise
    return len(rows)


def ensure_sources(warehouse) -> list[str]:
    """Create the raw tables dbt reads that do not exist yet (empty, typed from the contracts): a report
    type nobody has submitted yet is an empty source, not a failed build. Returns the tables created."""
    from qamtu.contracts import report_types
    from qamtu.warehouse import quote_ident

    warehouse.ensure_schema("raw")
    created = []
    tables = {"submissions": list(SUBMISSIONS_COLUMNS)}
    tables.update({rt: raw_table_columns(rt) for rt in report_types()})
    for table, columns in tables.items():
        if warehouse.table_exists("raw", table):
            continue
        column_sql = ", ".join(f"{quote_ident(name)} {sql_type}" for name, sql_type in columns)
        warehouse.execute(f"create table if not exists raw.{quote_ident(table)} ({column_sql})")
        created.append(f"raw.{table}")
    write_report_policy(warehouse)
    return created


# --- invocation ----------------------------------------------------------------------------------
class _Progress:
    """dbt event callback: one line per model as it finishes, test outcomes counted."""

    def __init__(self, echo: Echo):
        self.echo = echo
        self.models: dict[str, dict[str, Any]] = {}
        self.tests: dict[str, int] = {}
        self.failures: list[str] = []
        # The one policy for dbt data tests (CLI and Airflow alike): an error-severity test that fails
        # ("fail"/"error") blocks the candidate; a warn-severity one ("warn") is reported by the audit.
        self.test_errors: list[str] = []
        self.test_warnings: list[str] = []
        self.errors: list[str] = []

    def __call__(self, event) -> None:
        name = event.info.name
        try:
            if name == "LogModelResult":
                node = event.data.node_info
                seconds = float(event.data.execution_time)
                status = str(event.data.status)
                self.models[node.node_name] = {
                    "name": node.node_name, "status": "error" if status == "error" else "success",
                    "message": status, "seconds": round(seconds, 3),
                }
                self.echo(f"dbt [{event.data.index}/{event.data.total}] {node.node_name}: "
                          f"{'ERROR' if status == 'error' else 'ok'} ({status}) in {seconds:.1f}s")
            elif name == "LogTestResult":
                status = str(event.data.status)
                self.tests[status] = self.tests.get(status, 0) + 1
                if status in ("fail", "error", "warn"):
                    line = f"{status.upper()} {event.data.name}"
                    if status != "error":
                        line += f" ({event.data.num_failures} rows)"
                    self.failures.append(line)
                    (self.test_warnings if status == "warn" else self.test_errors).append(line)
                    self.echo(f"dbt test {line}")
            elif name in ("RunResultError", "RunResultErrorNoMessage"):
                message = getattr(event.data, "msg", "") or str(getattr(event.data, "status", ""))
                if message:
                    self.errors.append(message)
        except Exception:  # pragma: no cover - a progress line must never break a build
            pass


def _dbt_args(command: str, target_path: Path, log_path: Path, extra: list[str]) -> list[str]:
    return [
        command,
        "--project-dir", str(DBT_PROJECT_DIR),
        "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(target_path),
        "--log-path", str(log_path),
        "--no-use-colors",
        "--quiet",
        *extra,
    ]


def _work_dir(settings: Settings) -> Path:
    """Where dbt keeps its compiled SQL and partial-parse state for this home (never the committed
    target/, which holds the manifest only)."""
    folder = Path(settings.home) / "dbt" / settings.warehouse
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def build_marts(
    period: str | None = None,
    settings: Settings | None = None,
    echo: Echo = print,
    select: str | None = None,
    marts_schema: str = DEFAULT_MARTS_SCHEMA,
    full_refresh: bool = False,
) -> dict[str, Any]:
    """``dbt build`` in one in-process invocation, holding the warehouse lock throughout (dbt-duckdb
    opens the file itself): see :func:`_build_marts`."""
    from qamtu.warehouse.lock import warehouse_lock

    settings = settings or get_settings()
    with warehouse_lock(settings):
        return _build_marts(period, settings, echo, select, marts_schema, full_refresh)


def _build_marts(
    period: str | None,
    settings: Settings,
    echo: Echo,
    select: str | None,
    marts_schema: str,
    full_refresh: bool,
) -> dict[str, Any]:
    """``dbt build`` (models, their tests and unit tests) in one in-process invocation.

    ``period`` (YYYY-MM) limits the incremental speed-test facts to that month (the other marts are
    small and always cover every period); ``select`` is a dbt selection (default: everything);
    ``marts_schema`` is where the marts land (the quality gates build a candidate schema). Returns
    ``{success, models: [{name, status, seconds, rows?}], tests, failures, seconds}``.
    """
    from dbt.cli.main import dbtRunner

    from qamtu.periods import parse_period
    from qamtu.warehouse import connect

    settings = settings or get_settings()
    if period is not None:
        parse_period(period)
    started = time.perf_counter()

    from qamtu.reference import ensure_loaded

    with connect(settings) as warehouse:
        created = ensure_sources(warehouse)
        if ensure_loaded(warehouse) is not None:
            echo("dbt: loaded the reference data (KATO, roads, programme targets) into schema reference")
    if created:
        echo(f"dbt: created empty source table(s) nobody has submitted yet: {', '.join(created)}")

    work = _work_dir(settings)
    variables = {"period": period, "marts_schema": marts_schema}
    extra = ["--vars", json.dumps(variables), "--target", settings.warehouse]
    if select:
        extra += ["--select", select]
    if full_refresh:
        extra.append("--full-refresh")
    progress = _Progress(echo)
    echo(f"dbt build on {settings.warehouse} → schema {marts_schema}"
         + (f", period {period}" if period else "") + (f", select {select}" if select else ""))
    with _environment(dbt_env(settings, marts_schema)):
        try:
            result = dbtRunner(callbacks=[progress]).invoke(
                _dbt_args("build", work / "target", work / "logs", extra))
        finally:
            release_duckdb()

    models = []
    run_results = getattr(result.result, "results", None) or []
    for node_result in run_results:
        node = node_result.node
        if node.resource_type != "model":
            continue
        entry = dict(progress.models.get(node.name) or {"name": node.name})
        entry["status"] = str(node_result.status)
        entry["seconds"] = round(float(node_result.execution_time or 0.0), 3)
        rows = (node_result.adapter_response or {}).get("rows_affected")
        if isinstance(rows, int) and rows >= 0:
            entry["rows"] = rows
        models.append(entry)
    if result.exception is not None:
        progress.errors.append(str(result.exception))
    seconds = round(time.perf_counter() - started, 3)
    summary = {
        "success": bool(result.success),
        "models": models,
        "tests": dict(progress.tests),
        "failures": progress.failures,
        "test_errors": progress.test_errors,
        "test_warnings": progress.test_warnings,
        "errors": progress.errors,
        "seconds": seconds,
        "schema": marts_schema,
        "period": period,
    }
    tests = ", ".join(f"{count} {status}" for status, count in sorted(progress.tests.items())) or "none"
    echo(f"dbt build {'succeeded' if result.success else 'FAILED'} in {seconds:.1f}s: "
         f"{len(models)} models, tests {tests}")
    for error in progress.errors:
        echo(f"dbt error: {error}")
    return summary


def release_duckdb() -> None:
    """Close the DuckDB database dbt-duckdb keeps open in this process after an invocation, so that the
    next step (audit, publish) can open the file with its own configuration. (dbt-duckdb holds it in a
    class attribute of its connection manager; there is no public call for this.)"""
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # pragma: no cover - dbt-duckdb is a dependency
        return
    with DuckDBConnectionManager._LOCK:
        environment = DuckDBConnectionManager._ENV
        DuckDBConnectionManager._ENV = None
        if environment is not None:
            environment.close()


# --- manifest ------------------------------------------------------------------------------------
# Fields that change from one parse to the next (clock, ids, the machine's paths): fixed in the
# committed manifest so that it only changes when the project does.
_VOLATILE_METADATA = {"generated_at": "1970-01-01T00:00:00Z",
                      "invocation_id": "00000000-0000-0000-0000-000000000000",
                      "invocation_started_at": None, "run_started_at": None, "env": {}, "user_id": None,
                      "send_anonymous_usage_stats": False}


def _normalise_manifest(manifest: dict[str, Any]) -> dict[str, Any]:
    root = str(DBT_PROJECT_DIR)
    metadata = manifest.get("metadata") or {}
    for key, value in _VOLATILE_METADATA.items():
        if key in metadata:
            metadata[key] = value

    def scrub(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: (0 if k == "created_at" else scrub(v)) for k, v in value.items()}
        if isinstance(value, list):
            return [scrub(v) for v in value]
        if isinstance(value, str) and root in value:
            return value.replace(root, ".")
        return value

    return scrub(manifest)


def parse_manifest(echo: Echo = print, output: Path | None = None) -> Path:
    """Parse the project (no warehouse connection) and write the normalised ``manifest.json`` that the
    Airflow DAG renders from. Run it after changing any model: ``python -m qamtu.warehouse.dbt_runner``."""
    from dbt.cli.main import dbtRunner

    output = output or MANIFEST_PATH
    with tempfile.TemporaryDirectory(prefix="qamtu-dbt-parse-") as scratch:
        scratch_path = Path(scratch)
        env = {**QUIET_ENV, "QAMTU_WAREHOUSE": "duckdb", "QAMTU_DUCKDB_PATH": "warehouse.duckdb",
               "QAMTU_MARTS_SCHEMA": DEFAULT_MARTS_SCHEMA}
        with _environment(env):
            result = dbtRunner().invoke(
                _dbt_args("parse", scratch_path / "target", scratch_path / "logs",
                          ["--target", "duckdb", "--no-partial-parse"])
            )
        if not result.success:
            raise RuntimeError(f"dbt parse failed: {result.exception}")
        manifest = json.loads((scratch_path / "target" / "manifest.json").read_text(encoding="utf-8"))
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(_normalise_manifest(manifest), sort_keys=True, ensure_ascii=False,
                                 separators=(",", ":")) + "\n", encoding="utf-8")
    echo(f"wrote {output} ({len(manifest.get('nodes', {}))} nodes)")
    return output


if __name__ == "__main__":  # pragma: no cover - `python -m qamtu.warehouse.dbt_runner` refreshes the manifest
    parse_manifest()
