#!/usr/bin/env bash
# Run what compose.yaml runs, without containers: PostgreSQL migrations, gunicorn serving
# TLS (a self-signed certificate made here with openssl) and the worker as its own process,
# with ENV=production. For a person to try the production set-up on one machine, and for
# tests that need it (every setting below can be given in the environment instead).
#
#   scripts/run_production_like.sh            # serve until Ctrl+C
#   scripts/run_production_like.sh --smoke    # start, check /healthz and /readyz over TLS, stop
#
# Settings (environment; defaults in brackets):
#   HYS_PORT [8443]                  HTTPS port on 127.0.0.1
#   DATABASE_URL                     use this database as it is (else a new one is made on
#   HYS_PG_ADMIN_URL [postgresql+psycopg://postgres@127.0.0.1:5432/test]   this server, dropped at the end
#   HYS_KEEP_DB [0]                  1: keep the database that was made
#   HYS_WORK_DIR [a new temp dir]    certificate, instance folder, logs (removed at the end if made here)
#   HYS_WORKER_INTERVAL [60]         seconds between worker rounds
#   GUNICORN_WORKERS [2]             and any other GUNICORN_* / app setting (config/example.env)
#   SECRET_KEY                       [random for this run]
#   HYS_READY_FILE                   once ready, write KEY=VALUE lines here (URL, CA certificate, pids)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
VENV=${VENV:-$ROOT/.venv}
PY=$VENV/bin/python
SMOKE=0
[ "${1:-}" = "--smoke" ] && SMOKE=1

: "${HYS_PORT:=8443}"
: "${HYS_PG_ADMIN_URL:=postgresql+psycopg://postgres@127.0.0.1:5432/test}"
: "${HYS_KEEP_DB:=0}"
: "${HYS_WORKER_INTERVAL:=60}"
MADE_WORK=0
if [ -z "${HYS_WORK_DIR:-}" ]; then HYS_WORK_DIR=$(mktemp -d /tmp/hys-prodlike.XXXXXX); MADE_WORK=1; fi
mkdir -p "$HYS_WORK_DIR/instance"

pids=()
MADE_DB=""
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  # TERM: gunicorn stops gracefully; the worker stops at once (a background job of a script
  # ignores SIGINT), and what it had claimed is sent by the next worker after the lease.
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  if [ -n "$MADE_DB" ] && [ "$HYS_KEEP_DB" != 1 ]; then
    "$PY" - "$HYS_PG_ADMIN_URL" "$MADE_DB" <<'EOF' || true
import sys
from sqlalchemy import create_engine, text
engine = create_engine(sys.argv[1], isolation_level="AUTOCOMMIT")
with engine.connect() as conn:
    conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"), {"n": sys.argv[2]})
    conn.execute(text(f'DROP DATABASE IF EXISTS "{sys.argv[2]}"'))
EOF
    echo "dropped database $MADE_DB"
  fi
  if [ "$MADE_WORK" = 1 ]; then rm -rf "$HYS_WORK_DIR"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# 1. A self-signed certificate for 127.0.0.1 (a browser will warn; curl needs --cacert).
CERT=$HYS_WORK_DIR/cert.pem KEY=$HYS_WORK_DIR/key.pem
if [ ! -s "$CERT" ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
    -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" -keyout "$KEY" -out "$CERT" 2>/dev/null
  chmod 600 "$KEY"
fi

# 2. A PostgreSQL database of its own, unless one is given.
if [ -z "${DATABASE_URL:-}" ]; then
  MADE_DB=hys_prodlike_$(date +%s)_$$
  "$PY" - "$HYS_PG_ADMIN_URL" "$MADE_DB" <<'EOF'
import sys
from sqlalchemy import create_engine, text
engine = create_engine(sys.argv[1], isolation_level="AUTOCOMMIT")
with engine.connect() as conn:
    conn.execute(text(f'CREATE DATABASE "{sys.argv[2]}"'))
EOF
  DATABASE_URL=${HYS_PG_ADMIN_URL%/*}/$MADE_DB
fi

# 3. The settings production would have (each can be given in the environment instead).
export DATABASE_URL
export ENV=production
export SECRET_KEY=${SECRET_KEY:-$("$PY" -c 'import secrets; print(secrets.token_urlsafe(48))')}
export PUBLIC_BASE_URL=${PUBLIC_BASE_URL:-https://127.0.0.1:$HYS_PORT}
export PROXY_HOPS=${PROXY_HOPS:-0}   # no proxy here: gunicorn itself serves TLS
export HAVEYOURSAY_INSTANCE=$HYS_WORK_DIR/instance
export MPLCONFIGDIR=$HYS_WORK_DIR/matplotlib
export GUNICORN_BIND=127.0.0.1:$HYS_PORT
export GUNICORN_CERTFILE=$CERT GUNICORN_KEYFILE=$KEY
export GUNICORN_WORKERS=${GUNICORN_WORKERS:-2}

# 4. What compose's "migrate" service does, then the doctor's view (localhost, a
#    self-signed certificate and no Twilio or SMTP are expected to be named here).
"$VENV/bin/haveyoursay" db upgrade
echo "--- haveyoursay doctor (problems expected on a trial machine) ---"
"$VENV/bin/haveyoursay" doctor || true
echo "---"

# 5. The "web" and "worker" services, each its own process.
"$VENV/bin/gunicorn" --config "$ROOT/deploy/gunicorn.conf.py" 'web:create_app()' \
  >"$HYS_WORK_DIR/web.log" 2>&1 &
pids+=($!)
WEB_PID=$!
"$VENV/bin/haveyoursay" worker --interval "$HYS_WORKER_INTERVAL" >"$HYS_WORK_DIR/worker.log" 2>&1 &
pids+=($!)
WORKER_PID=$!

fetch() {  # fetch PATH -> prints "STATUS BODY", trusting only our certificate
  "$PY" - "$PUBLIC_BASE_URL$1" "$CERT" <<'EOF'
import ssl, sys, urllib.error, urllib.request
context = ssl.create_default_context(cafile=sys.argv[2])
try:
    response = urllib.request.urlopen(sys.argv[1], context=context, timeout=5)
    print(response.status, response.read().decode())
except urllib.error.HTTPError as exc:
    print(exc.code, exc.read().decode())
except (OSError, urllib.error.URLError) as exc:
    print(0, type(exc).__name__)
EOF
}

ready=""
for _ in $(seq 1 100); do
  kill -0 "$WEB_PID" 2>/dev/null || { echo "gunicorn stopped:"; cat "$HYS_WORK_DIR/web.log"; exit 1; }
  answer=$(fetch /readyz)
  if [ "${answer%% *}" = 200 ]; then ready=$answer; break; fi
  sleep 0.2
done
if [ -z "$ready" ]; then echo "not ready: $answer"; cat "$HYS_WORK_DIR/web.log"; exit 1; fi
kill -0 "$WORKER_PID" 2>/dev/null || { echo "the worker stopped:"; cat "$HYS_WORK_DIR/worker.log"; exit 1; }

echo "healthz: $(fetch /healthz)"
echo "readyz:  $ready"
echo "Serving $PUBLIC_BASE_URL (self-signed: curl --cacert $CERT $PUBLIC_BASE_URL/healthz)"
echo "  web (gunicorn) pid $WEB_PID, log $HYS_WORK_DIR/web.log"
echo "  worker pid $WORKER_PID, log $HYS_WORK_DIR/worker.log"
echo "  database ${DATABASE_URL%%://*}://...${DATABASE_URL##*@}"
echo "  add a login: ENV=production DATABASE_URL=... $VENV/bin/haveyoursay staff add you@council.example --role manager"
if [ -n "${HYS_READY_FILE:-}" ]; then
  {
    echo "URL=$PUBLIC_BASE_URL"; echo "CA_CERT=$CERT"; echo "DATABASE_URL=$DATABASE_URL"
    echo "WEB_PID=$WEB_PID"; echo "WORKER_PID=$WORKER_PID"; echo "WORK_DIR=$HYS_WORK_DIR"
  } >"$HYS_READY_FILE"
fi

if [ "$SMOKE" = 1 ]; then
  echo "smoke: ok"
  exit 0
fi
echo "Ctrl+C to stop"
wait -n "${pids[@]}"
echo "a process stopped; see the logs in $HYS_WORK_DIR"
exit 1
