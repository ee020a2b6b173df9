"""Put messages in the outbox: durable, and at most once per dedupe key."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from storage.models import OutboxMessage, utcnow
from storage.upsert import insert_ignore, insert_ignore_many, insert_ignore_statement


def outbox_row(*, channel: str, to: str | None, body: str, dedupe_key: str, purpose: str,
               invitation_id: int | None = None, payload: dict[str, Any] | None = None,
               not_before: datetime | None = None, lease: tuple[str, datetime] | None = None,
               status: str = "queued", now: datetime | None = None) -> dict[str, Any]:
    """The columns of one new outbox row (see ``enqueue``)."""
    now = now or utcnow()
    leased = {"status": "sending", "locked_by": lease[0], "locked_until": lease[1]} if lease else {}
    return {
        "channel": channel, "to": to, "body": body, "dedupe_key": dedupe_key, "purpose": purpose,
        "invitation_id": invitation_id, "payload": payload, "status": status, "attempts": 0,
        "next_attempt_at": not_before or now, "created_at": now, "locked_by": None, "locked_until": None,
        **leased,
    }


def enqueue(session: Session, **message: Any) -> int | None:
    """Queue a message; returns its id, or None when that dedupe key was already queued.

    The dedupe key names the step ("invite:42", "reply:inbound-17:0"), so a provider
    retrying its webhook or two workers planning the same step queue it only once.
    ``lease`` (token, until) inserts it already claimed by the caller, who sends it
    straight away (a webhook's reply); if that caller dies, a worker takes it once the
    lease has run out. The keywords are those of ``outbox_row``.
    """
    return insert_ignore(session, OutboxMessage, outbox_row(**message), _CONFLICT)


# A row is queued once per dedupe key; a many-row INSERT names the new ones by it.
_CONFLICT = ("dedupe_key",)
_RETURNING = ("dedupe_key", "id")


def enqueue_many(session: Session, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Queue many ``outbox_row`` rows in one statement; the ids of those that were new, by dedupe key."""
    return dict(insert_ignore_many(session, OutboxMessage, rows, _CONFLICT, returning=_RETURNING))


def enqueue_many_statement(dialect: str) -> Any:
    """The statement ``enqueue_many`` runs, to build on (a WITH before it, say)."""
    return insert_ignore_statement(dialect, OutboxMessage, _CONFLICT, _RETURNING)
