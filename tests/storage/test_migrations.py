"""The Alembic migrations build exactly the schema the models describe."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from storage.models import Base


def test_migrated_schema_matches_models(db):
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), Base.metadata)
    assert diff == [], f"models and migrations differ; run scripts/regen_initial_migration.sh: {diff}"


def test_utc_timestamps_come_back_aware(db):
    from datetime import UTC, datetime, timedelta, timezone

    from storage.models import OptOut

    moment = datetime(2026, 11, 23, 9, 30, tzinfo=timezone(timedelta(hours=1)))
    with db.session() as session:
        session.add(OptOut(channel="sms", address="+447400123456", source="keyword", opted_out_at=moment))
    with db.session() as session:
        row = session.query(OptOut).one()
        assert row.opted_out_at.tzinfo is not None
        assert row.opted_out_at == moment.astimezone(UTC)


def test_only_sqlite_and_postgresql_are_accepted():
    from storage.db import Database

    for url in ("mysql+pymysql://root@127.0.0.1/test", "mssql+pyodbc://u:p@dsn"):
        with pytest.raises(ValueError, match="is not supported; use SQLite or PostgreSQL"):
            Database(url)
