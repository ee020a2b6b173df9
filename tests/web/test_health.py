"""/healthz and /readyz: open to anyone, no personal data, never cached; /readyz tells what is wrong."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, text

from storage.db import Database, alembic_config
from storage.health import database_state, script_heads
from tests.conftest import BACKEND, PG_ADMIN_URL

READY = {"status": "ready", "database": "ok", "migrations": "current"}


@pytest.fixture
def own_database_url(tmp_path: Path) -> Iterator[str]:
    """A database of this test's own, migrated to the head, that it may downgrade.

    Not the shared test database: on PostgreSQL that one is kept for the whole session
    and other tests need its schema as it is.
    """
    if BACKEND.startswith("postgres"):
        name = f"hys_health_{uuid.uuid4().hex[:10]}"
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    else:
        admin, name = None, None
        url = f"sqlite:///{tmp_path / 'own.sqlite'}"
    database = Database(url)
    database.upgrade()
    database.dispose()
    yield url
    if admin is not None:
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name})
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def _app_on(config, url: str, tmp_path: Path, monkeypatch):  # noqa: ANN001, ANN202
    from web import create_app

    monkeypatch.setenv("HAVEYOURSAY_INSTANCE", str(tmp_path / "instance"))
    return create_app(dataclasses.replace(config, DATABASE_URL=url))


def _open_and_uncached(response) -> None:  # noqa: ANN001
    assert response.headers["Cache-Control"] == "no-store"
    assert response.mimetype == "application/json"
    assert "Set-Cookie" not in response.headers  # no session is started for a probe


def test_healthz_answers_ok_without_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    _open_and_uncached(response)


def test_readyz_is_ready_on_a_migrated_database(client, db):
    response = client.get("/readyz")
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == READY
    _open_and_uncached(response)
    assert database_state(db.engine).revisions == script_heads()


def test_probes_are_not_throttled_and_need_no_csrf(client):
    # A load balancer asks every few seconds, from one address, forever.
    statuses = {client.get(path).status_code for _ in range(60) for path in ("/healthz", "/readyz")}
    assert statuses == {200}
    assert client.head("/healthz").status_code == 200
    # POST is not a probe: refused as any unknown method is, not as a CSRF failure (400).
    assert client.post("/healthz").status_code == 405


def test_readyz_503_when_the_database_is_a_migration_behind(config, own_database_url, tmp_path, monkeypatch):
    command.downgrade(alembic_config(own_database_url), "0002")
    app = _app_on(config, own_database_url, tmp_path, monkeypatch)
    try:
        response = app.test_client().get("/readyz")
        body = response.get_json()
        assert response.status_code == 503
        assert body["status"] == "not ready" and body["database"] == "ok" and body["migrations"] == "behind"
        assert body["problems"] == [
            f"the database is at migration 0002 but the code needs {', '.join(script_heads())}: "
            "run 'haveyoursay db upgrade' (or this code is older than the database)"]
        _open_and_uncached(response)
        assert app.test_client().get("/healthz").status_code == 200  # alive, just not ready
        command.upgrade(alembic_config(own_database_url), "head")
        assert app.test_client().get("/readyz").get_json() == READY
    finally:
        app.extensions["db"].dispose()


def test_readyz_503_when_no_migration_was_ever_applied(config, tmp_path, monkeypatch):
    app = _app_on(config, f"sqlite:///{tmp_path / 'empty.sqlite'}", tmp_path, monkeypatch)
    try:
        response = app.test_client().get("/readyz")
        assert response.status_code == 503
        assert response.get_json()["migrations"] == "not applied"
        assert "run 'haveyoursay db upgrade'" in response.get_json()["problems"][0]
    finally:
        app.extensions["db"].dispose()


def test_readyz_503_when_the_database_is_unreachable(config, tmp_path, monkeypatch):
    # Port 1 on this machine: nothing listens, the connection is refused at once.
    url = "postgresql+psycopg://haveyoursay:s3cret-password@127.0.0.1:1/haveyoursay"
    app = _app_on(config, url, tmp_path, monkeypatch)
    try:
        response = app.test_client().get("/readyz")
        body = response.get_json()
        assert response.status_code == 503
        assert body == {"status": "not ready", "database": "unreachable", "migrations": "unknown",
                        "problems": ["the database cannot be reached (OperationalError)"]}
        raw = response.get_data(as_text=True)
        assert "s3cret" not in raw and "127.0.0.1" not in raw and "haveyoursay" not in raw
        _open_and_uncached(response)
        assert app.test_client().get("/healthz").get_json() == {"status": "ok"}
    finally:
        app.extensions["db"].dispose()
