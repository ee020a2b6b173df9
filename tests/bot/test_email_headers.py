"""An email header that cannot hold a value never stops an alert, and never retries forever.

A review_ref with a line break in it (imported before the schedule check refused one)
made building the alert email's subject raise ValueError, which the sender took for a
temporary failure: every alert email about that review failed, again and again.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.base import OutboundMessage, PermanentSendError
from bot.email import EmailChannel, header_text
from bot.sender import deliver_due
from storage.alerts import raise_alert
from storage.models import OutboxMessage
from storage.outbox import enqueue
from tests.bot._helpers import make_invitation
from tests.fakes.smtp_fake import SMTPFake

NOW = datetime(2026, 11, 24, 11, 0, tzinfo=UTC)  # a Tuesday, in working hours


def test_a_subject_with_line_breaks_goes_out_on_one_line_and_adds_no_header():
    with SMTPFake() as fake:
        channel = EmailChannel(fake.host, fake.port)
        channel.send(OutboundMessage("iro@council.example", "Please look at the alert.", meta={
            "subject": "Safeguarding alert: review R-1\r\nBcc: someone@evil.example\u2028\u202eX\x00"}))
        [mail] = fake.messages
    assert mail.rcpt_tos == ["iro@council.example"]
    assert mail.message["Subject"] == "Safeguarding alert: review R-1 Bcc: someone@evil.example X"
    assert mail.message["Bcc"] is None


def test_header_text_is_one_line_whatever_it_is_given():
    assert header_text("a\nb\r\n\tc") == "a b c"
    assert header_text("\n\n") == ""
    assert header_text("Safeguarding alert: review R-1") == "Safeguarding alert: review R-1"


def test_a_message_that_cannot_be_built_is_a_permanent_failure():
    with SMTPFake() as fake:
        channel = EmailChannel(fake.host, fake.port)
        with pytest.raises(PermanentSendError) as refused:
            channel.send(OutboundMessage("iro@council.example\nBcc: someone@evil.example", "x"))
        assert fake.messages == []
    assert refused.value.code == "bad_header" and "evil" not in refused.value.reason


def test_the_alert_for_a_review_whose_ref_holds_a_line_break_is_delivered(db, channel_config, smtp_fake):
    with db.session() as session:
        invitation = make_invitation(session)
        invitation.review.review_ref = "R-BROKEN\nREF"  # as an import before the check could store it
        raise_alert(session, invitation, question_key="feel_safe", reason="answer signals danger",
                    categories="answer_signal", excerpt=None, now=NOW, notify="email")
    counts = deliver_due(db, channel_config, now=NOW)
    assert counts["sent"] == 1 and counts["retry"] == 0, counts
    [mail] = [m for m in smtp_fake.messages if "iro@council.example" in m.rcpt_tos]
    subject = mail.message["Subject"]
    assert "review R-BROKEN REF" in subject and "\n" not in subject
    with db.session() as session:
        row = session.scalar(select(OutboxMessage).where(OutboxMessage.purpose == "alert"))
        assert row.status == "sent" and row.attempts == 1


def test_an_unbuildable_email_fails_once_and_is_not_retried(db, channel_config, smtp_fake):
    with db.session() as session:
        row_id = enqueue(session, channel="email", to="iro@council.example\nBcc: x@evil.example", body="x",
                         dedupe_key="bad-header", purpose="alert", payload={"subject": "Alert"}, now=NOW)
    counts = deliver_due(db, channel_config, now=NOW)
    assert counts["failed"] == 1 and counts["retry"] == 0, counts
    with db.session() as session:
        row = session.get(OutboxMessage, row_id)
        assert row.status == "failed" and row.attempts == 1
    assert deliver_due(db, channel_config, now=NOW)["claimed"] == 0  # nothing left to retry
    assert smtp_fake.messages == []
