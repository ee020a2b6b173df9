"""Small builders for channel tests: a review with one invitation, outbox rows."""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from storage.models import Invitation, Review, utcnow


def make_invitation(session: Session, *, form_id: str = "child_after", role: str = "child", age: int = 12,
                    review_type: str = "CLA", channel: str = "sms", contact: str | None = "+447400100200",
                    status: str = "sent", phase: str | None = None, chat_id: str | None = None,
                    review_date: date | None = None) -> Invitation:
    """A review and one invitation to it, flushed (ids set).

    A feedback survey's review was two weeks ago unless ``review_date`` says otherwise (it
    takes no answers before its review date).
    """
    ref = f"R-{secrets.token_hex(4)}"
    phase = phase or ("feedback" if form_id.endswith("_after") else "consultation")
    if review_date is None:
        review_date = past_review_date() if phase == "feedback" else date(2026, 11, 20)
    review = Review(review_ref=ref, child_ref=f"C-{ref}", child_age=age, review_type=review_type,
                    review_date=review_date, iro_email="iro@council.example")
    session.add(review)
    session.flush()
    invitation = Invitation(
        review_id=review.id, import_key=secrets.token_hex(16),
        phase=phase, form_id=form_id,
        role=role, channel=channel, contact=contact, token=secrets.token_urlsafe(24), status=status,
        telegram_chat_id=chat_id, language="en", sent_at=None if status == "pending" else utcnow(),
    )
    session.add(invitation)
    session.flush()
    return invitation


def local_today() -> date:
    """The council's date now (Europe/London, from the one clock)."""
    return utcnow().astimezone(ZoneInfo("Europe/London")).date()


def past_review_date(days: int = 14) -> date:
    """A review date ``days`` ago, so its feedback survey is open."""
    return local_today() - timedelta(days=days)


def in_send_window(config) -> datetime:  # noqa: ANN001
    """The first moment from now inside the send window (invitations and reminders wait for it)."""
    from storage.scheduler import rules_from
    from surveys.schedule import next_send_time

    return next_send_time(utcnow(), rules_from(config))
