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
