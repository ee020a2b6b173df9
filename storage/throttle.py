"""Count failures per key (a client address) in a sliding window, for rate limiting."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from storage.models import LoginAttempt, utcnow


def recent_misses(session: Session, key: str, window: timedelta, *, now: datetime | None = None) -> int:
    """How many misses ``key`` has had in the last ``window``."""
    since = (now or utcnow()) - window
    return session.scalar(select(func.count()).select_from(LoginAttempt)
                          .where(LoginAttempt.key == key[:120], LoginAttempt.at >= since)) or 0


def record_miss(session: Session, key: str, window: timedelta, *, now: datetime | None = None) -> None:
    """Count one miss for ``key`` (and forget its misses older than ``window``, so the table stays small)."""
    now = now or utcnow()
    session.add(LoginAttempt(key=key[:120], at=now))
    session.execute(delete(LoginAttempt).where(LoginAttempt.key == key[:120], LoginAttempt.at < now - window))


def reserve_attempt(session: Session, key: str, window: timedelta, limit: int, *,
                    now: datetime | None = None) -> int | None:
    """Count an attempt for ``key`` before it is made; None (nothing counted) if ``key`` is at ``limit``.

    ``recent_misses`` then ``record_miss`` is a read then a write: attempts arriving
    together all read the same count and all go ahead. Here the attempt's row is written
    and committed first and the count taken after, so every attempt sees at least the
    ones admitted before it and at most ``limit`` are admitted in a window, however many
    come at once. Returns the row's id, for ``forgive`` when the attempt succeeds.
    Commits the session.
    """
    now = now or utcnow()
    key = key[:120]
    row = LoginAttempt(key=key, at=now)
    session.add(row)
    session.execute(delete(LoginAttempt).where(LoginAttempt.key == key, LoginAttempt.at < now - window))
    session.commit()
    if recent_misses(session, key, window, now=now) > limit:
        forgive(session, row.id)
        session.commit()
        return None
    return row.id


def forgive(session: Session, attempt_id: int) -> None:
    """Take back an attempt counted by ``reserve_attempt`` (it succeeded, so it was no miss)."""
    session.execute(delete(LoginAttempt).where(LoginAttempt.id == attempt_id))
