#!/bin/sh
# Laurel's container entrypoint: one image, three roles.
#   server    serve the API and the web app (refuses an unmigrated database: run `migrate` first)
#   worker    run the Temporal worker (TEMPORAL_ADDRESS required)
#   migrate   apply the migrations of core and enabled plugins, then exit (idempotent)
#   healthcheck  the image's HEALTHCHECK: GET /health/live when the container runs `server`
# Anything else is passed to the Laurel CLI, e.g. `admin create --email you@example.com`, `seed`, `config`.
set -eu

BIN="${LAUREL_CLI:-/app/packages/cli/src/bin.ts}"
role="${1:-server}"

healthcheck() {
  # PID 1 is node running the CLI; only the server has an HTTP port to ask.
  if tr '\0' ' ' </proc/1/cmdline | grep -q " server"; then
    # shellcheck disable=SC2016 # the script is JavaScript: ${port} is a template literal, not a shell variable
    exec node -e '
      const port = process.env.LAUREL_PORT || "3000";
      fetch(`http://127.0.0.1:${port}/health/live`, { signal: AbortSignal.timeout(4000) })
        .then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1));
    '
  fi
  exit 0
}

case "$role" in
  server)
    shift || true
    url="${LAUREL_PUBLIC_URL:-http://localhost:${LAUREL_PORT:-3000}}"
    echo "laurel: starting the server on ${LAUREL_HOST:-0.0.0.0}:${LAUREL_PORT:-3000}; open ${url} (readiness: ${url}/health/ready)"
    exec node "$BIN" server "$@"
    ;;
  worker | migrate)
    shift || true
    exec node "$BIN" "$role" "$@"
    ;;
  healthcheck)
    healthcheck
    ;;
  laurel)
    shift || true
    exec node "$BIN" "$@"
    ;;
  *)
    exec node "$BIN" "$@"
    ;;
esac
