#!/usr/bin/env bash
# Run once by the postgres image on an empty data volume, after 10-create-databases.sh: the read-only
# login statisticians use. It reads schema `published` of the warehouse (the published marts and
# `vintages`) and nothing else — not raw, not quarantine (personal data), not the candidate marts —
# and can write nowhere. The same statements as qamtu.publish.database.reader_role_sql and
# reader_grants_sql (`qamtu reader-role-sql` prints them); every `qamtu publish` re-applies the grants.
set -euo pipefail

: "${QAMTU_PG_USER:?}" "${QAMTU_PG_DATABASE:?}"
: "${QAMTU_PG_READER_ROLE:?}" "${QAMTU_PG_READER_PASSWORD:?}"

psql --no-psqlrc --quiet -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname "$QAMTU_PG_DATABASE" \
  -v owner="$QAMTU_PG_USER" -v db="$QAMTU_PG_DATABASE" \
  -v reader="$QAMTU_PG_READER_ROLE" -v reader_password="$QAMTU_PG_READER_PASSWORD" \
  <<'SQL'
CREATE ROLE :"reader" LOGIN PASSWORD :'reader_password' NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT;
ALTER ROLE :"reader" SET default_transaction_read_only = on;

REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"db" TO :"reader";
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
-- The warehouse's owner creates the published tables: the schema is its own.
CREATE SCHEMA IF NOT EXISTS published AUTHORIZATION :"owner";
GRANT USAGE ON SCHEMA published TO :"reader";
GRANT SELECT ON ALL TABLES IN SCHEMA published TO :"reader";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA published GRANT SELECT ON TABLES TO :"reader";
SQL
