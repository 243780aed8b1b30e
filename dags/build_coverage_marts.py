"""build_coverage_marts: the dbt project (staging → intermediate → marts) built into the candidate
schema, rendered by astronomer-cosmos as one Airflow task per model from the committed
``dbt_project/target/manifest.json`` (``LoadMode.DBT_MANIFEST``: parsing this file never runs dbt).

Runs when ingestion loads new rows (any ``qamtu://raw/<report_type>`` Asset) or the reference data
changes, for the periods those events name; ``period`` in the conf builds one month on demand:
``airflow dags trigger build_coverage_marts -c '{"period": "2026-02"}'``. Rebuilding is idempotent
(dbt replaces the candidate tables). Its Asset ``qamtu://marts/candidate`` triggers audit_and_publish.

Each model task runs ``dbt run --select <model>`` with dbt invoked in the task's own process
(``InvocationMode.DBT_RUNNER``: no subprocess, no ``dbt ls``); then one task runs every dbt test
(``TestBehavior.AFTER_ALL``). A model that fails stops the build; failed dbt tests are logged as
warnings for the audit, which decides. See docs/orchestration.md for what per-model tasks cost
against one ``dbt build``.
"""

from __future__ import annotations

import datetime as dt

from airflow.sdk import Asset, AssetAny, Param, dag, task
from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, TestBehavior
from qamtu.orchestration import (
    CANDIDATE_MARTS_ASSET,
    REFERENCE_ASSET,
    SHORT_TIMEOUT,
    raw_asset_uris,
    task_defaults,
    warn_on_failure,
)
from qamtu.orchestration import dbt as dbt_config

candidate_marts = Asset(CANDIDATE_MARTS_ASSET)
triggers = AssetAny(Asset(REFERENCE_ASSET), *(Asset(uri) for uri in raw_asset_uris()))


@dag(
    dag_id="build_coverage_marts",
    schedule=triggers,
    start_date=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    # One build at a time: runs share the candidate schema. Models in parallel only off DuckDB.
    max_active_runs=1,
    max_active_tasks=dbt_config.parallel_tasks(),
    default_args=task_defaults(SHORT_TIMEOUT),
    params={"period": Param(None, type=["null", "string"], pattern=r"^\d{4}-(0[1-9]|1[0-2])$",
                            description="Month to build (YYYY-MM); default: the months the triggering "
                                        "events name, else every month in the warehouse."),
            "periods": Param(None, type=["null", "array"], items={"type": "string"},
                             description="Several months at once (what the triggering Assets would name).")},
    tags=["qamtu", "dbt", "marts"],
    doc_md=__doc__,
)
def build_coverage_marts():
    @task
    def plan(params=None, triggering_asset_events=None) -> dict:
        """Which months this run builds (asked for, named by the triggering events, or all), and the
        dbt vars and environment for them; creates the empty raw tables nobody has submitted to."""
        from qamtu.orchestration import periods_to_work_on
        from qamtu.pipeline import known_periods, prepare_build

        extras = [event.extra for events in (triggering_asset_events or {}).values() for event in events]
        periods = periods_to_work_on(params.get("period") or params.get("periods"), extras, known_periods())
        if not periods:
            from airflow.sdk.exceptions import AirflowSkipException

            raise AirflowSkipException("no period has data yet: nothing to build")
        prepare_build()
        return {"periods": periods, "dbt_vars": dbt_config.dbt_vars(periods), "dbt_env": dbt_config.dbt_env()}

    planned = plan()

    dbt = DbtTaskGroup(
        group_id="dbt",
        project_config=ProjectConfig(
            dbt_project_path=dbt_config.DBT_PROJECT_DIR,
            manifest_path=dbt_config.MANIFEST_PATH,
            project_name=dbt_config.project_name(),
        ),
        profile_config=ProfileConfig(
            profile_name=dbt_config.profile_name(),
            target_name=dbt_config.target_name(),
            profiles_yml_filepath=dbt_config.PROFILES_PATH,
        ),
        execution_config=ExecutionConfig(
            execution_mode=ExecutionMode.LOCAL,
            invocation_mode=InvocationMode.DBT_RUNNER,
        ),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST,
            # Models first (one `dbt run` task each), then every dbt test in one `dbt test` task.
            test_behavior=TestBehavior.AFTER_ALL,
            emit_datasets=False,  # the DAG's own Asset says when the candidate marts are ready
            enable_owner_inheritance=False,  # every task keeps the project's owner
        ),
        operator_args={
            # The plan's vars (period, candidate schema) and profile environment, rendered at run time
            # from the worker's own settings (secrets stay in the worker's environment, never here).
            "vars": dbt_config.from_plan("dbt_vars", dbt_config.DBT_VAR_NAMES),
            "env": dbt_config.from_plan("dbt_env", dbt_config.DBT_ENV_NAMES),
            "install_deps": False,
            "callback": "qamtu.orchestration.dbt.release_warehouse",
        },
        default_args=task_defaults(SHORT_TIMEOUT),
    )
    for dbt_task in dbt.children.values():
        if dbt_config.is_test_task(dbt_task.task_id):
            dbt_task.retries = 0  # a failing data test is data, not a glitch: no retries
            dbt_task.on_failure_callback = [warn_on_failure]  # it warns; the audit decides

    @task(outlets=[candidate_marts], trigger_rule="all_done")
    def candidate_ready(plan: dict | None, ti=None, outlet_events=None) -> list[str]:
        """Log the Cosmos build for the audit (as `qamtu build` logs its own), then tell
        audit_and_publish which months the candidate marts were rebuilt for. A model that did not
        build fails this task; failed dbt tests only warn (the audit reports them)."""
        from qamtu.pipeline import record_task_group_build

        if plan is None:  # the plan skipped (no period has data yet): nothing was built, nothing to announce
            from airflow.sdk.exceptions import AirflowSkipException

            raise AirflowSkipException("the plan was skipped: no candidate marts to announce")
        states = ti.get_task_states(dag_id=ti.dag_id, task_group_id="dbt", run_ids=[ti.run_id])[ti.run_id]
        record_task_group_build(plan["periods"], plan["dbt_vars"]["period"] or None, states)
        outlet_events[candidate_marts].extra = {"periods": plan["periods"]}
        return plan["periods"]

    planned >> dbt >> candidate_ready(planned)


build_coverage_marts()
