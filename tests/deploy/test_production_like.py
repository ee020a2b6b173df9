"""scripts/run_production_like.sh: migrate, gunicorn over TLS and the worker start, answer, and stop clean."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import BACKEND, PG_ADMIN_URL

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not BACKEND.startswith("postgres"),
                       reason="production means PostgreSQL: runs with HYS_TEST_DATABASE=postgresql"),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _prodlike_databases() -> set[str]:
    engine = create_engine(PG_ADMIN_URL)
    try:
        with engine.connect() as conn:
            return set(conn.scalars(text("SELECT datname FROM pg_database WHERE datname LIKE 'hys_prodlike_%'")))
    finally:
        engine.dispose()


def test_smoke_run_serves_healthz_and_readyz_over_tls_and_cleans_up(tmp_path):
    before = _prodlike_databases()
    port = _free_port()
    ready_file = tmp_path / "ready.env"
    env = {**os.environ, "HYS_PORT": str(port), "HYS_PG_ADMIN_URL": PG_ADMIN_URL, "GUNICORN_WORKERS": "1",
           "HYS_WORKER_INTERVAL": "1", "HYS_READY_FILE": str(ready_file)}
    for name in ("DATABASE_URL", "SECRET_KEY", "PUBLIC_BASE_URL", "HYS_WORK_DIR", "ENV"):
        env.pop(name, None)
    result = subprocess.run(["bash", "scripts/run_production_like.sh", "--smoke"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    assert 'healthz: 200 {"status":"ok"}' in out
    assert 'readyz:  200 {"database":"ok","migrations":"current","status":"ready"}' in out
    assert "smoke: ok" in out
    # doctor ran against the same settings and named what a trial machine lacks.
    assert "- PUBLIC_BASE_URL is 127.0.0.1" in out and "- SMTP_HOST is not set" in out
    values = dict(line.split("=", 1) for line in ready_file.read_text().splitlines())
    assert values["URL"] == f"https://127.0.0.1:{port}"
    # Everything it started has stopped, its database is dropped and its folder removed.
    for pid in (values["WEB_PID"], values["WORKER_PID"]):
        assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text().lower()
    assert not Path(values["WORK_DIR"]).exists()
    assert _prodlike_databases() == before
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) != 0  # nothing listens there any more
