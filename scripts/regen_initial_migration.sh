#!/usr/bin/env bash
# Regenerate the single initial migration from storage/models.py (nothing is deployed yet,
# so the schema is one migration; once released, add new revisions instead).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
rm -f storage/migrations/versions/0001_initial.py
.venv/bin/python - "$tmp" <<'PY'
import sys
from alembic import command
from storage.db import alembic_config
cfg = alembic_config(f"sqlite:///{sys.argv[1]}/empty.sqlite")
command.revision(cfg, message="initial schema", autogenerate=True, rev_id="0001")
PY
mv storage/migrations/versions/0001_initial_schema.py storage/migrations/versions/0001_initial.py
rm -rf "$tmp"
echo "wrote storage/migrations/versions/0001_initial.py"
