"""The invitation lifecycle: statuses move forward only, each step dated and kept."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from storage.models import Invitation, InvitationEvent, utcnow

# Progress statuses in order; a later one never goes back to an earlier one.
PROGRESS = {"pending": 0, "sent": 1, "opened": 2, "partial": 3, "completed": 4}
# Statuses that end an invitation early. "failed" may still recover when a retry is sent;
# "opted_out" ends when the person opts back in.
ENDED = {"declined", "opted_out", "failed", "expired"}
# Statuses in which an invitation is still open: listening for replies, due its reminders.
OPEN_STATUSES = ("pending", "sent", "opened", "partial")
RECOVERABLE = {"failed": {"sent"}, "opted_out": {"pending", "sent"}}
TIMESTAMPS = {"sent": "sent_at", "opened": "opened_at", "completed": "completed_at",
              "expired": "closed_at", "declined": "closed_at", "opted_out": "closed_at"}


def can_move(current: str, new: str) -> bool:
    """Whether an invitation may go from ``current`` to ``new``."""
    if current == new:
        return False
    if current in ENDED:
        return new in RECOVERABLE.get(current, set()) or (current != "expired" and new in ("partial", "completed"))
    if new in ENDED:
        return current != "completed"
    return PROGRESS[new] > PROGRESS[current]


def set_status(session: Session, invitation: Invitation, status: str, *, now: datetime | None = None,
               detail: str | None = None) -> bool:
    """Move the invitation to ``status`` if the lifecycle allows; record the dated event."""
    if status not in PROGRESS and status not in ENDED:
        raise ValueError(f"unknown invitation status {status!r}")
    if not can_move(invitation.status, status):
        return False
    now = now or utcnow()
    invitation.status = status
    column = TIMESTAMPS.get(status)
    if column and getattr(invitation, column) is None:
        setattr(invitation, column, now)
    invitation.updated_at = now
    session.add(InvitationEvent(invitation_id=invitation.id, event=status, at=now, detail=detail))
    return True


def log_event(session: Session, invitation: Invitation, event: str, *, now: datetime | None = None,
              detail: str | None = None) -> None:
    """Record a dated event that is not a status change (a reminder sent, a link opened ...)."""
    session.add(InvitationEvent(invitation_id=invitation.id, event=event, at=now or utcnow(), detail=detail))
