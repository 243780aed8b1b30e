#!/usr/bin/env bash
# Run once by the postgres image on an empty data volume (/docker-entrypoint-initdb.d/):
# one role and one database for Airflow's metadata, one for the Qamtu warehouse.
# Passwords come from the environment; psql's :'var' quoting keeps them out of the SQL text.
set -euo pipefail

: "${AIRFLOW_DB_USER:?}" "${AIRFLOW_DB_PASSWORD:?}" "${AIRFLOW_DB_NAME:?}"
: "${QAMTU_PG_USER:?}" "${QAMTU_PG_PASSWORD:?}" "${QAMTU_PG_DATABASE:?}"

psql --no-psqlrc --quiet -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname postgres \
  -v airflow_user="$AIRFLOW_DB_USER" -v airflow_password="$AIRFLOW_DB_PASSWORD" -v airflow_db="$AIRFLOW_DB_NAME" \
  -v qamtu_user="$QAMTU_PG_USER" -v qamtu_password="$QAMTU_PG_PASSWORD" -v qamtu_db="$QAMTU_PG_DATABASE" \
  <<'SQL'
CREATE ROLE :"airflow_user" LOGIN PASSWORD :'airflow_password';
CREATE DATABASE :"airflow_db" OWNER :"airflow_user";
REVOKE ALL ON DATABASE :"airflow_db" FROM PUBLIC;

CREATE ROLE :"qamtu_user" LOGIN PASSWORD :'qamtu_password';
CREATE DATABASE :"qamtu_db" OWNER :"qamtu_user";
REVOKE ALL ON DATABASE :"qamtu_db" FROM PUBLIC;
SQL
# PostgreSQL 15+ gives schema public to the database owner (pg_database_owner): nothing more to grant.
