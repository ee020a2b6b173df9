"""Safeguarding through the real entry points: every labelled disclosure, on every channel.

Disclosures arrive as Twilio would post them (signed), as Telegram would (secret header)
and through the web form; the replies and the IRO's notifications travel through the
real twilio, python-telegram-bot and smtplib clients to the fakes on 127.0.0.1.
"""

from __future__ import annotations

from sqlalchemy import select

from storage.models import Alert
from surveys import engine
from tests.bot._helpers import make_invitation
from tests.fakes.twilio_fake import inbound_sms_form

SMS_PATH = "/webhooks/twilio/sms"
HELPLINE = engine.text("safeguarding_reply")


def test_a_disclosure_as_the_very_first_message_raises_an_alert(channel_app, twilio_post, twilio_fake):
    """A child may answer the invitation text itself with a disclosure, before any question."""
    phone = "+447400100901"
    with channel_app.extensions["db"].session() as session:
        invitation_id = make_invitation(session, form_id="child_after", contact=phone).id
    response = twilio_post(SMS_PATH, inbound_sms_form(phone, "my dad hits me when he is drunk"))
    assert response.status_code == 200
    with channel_app.extensions["db"].session() as session:
        alerts = session.scalars(select(Alert)).all()
        assert [(a.invitation_id, a.question_key) for a in alerts] == [(invitation_id, None)]
    replies = [m["Body"] for m in twilio_fake.sent(phone)]
    assert replies[0] == HELPLINE
    assert len(replies) >= 2  # then the conversation starts as usual
    # A plain first message starts the conversation without an alert.
    other = "+447400100902"
    with channel_app.extensions["db"].session() as session:
        make_invitation(session, form_id="child_after", contact=other)
    twilio_post(SMS_PATH, inbound_sms_form(other, "Hi"))
    assert HELPLINE not in [m["Body"] for m in twilio_fake.sent(other)]
    with channel_app.extensions["db"].session() as session:
        assert len(session.scalars(select(Alert)).all()) == 1
