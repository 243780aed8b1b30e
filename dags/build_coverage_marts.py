"""build_coverage_marts: the dbt project (staging → intermediate → marts, with every dbt test) built into
the candidate schema by ONE ``dbt build``, and every model's outcome shown as its own Airflow task.

astronomer-cosmos renders the project from the committed ``dbt_project/target/manifest.json``
(``LoadMode.DBT_MANIFEST``: parsing this file never runs dbt) in ``ExecutionMode.WATCHER``: the task
``dbt.dbt_producer_watcher`` runs ``dbt build`` (models, data tests, unit tests) in its own process
(``InvocationMode.DBT_RUNNER``), and one task per model (``dbt.<model>_run``) turns green or red from
what that build reported for its model. A data test that fails at error severity makes the build
fail (the producer goes red with a warning alert; dbt skips what depends on the tested model, whose
tasks go red); one that fails at warn severity does not. Either way ``candidate_ready`` logs the
build with those tests (``test_errors``, ``test_warnings``) as ``qamtu build`` does, and the audit
decides: an error-severity failure blocks the candidate, a warning is reported.

Runs when ingestion loads new rows (any ``qamtu://raw/<report_type>`` Asset) or the reference data
changes, for the periods those events name; ``period`` in the conf builds one month on demand:
``airflow dags trigger build_coverage_marts -c '{"period": "2026-02"}'``. Rebuilding is idempotent
(dbt replaces the candidate tables). Its Asset ``qamtu://marts/candidate`` triggers audit_and_publish.
docs/orchestration.md says why one build, and what each rendering measured.
"""

from __future__ import annotations

import datetime as dt

from airflow.sdk import Asset, AssetAny, Param, dag, task
from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, TestBehavior
from qamtu.orchestration import (
    CANDIDATE_MARTS_ASSET,
    PERIODS_PARAM,
    REFERENCE_ASSET,
    SHORT_TIMEOUT,
    period_param,
    planned_periods,
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
    params={"period": Param(**period_param("Month to build (YYYY-MM); default: the months the triggering "
                                        "events name, else every month in the warehouse.")),
            "periods": Param(**PERIODS_PARAM)},
    tags=["qamtu", "dbt", "marts"],
    doc_md=__doc__,
)
def build_coverage_marts():
    @task
    def plan(params=None, triggering_asset_events=None) -> dict:
        """Which months this run builds (asked for, named by the triggering events, or all), and the
        dbt vars and environment for them; creates the empty raw tables nobody has submitted to."""
        from qamtu.pipeline import prepare_build

        periods = planned_periods(params, triggering_asset_events)
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
            # One `dbt build` for the whole project (the producer task); the model and test tasks
            # only watch it: no dbt start-up per model (see docs/orchestration.md for the figures).
            execution_mode=ExecutionMode.WATCHER,
            invocation_mode=InvocationMode.DBT_RUNNER,
        ),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST,
            # No task per test: each costs as much Airflow overhead as a model's, and the tests' verdicts
            # go, named, to the build log and the audit report (docs/orchestration.md has the figures).
            test_behavior=TestBehavior.NONE,
            emit_datasets=False,  # the DAG's own Asset says when the candidate marts are ready
            enable_owner_inheritance=False,  # every task keeps the project's owner
        ),
        operator_args={
            # The plan's vars (period, candidate schema) and profile environment, rendered at run time
            # from the worker's own settings (secrets stay in the worker's environment, never here).
            "vars": dbt_config.from_plan("dbt_vars", dbt_config.DBT_VAR_NAMES),
            "env": dbt_config.from_plan("dbt_env", dbt_config.DBT_ENV_NAMES),
            "install_deps": False,
            # Closes the DuckDB file and leaves the build's node-by-node results for candidate_ready.
            "callback": "qamtu.orchestration.dbt.after_dbt",
        },
        default_args=task_defaults(SHORT_TIMEOUT),
    )
    dbt_tasks = list(dbt.iter_tasks())
    producer = next(t for t in dbt_tasks if dbt_config.is_producer_task(t.task_id))
    # Without test tasks Cosmos limits the producer's build to models (`--resource-type` flags); give it
    # back the whole `dbt build`, tests and unit tests included, exactly as `qamtu build` runs it.
    producer.dbt_cmd_flags = dbt_config.without_resource_type_flags(producer.dbt_cmd_flags)
    # Statuses pushed once from run_results.json, not per dbt event (4x faster build task, see the function).
    dbt_config.watch_results_only(producer)
    # A build that failed on data tests is data: a warning, the audit decides. A model that did not
    # build fails its own watcher, which alerts as an error.
    producer.on_failure_callback = [warn_on_failure]
    first_watchers = []
    for dbt_task in dbt_tasks:
        # One build, not a build per task: a retry of a watcher would re-run its model alone, on top
        # of a build that may have skipped it on purpose. Re-run the DAG instead (it is idempotent).
        dbt_task.retries = 0
        if dbt_task is producer or not hasattr(dbt_task, "poke"):
            continue
        # The watchers read the build's results once it is over: poke, no deferral, so no triggerer
        # is needed and `dag.test()` runs them in line.
        dbt_task.deferrable = False
        dbt_task.poke_interval = 1
        if not any(up.task_id.startswith("dbt.") for up in dbt_task.upstream_list):
            # The watchers of the first models start once the build is over, failed or not (Cosmos
            # starts them beside it; with one worker slot on DuckDB, or `dag.test()` running one task
            # at a time, they would wait on a build that never starts). Skipped with it when nothing is built.
            dbt_task.trigger_rule = "none_skipped"
            first_watchers.append(dbt_task)
    producer >> first_watchers

    @task(outlets=[candidate_marts], trigger_rule="all_done")
    def candidate_ready(plan: dict | None, ti=None, outlet_events=None) -> list[str]:
        """Log the build for the audit, as `qamtu build` logs its own (each model's status, the data
        tests that failed at error severity and those that warned), then tell audit_and_publish which
        months the candidate marts were rebuilt for. A build that reported nothing (dbt did not start)
        fails this task; anything dbt reported is for the audit to judge."""
        from qamtu.orchestration.dbt import BUILD_RESULTS_KEY
        from qamtu.pipeline import record_task_group_build

        if plan is None:  # the plan skipped (no period has data yet): nothing was built, nothing to announce
            from airflow.sdk.exceptions import AirflowSkipException

            raise AirflowSkipException("the plan was skipped: no candidate marts to announce")
        states = ti.get_task_states(dag_id=ti.dag_id, task_group_id="dbt", run_ids=[ti.run_id])[ti.run_id]
        results = ti.xcom_pull(task_ids=producer.task_id, key=BUILD_RESULTS_KEY)
        record_task_group_build(plan["periods"], plan["dbt_vars"]["period"] or None, states, results)
        outlet_events[candidate_marts].extra = {"periods": plan["periods"]}
        return plan["periods"]

    planned >> dbt >> candidate_ready(planned)


build_coverage_marts()
