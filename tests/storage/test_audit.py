"""The audit log is append-only: rows are added with the work they record, never changed."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select, update

from storage.audit import record
from storage.models import AuditEvent


def test_audit_events_are_added_and_never_changed_or_deleted(db):
    with db.session() as session:
        record(session, None, "view_answers", "review", 7, note="counts only")
    with db.session() as session:
        event = session.scalar(select(AuditEvent))
        assert (event.action, event.object_type, event.object_id, event.detail) == (
            "view_answers", "review", "7", {"note": "counts only"})
    for change in (lambda s, e: setattr(e, "action", "nothing_to_see"), lambda s, e: s.delete(e),
                   lambda s, e: s.execute(update(AuditEvent).values(action="x")),
                   lambda s, e: s.execute(delete(AuditEvent))):
        with pytest.raises(PermissionError), db.session() as session:
            change(session, session.scalar(select(AuditEvent)))
            session.flush()
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == 1
        assert session.scalar(select(AuditEvent.action)) == "view_answers"
