#!/usr/bin/env bash
# Run the test suite with the wall clock set to a given moment, e.g.
#   scripts/test_at.sh '2026-12-06 23:30:00'               # a Sunday night, SQLite
#   HYS_TEST_DATABASE=postgresql scripts/test_at.sh '2026-12-08 07:00:00' tests/web
# The clock starts at that moment and runs on. Needs Debian's faketime (installed if root).
# Only the wall clock is faked: the monotonic clock stays real (tests/faketime_compat says why).
set -euo pipefail
cd "$(dirname "$0")/.."
moment=${1:?usage: scripts/test_at.sh 'YYYY-MM-DD HH:MM:SS' [pytest args]}
shift
if ! command -v faketime >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq faketime >/dev/null
  else
    echo "faketime is missing: apt-get install faketime" >&2; exit 2
  fi
fi
export FAKETIME_DONT_FAKE_MONOTONIC=1
exec faketime "$moment" .venv/bin/pytest -p no:cacheprovider "${@:-tests}"
