"""Insert-or-ignore and insert-or-update that hold under concurrent writers (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def _insert(session: Session, model: type):
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(model)
    if dialect == "sqlite":
        return sqlite.insert(model)
    raise NotImplementedError(f"no upsert for {dialect}")


def insert_ignore(session: Session, model: type, values: Mapping[str, Any], conflict: Iterable[str]) -> int | None:
    """Insert a row unless one with the same ``conflict`` columns exists; the new id or None."""
    stmt = _insert(session, model).values(**values).on_conflict_do_nothing(index_elements=list(conflict))
    return session.execute(stmt.returning(model.id)).scalar_one_or_none()


def upsert(session: Session, model: type, values: Mapping[str, Any], conflict: Iterable[str],
           update: Iterable[str]) -> int:
    """Insert a row or update ``update`` columns of the existing one; returns its id."""
    stmt = _insert(session, model).values(**values)
    stmt = stmt.on_conflict_do_update(index_elements=list(conflict),
                                      set_={name: stmt.excluded[name] for name in update})
    return session.execute(stmt.returning(model.id)).scalar_one()
