"""Sets up a private Airflow home before any test here imports airflow (see airflow_harness)."""

import airflow_harness  # noqa: F401
