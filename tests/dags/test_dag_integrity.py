"""Every DAG in dags/ imports cleanly, has no cycle, carries tags, an owner, retries, a timeout and
the alerting callback on every task, and the whole folder parses fast (the real figure is in
bench/bench_dag_parse.py)."""

from __future__ import annotations

import time

import pytest
from airflow_harness import DAGS_FOLDER

EXPECTED_DAGS = {"ingest_submissions", "reference_data", "build_coverage_marts", "audit_and_publish",
                 "monthly_close"}
# Generous: the tests run two at a time on two cores. The 2 s target is judged by bench/bench_dag_parse.py.
PARSE_BOUND_SECONDS = 8.0


@pytest.fixture(scope="module")
def parsed():
    import airflow.sdk  # noqa: F401  (the processor has Airflow imported before it parses any file)
    from airflow.dag_processing.dagbag import DagBag

    started = time.perf_counter()
    bag = DagBag(dag_folder=str(DAGS_FOLDER))
    return bag, time.perf_counter() - started


@pytest.fixture(scope="module")
def bag(parsed):
    return parsed[0]


def test_no_import_errors(bag):
    assert bag.import_errors == {}, "\n".join(f"{path}: {error}" for path, error in bag.import_errors.items())


def test_the_pipeline_dags_are_all_there(bag):
    assert EXPECTED_DAGS <= set(bag.dag_ids)


def test_whole_dags_folder_parses_fast(parsed):
    bag, seconds = parsed
    assert bag.dag_ids and seconds < PARSE_BOUND_SECONDS, f"dags/ took {seconds:.2f} s to parse"


def _dag_ids():
    return sorted(EXPECTED_DAGS)


@pytest.mark.parametrize("dag_id", _dag_ids())
def test_no_cycles(bag, dag_id):
    bag.dags[dag_id].check_cycle()  # raises AirflowDagCycleException on a cycle


@pytest.mark.parametrize("dag_id", _dag_ids())
def test_tags_owner_retries_timeout_and_alert_on_every_task(bag, dag_id):
    from qamtu.orchestration import OWNER, alert_on_failure, warn_on_failure
    from qamtu.orchestration.dbt import is_producer_task

    dag = bag.dags[dag_id]
    assert dag.tags and "qamtu" in dag.tags
    assert dag.doc_md, f"{dag_id} has no doc_md"
    assert dag.tasks
    for task in dag.tasks:
        where = f"{dag_id}.{task.task_id}"
        assert task.owner == OWNER, where
        # The gates (the audit, the dbt build and its watchers) have no retries: a failed check is data,
        # not a glitch, and the one dbt build is re-run whole (re-run the DAG), never model by model.
        if task.task_id.endswith(".audit") or task.task_id.startswith("dbt."):
            assert task.retries == 0, where
        else:
            assert task.retries >= 2, where
        assert task.execution_timeout is not None and task.execution_timeout.total_seconds() > 0, where
        callbacks = task.on_failure_callback
        callbacks = callbacks if isinstance(callbacks, list) else [callbacks]
        # A failed dbt build only warns (its data tests are for the audit to judge); every other task alerts
        # as an error (a model's watcher too: that model did not build).
        if task.task_id != "dbt.dbt_producer_watcher_done":  # Cosmos' no-op gate after the build
            assert (warn_on_failure if is_producer_task(task.task_id) else alert_on_failure) in callbacks, (
                where
            )


def test_data_aware_schedules_chain_the_pipeline(bag):
    from qamtu.orchestration import CANDIDATE_MARTS_ASSET, REFERENCE_ASSET, raw_asset_uris

    def uris(condition) -> set[str]:
        if hasattr(condition, "objects"):  # AssetAny / AssetAll
            return set().union(*(uris(part) for part in condition.objects))
        return {condition.uri}

    build = bag.dags["build_coverage_marts"]
    assert set(raw_asset_uris()) | {REFERENCE_ASSET} <= uris(build.timetable.asset_condition)
    publish = bag.dags["audit_and_publish"]
    assert uris(publish.timetable.asset_condition) == {CANDIDATE_MARTS_ASSET}
    # ... and the producers say they produce them.
    produced = {outlet.uri for task in build.tasks for outlet in task.outlets}
    assert CANDIDATE_MARTS_ASSET in produced
    ingest = bag.dags["ingest_submissions"]
    ingest_outlets = {o.uri for t in ingest.tasks for o in t.outlets}
    assert ingest_outlets & set(raw_asset_uris())


def test_dbt_is_one_build_watched_by_a_task_per_model(bag):
    import json

    from qamtu.orchestration.dbt import MANIFEST_PATH, is_producer_task

    manifest = json.loads(MANIFEST_PATH.read_text(encoding="utf-8"))
    models = {node["name"] for node in manifest["nodes"].values() if node["resource_type"] == "model"}
    build = bag.dags["build_coverage_marts"]
    dbt_tasks = [t for t in build.tasks if t.task_id.startswith("dbt.")]
    (producer,) = [t for t in dbt_tasks if is_producer_task(t.task_id)]
    # The producer runs the one `dbt build` in process, tests and unit tests included (as `qamtu build`),
    # as Cosmos' WATCHER producer without its per-event callback: statuses come once from run_results.json.
    from cosmos.operators.watcher import DbtProducerWatcherOperator

    assert isinstance(producer, DbtProducerWatcherOperator) and producer.base_cmd == ["build"]
    assert type(producer).run_dbt_runner is not DbtProducerWatcherOperator.run_dbt_runner
    assert "--resource-type" not in (producer.dbt_cmd_flags or [])
    assert producer.invocation_mode.value == "dbt_runner"
    assert producer.callback == "qamtu.orchestration.dbt.after_dbt"
    watchers = {t.task_id.removeprefix("dbt.").removesuffix("_run"): t for t in dbt_tasks
                if type(t).__name__ == "DbtRunWatcherOperator"}
    # Every model's status is its own task, and nothing else runs dbt.
    assert models and set(watchers) == models
    assert {t.task_id for t in dbt_tasks} == {t.task_id for t in watchers.values()} | {
        producer.task_id, "dbt.dbt_producer_watcher_done"}
    # Every watcher starts after the build (directly, or after the watchers of what its model depends on),
    # reads its result without deferring, and the first ones run whether the build failed or not.
    for name, watcher in watchers.items():
        assert producer.task_id in {t.task_id for t in watcher.get_flat_relatives(upstream=True)}, name
        assert watcher.deferrable is False, name
        if producer.task_id in watcher.upstream_task_ids:
            assert watcher.trigger_rule == "none_skipped", name
    # The candidate is announced whatever the tests say (the audit decides), never before the build is over.
    ready = build.get_task("candidate_ready")
    assert ready.trigger_rule == "all_done"
    assert {t.task_id for t in ready.get_flat_relatives(upstream=True)} >= {t.task_id for t in dbt_tasks}
