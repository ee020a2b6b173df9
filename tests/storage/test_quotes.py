"""Quotes (redacted candidates, approval, small groups) and "you said, we did" messages."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from storage.models import OutboxMessage, Quote, YouSaidWeDid
from storage.quotes import (
    QuoteError,
    attribution,
    decide,
    override_small_group,
    published_quotes,
    record_you_said_we_did,
    refresh_candidates,
)
from storage.responses import form_of, save_answers
from storage.staff import add_staff
from tests.storage.helpers import first_quotable, make_invitation, make_review

YEAR = (date(2026, 4, 1), date(2027, 3, 31))


def _answer_text(session, ref: str, comment: str, *, iro_id: int | None = None, age: int = 14, role: str = "child",
                 contact: str = "+447400123456"):
    review = make_review(session, ref, age=age, iro_id=iro_id, review_date=date(2026, 6, 1))
    invitation = make_invitation(session, review, role, contact=contact)
    form = form_of(invitation)
    text = first_quotable(form)
    required = {q.key: _any_value(q) for q in form.questions if q.required and q.show_if is None}
    save_answers(session, invitation, {**required, text.key: comment}, channel="sms", finished=True,
                 now=datetime(2026, 5, 20, tzinfo=UTC))
    return review, invitation


def _any_value(question):
    if question.type == "yes_no":
        return "yes"
    if question.type == "scale":
        return question.scale.max if question.scale else 10
    if question.type == "single":
        return question.options[0].key
    if question.type in ("multi",):
        return [question.options[0].key]
    if question.type == "feelings":
        return ["happy"]
    return "fine"


def test_free_text_becomes_a_redacted_candidate_and_only_approved_quotes_publish(db):
    with db.session() as session:
        iro = add_staff(session, "jane.okafor@council.example", "iro", None, display_name="Jane Okafor")
        manager = add_staff(session, "boss@council.example", "manager", None)
        _answer_text(session, "Q1", "Jane Okafor really listens, text me on 07400 123456", iro_id=iro.id)
        for n in range(2, 7):  # a group of six children answered this form
            _answer_text(session, f"Q{n}", "the meeting was ok", contact=f"+4474001234{n:02d}")
        assert refresh_candidates(session) >= 6
        assert refresh_candidates(session) == 0  # once per answer
        quote = session.scalar(select(Quote).join(Quote.invitation).where(Quote.redacted_text.like("%listens%")))
        assert "Jane" not in quote.redacted_text and "Okafor" not in quote.redacted_text
        assert "07400" not in quote.redacted_text and "123456" not in quote.redacted_text
        assert "really listens" in quote.redacted_text
        assert published_quotes(session, *YEAR) == []  # nothing approved yet
        decide(session, quote, manager, "approved", edited_text="My IRO really listens to me, Jane is great")
        assert "Jane" not in quote.edited_text  # an edit is redacted again
        published = published_quotes(session, *YEAR)
        assert [p.id for p in published] == [quote.id]
        assert published[0].attribution == "(14)" and published[0].text == quote.edited_text
        other = session.scalar(select(Quote).where(Quote.id != quote.id).limit(1))
        decide(session, other, manager, "rejected")
        assert quote.id in {p.id for p in published_quotes(session, *YEAR)}
        assert other.id not in {p.id for p in published_quotes(session, *YEAR)}
        with pytest.raises(QuoteError):
            decide(session, other, manager, "maybe")
        with pytest.raises(QuoteError):
            decide(session, other, manager, "approved", edited_text="   ")


def test_quote_from_a_small_group_is_held_back_unless_overridden(db):
    with db.session() as session:
        manager = add_staff(session, "boss@council.example", "manager", None)
        _answer_text(session, "S1", "I want to see my brother more", role="child")
        refresh_candidates(session)
        quote = session.scalar(select(Quote))
        decide(session, quote, manager, "approved")
        assert published_quotes(session, *YEAR, min_group=5) == []
        assert len(published_quotes(session, *YEAR, min_group=1)) == 1
        with pytest.raises(QuoteError):
            override_small_group(session, quote, manager, "")
        override_small_group(session, quote, manager, "Whole cohort consented; theme matters")
        assert len(published_quotes(session, *YEAR, min_group=5)) == 1


def test_attribution_by_role_and_age_only():
    assert attribution("child", 9) == "(9)"
    assert attribution("carer", None) == "(foster carer)"
    assert attribution("parent", 40) == "(parent)"


def test_you_said_we_did_is_sent_to_the_child_on_their_channel(db):
    with db.session() as session:
        iro = add_staff(session, "iro@council.example", "iro", None)
        review, invitation = _answer_text(session, "Y1", "more contact with my nan", iro_id=iro.id,
                                          contact="+447400987654")
        row = record_you_said_we_did(session, review, iro, "You said you wanted to see your nan more: "
                                                          "contact is now every other Saturday.")
        assert isinstance(row, YouSaidWeDid) and row.invitation_id == invitation.id
        message = session.scalar(select(OutboxMessage).where(OutboxMessage.purpose == "you_said_we_did"))
        assert message.to == "+447400987654" and message.channel == "sms"
        assert "every other Saturday" in message.body
        with pytest.raises(QuoteError):
            record_you_said_we_did(session, review, iro, "   ")
        with pytest.raises(QuoteError):
            record_you_said_we_did(session, review, iro, "x" * 601)


def test_you_said_we_did_reaches_each_child_through_the_real_providers(db, channel_config, twilio_fake,
                                                                      telegram_fake, smtp_fake):
    from bot.sender import deliver_due
    from storage.reports import build_report
    from tests.storage.helpers import make_invitation as invite
    from tests.storage.helpers import make_review as review_row

    with db.session() as session:
        iro = add_staff(session, "iro@council.example", "iro", None)
        by_sms = review_row(session, "YS", iro_id=iro.id)
        invite(session, by_sms, "child", contact="+447400555001")
        by_telegram = review_row(session, "YT", iro_id=iro.id)
        chat = invite(session, by_telegram, "child", channel="telegram", contact=None)
        chat.telegram_chat_id = "424242"
        by_email = review_row(session, "YE", iro_id=iro.id, age=17)
        invite(session, by_email, "care_leaver", channel="email", contact="young.person@example.org")
        for review, what in ((by_sms, "your contact with mum is now weekly"),
                             (by_telegram, "your meeting will be at school"),
                             (by_email, "your flat viewing is booked")):
            record_you_said_we_did(session, review, iro, what, now=datetime(2026, 6, 5, tzinfo=UTC))

    # "You said, we did" keeps the send window (08:00-20:00, not Sundays): deliver at noon
    # that Friday, whatever the wall clock says (the test failed after 20:00 and on Sundays).
    counts = deliver_due(db, channel_config, now=datetime(2026, 6, 5, 11, 0, tzinfo=UTC))
    assert counts["sent"] == 3 and counts["failed"] == 0

    [sms] = twilio_fake.sent("+447400555001")
    assert sms["Body"] == "You said, we did: your contact with mum is now weekly"
    [telegram] = telegram_fake.calls("sendMessage")
    assert str(telegram["chat_id"]) == "424242" and "your meeting will be at school" in telegram["text"]
    [mail] = smtp_fake.messages
    assert mail.rcpt_tos == ["young.person@example.org"]
    assert "your flat viewing is booked" in mail.part("text/plain")
    assert mail.message["Subject"] == "Have Your Say: what happened after your review"
    with db.session() as session:
        statuses = session.scalars(select(OutboxMessage.status).where(OutboxMessage.purpose == "you_said_we_did"))
        assert sorted(statuses) == ["sent", "sent", "sent"]
        assert all(row.sent_at is not None for row in session.scalars(select(YouSaidWeDid)))
        report = build_report(session, *YEAR)
    # The annual report counts how many children got one.
    assert report["you_said_we_did"] == {"count": 3}


def test_names_from_the_record_are_redacted(db):
    from storage.quotes import known_names
    from tests.storage.helpers import make_invitation as invite

    with db.session() as session:
        iro = add_staff(session, "priya.venkataraman@council.example", "iro", None, display_name="Priya Venkataraman")
        review, _ = _answer_text(session, "N1", "fine", iro_id=iro.id)
        review.iro_email = "priya.venkataraman@council.example"
        invite(session, review, "carer", contact="marigold.featherstone@example.org")
        invite(session, review, "parent", contact="info@example.org")
        names = known_names(session, review)
        assert {"Priya", "Venkataraman", "Marigold", "Featherstone"} <= set(names) and "Info" not in names
        manager = add_staff(session, "boss@council.example", "manager", None)
        assert refresh_candidates(session) == 1
        quote = session.scalar(select(Quote))
        decide(session, quote, manager, "approved",
               edited_text="venkataraman and featherstone both help me, thanks to the info desk")
        assert "venkataraman" not in quote.edited_text.lower() and "featherstone" not in quote.edited_text.lower()
        assert "both help me" in quote.edited_text and "info desk" in quote.edited_text


def test_a_changed_or_cleared_answer_takes_its_quote_back(db):
    with db.session() as session:
        manager = add_staff(session, "boss2@council.example", "manager", None)
        review, invitation = _answer_text(session, "S1", "I like my school")
        form = form_of(invitation)
        key = first_quotable(form).key
        refresh_candidates(session)
        quote = session.scalar(select(Quote).where(Quote.invitation_id == invitation.id))
        decide(session, quote, manager, "approved")
        # Saving the same words again (a resumed web form) keeps the approved quote.
        save_answers(session, invitation, {key: "I like my school"}, channel="web")
        assert session.scalar(select(Quote.status).where(Quote.invitation_id == invitation.id)) == "approved"
        save_answers(session, invitation, {key: "I want to move school"}, channel="web")
        assert session.scalar(select(Quote).where(Quote.invitation_id == invitation.id)) is None
        refresh_candidates(session)
        fresh = session.scalar(select(Quote).where(Quote.invitation_id == invitation.id))
        assert fresh.status == "candidate" and "move school" in fresh.redacted_text
        save_answers(session, invitation, {}, channel="web", cleared=(k for k in [key]))
        assert session.scalar(select(Quote).where(Quote.invitation_id == invitation.id)) is None
        assert published_quotes(session, *YEAR, min_group=1) == []


def test_a_simulator_rehearsals_words_never_become_a_candidate_quote(db):
    with db.session() as session:
        real, _ = _answer_text(session, "Q-REAL", "my IRO came to see me at school")
        rehearsal, _ = _answer_text(session, "SIM-0001", "a member of staff trying the form", contact="+447400123499")
        rehearsal.simulated = True
        session.flush()
        assert refresh_candidates(session) == 1
        quoted = set(session.scalars(select(Quote.redacted_text)))
    assert quoted == {"my IRO came to see me at school"}


def test_a_shared_mailbox_gives_no_names(db):
    from storage.quotes import known_names

    with db.session() as session:
        review = make_review(session, "Q-MAILBOX", iro_email="iro.service@council.example")
        make_invitation(session, review, "carer", contact="fostering.team@agency.example")
        other = make_review(session, "Q-PERSON", iro_email="sam.patel@council.example")
        assert known_names(session, review) == []
        assert known_names(session, other) == ["Sam", "Patel"]
