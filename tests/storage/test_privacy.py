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
    Quote,
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


# --- purge against the report, and against every column of every table -----------------------

FREE_TEXTS = ("My IRO came to see me at my school", "I want to live with my brother again")
STRAY = "is anyone there it is me again"


def _seed_year_with_words(session):
    """The report tests' year, plus free text, messages, conversation state and guesses."""
    from storage.alert_workflow import close, record_action
    from storage.models import LoginAttempt, OptOut, Staff
    from tests.storage.report_data import seed_year

    seeded = seed_year(session)
    children = session.scalars(select(Invitation).join(Review).where(Invitation.role == "child",
                                                                     Review.review_ref.in_(["R1", "R9"]))
                               .order_by(Invitation.id)).all()
    for invitation, words in zip(children, FREE_TEXTS, strict=True):
        save_answers(session, invitation, {"iro_comment": words}, channel="sms",
                     now=datetime(2025, 6, 1, tzinfo=UTC))
        invitation.state = {"form_id": invitation.form_id, "form_version": 1, "status": "complete",
                            "answers": {"know_iro": "yes", "rate_meeting": 4, "iro_comment": words}}
        invitation.telegram_chat_id = "555000111" if invitation.review.review_ref == "R9" else None
        session.add(InboundMessage(channel="sms", provider_id=f"SM-{invitation.id}", sender=invitation.contact,
                                   body=words, invitation_id=invitation.id, status="processed"))
        enqueue(session, channel="sms", to=invitation.contact, body="Thank you", purpose="reply",
                dedupe_key=f"reply-{invitation.id}", invitation_id=invitation.id)
    # A stray text from an unknown number, and the reply it got, linked to no invitation.
    session.add(InboundMessage(channel="sms", provider_id="SM-stray", sender="+447400999888", body=STRAY,
                               status="unmatched", received_at=datetime(2025, 6, 1, tzinfo=UTC)))
    enqueue(session, channel="sms", to="+447400999888", body="We don't know this number", purpose="reply",
            dedupe_key="reply-stray")
    session.execute(OutboxMessage.__table__.update().values(status="delivered"))
    session.add(OptOut(channel="sms", address="+447400100003", source="keyword"))
    session.add(LoginAttempt(key="form-token:203.0.113.9", at=datetime(2025, 6, 1, tzinfo=UTC)))
    manager = session.get(Staff, seeded.manager)
    alert = session.get(Alert, seeded.alerts["A"])
    record_action(alert, manager, "Spoke to the social worker")
    close(alert, manager)
    session.flush()
    return seeded


def _reports(session) -> list:
    from storage.reports import build_report
    from tests.storage.report_data import PERIOD

    return [build_report(session, *PERIOD), build_report(session, date(2024, 4, 1), date(2025, 3, 31)),
            build_report(session, *PERIOD, role="child"), build_report(session, *PERIOD, review_type="PP")]


def test_purge_leaves_every_report_figure_unchanged(db):
    with db.session() as session:
        _seed_year_with_words(session)
    with db.session() as session:
        before = _reports(session)
    assert before[0]["quotes"] and before[0]["return_rates"]  # there is something to lose
    with db.session() as session:
        done = purge(session, contact_days=90, free_text_days=100, now=datetime(2030, 1, 1, tzinfo=UTC))
    assert done.counts["free-text answers"] >= 2 and done.counts["invitation contacts"] >= 10
    with db.session() as session:
        after = _reports(session)
    assert after == before


def _texts_in_database(session) -> dict[tuple[str, str], list[str]]:
    """Every string held anywhere, by (table, column); JSON columns as their JSON text."""
    from storage.models import Base

    found: dict[tuple[str, str], list[str]] = {}
    for table in Base.metadata.sorted_tables:
        for row in session.execute(select(table)).mappings():
            for column, value in row.items():
                if isinstance(value, dict | list):
                    value = json.dumps(value)
                if isinstance(value, str):
                    found.setdefault((table.name, column), []).append(value)
    return found


def test_after_a_purge_no_contact_detail_or_free_text_is_left_anywhere(db):
    from tests.storage.report_data import APPROVED_QUOTE, EXCERPT, HIDDEN_TEXTS

    with db.session() as session:
        seeded = _seed_year_with_words(session)
        phones = set(session.scalars(select(Invitation.contact).where(Invitation.contact.is_not(None))))
    assert len(phones) >= 10
    secrets_ = phones | {"+447400999888", "555000111", "203.0.113.9", STRAY, *FREE_TEXTS, EXCERPT,
                        HIDDEN_TEXTS[0], HIDDEN_TEXTS[1]}
    with db.session() as session:
        dry = purge(session, contact_days=90, free_text_days=100, now=datetime(2030, 1, 1, tzinfo=UTC),
                    dry_run=True)
        assert dry.counts["free text in conversation state"] == 2
        assert dry.counts["unmatched inbound messages"] == 1 and dry.counts["rate-limit records"] == 1
    with db.session() as session:
        assert any(STRAY in v for v in _texts_in_database(session)[("inbound_messages", "body")])
        done = purge(session, contact_days=90, free_text_days=100, now=datetime(2030, 1, 1, tzinfo=UTC))
    assert done.counts == dry.counts
    with db.session() as session:
        left = {(table, column, secret) for (table, column), values in _texts_in_database(session).items()
                for secret in secrets_ for value in values if secret in value}
        # Kept on purpose: an opted-out number (so it is never messaged again) and the words of
        # an alert nobody has closed yet (the IRO still needs them).
        assert left == {("opt_outs", "address", "+447400100003"), ("alerts", "excerpt", EXCERPT)}
        assert session.get(Alert, seeded.alerts["B"]).status == "open"
        # Approved, redacted quotes stay: the report prints them.
        assert session.scalar(select(func.count()).select_from(Quote).where(Quote.status == "approved")) == 2
        assert APPROVED_QUOTE in str(_texts_in_database(session)[("quotes", "redacted_text")])
        states = [s for s in session.scalars(select(Invitation.state).where(Invitation.state.is_not(None)))]
        assert [s["answers"] for s in states] == [{"know_iro": "yes", "rate_meeting": 4}] * 2
    with db.session() as session:  # a second run (cron) finds nothing more to do
        again = purge(session, contact_days=90, free_text_days=100, now=datetime(2030, 1, 1, tzinfo=UTC))
    assert set(again.counts.values()) == {0}


def test_purge_keeps_recent_unmatched_messages_and_unsent_outbox(db):
    with db.session() as session:
        session.add(InboundMessage(channel="sms", provider_id="SM-new", sender="+447400999777", body="hi",
                                   status="unmatched", received_at=NOW))
        enqueue(session, channel="sms", to="+447400999777", body="queued", purpose="reply", dedupe_key="q")
        session.execute(OutboxMessage.__table__.update().values(created_at=datetime(2025, 1, 1, tzinfo=UTC)))
    with db.session() as session:
        done = purge(session, contact_days=90, free_text_days=730, now=NOW)
    assert done.counts["unmatched inbound messages"] == 0 and done.counts["unlinked outbox messages"] == 0
    with db.session() as session:
        assert session.scalar(select(InboundMessage.body)) == "hi"
        assert session.scalar(select(OutboxMessage.to)) == "+447400999777"  # still waiting to go


# --- subject access: every table about a child, nothing about anyone else -----------------------

# Tables that hold nothing about a child, and why; any other table must be in the export.
NOT_ABOUT_CHILDREN = {
    "staff": "staff accounts",
    "api_tokens": "staff API token hashes",
    "rate_limits": "an address and a time, purged after a day, tied to no child",
    "staff_sessions": "staff login sessions (a token hash and times)",
}
# Columns left out of an export, and why.
NOT_EXPORTED: dict[str, set[str]] = {"outbox": {"locked_by", "locked_until"}}  # a sending worker's lease


def _full_child(session, ref: str, phone: str, chat: str, shared_phone: str, words: str):
    """One child with a row in every table that can hold something about them."""
    from storage.alerts import raise_alert
    from storage.audit import record
    from storage.models import OptOut, Staff, YouSaidWeDid
    from storage.revisions import keep_replaced
    from storage.staff import add_staff

    iro = session.scalar(select(Staff).where(Staff.email == "iro.sar@council.example")) or \
        add_staff(session, "iro.sar@council.example", "iro", phone="+447400000001")
    review, child, text_key = _child_with_answers(session, ref, phone, date(2026, 10, 1), words)
    review.iro_id = iro.id
    child.telegram_chat_id = chat
    child.state = {"answers": {text_key: words}}
    carer = make_invitation(session, review, "carer", contact=shared_phone)
    # A paper key-in that replaced the child's words keeps them in answer_revisions.
    keep_replaced(session, child, {text_key: "keyed over"}, channel="paper", staff_id=iro.id)
    alert = raise_alert(session, child, question_key=text_key, reason="test", categories="harm", excerpt=words)
    quote = Quote(invitation_id=child.id, form_id=child.form_id, question_key=text_key, role="child", age=14,
                  redacted_text=words)
    session.add_all([quote, YouSaidWeDid(review_id=review.id, invitation_id=child.id, text=f"we did {words}")])
    session.add(InboundMessage(channel="sms", provider_id=f"SM-stray-{ref}", sender=phone, body=f"stray {words}",
                               status="unmatched"))
    session.add(OptOut(channel="telegram", address=chat, source="blocked"))
    session.flush()
    record(session, iro.id, "view_answers", "review", review.id)
    record(session, iro.id, "view_alert", "alert", alert.id)
    record(session, iro.id, "quote_approved", "quote", quote.id)
    record(session, iro.id, "paper_letter", "invitation", carer.id)
    return review


def _two_children_sharing_a_carer(db, first: tuple[str, ...], second: tuple[str, ...]) -> str:  # noqa: ANN001
    """Two children (ref, phone, chat, words) whose reviews share a foster carer's phone, and a
    message from that phone nobody can attribute; the shared phone."""
    shared = "+447400700700"
    with db.session() as session:
        for ref, phone, chat, words in (first, second):
            _full_child(session, ref, phone, chat, shared, words)
        session.add(InboundMessage(channel="sms", provider_id="SM-shared", sender=shared, body="which child?",
                                   status="unmatched"))
    return shared


def test_export_holds_every_table_about_a_child_and_nothing_about_anyone_else(db):
    from storage.models import Base
    from storage.privacy import _EXPORTED

    shared = _two_children_sharing_a_carer(db, ("SA", "+447400700001", "700001", "apples and pears"),
                                           ("SB", "+447400700002", "700002", "bananas and plums"))
    with db.session() as session:
        export = subject_access_export(session, "C-SA")
        stored = _texts_in_database(session)

    exported_tables = {model.__tablename__: name for name, (model, _skip) in _EXPORTED.items()}
    every_table = {t.name for t in Base.metadata.sorted_tables}
    # A new table must be exported or named here with a reason: nothing is missed by accident.
    assert every_table - set(NOT_ABOUT_CHILDREN) == set(exported_tables), \
        "a table is neither in the subject access export nor in NOT_ABOUT_CHILDREN"
    assert set(export["tables"]) == set(exported_tables.values())
    for table in Base.metadata.sorted_tables:
        if table.name not in exported_tables:
            continue
        rows = export["tables"][exported_tables[table.name]]
        assert rows, f"{table.name}: nothing exported although the child has a row there"
        expected = {c.name for c in table.columns} - NOT_EXPORTED.get(table.name, set())
        assert set(rows[0]) == expected, table.name

    dumped = json.dumps(export)
    # Everything of child A's ...
    for value in ("apples and pears", "stray apples and pears", "we did apples and pears", "+447400700001",
                  "700001", shared):
        assert value in dumped, value
    assert {e["action"] for e in export["tables"]["audit_events"]} == {
        "alert_raised", "view_answers", "view_alert", "quote_approved", "paper_letter"}
    # ... and nothing of child B's, nor the message from the shared phone nobody can attribute.
    # (Child B's review ref as a whole JSON value: "SB" alone turns up in random tokens.)
    for value in ("bananas", "+447400700002", "700002", "C-SB", '"SB"', "SMSB", "t:SB", "which child?"):
        assert value not in dumped, value
    own_values = {v for (_t, _c), values in stored.items() for v in values if "apples" in v}
    assert all(v in dumped for v in own_values)
    csv_text = export_as_csv(export)
    assert "apples and pears" in csv_text and "bananas" not in csv_text
    assert '{""answers""' in csv_text  # JSON columns as JSON, not Python reprs


def test_erasure_takes_unmatched_messages_from_the_childs_own_number_only(db):
    _two_children_sharing_a_carer(db, ("EA", "+447400700011", "700011", "cherries"),
                                  ("EB", "+447400700012", "700012", "grapes"))
    with db.session() as session:
        counts = erase_child(session, "C-EA")
    assert counts["inbound_messages"] == 2  # the answer's message and the stray one
    with db.session() as session:
        left = json.dumps(list(_texts_in_database(session).values()))
    assert "cherries" not in left and "+447400700011" not in left
    assert "grapes" in left and "which child?" in left
    assert "700011" in left  # the opt-out of the child's chat stays, so it is never messaged again


def test_cli_purge_is_safe_to_run_from_cron(app):
    with app.extensions["db"].session() as session:
        _child_with_answers(session, "CRON", "+447400888888", date(2025, 1, 1), "cron words")
    runner = app.test_cli_runner()
    first = runner.invoke(args=["purge", "--now", "2026-11-23T02:15"])
    assert first.exit_code == 0, first.output
    assert "purged:" in first.output and "invitation contacts: 1" in first.output
    again = runner.invoke(args=["purge", "--now", "2026-11-23T02:15"])
    assert again.exit_code == 0
    assert all(line.endswith(": 0") for line in again.output.splitlines()[1:]), again.output
    bad = runner.invoke(args=["purge", "--now", "tonight"])
    assert bad.exit_code != 0 and "--now must be an ISO date-time" in bad.output
    with app.extensions["db"].session() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "purge")) == 2
