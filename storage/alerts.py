"""Safeguarding alerts: raised at once, sent to the child's IRO, never switched off.

An alert names its invitation and review when the sender is known. A message from a
number or chat that matches no invitation, or from a sender with no open invitation
(a finished or closed form, an SMS after STOP), is routed to the duty safeguarding
contact too (``SAFEGUARDING_DUTY_EMAIL`` / ``SAFEGUARDING_DUTY_PHONE``; unset, every
active manager, else every admin): there is always a person to tell.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from storage.audit import record
from storage.models import Alert, Invitation, OutboxMessage, Staff, utcnow
from storage.outbox import enqueue
from surveys.safeguarding import Screening, screen

ALERT_TEXT = (
    "Have Your Say: a safeguarding alert was raised for review {review_ref} ({role}). "
    "Please log in to see it now: {url}"
)
NOT_SCREENED_TEXT = (
    "Have Your Say: a message for review {review_ref} ({role}) is in a language or script the "
    "safeguarding screen cannot read (not screened: needs reading). Please log in and read it now: {url}"
)
UNKNOWN_SENDER_TEXT = (
    "Have Your Say: a safeguarding alert was raised for a {channel} message from a sender we could "
    "not match to a review. Please log in to see it now: {url}"
)
UNKNOWN_NOT_SCREENED_TEXT = (
    "Have Your Say: a {channel} message from a sender we could not match to a review is in a language "
    "or script the safeguarding screen cannot read (not screened: needs reading). Please log in and "
    "read it now: {url}"
)
NOT_SCREENED_REASON = "not screened: needs reading"
CHANNEL_NAMES = {"sms": "text", "telegram": "Telegram", "web": "web form", "paper": "paper form", "sim": "rehearsal"}


# ---------------------------------------------------------------- screening

def screen_languages(language: str | None) -> tuple[str, ...]:
    """The languages a text is screened in: the form's, with English beside Welsh.

    A Welsh form's respondent may write either language; an unknown sender (None) may
    be on either form, so both are read.
    """
    language = (language or "").lower()[:3]
    if not language:
        return ("en", "cy")
    if language == "cy":
        return ("cy", "en")
    return (language,)


def screen_text(text: str, language: str | None) -> Screening:
    """The safeguarding screen of one text in its form's language (``screen_languages``).

    Flagged when any of the readings flags it; ``not_screened`` as the form language's
    reading says (text in a language or script the screen cannot read).
    """
    readings = [screen(text, lang) for lang in screen_languages(language)]
    if len(readings) == 1:
        return readings[0]
    flagged = [r for r in readings if r.flagged]
    return Screening(flagged=bool(flagged),
                     reasons=list(dict.fromkeys(x for r in flagged for x in r.reasons)),
                     categories=list(dict.fromkeys(x for r in flagged for x in r.categories)),
                     score=max((r.score for r in readings), default=0.0),
                     not_screened=readings[0].not_screened)


def raise_for_screening(session: Session, invitation: Invitation | None, found: Screening, *,
                        question_key: str | None, excerpt: str | None, now: datetime | None = None,
                        channel: str | None = None, inbound_message_id: int | None = None,
                        duty: bool = False) -> Alert | None:
    """The alert a screening calls for (a disclosure, else "not screened: needs reading"), or None."""
    if found.flagged:
        return raise_alert(session, invitation, question_key=question_key,
                           reason="; ".join(found.reasons)[:200] or "screened",
                           categories=";".join(found.categories)[:200] or None, excerpt=excerpt, now=now,
                           channel=channel, inbound_message_id=inbound_message_id, duty=duty)
    if found.not_screened:
        return raise_alert(session, invitation, question_key=question_key, reason=NOT_SCREENED_REASON,
                           categories="not_screened", excerpt=excerpt, now=now, kind="not_screened",
                           channel=channel, inbound_message_id=inbound_message_id, duty=duty)
    return None


# ---------------------------------------------------------------- raising and routing

def raise_alert(session: Session, invitation: Invitation | None, *, question_key: str | None, reason: str,
                categories: str | None, excerpt: str | None, now: datetime | None = None,
                public_base_url: str | None = None, notify: str | None = None, kind: str = "disclosure",
                channel: str | None = None, inbound_message_id: int | None = None,
                duty: bool = False) -> Alert:
    """Store an alert and queue its notifications (email and SMS): to the child's IRO, and to
    the duty safeguarding contact when there is no invitation or ``duty`` (no open one).

    The notification names the review, never the child's words: those are only on the
    dashboard, behind a login. ``notify`` (default: ``ALERT_NOTIFY`` of the settings the
    session carries, else of the environment) picks email, SMS or both. A rehearsal's
    alert (a simulated review) never pages the duty contact.
    """
    settings = session.info.get("settings")
    now = now or utcnow()
    review = invitation.review if invitation is not None else None
    alert = Alert(invitation_id=invitation.id if invitation is not None else None,
                  review_id=review.id if review is not None else None, inbound_message_id=inbound_message_id,
                  kind=kind, channel=(channel or (invitation.channel if invitation is not None else None)),
                  question_key=question_key, reason=reason, categories=categories, excerpt=excerpt,
                  status="open", raised_at=now)
    session.add(alert)
    session.flush()
    extra = {"kind": kind} if kind != "disclosure" else {}
    record(session, None, "alert_raised", "alert", alert.id, review_ref=review.review_ref if review else None,
           **extra)
    # Callers deep in the answer path (save_answers) pass no settings: the session carries
    # the app's (storage.db.Database); a bare session falls back to the environment.
    base = (public_base_url or _setting(settings, "PUBLIC_BASE_URL") or "").rstrip("/")
    url = f"{base}/dashboard/alerts/{alert.id}"
    ways = notify_channels(notify if notify is not None else _setting(settings, "ALERT_NOTIFY"))
    if review is not None:
        body = _review_notice(alert, review, invitation, url)
        subject = (f"Needs reading: review {review.review_ref}" if kind == "not_screened"
                   else f"Safeguarding alert: review {review.review_ref}")
        iro = session.get(Staff, review.iro_id) if review.iro_id else None
        email = iro.email if iro else review.iro_email
        phone = iro.phone if iro is not None else None
        if email and ("email" in ways or not phone):  # never silent: no mobile means email anyway
            enqueue(session, channel="email", to=email, body=body, dedupe_key=f"alert:{alert.id}:email",
                    purpose="alert", payload={"subject": subject}, now=now)
        if phone and "sms" in ways:
            enqueue(session, channel="sms", to=phone, body=body, dedupe_key=f"alert:{alert.id}:sms",
                    purpose="alert", now=now)
    if (review is None or duty) and not (review is not None and review.simulated):
        _notify_duty(session, alert, review, invitation, url, ways, settings, now)
    return alert


def _notify_duty(session: Session, alert: Alert, review: Any, invitation: Invitation | None, url: str,
                 ways: set[str], settings: Any, now: datetime) -> None:
    """Queue the duty safeguarding contact's notice (or every manager's, when none is set)."""
    channel = CHANNEL_NAMES.get(alert.channel or "", alert.channel or "message")
    if review is not None:
        body = _review_notice(alert, review, invitation, url)
        body += " (No form is open for this sender: sent to the duty safeguarding contact too.)"
        subject = f"Safeguarding alert (duty): review {review.review_ref}"
    else:
        template = UNKNOWN_NOT_SCREENED_TEXT if alert.kind == "not_screened" else UNKNOWN_SENDER_TEXT
        body = template.format(channel=channel, url=url)
        subject = f"Safeguarding alert (duty): a {channel} message from an unknown sender"
    email, phone = duty_contact(session, settings)
    for index, address in enumerate(email):
        enqueue(session, channel="email", to=address, body=body, dedupe_key=f"alert:{alert.id}:duty-email:{index}",
                purpose="alert", payload={"subject": subject}, now=now)
    if phone and ("sms" in ways or not email):
        enqueue(session, channel="sms", to=phone, body=body, dedupe_key=f"alert:{alert.id}:duty-sms",
                purpose="alert", now=now)


def _review_notice(alert: Alert, review: Any, invitation: Invitation | None, url: str) -> str:
    """The words of an alert's notice that names its review (never the child's words)."""
    template = NOT_SCREENED_TEXT if alert.kind == "not_screened" else ALERT_TEXT
    return template.format(review_ref=review.review_ref, role=invitation.role if invitation else "", url=url)


def duty_contact(session: Session, settings: Any = None) -> tuple[list[str], str | None]:
    """Where an alert with no IRO (or no open form) goes: the duty email(s) and phone.

    ``SAFEGUARDING_DUTY_EMAIL`` (one address, or several separated by commas) and
    ``SAFEGUARDING_DUTY_PHONE``; with no duty email, every active manager's email, and
    with no manager every active admin's, so that it is never silent.
    """
    raw = _setting(settings, "SAFEGUARDING_DUTY_EMAIL") or ""
    emails = [part.strip() for part in str(raw).split(",") if part.strip()]
    phone = str(_setting(settings, "SAFEGUARDING_DUTY_PHONE") or "").strip() or None
    if not emails:
        for role in ("manager", "admin"):
            emails = list(session.scalars(select(Staff.email).where(Staff.role == role, Staff.active.is_(True))
                                          .order_by(Staff.id)))
            if emails:
                break
    return emails, phone


def _setting(settings: Any, name: str) -> str | None:
    """``name`` from the settings, or from the environment when there are none."""
    return getattr(settings, name, None) if settings is not None else os.environ.get(name)


def notify_channels(setting: str | None) -> set[str]:
    """How the IRO hears of an alert (``ALERT_NOTIFY``: "email,sms", "email" or "sms").

    Unset, empty or unknown values mean both: safeguarding is never switched off.
    """
    ways = {part.strip().lower() for part in (setting or "").split(",")} & {"email", "sms"}
    return ways or {"email", "sms"}


def notice_ids(session: Session, alerts: Iterable[Alert]) -> list[int]:
    """The outbox rows telling the IRO (and the duty contact) about these alerts, to send them now."""
    ids = [a.id for a in alerts]
    if not ids:
        return []
    return list(session.scalars(select(OutboxMessage.id).where(
        OutboxMessage.purpose == "alert",
        or_(*(OutboxMessage.dedupe_key.like(f"alert:{alert_id}:%") for alert_id in ids)))))
