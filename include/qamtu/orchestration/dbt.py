"""How the DAGs hand the dbt project to astronomer-cosmos: paths, profile, target, vars. Plain values
only (the DAG file builds the Cosmos objects), read without running dbt, so parsing stays cheap."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from qamtu.settings import CANDIDATE_SCHEMA, DBT_PROJECT_DIR, Settings, get_settings

MANIFEST_PATH = DBT_PROJECT_DIR / "target" / "manifest.json"
PROFILES_PATH = DBT_PROJECT_DIR / "profiles.yml"
# What the plan task hands to every dbt model task (rendered into Cosmos' templated vars/env).
DBT_VAR_NAMES = ("period", "marts_schema")
# Non-secret profile variables only: passwords stay in the worker's own environment, which dbt
# inherits (Cosmos' append_env); these are derived from the settings (an absolute DuckDB path,
# since Cosmos runs dbt from a temporary copy of the project).
DBT_ENV_NAMES = ("QAMTU_WAREHOUSE", "QAMTU_DUCKDB_PATH", "QAMTU_DUCKDB_THREADS", "QAMTU_DUCKDB_MEMORY_LIMIT",
                 "QAMTU_PG_HOST", "QAMTU_PG_PORT", "QAMTU_PG_USER", "QAMTU_PG_DATABASE", "QAMTU_MARTS_SCHEMA")


@cache
def project_file() -> dict:
    import yaml

    return yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))


def project_name() -> str:
    return project_file()["name"]


def profile_name() -> str:
    return project_file()["profile"]


def target_name(settings: Settings | None = None) -> str:
    """dbt target = the configured warehouse (profiles.yml has one output per engine)."""
    return (settings or get_settings()).warehouse


def parallel_tasks(settings: Settings | None = None) -> int:
    """How many dbt model tasks may run at once: one on the embedded DuckDB file (a single writer),
    a few on PostgreSQL."""
    return 1 if (settings or get_settings()).warehouse == "duckdb" else 4


def dbt_vars(periods: list[str], marts_schema: str = CANDIDATE_SCHEMA) -> dict[str, str]:
    """dbt vars of a build: one period limits the incremental facts to it; several (or none) let
    dbt build every month that is new or changed. Strings, as Cosmos renders them; "" = null."""
    return {"period": periods[0] if len(periods) == 1 else "", "marts_schema": marts_schema}


def dbt_env(settings: Settings | None = None, marts_schema: str = CANDIDATE_SCHEMA) -> dict[str, str]:
    from qamtu.warehouse.dbt_runner import dbt_env as profile_env

    env = profile_env(settings or get_settings(), marts_schema)
    return {name: env[name] for name in DBT_ENV_NAMES}


def from_plan(key: str, names: tuple[str, ...], task_id: str = "plan") -> dict[str, str]:
    """Jinja templates that Airflow renders, at run time, into the values the plan task returned
    under ``key`` (Cosmos' ``vars`` and ``env`` are templated fields)."""
    return {name: "{{ ti.xcom_pull(task_ids='%s')['%s']['%s'] }}" % (task_id, key, name)  # noqa: UP031
            for name in names}


def release_warehouse(project_dir: str | None = None, **_: object) -> None:
    """Cosmos ``callback`` after each dbt invocation: close the DuckDB file dbt-duckdb keeps open in
    the task's process, so the next task in the same process (``dag.test()`` runs them all in one)
    can open it with the pipeline's own configuration."""
    from qamtu.warehouse.dbt_runner import release_duckdb

    release_duckdb()


# --- WATCHER: one `dbt build`, per-model tasks that show its outcome -----------------------------------
# Cosmos' producer task of ExecutionMode.WATCHER (cosmos.constants.PRODUCER_WATCHER_TASK_ID) and the XCom
# key under which our callback leaves what that one `dbt build` did, node by node.
PRODUCER_TASK = "dbt_producer_watcher"
BUILD_RESULTS_KEY = "qamtu_dbt_build"
# dbt's statuses (run_results.json): a test that fails at error severity is "fail", one that fails at warn
# severity is "warn", one whose SQL broke is "error"; a model is "success", "error" or "skipped".
TEST_ERROR_STATUSES = frozenset({"fail", "error", "runtime error"})
TEST_WARNING_STATUSES = frozenset({"warn"})


def is_producer_task(task_id: str) -> bool:
    """The one task that runs ``dbt build`` for the whole group (``ExecutionMode.WATCHER``)."""
    return task_id.rsplit(".", 1)[-1] == PRODUCER_TASK


def without_resource_type_flags(flags: list[str] | None) -> list[str]:
    """dbt flags without the ``--resource-type X`` pairs (what Cosmos adds to the producer's build when
    no test task is rendered): the build then runs every node of the selection, tests included."""
    kept: list[str] = []
    flags = list(flags or [])
    skip_value = False
    for flag in flags:
        if skip_value:
            skip_value = False
            continue
        if flag == "--resource-type":
            skip_value = True
            continue
        kept.append(flag)
    return kept


def summarize_run_results(run_results: dict) -> dict[str, list]:
    """What a ``dbt build`` did, from its ``target/run_results.json``: each model and its status, and the
    data tests that failed at error severity (``test_errors``: they make ``dbt build`` fail) or warned
    (``test_warnings``), worded as ``qamtu build`` words them (``FAIL <test> (<n> rows)``,
    ``ERROR <test>``, ``WARN <test> (<n> rows)``) so both paths log the same build the same way."""
    models: list[dict[str, str]] = []
    test_errors: list[str] = []
    test_warnings: list[str] = []
    for result in run_results.get("results") or []:
        unique_id = str(result.get("unique_id") or "")
        resource_type, _, rest = unique_id.partition(".")
        # model.<package>.<name>; test.<package>.<name>[.<hash>]; unit_test.<package>.<model>.<name>
        parts = rest.split(".")
        status = str(result.get("status") or "").lower()
        if resource_type == "model":
            models.append({"name": parts[-1], "status": status})
        elif resource_type in ("test", "unit_test") and status in TEST_ERROR_STATUSES | TEST_WARNING_STATUSES:
            name = parts[1] if resource_type == "test" else parts[-1]
            line = f"{status.upper()} {name}"
            if status != "error":
                line += f" ({result.get('failures')} rows)"
            (test_warnings if status in TEST_WARNING_STATUSES else test_errors).append(line)
    return {"models": sorted(models, key=lambda m: m["name"]), "test_errors": test_errors,
            "test_warnings": test_warnings}


def after_dbt(project_dir: str | None = None, context: dict | None = None, **_: object) -> None:
    """Cosmos ``callback`` after each dbt invocation (it runs before Cosmos raises on a failed one):
    close the DuckDB file (see :func:`release_warehouse`), and leave the build's node-by-node outcome
    in XCom for ``candidate_ready``, which logs it as ``qamtu build`` logs its own."""
    import json

    release_warehouse()
    results_path = Path(project_dir or "") / "target" / "run_results.json"
    ti = (context or {}).get("ti")
    if ti is None or not project_dir or not results_path.is_file():
        return
    run_results = json.loads(results_path.read_text(encoding="utf-8"))
    push_model_statuses(ti, run_results)
    ti.xcom_push(key=BUILD_RESULTS_KEY, value=summarize_run_results(run_results))


# dbt's model statuses → what Cosmos' watcher sensors read (cosmos.operators._watcher.state). In a
# build of the whole project a model is only ever skipped because something upstream failed: its task fails.
WATCHER_STATUS = {"success": "success", "error": "failed", "skipped": "failed"}


def push_model_statuses(ti, run_results: dict) -> None:
    """Each model's outcome under the XCom key its Cosmos watcher task polls, once the build is over:
    one push per model instead of Cosmos' push per dbt event (see :func:`watch_results_only`)."""
    from cosmos.operators._watcher.state import get_status_xcom_key

    for result in run_results.get("results") or []:
        unique_id = str(result.get("unique_id") or "")
        if unique_id.startswith("model."):
            status = WATCHER_STATUS.get(str(result.get("status") or "").lower(), "failed")
            ti.xcom_push(key=get_status_xcom_key(unique_id), value={"status": status, "outlet_uris": []})


def watch_results_only(producer) -> None:
    """Make Cosmos' WATCHER producer run its ``dbt build`` without the per-event callback.

    Cosmos serialises every dbt event to JSON and pushes four XComs per node while dbt runs (≈ 1,000
    task-API calls for this project, from dbt's threads): measured, that made the producer's build
    40–57 s where the same ``dbt build`` in process takes 14 s (docs/orchestration.md). The watchers
    only need each model's final status, which :func:`after_dbt` pushes from ``run_results.json``."""
    producer.__class__ = _results_only_producer_class()
    producer.log_format = "text"  # dbt's own readable lines in the task log (Cosmos asks for JSON to parse)


@cache
def _results_only_producer_class():
    from cosmos.operators.local import DbtLocalBaseOperator
    from cosmos.operators.watcher import DbtProducerWatcherOperator

    class DbtProducerResultsOperator(DbtProducerWatcherOperator):
        """Cosmos' WATCHER producer whose dbt invocation registers no event callback."""

        def run_dbt_runner(self, command, env, cwd, **kwargs):
            return DbtLocalBaseOperator.run_dbt_runner(self, command, env, cwd, **kwargs)

    DbtProducerResultsOperator.__module__ = __name__
    return DbtProducerResultsOperator
