"""Is the database there, and is its schema the one this code's migrations end at? (No Flask.)

Used by ``GET /readyz`` (web.health) and by ``haveyoursay doctor``. The answer is in
plain words and never holds a row of data: only whether a connection worked, and the
Alembic revisions of the database and of the code.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from storage.db import alembic_config


@lru_cache(maxsize=1)
def script_heads() -> tuple[str, ...]:
    """The head revision(s) of the migrations shipped with this code (read once per process)."""
    from alembic.script import ScriptDirectory

    return tuple(sorted(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()))


@dataclass(frozen=True)
class DatabaseState:
    """What a probe of the database found."""

    reachable: bool
    revisions: tuple[str, ...] = ()  # the database's alembic_version rows (none: never migrated)
    heads: tuple[str, ...] = ()
    error: str | None = None  # the driver's exception class when the database could not be reached
    detail: str | None = None  # the driver's first line, for an operator's terminal (never for a web answer)

    @property
    def migrations(self) -> str:
        """``current``, ``behind`` (or ahead of this code), ``not applied`` or ``unknown``."""
        if not self.reachable:
            return "unknown"
        if self.revisions == self.heads:
            return "current"
        return "not applied" if not self.revisions else "behind"

    def problems(self) -> list[str]:
        """Each thing wrong, in plain words (empty when the database is reachable and current)."""
        if not self.reachable:
            return [f"the database cannot be reached ({self.error})"]
        state = self.migrations
        if state == "current":
            return []
        heads = ", ".join(self.heads) or "none"
        if state == "not applied":
            return [f"the database has no migrations applied (the code needs {heads}): "
                    "run 'haveyoursay db upgrade'"]
        return [f"the database is at migration {', '.join(self.revisions)} but the code needs {heads}: "
                "run 'haveyoursay db upgrade' (or this code is older than the database)"]


def database_state(engine: Engine) -> DatabaseState:
    """Connect once, read the Alembic revision and compare it with the code's head."""
    from alembic.migration import MigrationContext

    heads = script_heads()
    try:
        with engine.connect() as connection:
            revisions = tuple(sorted(MigrationContext.configure(connection).get_current_heads()))
    except SQLAlchemyError as exc:
        cause = getattr(exc, "orig", None) or exc
        lines = str(cause).strip().splitlines()
        return DatabaseState(reachable=False, heads=heads, error=type(cause).__name__,
                             detail=lines[0][:300] if lines else None)
    return DatabaseState(reachable=True, revisions=revisions, heads=heads)
