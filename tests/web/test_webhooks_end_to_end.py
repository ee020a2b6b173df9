"""A whole child consultation over SMS and over Telegram, from the imported invitation to the thank-you.

The review schedule is imported, the scheduler queues the invitation, the real outbox
sender delivers it to the fake Twilio (for Telegram: an SMS with the deep link), the
young person answers through the signed webhooks, and at the end the stored answers
are exactly what was sent.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from bot.sender import deliver_due
from storage.models import Alert, Answer, Invitation, OutboxMessage
from storage.reviews import import_schedule
from storage.scheduler import queue_due
from surveys.forms import get_form
from surveys.schedule_csv import COLUMNS
from surveys.schema import Question
from tests.fakes.fixtures import random_chat_id
from tests.fakes.telegram_fake import callback_update, message_update, start_update
from tests.fakes.twilio_fake import inbound_sms_form

REVIEW_DATE = date(2026, 12, 15)


def _import(app, role: str, channel: str, contact: str, age: int) -> None:
    values = {"review_ref": "R-E2E", "child_ref": "C-E2E", "child_age": str(age), "review_type": "CLA",
              "review_date": REVIEW_DATE.isoformat(), "iro_email": "iro@council.example", "role": role,
              "channel": channel, "contact": contact, "language": "en"}
    data = (",".join(COLUMNS) + "\n" + ",".join(values[c] for c in COLUMNS) + "\n").encode()
    with app.extensions["db"].session() as session:
        assert import_schedule(session, [data]).ok


def _send_invitation(app, twilio_fake, phone: str) -> tuple[Invitation, dict[str, str], datetime]:
    """Run the scheduler and the sender day by day (09:30 UTC) until the invitation reaches ``phone``."""
    db, config = app.extensions["db"], app.config["HYS"]
    day = datetime.combine(REVIEW_DATE - timedelta(days=21), datetime.min.time(), UTC) + timedelta(hours=9, minutes=30)
    while not twilio_fake.sent(phone):
        assert day.date() < REVIEW_DATE, "the invitation was never sent"
        with db.session() as session:
            queue_due(session, config, day)
        deliver_due(db, config, now=day)
        day += timedelta(days=1)
    [sms] = twilio_fake.sent(phone)
    with db.session() as session:
        invitation = session.scalars(select(Invitation).where(Invitation.contact == phone,
                                                              Invitation.phase == "consultation")).one()
        session.expunge(invitation)
    assert invitation.status == "sent"
    return invitation, sms, day


def _invitation(app, invitation_id: int) -> Invitation:
    with app.extensions["db"].session() as session:
        return session.get(Invitation, invitation_id)


def _stored(app, invitation_id: int) -> dict[str, object]:
    """The stored answers as comparable values (scale: the number; text: the words; else the value)."""
    with app.extensions["db"].session() as session:
        answers = session.scalars(select(Answer).where(Answer.invitation_id == invitation_id,
                                                       Answer.skipped.is_(False))).all()
        return {a.question_key: a.value_num if a.value_num is not None else (a.free_text or a.value)
                for a in answers}


# What a young person types over SMS for each question, and the value that must be stored.
def _sms_reply(question: Question, turn: int) -> tuple[str, object]:
    options = [o.key for o in question.options or []]
    if question.type == "multi":
        return "1, 3", ";".join([options[0], options[2]])
    if question.type == "single":
        pick = turn % len(options)
        return str(pick + 1), options[pick]
    if question.type == "scale":
        value = question.scale.max - turn % 3  # high scores: nothing for safeguarding to flag
        return str(value), value
    if question.type == "feelings":
        return "happy", "happy"
    if question.type == "yes_no":
        unsafe = {str(v) for v in (question.safeguarding.values or [])} if question.safeguarding else set()
        value = "yes" if "yes" not in unsafe else "no"
        return value.capitalize(), value
    words = f"Answer number {turn}: I like football and drawing"
    return words, words


def _current(app, invitation_id: int) -> str | None:
    return (_invitation(app, invitation_id).state or {}).get("current")


def test_a_child_consultation_over_sms_from_invitation_to_thanks(channel_app, twilio_post, twilio_fake):
    phone = "+447400100311"
    _import(channel_app, "child", "sms", phone, 12)
    invitation, invite, _ = _send_invitation(channel_app, twilio_fake, phone)
    assert "STOP" in invite["Body"] and f"/f/{invitation.token}" in invite["Body"]

    form = get_form(invitation.form_id)
    questions = {q.key: q for q in form.questions}
    twilio_post("/webhooks/twilio/sms", inbound_sms_form(phone, "Hi"))
    expected: dict[str, object] = {}
    turn = 0
    while _invitation(channel_app, invitation.id).status != "completed":
        key = _current(channel_app, invitation.id)
        assert key is not None and turn < 60, "the conversation stopped before the end"
        text, value = _sms_reply(questions[key], turn)
        response = twilio_post("/webhooks/twilio/sms", inbound_sms_form(phone, text))
        assert response.status_code == 200
        expected[key] = value
        turn += 1

    assert _stored(channel_app, invitation.id) == expected
    assert {"multi", "single", "scale", "feelings", "yes_no", "text"} <= {questions[k].type for k in expected}
    done = _invitation(channel_app, invitation.id)
    assert done.received and done.status == "completed"
    bodies = [m["Body"] for m in twilio_fake.sent(phone)]
    assert bodies[0] == invite["Body"]
    assert form.thanks["en"].strip()[:40] in bodies[-1]
    with channel_app.extensions["db"].session() as session:
        queued = session.scalars(select(OutboxMessage).where(OutboxMessage.to == phone)
                                 .order_by(OutboxMessage.id)).all()
        assert [r.body for r in queued] == bodies and all(r.status == "sent" for r in queued)  # each once
    with channel_app.extensions["db"].session() as session:
        assert session.scalars(select(Alert)).all() == []


def _keyboard(telegram_fake, chat_id: int) -> tuple[int, dict[str, str]]:
    """The newest keyboard sent to the chat: (message id, button value -> callback data)."""
    keyboards = [m for (chat, _), m in sorted(telegram_fake.sent_messages.items(), key=lambda kv: kv[0][1])
                 if chat == str(chat_id) and m.get("reply_markup")]
    newest = keyboards[-1]
    buttons = [b for row in newest["reply_markup"]["inline_keyboard"] for b in row]
    return newest["message_id"], {b["callback_data"].rsplit(":", 1)[1]: b["callback_data"] for b in buttons}


def test_a_child_consultation_over_telegram_from_the_sms_deep_link_to_thanks(
        channel_app, channel_config, telegram_post, telegram_fake, twilio_fake):
    phone = "+447400100322"
    _import(channel_app, "child", "telegram", phone, 14)
    invitation, invite, _ = _send_invitation(channel_app, twilio_fake, phone)
    # The deep link reaches the young person by SMS; it is the invitation's, and nothing else is in it.
    link = re.search(r"https://t\.me/(\w+)\?start=([\w-]+)", invite["Body"])
    assert link is not None and link.group(1) == channel_config.TELEGRAM_BOT_USERNAME
    token = link.group(2)
    assert token == invitation.token and len(token) >= 24

    chat_id = random_chat_id()
    assert telegram_post(start_update(chat_id, token)).status_code == 200
    assert _invitation(channel_app, invitation.id).telegram_chat_id == str(chat_id)
    form = get_form(invitation.form_id)
    questions = {q.key: q for q in form.questions}
    expected: dict[str, object] = {}
    presses = 0
    turn = 0
    while _invitation(channel_app, invitation.id).status != "completed":
        key = _current(channel_app, invitation.id)
        assert key is not None and turn < 60, "the conversation stopped before the end"
        question = questions[key]
        if question.type == "text":
            words = f"Answer {turn}: more time with my brother please"
            assert telegram_post(message_update(chat_id, words)).status_code == 200
            expected[key] = words
        else:
            message_id, buttons = _keyboard(telegram_fake, chat_id)
            if question.type == "scale":
                value = str(question.scale.max - turn % 3)
            elif question.type == "yes_no":
                unsafe = {str(v) for v in (question.safeguarding.values or [])} if question.safeguarding else set()
                value = "yes" if "yes" not in unsafe else "no"
            else:
                options = list(buttons)
                value = options[turn % len(options)]
            assert telegram_post(callback_update(chat_id, buttons[value], message_id=message_id)).status_code == 200
            presses += 1
            expected[key] = int(value) if question.type == "scale" else value
        turn += 1

    assert _stored(channel_app, invitation.id) == expected
    assert {"multi", "single", "scale", "feelings", "yes_no", "text"} <= {questions[k].type for k in expected}
    assert presses >= 5 and len(telegram_fake.calls("answerCallbackQuery")) == presses  # every press answered
    messages = telegram_fake.calls("sendMessage")
    assert all(m["chat_id"] == chat_id for m in messages)
    assert form.thanks["en"].strip()[:40] in messages[-1]["text"]
    assert _invitation(channel_app, invitation.id).received
    assert twilio_fake.sent(phone) == [invite]  # after the link, everything went by Telegram
