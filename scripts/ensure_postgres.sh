#!/usr/bin/env bash
# Make sure a PostgreSQL server answers on 127.0.0.1:5432 (trust auth, database test).
# On this machine kind one is already running; elsewhere start a throwaway cluster.
set -euo pipefail
if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then exit 0; fi
if ls /etc/postgresql >/dev/null 2>&1 && command -v pg_ctlcluster >/dev/null; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  for _ in $(seq 1 20); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.5; done
  if pg_isready -q -h 127.0.0.1 -p 5432; then exit 0; fi
fi
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$bin" ]; then
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
fi
dir=$(mktemp -d /tmp/hys-pg.XXXX); chown postgres "$dir"
su postgres -c "$bin/initdb -A trust --no-sync -U postgres -D $dir/data" >/dev/null
su postgres -c "$bin/pg_ctl -w -D $dir/data -l $dir/log start -o \"-p 5432 -k $dir -c listen_addresses=127.0.0.1\"" >/dev/null
psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE test" >/dev/null 2>&1 || true
pg_isready -h 127.0.0.1 -p 5432
