"""Retention purge, subject access export and erasure, on real database rows."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from sqlalchemy import func, select

from storage.models import (
    Alert,
    Answer,
    AuditEvent,
    InboundMessage,
    Invitation,
    OutboxMessage,
    Review,
)
from storage.outbox import enqueue
from storage.privacy import erase_child, export_as_csv, purge, subject_access_export
from storage.responses import form_of, save_answers
from tests.storage.helpers import first_question, make_invitation, make_review

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def _child_with_answers(session, ref: str, phone: str, review_date: date, comment: str):
    review = make_review(session, ref, review_date=review_date)
    invitation = make_invitation(session, review, "child", contact=phone)
    form = form_of(invitation)
    yes_no = first_question(form, "yes_no")
    text = first_question(form, "text")
    save_answers(session, invitation, {yes_no.key: "yes", text.key: comment}, channel="sms",
                 now=datetime.combine(review_date, datetime.min.time(), tzinfo=UTC))
    session.add(InboundMessage(channel="sms", provider_id=f"SM{ref}", sender=phone, body=comment,
                               invitation_id=invitation.id, status="processed"))
    enqueue(session, channel="sms", to=phone, body="thanks", dedupe_key=f"t:{ref}", purpose="reply",
            invitation_id=invitation.id)
    session.execute(OutboxMessage.__table__.update().where(OutboxMessage.dedupe_key == f"t:{ref}")
                    .values(status="delivered"))
    return review, invitation, text.key


def _figures(session) -> tuple:
    """Aggregate figures a report is made of: they must survive a purge."""
    answers = session.execute(select(Answer.question_key, Answer.value, Answer.value_num, Answer.skipped)
                              .order_by(Answer.id)).all()
    received = session.scalar(select(func.count()).select_from(Invitation).where(Invitation.received.is_(True)))
    statuses = session.execute(select(Invitation.status, func.count()).group_by(Invitation.status)).all()
    return tuple(answers), received, tuple(sorted(statuses))


def test_purge_removes_contacts_after_retention_and_keeps_every_figure(db):
    with db.session() as session:
        old, old_inv, text_key = _child_with_answers(session, "OLD", "+447400111111", date(2026, 3, 1),
                                                     "I like my foster home")
        recent, recent_inv, _ = _child_with_answers(session, "NEW", "+447400222222", date(2026, 11, 1),
                                                    "I want to see my nan")
    with db.session() as session:
        before = _figures(session)
        dry = purge(session, contact_days=90, free_text_days=730, now=NOW, dry_run=True)
    assert dry.counts["invitation contacts"] == 1 and dry.counts["inbound messages"] == 1
    assert dry.counts["free-text answers"] == 0
    with db.session() as session:
        assert session.get(Invitation, old_inv.id).contact == "+447400111111"  # dry run changed nothing
        done = purge(session, contact_days=90, free_text_days=730, now=NOW)
    assert done.counts == dry.counts
    with db.session() as session:
        assert session.get(Invitation, old_inv.id).contact is None
        assert session.get(Invitation, old_inv.id).contact_purged_at is not None
        assert session.get(Invitation, recent_inv.id).contact == "+447400222222"
        old_inbound = session.scalar(select(InboundMessage).where(InboundMessage.invitation_id == old_inv.id))
        assert old_inbound.sender is None and old_inbound.body is None
        old_out = session.scalar(select(OutboxMessage).where(OutboxMessage.invitation_id == old_inv.id))
        assert old_out.to is None and old_out.body is None
        # Free text outlives contact details under the default settings.
        assert session.scalar(select(Answer.free_text).where(Answer.invitation_id == old_inv.id,
                                                             Answer.question_key == text_key))
        assert _figures(session) == before
        assert session.scalar(select(AuditEvent).where(AuditEvent.action == "purge")) is not None
    with db.session() as session:
        purge(session, contact_days=90, free_text_days=100, now=NOW)
    with db.session() as session:
        assert session.scalar(select(Answer.free_text).where(Answer.invitation_id == old_inv.id,
                                                             Answer.question_key == text_key)) is None
        assert session.scalar(select(Answer.free_text).where(Answer.invitation_id == recent_inv.id,
                                                             Answer.question_key == text_key))
        assert _figures(session) == before


def test_subject_access_export_holds_one_child_and_nobody_else(db):
    with db.session() as session:
        _child_with_answers(session, "A1", "+447400333333", date(2026, 10, 1), "my IRO is kind")
        _child_with_answers(session, "B1", "+447400444444", date(2026, 10, 2), "football on saturdays")
    with db.session() as session:
        export = subject_access_export(session, "C-A1")
    dumped = json.dumps(export)
    assert "+447400333333" in dumped and "my IRO is kind" in dumped
    assert "+447400444444" not in dumped and "football" not in dumped and "C-B1" not in dumped
    tables = export["tables"]
    assert [r["review_ref"] for r in tables["reviews"]] == ["A1"]
    assert len(tables["invitations"]) == 1 and len(tables["inbound_messages"]) == 1
    assert len(tables["answers"]) == 2 and len(tables["outbox_messages"]) == 1
    csv_text = export_as_csv(export)
    assert csv_text.splitlines()[0] == "table,row_id,column,value"
    assert "my IRO is kind" in csv_text and "+447400444444" not in csv_text


def test_erasure_removes_one_child_and_leaves_others(db):
    with db.session() as session:
        a_review, a_inv, _ = _child_with_answers(session, "A2", "+447400555555", date(2026, 10, 1),
                                                 "i dont feel safe at home")
        b_review, _, _ = _child_with_answers(session, "B2", "+447400666666", date(2026, 10, 2), "all good")
    with db.session() as session:
        b_alerts = session.scalar(select(func.count()).select_from(Alert).where(Alert.review_id == b_review.id))
        assert session.scalar(select(func.count()).select_from(Alert).where(Alert.review_id == a_review.id)) >= 1
        counts = erase_child(session, "C-A2")
    assert counts["reviews"] == 1 and counts["answers"] == 2
    with db.session() as session:
        assert session.scalar(select(Review).where(Review.child_ref == "C-A2")) is None
        assert session.scalar(select(func.count()).select_from(Answer).where(Answer.invitation_id == a_inv.id)) == 0
        assert session.scalar(select(func.count()).select_from(InboundMessage)
                              .where(InboundMessage.sender == "+447400555555")) == 0
        assert session.scalar(select(func.count()).select_from(Alert).where(Alert.review_id == a_review.id)) == 0
        assert session.scalar(select(func.count()).select_from(Alert)) == b_alerts
        assert session.scalar(select(Review).where(Review.child_ref == "C-B2")) is not None
        assert session.scalar(select(func.count()).select_from(Answer)) == 2
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "erasure"))
        assert event.object_id == "C-A2" and "i dont" not in json.dumps(event.detail)


def test_cli_purge_dry_run_and_child_export(app, tmp_path):
    with app.extensions["db"].session() as session:
        _child_with_answers(session, "CLI", "+447400777777", date(2025, 1, 1), "hello")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["purge", "--dry-run", "--now", "2026-11-23T10:00"])
    assert result.exit_code == 0, result.output
    assert "would purge" in result.output and "invitation contacts: 1" in result.output
    out = tmp_path / "export.json"
    result = runner.invoke(args=["child", "export", "C-CLI", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["tables"]["reviews"][0]["review_ref"] == "CLI"
    missing = runner.invoke(args=["child", "export", "NOBODY", "-o", str(tmp_path / "x.json")])
    assert missing.exit_code != 0 and "nothing is stored" in missing.output
    refused = runner.invoke(args=["child", "erase", "C-CLI"])
    assert refused.exit_code != 0 and "--yes" in refused.output
    erased = runner.invoke(args=["child", "erase", "C-CLI", "--yes"])
    assert erased.exit_code == 0 and "reviews 1" in erased.output
