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
    from qamtu.orchestration.dbt import is_producer_task, is_test_task

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
        # A failed dbt build or test verdict only warns (the audit decides); every other task alerts as
        # an error (a model watcher too: a model that did not build).
        warns = is_test_task(task.task_id) or is_producer_task(task.task_id)
        if task.task_id != "dbt.dbt_producer_watcher_done":  # Cosmos' no-op gate after the build
            assert (warn_on_failure if warns else alert_on_failure) in callbacks, where


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


def test_dbt_is_one_build_watched_by_a_task_per_model_and_one_per_models_tests(bag):
    import json

    from qamtu.orchestration.dbt import MANIFEST_PATH, is_producer_task, is_test_task

    manifest = json.loads(MANIFEST_PATH.read_text(encoding="utf-8"))
    models = {node["name"] for node in manifest["nodes"].values() if node["resource_type"] == "model"}
    tested = {manifest["nodes"][parent]["name"] for node in manifest["nodes"].values()
              if node["resource_type"] == "test" for parent in node["depends_on"]["nodes"]
              if parent.startswith("model.")}
    build = bag.dags["build_coverage_marts"]
    dbt_tasks = [t for t in build.tasks if t.task_id.startswith("dbt.")]
    (producer,) = [t for t in dbt_tasks if is_producer_task(t.task_id)]
    # The producer runs the one `dbt build` (models, tests, unit tests), in process.
    assert type(producer).__name__ == "DbtProducerWatcherOperator" and producer.base_cmd == ["build"]
    assert "--resource-type" not in (producer.dbt_cmd_flags or [])  # nothing left out of the build
    assert producer.invocation_mode.value == "dbt_runner"
    runs = {t.task_id.removeprefix("dbt.").removesuffix(".run"): t for t in dbt_tasks if t.task_id.endswith(".run")}
    tests = {t.task_id.removeprefix("dbt.").removesuffix(".test"): t for t in dbt_tasks if is_test_task(t.task_id)}
    # Every model's status is its own task; so is the verdict of every tested model's tests.
    assert models and set(runs) == models
    assert tested and set(tests) == tested
    for name, test_task in tests.items():
        assert runs[name].task_id in test_task.upstream_task_ids
    # Every watcher starts after the build (directly, or after the watchers of what it depends on), reads
    # its results without deferring, and the first ones run whether the build failed or not.
    for task in [*runs.values(), *tests.values()]:
        assert producer.task_id in {t.task_id for t in task.get_flat_relatives(upstream=True)}, task.task_id
        assert task.deferrable is False, task.task_id
        if producer.task_id in task.upstream_task_ids:
            assert task.trigger_rule == "none_skipped", task.task_id
    # The candidate is announced whatever the tests say (the audit decides), never before the build is over.
    ready = build.get_task("candidate_ready")
    assert ready.trigger_rule == "all_done"
    assert {t.task_id for t in ready.get_flat_relatives(upstream=True)} >= {t.task_id for t in dbt_tasks}
