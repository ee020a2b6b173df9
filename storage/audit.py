"""The append-only audit log of who saw or changed what."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from storage.models import AuditEvent


def record(session: Session, staff_id: int | None, action: str, object_type: str | None = None,
           object_id: object | None = None, **detail: Any) -> AuditEvent:
    """Add an audit event to the session (committed with the caller's work)."""
    row = AuditEvent(staff_id=staff_id, action=action, object_type=object_type,
                     object_id=None if object_id is None else str(object_id), detail=detail or None)
    session.add(row)
    return row


@event.listens_for(AuditEvent, "before_update")
def _refuse_update(*_args: Any) -> None:
    raise PermissionError("audit events are append-only")


@event.listens_for(AuditEvent, "before_delete")
def _refuse_delete(*_args: Any) -> None:
    raise PermissionError("audit events are append-only")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_change(state: Any) -> None:
    """``update(AuditEvent)`` / ``delete(AuditEvent)`` through a session are refused too."""
    table = getattr(state.statement, "table", None)
    if (state.is_update or state.is_delete) and getattr(table, "name", None) == AuditEvent.__tablename__:
        raise PermissionError("audit events are append-only")
