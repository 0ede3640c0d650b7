#!/bin/sh
# Runs once, when the PostgreSQL volume is first initialised (/docker-entrypoint-initdb.d).
# Makes two unprivileged roles: `laurel`, owning the database `laurel`, and `temporal`, which may create
# databases (its schema job creates `temporal` and `temporal_visibility` and owns them).
set -eu

: "${LAUREL_DB_PASSWORD:?set LAUREL_DB_PASSWORD in docker/.env}"
: "${TEMPORAL_DB_PASSWORD:?set TEMPORAL_DB_PASSWORD in docker/.env}"

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  --set laurel_password="$LAUREL_DB_PASSWORD" \
  --set temporal_password="$TEMPORAL_DB_PASSWORD" <<'SQL'
create role laurel login password :'laurel_password';
create database laurel owner laurel;
revoke all on database laurel from public;
create role temporal login createdb password :'temporal_password';
SQL
