"""Insert-or-ignore and insert-or-update that hold under concurrent writers (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

_DIALECTS = {"postgresql": postgresql, "sqlite": sqlite}


@lru_cache(maxsize=256)
def _statement(dialect: str, model: type, conflict: tuple[str, ...], update: tuple[str, ...] | None,
               returning: str | tuple[str, ...] = "id"):
    """The INSERT ... ON CONFLICT ... RETURNING ``returning`` (a column or several) for a table, built once.

    Built on the table (Core), with the row given as parameters at execution: the ORM's
    bulk path and a ``.values(...)`` per call would make SQLAlchemy re-derive the
    statement and its cache key every time (most of a webhook's cost, measured).
    """
    module = _DIALECTS[dialect]  # storage.db.make_engine admits no other backend
    table = model.__table__  # type: ignore[attr-defined]
    stmt = module.insert(table)
    if update is None:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(conflict))
    else:
        stmt = stmt.on_conflict_do_update(index_elements=list(conflict),
                                          set_={name: stmt.excluded[name] for name in update})
    return stmt.returning(*(table.c[name] for name in ((returning,) if isinstance(returning, str)
                                                          else returning)))


def _run(session: Session, model: type, values: Mapping[str, Any], conflict: Iterable[str],
         update: Iterable[str] | None) -> Any:
    stmt = _statement(session.get_bind().dialect.name, model, tuple(conflict),
                      None if update is None else tuple(update))
    # Straight on the connection: a Core statement gains nothing from the ORM's execute
    # path, which costs as much again. Flushed first, as the ORM would (a no-op when clean).
    session.flush()
    return session.connection().execute(stmt, dict(values))


def insert_ignore(session: Session, model: type, values: Mapping[str, Any], conflict: Iterable[str]) -> int | None:
    """Insert a row unless one with the same ``conflict`` columns exists; the new id or None."""
    return _run(session, model, values, conflict, None).scalar_one_or_none()


def insert_ignore_many(session: Session, model: type, rows: list[dict[str, Any]], conflict: Iterable[str],
                       returning: tuple[str, ...]) -> list[tuple[Any, ...]]:
    """``insert_ignore`` for many rows in one statement; the ``returning`` columns of the rows inserted."""
    if not rows:
        return []
    stmt = insert_ignore_statement(session.get_bind().dialect.name, model, conflict, returning)
    return [tuple(row) for row in session.connection().execute(stmt, rows)]


def insert_ignore_statement(dialect: str, model: type, conflict: Iterable[str], returning: tuple[str, ...]) -> Any:
    """The statement ``insert_ignore_many`` runs, to build on (a WITH before it, say)."""
    return _statement(dialect, model, tuple(conflict), None, returning)


def upsert(session: Session, model: type, values: Mapping[str, Any], conflict: Iterable[str],
           update: Iterable[str]) -> int:
    """Insert a row or update ``update`` columns of the existing one; returns its id."""
    return _run(session, model, values, conflict, update).scalar_one()
