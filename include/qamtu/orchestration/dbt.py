"""How the DAGs hand the dbt project to astronomer-cosmos: paths, profile, target, vars. Plain values
only (the DAG file builds the Cosmos objects), read without running dbt, so parsing stays cheap."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from qamtu.settings import Settings, get_settings

REPO_ROOT = Path(__file__).resolve().parents[3]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
MANIFEST_PATH = DBT_PROJECT_DIR / "target" / "manifest.json"
PROFILES_PATH = DBT_PROJECT_DIR / "profiles.yml"
CANDIDATE_SCHEMA = "marts_candidate"
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


def is_test_task(task_id: str) -> bool:
    """The task Cosmos renders for every dbt test of the project (``TestBehavior.AFTER_ALL``; Cosmos
    names it after the project's folder)."""
    return task_id.rsplit(".", 1)[-1] == f"{DBT_PROJECT_DIR.name}_test"


def release_warehouse(project_dir: str | None = None, **_: object) -> None:
    """Cosmos ``callback`` after each dbt invocation: close the DuckDB file dbt-duckdb keeps open in
    the task's process, so the next task in the same process (``dag.test()`` runs them all in one)
    can open it with the pipeline's own configuration."""
    from qamtu.warehouse.dbt_runner import release_duckdb

    release_duckdb()
