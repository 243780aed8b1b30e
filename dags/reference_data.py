"""reference_data: load the KATO classifier, the road register and the programme targets into the
warehouse schema ``reference``. Runs once when first unpaused and on demand; its Asset tells the
build DAG that every mart must be rebuilt against the new reference."""

from __future__ import annotations

import datetime as dt

from airflow.sdk import Asset, dag, task
from qamtu.orchestration import REFERENCE_ASSET, SHORT_TIMEOUT, task_defaults

reference = Asset(REFERENCE_ASSET)


@dag(
    dag_id="reference_data",
    schedule="@once",
    start_date=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    max_active_runs=1,
    default_args=task_defaults(SHORT_TIMEOUT),
    tags=["qamtu", "reference"],
    doc_md=__doc__,
)
def reference_data():
    @task(outlets=[reference])
    def load_reference() -> dict[str, int]:
        from qamtu.pipeline import load_reference

        return load_reference()

    load_reference()


reference_data()
