"""Put messages in the outbox: durable, and at most once per dedupe key."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from storage.models import OutboxMessage, utcnow
from storage.upsert import insert_ignore


def enqueue(session: Session, *, channel: str, to: str | None, body: str, dedupe_key: str,
            purpose: str, invitation_id: int | None = None, payload: dict[str, Any] | None = None,
            not_before: datetime | None = None, lease: tuple[str, datetime] | None = None) -> int | None:
    """Queue a message; returns its id, or None when that dedupe key was already queued.

    The dedupe key names the step ("invite:42", "reply:inbound-17:0"), so a provider
    retrying its webhook or two workers planning the same step queue it only once.
    ``lease`` (token, until) inserts it already claimed by the caller, who sends it
    straight away (a webhook's reply); if that caller dies, a worker takes it once the
    lease has run out.
    """
    now = utcnow()
    leased = {"status": "sending", "locked_by": lease[0], "locked_until": lease[1]} if lease else {}
    return insert_ignore(session, OutboxMessage, {
        "channel": channel, "to": to, "body": body, "dedupe_key": dedupe_key, "purpose": purpose,
        "invitation_id": invitation_id, "payload": payload, "status": "queued", "attempts": 0,
        "next_attempt_at": not_before or now, "created_at": now, **leased,
    }, ["dedupe_key"])
