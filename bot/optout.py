"""Opt-outs: an address that said STOP (or that the provider refuses) gets nothing more.

Kept apart from the dispatcher so the outbox sender can use it without the conversation
engine; ``bot.dispatcher`` re-exports ``opt_out_address``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session

from storage.lifecycle import OPEN_STATUSES, set_status
from storage.models import Invitation, OptOut, utcnow
from storage.upsert import insert_ignore

__all__ = ["OPEN_STATUSES", "is_opted_out", "opt_in_address", "opt_out_address"]


def _column(channel: str):  # noqa: ANN202 - a SQLAlchemy column
    return Invitation.telegram_chat_id if channel == "telegram" else Invitation.contact


_OPTED_OUT = select(OptOut.id).where(OptOut.channel == bindparam("channel"), OptOut.address == bindparam("address"))


def is_opted_out(session: Session, channel: str, address: str | None) -> bool:
    """Whether ``address`` opted out of ``channel``."""
    if not address:
        return False
    # On the connection: opt-outs are written straight away (insert_ignore), so nothing the
    # session holds back could change the answer, and its flush can wait for the commit.
    return session.connection().execute(_OPTED_OUT, {"channel": channel, "address": address}).first() is not None


def opt_out_address(session: Session, channel: str, address: str, *, source: str,
                    now: datetime | None = None) -> None:
    """Stop all messages to an address and mark its open invitations opted out."""
    now = now or utcnow()
    insert_ignore(session, OptOut, {"channel": channel, "address": address, "source": source,
                                    "opted_out_at": now}, ["channel", "address"])
    for invitation in session.scalars(select(Invitation).where(_column(channel) == address,
                                                               Invitation.status.in_(OPEN_STATUSES))):
        set_status(session, invitation, "opted_out", now=now, detail=source)


def opt_in_address(session: Session, channel: str, address: str, *, now: datetime | None = None) -> None:
    """Allow messages to an address again and re-open the invitations its opt-out closed."""
    now = now or utcnow()
    session.execute(delete(OptOut).where(OptOut.channel == channel, OptOut.address == address))
    for invitation in session.scalars(select(Invitation).where(_column(channel) == address,
                                                               Invitation.status == "opted_out")):
        set_status(session, invitation, "sent" if invitation.sent_at else "pending", now=now, detail="opted in")
