#!/usr/bin/env bash
# One-shot Airflow initialisation (the airflow-init service): migrate the metadata database and
# set the admin's password for the simple auth manager from the environment. Safe to re-run.
set -euo pipefail

: "${AIRFLOW_ADMIN_USERNAME:?}" "${AIRFLOW_ADMIN_PASSWORD:?}"
: "${AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE:?}"

airflow db migrate

# The simple auth manager reads {"user": "password"} from this file and only generates (and logs)
# passwords for users missing from it; writing it here keeps the password out of the logs.
umask 077
python - <<'PY'
import json
import os

path = os.environ["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"]
with open(path, "w", encoding="utf-8") as handle:
    json.dump({os.environ["AIRFLOW_ADMIN_USERNAME"]: os.environ["AIRFLOW_ADMIN_PASSWORD"]}, handle)
    handle.write("\n")
PY
echo "airflow-init: database migrated, user '${AIRFLOW_ADMIN_USERNAME}' configured"
