"""Safeguarding alerts: raised at once, sent to the child's IRO, never switched off."""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.audit import record
from storage.models import Alert, Invitation, OutboxMessage, Staff, utcnow
from storage.outbox import enqueue

ALERT_TEXT = (
    "Have Your Say: a safeguarding alert was raised for review {review_ref} ({role}). "
    "Please log in to see it now: {url}"
)


def raise_alert(session: Session, invitation: Invitation, *, question_key: str | None, reason: str,
                categories: str | None, excerpt: str | None, now: datetime | None = None,
                public_base_url: str | None = None, notify: str | None = None) -> Alert:
    """Store an alert and queue its notification to the child's IRO (email and SMS).

    The notification names the review, never the child's words: those are only on the
    dashboard, behind the IRO's login. ``notify`` (default: ``ALERT_NOTIFY`` of the
    settings the session carries, else of the environment) picks email, SMS or both.
    """
    settings = session.info.get("settings")
    now = now or utcnow()
    review = invitation.review
    alert = Alert(invitation_id=invitation.id, review_id=review.id, question_key=question_key, reason=reason,
                  categories=categories, excerpt=excerpt, status="open", raised_at=now)
    session.add(alert)
    session.flush()
    record(session, None, "alert_raised", "alert", alert.id, review_ref=review.review_ref)
    iro = session.get(Staff, review.iro_id) if review.iro_id else None
    email = iro.email if iro else review.iro_email
    # Callers deep in the answer path (save_answers) pass no settings: the session carries
    # the app's (storage.db.Database); a bare session falls back to the environment.
    base = (public_base_url or _setting(settings, "PUBLIC_BASE_URL") or "").rstrip("/")
    body = ALERT_TEXT.format(review_ref=review.review_ref, role=invitation.role,
                             url=f"{base}/dashboard/alerts/{alert.id}")
    ways = notify_channels(notify if notify is not None else _setting(settings, "ALERT_NOTIFY"))
    phone = iro.phone if iro is not None else None
    if email and ("email" in ways or not phone):  # never silent: no mobile means email anyway
        enqueue(session, channel="email", to=email, body=body, dedupe_key=f"alert:{alert.id}:email",
                purpose="alert", payload={"subject": f"Safeguarding alert: review {review.review_ref}"}, now=now)
    if phone and "sms" in ways:
        enqueue(session, channel="sms", to=phone, body=body, dedupe_key=f"alert:{alert.id}:sms",
                purpose="alert", now=now)
    return alert


def _setting(settings: Any, name: str) -> str | None:
    """``name`` from the settings, or from the environment when there are none."""
    return getattr(settings, name, None) if settings is not None else os.environ.get(name)


def notify_channels(setting: str | None) -> set[str]:
    """How the IRO hears of an alert (``ALERT_NOTIFY``: "email,sms", "email" or "sms").

    Unset, empty or unknown values mean both: safeguarding is never switched off.
    """
    ways = {part.strip().lower() for part in (setting or "").split(",")} & {"email", "sms"}
    return ways or {"email", "sms"}


def notice_ids(session: Session, alerts: list[Alert]) -> list[int]:
    """The outbox rows telling the IRO about these alerts, to send them straight away."""
    keys = [f"alert:{a.id}:{kind}" for a in alerts for kind in ("email", "sms")]
    if not keys:
        return []
    return list(session.scalars(select(OutboxMessage.id).where(OutboxMessage.dedupe_key.in_(keys))))
