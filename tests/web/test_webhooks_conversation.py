"""Whole conversations through the webhooks, with replies arriving at the fake providers.

The real twilio and python-telegram-bot clients send the replies to the fakes on
127.0.0.1; the webhooks are posted as Twilio and Telegram post them (signed / with the
secret header).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import timedelta

from sqlalchemy import func, select

from bot.sender import deliver_due
from storage.models import Alert, Answer, InboundMessage, Invitation, OptOut, OutboxMessage, utcnow
from surveys import engine
from surveys.forms import get_form
from surveys.schema import Question
from tests.bot._helpers import make_invitation
from tests.fakes.fixtures import random_chat_id
from tests.fakes.telegram_fake import callback_update, message_update, start_update
from tests.fakes.twilio_fake import inbound_sms_form

PHONE = "+447400100200"
SMS_PATH = "/webhooks/twilio/sms"


def _invite(app, **kwargs) -> tuple[int, str]:
    with app.extensions["db"].session() as session:
        invitation = make_invitation(session, **kwargs)
        return invitation.id, invitation.token


def _invitation(app, invitation_id: int) -> Invitation:
    with app.extensions["db"].session() as session:
        return session.get(Invitation, invitation_id)


def _count(app, model, *where) -> int:
    with app.extensions["db"].session() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def _answer_for(question: Question) -> str:
    """A valid reply that signals no danger, so the walk is a plain one."""
    unsafe = {str(v) for v in (question.safeguarding.values or [])} if question.safeguarding else set()
    if question.type == "yes_no":
        return next(v for v in ("yes", "no", "not_sure") if v not in unsafe)
    if question.type == "scale":
        return str(question.scale.max if question.scale else 10)
    if question.type in ("single", "multi"):
        return question.options[0].key if question.type == "multi" else "1"
    if question.type == "feelings":
        return "happy"
    return "Nothing else, thank you"


def _current(app, invitation_id: int) -> str | None:
    state = _invitation(app, invitation_id).state or {}
    return state.get("current")


def _sms_answer(twilio_post, body: str, sender: str = PHONE, twiml_reaches_twilio: bool = True,
                reports_reach_us: bool = True, **kwargs):
    """(the form Twilio posted, the webhook's answer)."""
    form = inbound_sms_form(sender, body, **kwargs)
    response = twilio_post(SMS_PATH, form, twiml_reaches_twilio=twiml_reaches_twilio,
                           reports_reach_us=reports_reach_us)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/xml" and b"<Response" in response.data
    return form, response


def _sms(twilio_post, body: str, sender: str = PHONE, **kwargs):
    return _sms_answer(twilio_post, body, sender, **kwargs)[0]


def _walk_sms(app, twilio_post, invitation_id: int, form_id: str) -> int:
    form = get_form(form_id)
    questions = {q.key: q for q in form.questions}
    _sms(twilio_post, "Hi")
    steps = 0
    while _invitation(app, invitation_id).status != "completed":
        key = _current(app, invitation_id)
        assert key is not None, "the conversation stopped before the end"
        _sms(twilio_post, _answer_for(questions[key]))
        steps += 1
        assert steps < 80
    return steps


def test_sms_walks_child_before_to_the_end(channel_app, twilio_post, twilio_fake):
    invitation_id, _ = _invite(channel_app, form_id="child_before", age=12)
    steps = _walk_sms(channel_app, twilio_post, invitation_id, "child_before")

    invitation = _invitation(channel_app, invitation_id)
    assert invitation.status == "completed" and invitation.received
    assert _count(channel_app, Answer, Answer.invitation_id == invitation_id, Answer.skipped.is_(False)) == steps
    sent = twilio_fake.sent(PHONE)
    form = get_form("child_before")
    assert sent[0]["Body"] == form.intro["en"].strip() or form.intro["en"].strip()[:40] in sent[0]["Body"]
    assert form.thanks["en"].strip()[:40] in sent[-1]["Body"]
    # Every reply was sent once, and is what the outbox holds, in order.
    with channel_app.extensions["db"].session() as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.to == PHONE)
                               .order_by(OutboxMessage.id)).all()
    assert [r.body for r in rows] == [m["Body"] for m in sent]
    assert all(r.status == "sent" and r.provider_id for r in rows)
    assert max(engine.sms_segments(m["Body"]) for m in sent) <= 3
    assert _count(channel_app, Alert) == 0


def test_sms_walks_child_after_for_a_young_child(channel_app, twilio_post, twilio_fake):
    invitation_id, _ = _invite(channel_app, form_id="child_after", age=9)
    _walk_sms(channel_app, twilio_post, invitation_id, "child_after")
    assert _invitation(channel_app, invitation_id).status == "completed"
    assert get_form("child_after").thanks["en"].strip()[:40] in twilio_fake.sent(PHONE)[-1]["Body"]


def test_retried_sms_webhook_changes_nothing(channel_app, twilio_post, twilio_fake):
    _invite(channel_app, form_id="child_after")
    form = _sms(twilio_post, "Hi")
    sent_before = len(twilio_fake.sent())
    outbox_before = _count(channel_app, OutboxMessage)
    response = twilio_post(SMS_PATH, form)  # Twilio retrying the same MessageSid
    assert response.status_code == 200
    assert _count(channel_app, InboundMessage) == 1
    assert _count(channel_app, OutboxMessage) == outbox_before
    assert len(twilio_fake.sent()) == sent_before


def test_stop_opts_out_and_start_opts_back_in(channel_app, twilio_post, twilio_fake):
    invitation_id, _ = _invite(channel_app, form_id="child_after")
    _sms(twilio_post, "Hi")
    sent_before = len(twilio_fake.sent())
    _sms(twilio_post, "STOP", opt_out_type="STOP")
    assert _invitation(channel_app, invitation_id).status == "opted_out"
    assert _count(channel_app, OptOut, OptOut.address == PHONE) == 1
    assert len(twilio_fake.sent()) == sent_before  # Twilio confirms STOP itself
    # Later messages to the number are not sent.
    _sms(twilio_post, "hello?")
    assert len(twilio_fake.sent()) == sent_before
    _sms(twilio_post, "Start")
    assert _count(channel_app, OptOut) == 0
    assert _invitation(channel_app, invitation_id).status == "sent"
    assert twilio_fake.sent()[-1]["Body"] == engine.text("opted_in")


def test_other_stop_words_opt_out(channel_app, twilio_post):
    for number, word in enumerate(("stopall", "Unsubscribe", "CANCEL", "end", "quit")):
        _sms(twilio_post, word, sender=f"+4474001003{number:02d}")
    assert _count(channel_app, OptOut) == 5


def test_yes_opts_in_only_an_opted_out_number(channel_app, twilio_post, twilio_fake):
    invitation_id, _ = _invite(channel_app, form_id="child_after")
    _sms(twilio_post, "Hi")
    first_key = _current(channel_app, invitation_id)
    assert get_form("child_after").questions[0].key == first_key
    _sms(twilio_post, "Yes")  # an answer, not an opt-in
    assert _count(channel_app, Answer, Answer.question_key == first_key, Answer.value == "yes") == 1
    _sms(twilio_post, "STOP")
    _sms(twilio_post, "YES")  # now it opts back in
    assert _count(channel_app, OptOut) == 0
    assert twilio_fake.sent()[-1]["Body"] == engine.text("opted_in")
    assert _count(channel_app, Answer, Answer.invitation_id == invitation_id) == 1


def test_help_names_the_service_and_how_to_stop(channel_app, twilio_post, twilio_fake):
    invitation_id, _ = _invite(channel_app, form_id="child_after")
    _sms(twilio_post, "Hi")
    current = _current(channel_app, invitation_id)
    _sms(twilio_post, "HELP")
    help_text = twilio_fake.sent()[-1]["Body"]
    assert help_text == engine.text("service_help")
    assert "Have Your Say" in help_text and "STOP" in help_text
    _sms(twilio_post, "info", sender="+447400100777")  # unknown numbers get it too
    assert twilio_fake.sent("+447400100777")[-1]["Body"] == help_text
    assert _current(channel_app, invitation_id) == current  # the conversation did not move


def test_unknown_number_is_told_kindly(channel_app, twilio_post, twilio_fake):
    _sms(twilio_post, "hello", sender="+447400100555")
    assert twilio_fake.sent("+447400100555")[-1]["Body"] == engine.text("unknown_sender")
    assert _count(channel_app, InboundMessage, InboundMessage.status == "unmatched") == 1


def test_disclosure_to_a_yes_no_question_raises_an_alert_and_answers_safeguarding_first(
        channel_app, twilio_post, twilio_fake):
    invitation_id, _ = _invite(channel_app, form_id="child_after")
    _sms(twilio_post, "Hi")
    current = _current(channel_app, invitation_id)
    assert next(q for q in get_form("child_after").questions if q.key == current).type == "yes_no"
    before = len(twilio_fake.sent())
    _sms(twilio_post, "my dad hits me when he is drunk and I am scared to go home")
    with channel_app.extensions["db"].session() as session:
        alert = session.scalars(select(Alert)).one()
        assert alert.invitation_id == invitation_id and alert.status == "open"
    replies = [m["Body"] for m in twilio_fake.sent()[before:]]
    assert replies[0] == engine.text("safeguarding_reply")
    assert "0800 1111" in replies[0]
    # The caring reply alone (issue 18): no "Sorry, I didn't get that" straight after it.
    assert replies == [engine.text("safeguarding_reply")]
    assert _current(channel_app, invitation_id) == current  # the question waits, unanswered
    before = len(twilio_fake.sent())
    _sms(twilio_post, "ok")  # writing again brings the question back, "ok" not taken as its answer
    [again] = [m["Body"] for m in twilio_fake.sent()[before:]]
    assert "didn't get that" not in again and _current(channel_app, invitation_id) == current
    # The IRO is told (email queued), never with the child's words.
    with channel_app.extensions["db"].session() as session:
        notice = session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "alert")).first()
        assert notice is not None and "hits" not in (notice.body or "")


def _reply_via(app, how: str) -> None:
    app.config["HYS"] = dataclasses.replace(app.config["HYS"], TWILIO_REPLY_VIA=how)


def test_reply_that_fails_to_send_is_retried_by_the_worker(channel_app, twilio_post, twilio_fake):
    _reply_via(channel_app, "rest")
    _invite(channel_app, form_id="child_after")
    twilio_fake.fail_next(10, 503, routes="Messages")
    _, response = _sms_answer(twilio_post, "Hi")  # the webhook still answers 200
    assert b"<Message" not in response.data  # sent through the REST API, not in the answer
    assert twilio_fake.sent() == []
    with channel_app.extensions["db"].session() as session:
        rows = session.scalars(select(OutboxMessage)).all()
        assert rows and all(r.status == "queued" and r.attempts == 1 for r in rows)
    twilio_fake.reset()
    db, config = channel_app.extensions["db"], channel_app.config["HYS"]
    counts = deliver_due(db, config, now=utcnow() + timedelta(minutes=2))
    assert counts["sent"] == len(rows)
    assert [m["Body"] for m in twilio_fake.sent()] == [r.body for r in rows]


def test_twiml_reply_is_marked_sent_by_twilios_report(channel_app, twilio_post, twilio_fake):
    _invite(channel_app, form_id="child_after")
    _, response = _sms_answer(twilio_post, "Hi")
    with channel_app.extensions["db"].session() as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    # Every reply rode on the answer, each naming its row for Twilio's report...
    assert response.data.count(b"<Message ") == len(rows) >= 2
    assert all(f"?o={r.id}".encode() in response.data for r in rows)
    assert [m["Body"] for m in twilio_fake.sent()] == [r.body for r in rows]
    assert not twilio_fake.recorded("Messages")[0].path.startswith("/")  # no REST request was made
    # ...and the reports marked each row sent with the SID Twilio gave it.
    sids = {m["sid"] for m in twilio_fake.messages}
    assert all(r.status == "sent" and r.provider_id in sids and r.locked_by is None for r in rows)
    # The worker has nothing left to send, even once the lease would have run out.
    db, config = channel_app.extensions["db"], channel_app.config["HYS"]
    assert deliver_due(db, config, now=utcnow() + timedelta(minutes=10))["claimed"] == 0
    assert len(twilio_fake.sent()) == len(rows)


def test_twiml_answer_that_never_reaches_twilio_is_sent_by_the_worker(channel_app, twilio_post, twilio_fake):
    _invite(channel_app, form_id="child_after")
    _sms_answer(twilio_post, "Hi", twiml_reaches_twilio=False)
    assert twilio_fake.sent() == []
    db, config = channel_app.extensions["db"], channel_app.config["HYS"]
    with db.session() as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert rows and all(r.status == "sending" and r.locked_until is not None for r in rows)
    # Held while Twilio may still report them...
    assert deliver_due(db, config, now=utcnow() + timedelta(minutes=1))["claimed"] == 0
    # ...then sent through the REST API once the lease has run out, once each.
    counts = deliver_due(db, config, now=utcnow() + timedelta(minutes=6))
    assert counts["sent"] == len(rows)
    assert deliver_due(db, config, now=utcnow() + timedelta(minutes=20))["claimed"] == 0
    assert [m["Body"] for m in twilio_fake.sent()] == [r.body for r in rows]


def test_twiml_reply_whose_report_is_lost_is_not_sent_again(channel_app, twilio_post, twilio_fake):
    """Twilio sent the replies but its reports never came: the worker finds them with Twilio."""
    _invite(channel_app, form_id="child_after")
    _sms_answer(twilio_post, "Hi", reports_reach_us=False)
    created = {m["body"]: m["sid"] for m in twilio_fake.messages}
    db, config = channel_app.extensions["db"], channel_app.config["HYS"]
    with db.session() as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert len(rows) >= 2 and all(r.status == "sending" for r in rows)
    assert [m["Body"] for m in twilio_fake.sent()] == [r.body for r in rows]
    # Once the lease runs out the worker asks Twilio, which lists them: nothing is sent twice.
    counts = deliver_due(db, config, now=utcnow() + timedelta(minutes=6))
    assert counts["sent"] == len(rows)
    assert [m["Body"] for m in twilio_fake.sent()] == [r.body for r in rows]
    assert [r.method for r in twilio_fake.recorded("Messages") if r.path.startswith("/")] == ["GET"] * len(rows)
    with db.session() as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        assert [(r.status, r.provider_id) for r in rows] == [("sent", created[r.body]) for r in rows]
    assert deliver_due(db, config, now=utcnow() + timedelta(minutes=20))["claimed"] == 0


def test_unconfirmed_reply_stays_unconfirmed_while_twilio_cannot_be_asked(channel_app, twilio_post, twilio_fake):
    """Twilio failing to list its messages is no reason to send again: the worker asks later."""
    _invite(channel_app, form_id="child_after")
    _sms_answer(twilio_post, "Hi", reports_reach_us=False)
    created = len(twilio_fake.sent())
    db, config = channel_app.extensions["db"], channel_app.config["HYS"]
    twilio_fake.fail_next(1, 503, routes="Messages")
    first = deliver_due(db, config, now=utcnow() + timedelta(minutes=6))
    assert first["retry"] >= 1 and len(twilio_fake.sent()) == created
    with db.session() as session:
        statuses = [r.status for r in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]
    assert "queued" not in statuses  # the one that could not be checked is still "sending"
    later = deliver_due(db, config, now=utcnow() + timedelta(minutes=8))
    assert first["sent"] + later["sent"] == created
    assert len(twilio_fake.sent()) == created  # nothing sent twice


def test_lost_reask_is_sent_although_twilio_holds_the_same_words_from_before(channel_app, twilio_post,
                                                                               twilio_fake):
    """A question asked again has the words of its first asking: that message is another row's."""
    _invite(channel_app, form_id="child_after")
    _sms_answer(twilio_post, "Hi")  # asks the first question; Twilio reports it sent
    asked = twilio_fake.sent()[-1]["Body"]
    _sms_answer(twilio_post, "purple", twiml_reaches_twilio=False)  # not an answer: asked again, lost
    db, config = channel_app.extensions["db"], channel_app.config["HYS"]
    with db.session() as session:
        lost = session.scalars(select(OutboxMessage).where(OutboxMessage.status == "sending")
                               .order_by(OutboxMessage.id)).all()
    assert lost and lost[-1].body == asked
    counts = deliver_due(db, config, now=utcnow() + timedelta(minutes=6))
    assert counts["sent"] == len(lost)
    assert [m["Body"] for m in twilio_fake.sent()][-len(lost):] == [r.body for r in lost]
    assert [m["Body"] for m in twilio_fake.sent()].count(asked) == 2


def test_unconfirmed_reply_twilio_could_not_send_is_sent_again(channel_app, twilio_post, twilio_fake):
    """A message Twilio lists as failed does not count as sent: the worker sends the reply."""
    _invite(channel_app, form_id="child_after")
    _sms_answer(twilio_post, "Hi", reports_reach_us=False)
    for message in twilio_fake.messages:
        message["status"] = "undelivered"
    first = len(twilio_fake.sent())
    db, config = channel_app.extensions["db"], channel_app.config["HYS"]
    counts = deliver_due(db, config, now=utcnow() + timedelta(minutes=6))
    assert counts["sent"] == first
    assert [m["Body"] for m in twilio_fake.sent()][first:] == [m["Body"] for m in twilio_fake.sent()][:first]


# -- Telegram -------------------------------------------------------------------------------

def _press(telegram_post, telegram_fake, chat_id: int, value: str) -> None:
    """Press the button for ``value`` on the newest keyboard the bot sent to ``chat_id``."""
    keyboards = [m for (chat, _), m in sorted(telegram_fake.sent_messages.items(), key=lambda kv: kv[0][1])
                 if chat == str(chat_id) and m.get("reply_markup")]
    newest = keyboards[-1]
    buttons = [b for row in newest["reply_markup"]["inline_keyboard"] for b in row]
    data = next(b["callback_data"] for b in buttons if b["callback_data"].endswith(f":{value}"))
    assert len(data.encode()) <= 64
    assert telegram_post(callback_update(chat_id, data, message_id=newest["message_id"])).status_code == 200
    # The pressed keyboard is taken off, so the same question can't be answered from it again.
    assert "reply_markup" not in telegram_fake.sent_messages[(str(chat_id), newest["message_id"])]


def _button_value(question: Question) -> str:
    if question.type == "single":
        return question.options[0].key
    return _answer_for(question)


def test_telegram_walks_child_after_with_buttons(channel_app, telegram_post, telegram_fake):
    invitation_id, token = _invite(channel_app, form_id="child_after", channel="telegram", contact=None)
    chat_id = random_chat_id()
    assert telegram_post(start_update(chat_id, token)).status_code == 200
    assert _invitation(channel_app, invitation_id).telegram_chat_id == str(chat_id)
    questions = {q.key: q for q in get_form("child_after").questions}
    presses = typed = 0
    while _invitation(channel_app, invitation_id).status != "completed":
        question = questions[_current(channel_app, invitation_id)]
        if question.type == "text":
            assert telegram_post(message_update(chat_id, "It was fine")).status_code == 200
            typed += 1
        else:
            _press(telegram_post, telegram_fake, chat_id, _button_value(question))
            presses += 1
        assert presses + typed < 60
    assert presses >= 5
    # Every button press was answered, so the client's spinner stops.
    assert len(telegram_fake.calls("answerCallbackQuery")) == presses
    messages = telegram_fake.calls("sendMessage")
    assert get_form("child_after").thanks["en"].strip()[:40] in messages[-1]["text"]
    assert all(m["chat_id"] == chat_id for m in messages)
    assert _count(channel_app, Answer, Answer.invitation_id == invitation_id) == presses + typed


def test_telegram_feelings_are_emoji_buttons(channel_app, telegram_post, telegram_fake):
    invitation_id, token = _invite(channel_app, form_id="child_before", channel="telegram", contact=None)
    chat_id = random_chat_id()
    telegram_post(start_update(chat_id, token))
    questions = {q.key: q for q in get_form("child_before").questions}
    for _ in range(10):
        question = questions[_current(channel_app, invitation_id)]
        if question.type == "feelings":
            break
        if question.type == "text":
            telegram_post(message_update(chat_id, "nothing"))
        else:
            _press(telegram_post, telegram_fake, chat_id, _button_value(question))
    else:
        raise AssertionError("no feelings question reached")
    keyboard = telegram_fake.calls("sendMessage")[-1]["reply_markup"]["inline_keyboard"]
    labels = [b["text"] for row in keyboard for b in row]
    assert len(labels) == 6 and all(not label[0].isascii() for label in labels)  # each starts with its emoji
    _press(telegram_post, telegram_fake, chat_id, "happy")
    assert _count(channel_app, Answer, Answer.question_key == question.key, Answer.value == "happy") == 1


def test_repeated_update_id_changes_nothing(channel_app, telegram_post, telegram_fake):
    _, token = _invite(channel_app, form_id="child_after", channel="telegram", contact=None)
    chat_id = random_chat_id()
    update = start_update(chat_id, token)
    telegram_post(update)
    sent = len(telegram_fake.calls("sendMessage"))
    press = callback_update(chat_id, "a:x:y")
    telegram_post(press)
    answered = len(telegram_fake.calls("answerCallbackQuery"))
    assert telegram_post(update).status_code == 200
    assert telegram_post(press).status_code == 200
    assert _count(channel_app, InboundMessage) == 2
    assert len(telegram_fake.calls("answerCallbackQuery")) == answered == 1
    assert len(telegram_fake.calls("sendMessage")) == sent + 1  # the press re-showed the question once


def test_old_button_reshows_the_current_question(channel_app, telegram_post, telegram_fake):
    invitation_id, token = _invite(channel_app, form_id="child_after", channel="telegram", contact=None)
    chat_id = random_chat_id()
    telegram_post(start_update(chat_id, token))
    current = _current(channel_app, invitation_id)
    telegram_post(callback_update(chat_id, "a:some_old_question:yes"))
    assert _current(channel_app, invitation_id) == current
    assert _count(channel_app, Answer) == 0
    assert telegram_fake.calls("sendMessage")[-1]["reply_markup"]  # the question again, with its buttons


def test_one_chat_per_invitation(channel_app, telegram_post, telegram_fake):
    invitation_id, token = _invite(channel_app, form_id="child_after", channel="telegram", contact=None)
    first, second = random_chat_id(), random_chat_id()
    telegram_post(start_update(first, token))
    telegram_post(start_update(second, token))  # a forwarded link
    assert _invitation(channel_app, invitation_id).telegram_chat_id == str(first)
    to_second = [c["text"] for c in telegram_fake.calls("sendMessage") if c["chat_id"] == second]
    assert to_second == [engine.text("unknown_link")]


def test_unknown_deep_link_is_told_kindly(channel_app, telegram_post, telegram_fake):
    chat_id = random_chat_id()
    telegram_post(start_update(chat_id, "not-a-real-token"))
    assert telegram_fake.calls("sendMessage")[-1]["text"] == engine.text("unknown_link")


def test_each_telegram_reply_is_sent_once(channel_app, telegram_post, telegram_fake):
    _, token = _invite(channel_app, form_id="child_after", channel="telegram", contact=None)
    chat_id = random_chat_id()
    telegram_post(start_update(chat_id, token))
    texts = Counter(c["text"] for c in telegram_fake.calls("sendMessage"))
    with channel_app.extensions["db"].session() as session:
        bodies = Counter(session.scalars(select(OutboxMessage.body).where(OutboxMessage.channel == "telegram")))
    assert texts == bodies and sum(texts.values()) >= 2


def test_a_conversation_that_fails_keeps_the_message_and_answers_twilio(channel_app, twilio_post, twilio_fake):
    _invite(channel_app, form_id="no_such_form")  # e.g. a form withdrawn after the invitation was made
    form = _sms(twilio_post, "hello")
    with channel_app.extensions["db"].session() as session:
        stored = session.scalars(select(InboundMessage)).one()
        assert stored.status == "error" and stored.provider_id == form["MessageSid"]
    assert twilio_post(SMS_PATH, form).status_code == 200  # a retry is a duplicate
    assert _count(channel_app, InboundMessage) == 1


def test_disclosure_after_the_form_is_finished_still_raises_an_alert(channel_app, twilio_post, twilio_fake):
    invitation_id, _ = _invite(channel_app, form_id="child_after", status="completed")
    _sms(twilio_post, "thanks, bye")
    assert [m["Body"] for m in twilio_fake.sent()] == [engine.text("already_complete")]
    assert _count(channel_app, Alert) == 0
    _sms(twilio_post, "i dont feel safe at home he hurts me")
    replies = [m["Body"] for m in twilio_fake.sent()[1:]]
    assert replies == [engine.text("safeguarding_reply")]  # not "you have already finished" straight after
    with channel_app.extensions["db"].session() as session:
        alert = session.scalars(select(Alert)).one()
        assert alert.invitation_id == invitation_id and alert.question_key is None
