#!/usr/bin/env bash
# One-shot Airflow initialisation (the airflow-init service): migrate the metadata database (Airflow's
# tables and the FAB auth manager's), then create or update the users named in the environment
# (deploy/airflow/users.py: admin, data engineer, viewer). Safe to re-run.
set -euo pipefail

: "${AIRFLOW_ADMIN_USERNAME:?}" "${AIRFLOW_ADMIN_PASSWORD:?}"
: "${AIRFLOW_ENGINEER_USERNAME:?}" "${AIRFLOW_ENGINEER_PASSWORD:?}"
: "${AIRFLOW_VIEWER_USERNAME:?}" "${AIRFLOW_VIEWER_PASSWORD:?}"

airflow db migrate
python "$(dirname "$0")/users.py"
echo "airflow-init: database migrated, users configured"
