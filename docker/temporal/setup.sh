#!/bin/sh
# Temporal's database and namespace, prepared with the tools in the temporalio/admin-tools image.
#   setup.sh schema      create the `temporal` and `temporal_visibility` databases if missing and bring their
#                        schemas up to the version this image ships (safe to run on every start and upgrade)
#   setup.sh namespace   wait for the frontend, then register TEMPORAL_NAMESPACE if it does not exist
set -eu

schema() {
  : "${POSTGRES_SEEDS:?}" "${POSTGRES_USER:?}" "${SQL_PASSWORD:?}"
  port="${DB_PORT:-5432}"
  for db in temporal temporal_visibility; do
    if [ "$db" = temporal ]; then dir=temporal; else dir=visibility; fi
    tool() { temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$port" -u "$POSTGRES_USER" --db "$db" "$@"; }
    tool create || echo "temporal setup: database $db already exists"
    tool setup-schema -v 0.0
    tool update-schema -d "/etc/temporal/schema/postgresql/v12/$dir/versioned"
    echo "temporal setup: database $db is at the current schema"
  done
}

namespace() {
  address="${TEMPORAL_ADDRESS:?}"
  ns="${TEMPORAL_NAMESPACE:-default}"
  retention="${TEMPORAL_NAMESPACE_RETENTION:-30d}"
  tries=0
  until temporal operator cluster health --address "$address" >/dev/null 2>&1; do
    tries=$((tries + 1))
    if [ "$tries" -ge 60 ]; then
      echo "temporal setup: the frontend at $address did not become healthy" >&2
      exit 1
    fi
    sleep 2
  done
  if temporal operator namespace describe --address "$address" --namespace "$ns" >/dev/null 2>&1; then
    echo "temporal setup: namespace $ns exists"
  else
    temporal operator namespace create --address "$address" --namespace "$ns" --retention "$retention"
    echo "temporal setup: namespace $ns created (retention $retention)"
  fi
}

case "${1:-}" in
  schema) schema ;;
  namespace) namespace ;;
  *)
    echo "usage: setup.sh schema | namespace" >&2
    exit 2
    ;;
esac
