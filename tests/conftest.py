"""Shared fixtures: a fresh, migrated database per test on SQLite or PostgreSQL.

Set ``HYS_TEST_DATABASE=postgresql`` to run the suite against the PostgreSQL server
(``HYS_TEST_PG_URL``, default 127.0.0.1:5432 database ``test``); each test session
creates its own database there and drops it at the end, so parallel runs don't clash.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from config import Config
from storage.db import Database
from storage.models import Base

# Under faketime (scripts/test_at.sh) sleeps must be timed waits, here and in the processes
# the tests start: see tests/faketime_compat/sitecustomize.py.
_FAKETIME_COMPAT = Path(__file__).parent / "faketime_compat"
if "faketime" in os.environ.get("LD_PRELOAD", ""):
    import tests.faketime_compat.sitecustomize  # noqa: F401 - patches time.sleep in this process

    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(_FAKETIME_COMPAT), os.environ.get("PYTHONPATH", "")) if p)

pytest_plugins = [p for p in ("tests.fakes.fixtures",) if
                  (Path(__file__).parent / "fakes" / "fixtures.py").exists()]

BACKEND = os.environ.get("HYS_TEST_DATABASE", "sqlite").lower()
PG_ADMIN_URL = os.environ.get("HYS_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def pytest_report_header(config) -> str:  # noqa: ANN001
    return f"haveyoursay test database: {BACKEND}"


@pytest.fixture(scope="session")
def _template_database(tmp_path_factory) -> Iterator[str]:
    """Migrate one database per test session; tests get copies (SQLite) or a truncated one."""
    if BACKEND.startswith("postgres"):
        name = f"hys_test_{uuid.uuid4().hex[:12]}"
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
        db = Database(url)
        db.upgrade()
        db.dispose()
        yield url
        with admin.connect() as conn:
            conn.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n AND pid <> pg_backend_pid()"
            ), {"n": name})
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
    else:
        path = tmp_path_factory.mktemp("template") / "template.sqlite"
        db = Database(f"sqlite:///{path}")
        db.upgrade()
        # Closing the last connection checkpoints the WAL into the main file, so the
        # template is one self-contained file that copies cleanly.
        db.dispose()
        assert not path.with_name(path.name + "-wal").exists() or \
            path.with_name(path.name + "-wal").stat().st_size == 0
        yield str(path)


@pytest.fixture
def database_url(_template_database: str, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty, migrated database for this test."""
    if BACKEND.startswith("postgres"):
        url = _template_database
        yield url
        engine = create_engine(url)
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        engine.dispose()
    else:
        path = tmp_path / "test.sqlite"
        shutil.copyfile(_template_database, path)
        yield f"sqlite:///{path}"


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """A Database on this test's fresh schema."""
    database = Database(database_url)
    yield database
    database.dispose()


@pytest.fixture
def config(database_url: str, tmp_path: Path) -> Config:
    """Settings for a test app (override fields with ``dataclasses.replace``)."""
    return Config(
        ENV="testing",
        SECRET_KEY="test-secret-key-0123456789",
        DATABASE_URL=database_url,
        PUBLIC_BASE_URL="https://hys.example.test",
    )


@pytest.fixture
def app(config: Config, tmp_path: Path, monkeypatch):  # noqa: ANN001
    """The Flask app on this test's database."""
    from web import create_app

    monkeypatch.setenv("HAVEYOURSAY_INSTANCE", str(tmp_path / "instance"))
    application = create_app(config)
    yield application
    application.extensions["db"].dispose()


@pytest.fixture
def client(app):  # noqa: ANN001
    """A test client for the app."""
    return app.test_client()


@pytest.fixture
def staff_login(app, client):  # noqa: ANN001
    """Create an account with a role and log the test client in as it; returns the Staff id."""
    import re

    from storage.staff import add_staff

    def login(role: str = "manager", email: str | None = None, password: str = "correct-horse-battery") -> int:
        email = email or f"{role}-{uuid.uuid4().hex[:6]}@council.example"
        with app.extensions["db"].session() as session:
            staff_id = add_staff(session, email, role, password).id
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        response = client.post("/login", data={"email": email, "password": password, "csrf_token": token})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return staff_id

    return login


def csrf_token_from(html: str) -> str:
    """The CSRF token embedded in a rendered page."""
    import re

    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)
