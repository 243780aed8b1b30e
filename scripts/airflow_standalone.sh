#!/usr/bin/env bash
# `make airflow`: Airflow 3 standalone (api-server + scheduler + dag-processor + triggerer, SQLite
# metadata, LocalExecutor) on this repository's dags/, so the pipeline's runs show in the UI.
# The admin password is printed at first start and kept in $AIRFLOW_HOME/simple_auth_manager_passwords.json.generated.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO="$(pwd)"

export QAMTU_HOME="$(realpath -m "${QAMTU_HOME:-.qamtu}")"   # absolute: tasks run in other directories
export AIRFLOW_HOME="$(realpath -m "${AIRFLOW_HOME:-$QAMTU_HOME/airflow}")"
export PATH="$REPO/.venv/bin:$PATH"                         # standalone starts `airflow …` subprocesses
export AIRFLOW__CORE__DAGS_FOLDER="$REPO/dags"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="${AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION:-False}"
export AIRFLOW__API__PORT="${AIRFLOW_PORT:-8080}"
export DO_NOT_TRACK=1 DBT_SEND_ANONYMOUS_USAGE_STATS=False AIRFLOW__COSMOS__ENABLE_TELEMETRY=False SCARF_ANALYTICS=false
# The embedded DuckDB file takes one writer at a time: run one task at a time unless told otherwise
# (with QAMTU_WAREHOUSE=postgres, tasks run in parallel).
if [[ "${QAMTU_WAREHOUSE:-duckdb}" == "duckdb" ]]; then
  export AIRFLOW__CORE__PARALLELISM="${AIRFLOW__CORE__PARALLELISM:-1}"
fi
mkdir -p "$AIRFLOW_HOME"
echo "Airflow UI: http://127.0.0.1:${AIRFLOW__API__PORT}  (AIRFLOW_HOME=$AIRFLOW_HOME, QAMTU_HOME=$QAMTU_HOME)"
echo "Drop submissions under $QAMTU_HOME/landing/… (or run 'make run' first), then trigger ingest_submissions."
exec airflow standalone
