"""Every disclosure reaches a person, whatever path it takes (issue 18), through the real webhooks.

Texts arrive as Twilio posts them (signed) and Telegram updates with the secret header; the
replies come back through the real twilio and python-telegram-bot clients to the fakes. Each
test is one of the failures the issue lists: an unknown number, STOP and then a disclosure,
a photo's caption, a Welsh form, a finished form, the reply straight after a disclosure,
"help me" in the middle of a form, stickers and voice notes, web and paper words that are
not stored. The alerts these raise are then looked for where staff look: the alerts pages,
the unmatched-messages page and ``GET /api/v1/alerts``.
"""

from __future__ import annotations

import dataclasses
import itertools
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from storage.models import (
    Alert,
    Answer,
    AuditEvent,
    InboundMessage,
    Invitation,
    OutboxMessage,
    utcnow,
)
from storage.staff import add_staff, new_api_token
from surveys import engine
from surveys.forms import get_form
from tests.bot._helpers import make_invitation
from tests.conftest import csrf_token_from
from tests.fakes.fixtures import random_chat_id
from tests.fakes.telegram_fake import message_update, start_update
from tests.fakes.twilio_fake import inbound_sms_form

SMS_PATH = "/webhooks/twilio/sms"
DUTY_EMAIL = "duty.safeguarding@council.example"
DUTY_PHONE = "+447400999100"
CARING = engine.text("safeguarding_reply")
CARING_UNKNOWN = engine.text("safeguarding_reply_unknown")
REASKS = ("didn't get that", "form is closed", "already finished")


@pytest.fixture
def config(config):  # noqa: ANN001, ANN201 - the shared test settings, with a duty safeguarding contact
    return dataclasses.replace(config, SAFEGUARDING_DUTY_EMAIL=DUTY_EMAIL, SAFEGUARDING_DUTY_PHONE=DUTY_PHONE)


def _db(app):  # noqa: ANN001, ANN202
    return app.extensions["db"]


def _texts(twilio_fake, phone: str) -> list[str]:  # noqa: ANN001
    return [m["Body"] for m in twilio_fake.sent(phone)]


def _telegram_texts(telegram_fake, chat: int | str) -> list[str]:  # noqa: ANN001
    return [m["text"] for (c, _), m in sorted(telegram_fake.sent_messages.items(), key=lambda kv: kv[0][1])
            if c == str(chat)]


def _sms(twilio_post, phone: str, body: str) -> None:  # noqa: ANN001
    """Send one text as Twilio posts it (signed); its TwiML replies reach the fake Twilio."""
    assert twilio_post(SMS_PATH, inbound_sms_form(phone, body)).status_code == 200


def _replies_to_sms(twilio_post, twilio_fake, phone: str, body: str) -> list[str]:  # noqa: ANN001
    before = len(twilio_fake.sent(phone))
    _sms(twilio_post, phone, body)
    return _texts(twilio_fake, phone)[before:]


def _replies_to_telegram(telegram_post, telegram_fake, chat: int, update: dict) -> list[str]:  # noqa: ANN001
    before = len(_telegram_texts(telegram_fake, chat))
    assert telegram_post(update).status_code == 200
    return _telegram_texts(telegram_fake, chat)[before:]


_media_ids = itertools.count(int(time.time()) % 100000 * 1000 + 500_001)


def _media_update(chat_id: int, kind: str, caption: str | None = None) -> dict:
    """An update for a photo, sticker or voice note (with a caption when given), as Telegram sends it."""
    parts = {
        "photo": [{"file_id": "AgACAgQAAxkBAAI", "file_unique_id": "AQADx", "width": 90, "height": 67,
                   "file_size": 1200}],
        "sticker": {"file_id": "CAACAgIAAxkBAAI", "file_unique_id": "AgADx", "width": 512, "height": 512,
                    "is_animated": False, "is_video": False, "type": "regular", "emoji": "\U0001F622"},
        "voice": {"file_id": "AwACAgQAAxkBAAI", "file_unique_id": "AgADy", "duration": 4,
                  "mime_type": "audio/ogg"},
    }
    message = {"message_id": 300, "from": {"id": chat_id, "is_bot": False, "first_name": "Sam"},
               "chat": {"id": chat_id, "first_name": "Sam", "type": "private"}, "date": int(time.time()),
               kind: parts[kind]}
    if caption is not None:
        message["caption"] = caption
    return {"update_id": next(_media_ids), "message": message}


def _alerts(app) -> list[Alert]:  # noqa: ANN001
    with _db(app).session() as session:
        alerts = session.scalars(select(Alert).order_by(Alert.id)).all()
        session.expunge_all()
        return alerts


def _notices(app, alert_id: int) -> list[tuple[str, str]]:  # noqa: ANN001
    with _db(app).session() as session:
        return sorted((row.channel, row.to) for row in session.scalars(
            select(OutboxMessage).where(OutboxMessage.dedupe_key.like(f"alert:{alert_id}:%"))))


def _state(app, invitation_id: int) -> dict:  # noqa: ANN001
    with _db(app).session() as session:
        return dict(session.get(Invitation, invitation_id).state or {})


def _login(app, client, role: str, email: str | None = None) -> int:  # noqa: ANN001
    email = email or f"{role}.paths@council.example"
    with _db(app).session() as session:
        staff_id = add_staff(session, email, role, "paths-password-123").id
    page = client.get("/login").get_data(as_text=True)
    response = client.post("/login", data={"email": email, "password": "paths-password-123",
                                           "csrf_token": csrf_token_from(page)})
    assert response.status_code == 302
    return staff_id


def _api_alerts(app, role: str, email: str) -> list[dict]:  # noqa: ANN001
    with _db(app).session() as session:
        add_staff(session, email, role, "paths-api-password")
        token = new_api_token(session, email)
    today = utcnow().date()
    response = app.test_client().get(f"/api/v1/alerts?from={today - timedelta(days=1)}&to={today + timedelta(days=1)}",
                                     headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    return response.get_json()["alerts"]


# -- an unknown number ---------------------------------------------------------------------------

def test_an_unknown_number_that_discloses_gets_childline_and_the_duty_contact_is_told(
        channel_app, twilio_post, twilio_fake, smtp_fake):
    phone = "+447400200001"  # a child on a new phone: no invitation anywhere has this number
    replies = _replies_to_sms(twilio_post, twilio_fake, phone, "my stepdad hits me")
    # Before: "Sorry, we don't know this number", no Childline, no alert.
    assert replies == [CARING_UNKNOWN]
    assert "0800 1111" in replies[0] and "999" in replies[0] and "Childline" in replies[0]
    [alert] = _alerts(channel_app)
    assert (alert.invitation_id, alert.review_id, alert.kind, alert.channel) == (None, None, "disclosure", "sms")
    assert alert.excerpt == "my stepdad hits me" and alert.status == "open"
    with _db(channel_app).session() as session:
        inbound = session.get(InboundMessage, alert.inbound_message_id)
        assert (inbound.sender, inbound.status, inbound.invitation_id) == (phone, "unmatched", None)
    # The duty safeguarding contact hears at once (email and SMS), never with the child's words.
    assert _notices(channel_app, alert.id) == [("email", DUTY_EMAIL), ("sms", DUTY_PHONE)]
    mails = [m for m in smtp_fake.messages if DUTY_EMAIL in m.rcpt_tos]
    assert len(mails) == 1 and f"/dashboard/alerts/{alert.id}" in mails[0].part("text/plain")
    assert "stepdad" not in mails[0].part("text/plain")
    [text] = _texts(twilio_fake, DUTY_PHONE)
    assert f"/dashboard/alerts/{alert.id}" in text and "stepdad" not in text
    # An everyday text from an unknown number: the kind "don't know this number", now with Childline.
    assert _replies_to_sms(twilio_post, twilio_fake, "+447400200002", "hi who is this") == \
        [engine.text("unknown_sender")]
    assert "0800 1111" in engine.text("unknown_sender")
    assert len(_alerts(channel_app)) == 1


def test_an_unknown_numbers_alert_is_on_the_managers_overview_the_alerts_page_and_the_api(
        channel_app, twilio_post, twilio_fake):
    _replies_to_sms(twilio_post, twilio_fake, "+447400200011", "my stepdad hits me")
    [alert] = _alerts(channel_app)
    client = channel_app.test_client()
    _login(channel_app, client, "manager")
    # Before: the overview joined alerts to reviews, so an alert with no review was left off it.
    overview = client.get("/dashboard/").get_data(as_text=True)
    assert f"/dashboard/alerts/{alert.id}" in overview and "matched no invitation" in overview
    assert f"/dashboard/alerts/{alert.id}" in client.get("/dashboard/alerts/").get_data(as_text=True)
    [listed] = [a for a in _api_alerts(channel_app, "manager", "manager.api@council.example") if a["id"] == alert.id]
    assert listed["review_ref"] is None and listed["channel"] == "sms"
    # An IRO chairs no review of this sender's: the overview shows them nothing of it.
    iro_client = channel_app.test_client()
    _login(channel_app, iro_client, "iro")
    assert f"/dashboard/alerts/{alert.id}" not in iro_client.get("/dashboard/").get_data(as_text=True)


def test_an_unknown_telegram_chat_that_discloses_gets_the_same_reply(channel_app, telegram_post, telegram_fake):
    chat = random_chat_id()
    replies = _replies_to_telegram(telegram_post, telegram_fake, chat, message_update(chat, "my stepdad hits me"))
    assert replies == [CARING_UNKNOWN]
    [alert] = _alerts(channel_app)
    assert (alert.invitation_id, alert.channel) == (None, "telegram")


def test_a_number_known_from_an_old_review_alerts_that_iro_and_the_duty_contact(channel_app, twilio_post,
                                                                                   twilio_fake):
    phone = "+447400200003"
    with _db(channel_app).session() as session:
        iro = add_staff(session, "iro.old@council.example", "iro", "iro-old-password", phone="+447400999101")
        old = make_invitation(session, form_id="child_after", contact=phone, status="expired")
        old.review.iro_id = iro.id
        old_id, review_id = old.id, old.review_id
    assert _replies_to_sms(twilio_post, twilio_fake, phone, "my stepdad hits me") == [CARING]
    [alert] = _alerts(channel_app)
    assert (alert.invitation_id, alert.review_id, alert.channel) == (old_id, review_id, "sms")
    assert _notices(channel_app, alert.id) == [("email", DUTY_EMAIL), ("email", "iro.old@council.example"),
                                               ("sms", DUTY_PHONE), ("sms", "+447400999101")]


# -- STOP, then a disclosure ---------------------------------------------------------------------

def test_stop_then_a_disclosure_gets_the_same_caring_reply_on_sms_and_telegram(
        channel_app, twilio_post, twilio_fake, telegram_post, telegram_fake):
    phone = "+447400200004"
    with _db(channel_app).session() as session:
        sms_id = make_invitation(session, form_id="child_after", contact=phone).id
        token = make_invitation(session, form_id="child_after", channel="telegram", contact=None).token
    _sms(twilio_post, phone, "Hi")
    _sms(twilio_post, phone, "STOP")
    with _db(channel_app).session() as session:
        assert session.get(Invitation, sms_id).status == "opted_out"
    # Before: nothing came back on SMS (staff were alerted), while Telegram gave Childline.
    on_sms = _replies_to_sms(twilio_post, twilio_fake, phone, "my stepdad hits me")
    chat = random_chat_id()
    telegram_post(start_update(chat, token))
    telegram_post(message_update(chat, "stop"))
    on_telegram = _replies_to_telegram(telegram_post, telegram_fake, chat, message_update(chat, "my stepdad hits me"))
    assert on_sms == on_telegram == [CARING]  # the one message, no form prompt after it
    alerts = _alerts(channel_app)
    assert [(a.channel, a.invitation_id is not None) for a in alerts] == [("sms", True), ("telegram", True)]
    assert all(("email", DUTY_EMAIL) in _notices(channel_app, a.id) for a in alerts)
    # After STOP nothing else is sent: an everyday text still gets nothing back on SMS.
    assert _replies_to_sms(twilio_post, twilio_fake, phone, "ok thanks") == []


# -- a Telegram caption, an edit, stickers and voice notes --------------------------------------

def _telegram_child(app, telegram_post, form_id: str = "child_after") -> tuple[int, int]:  # noqa: ANN001
    with _db(app).session() as session:
        invitation = make_invitation(session, form_id=form_id, channel="telegram", contact=None)
        invitation_id, token = invitation.id, invitation.token
    chat = random_chat_id()
    assert telegram_post(start_update(chat, token)).status_code == 200
    return invitation_id, chat


def test_a_telegram_photo_caption_is_read_and_a_disclosure_in_it_alerts(channel_app, telegram_post, telegram_fake):
    invitation_id, chat = _telegram_child(channel_app, telegram_post)
    current = _state(channel_app, invitation_id)["current"]
    replies = _replies_to_telegram(telegram_post, telegram_fake, chat,
                                   _media_update(chat, "photo", caption="my stepdad hits me, look at my arm"))
    assert replies == [CARING]
    [alert] = _alerts(channel_app)
    assert alert.invitation_id == invitation_id and alert.excerpt == "my stepdad hits me, look at my arm"
    assert _state(channel_app, invitation_id)["current"] == current
    with _db(channel_app).session() as session:
        assert session.get(InboundMessage, alert.inbound_message_id).body == "my stepdad hits me, look at my arm"


def test_stickers_voice_notes_and_bare_photos_get_a_kind_reply_not_a_silent_reask(
        channel_app, telegram_post, telegram_fake):
    invitation_id, chat = _telegram_child(channel_app, telegram_post)
    state = _state(channel_app, invitation_id)
    for kind in ("sticker", "voice", "photo"):
        replies = _replies_to_telegram(telegram_post, telegram_fake, chat, _media_update(chat, kind))
        assert replies == [engine.text("media_not_read")], kind
        assert "0800 1111" in replies[0]
    assert _state(channel_app, invitation_id) == state  # the conversation did not move
    assert _alerts(channel_app) == []


def test_an_edited_message_from_an_unknown_chat_is_screened(channel_app, telegram_post, telegram_fake):
    chat = random_chat_id()
    update = message_update(chat, "my stepdad hits me")
    edited = {"update_id": update["update_id"] + 7, "edited_message": {**update["message"], "edit_date": 1}}
    assert _replies_to_telegram(telegram_post, telegram_fake, chat, edited) == [CARING_UNKNOWN]
    [alert] = _alerts(channel_app)
    assert alert.invitation_id is None and alert.channel == "telegram"


def test_telegram_is_asked_for_edited_messages():
    """The webhook is registered for edits: without it Telegram never sends one."""
    import inspect

    from bot.telegram import TelegramChannel

    assert '"edited_message"' in inspect.getsource(TelegramChannel.set_webhook)


# -- Welsh, and languages the screen cannot read ----------------------------------------------

def test_a_welsh_disclosure_on_the_welsh_form_by_sms_alerts_and_answers_in_welsh(channel_app, twilio_post,
                                                                                  twilio_fake):
    phone = "+447400200005"
    with _db(channel_app).session() as session:
        invitation = make_invitation(session, form_id="child_after", contact=phone)
        invitation.language = "cy"
        invitation_id = invitation.id
    _sms(twilio_post, phone, "Helo")
    replies = _replies_to_sms(twilio_post, twilio_fake, phone, "Mae fy llystad yn fy nharo")
    assert replies == [engine.text("safeguarding_reply", "cy")]
    [alert] = _alerts(channel_app)
    assert alert.invitation_id == invitation_id and alert.kind == "disclosure"


def test_the_welsh_form_is_screened_in_welsh_and_english(channel_app, twilio_post, twilio_fake):
    """The invitation's language reaches the screen: English on a Welsh form is read too, and
    words in a script the screen cannot read go to the IRO as "not screened: needs reading"."""
    phone = "+447400200006"
    with _db(channel_app).session() as session:
        invitation = make_invitation(session, form_id="child_after", contact=phone)
        invitation.language = "cy"
    _sms(twilio_post, phone, "Helo")
    assert _replies_to_sms(twilio_post, twilio_fake, phone, "my stepdad hits me") == \
        [engine.text("safeguarding_reply", "cy")]
    _sms(twilio_post, phone, "iawn")
    replies = _replies_to_sms(twilio_post, twilio_fake, phone, "زوج أمي يضربني")
    kinds = [(a.kind, a.reason) for a in _alerts(channel_app)]
    assert kinds[0][0] == "disclosure"
    assert kinds[1:] == [("not_screened", "not screened: needs reading")]
    assert replies and engine.text("safeguarding_reply", "cy") not in replies  # read by a person, the form goes on


# -- finished forms, the reply after a disclosure, "help me" ------------------------------------

def test_a_disclosure_on_a_finished_telegram_form_gets_only_the_caring_reply(channel_app, telegram_post,
                                                                             telegram_fake):
    chat = random_chat_id()
    with _db(channel_app).session() as session:
        invitation_id = make_invitation(session, form_id="child_after", channel="telegram", contact=None,
                                        chat_id=str(chat), status="completed").id
    replies = _replies_to_telegram(telegram_post, telegram_fake, chat, message_update(chat, "he hurts me at home"))
    assert replies == [CARING]  # not "You have already finished this one" straight after
    [alert] = _alerts(channel_app)
    assert alert.invitation_id == invitation_id
    assert ("email", DUTY_EMAIL) in _notices(channel_app, alert.id)  # no open form: the duty contact too


def test_after_a_disclosure_the_form_waits_for_the_child_on_telegram(channel_app, telegram_post, telegram_fake):
    invitation_id, chat = _telegram_child(channel_app, telegram_post)
    current = _state(channel_app, invitation_id)["current"]
    replies = _replies_to_telegram(telegram_post, telegram_fake, chat,
                                   message_update(chat, "my mum's boyfriend hits me"))
    assert replies == [CARING]
    assert not any(reask in r for r in replies for reask in REASKS)
    assert _state(channel_app, invitation_id)["paused"] is True
    # Writing again brings the question back (nothing taken as its answer), with its buttons.
    again = _replies_to_telegram(telegram_post, telegram_fake, chat, message_update(chat, "ok"))
    assert len(again) == 1 and not any(reask in again[0] for reask in REASKS)
    state = _state(channel_app, invitation_id)
    assert state["current"] == current and "paused" not in state and state["answers"] == {}


def test_a_free_text_disclosure_is_kept_as_the_answer_and_the_next_question_waits(channel_app, twilio_post,
                                                                                    twilio_fake):
    phone = "+447400200007"
    form = get_form("child_after")
    text_question = next(q for q in form.questions if q.type == "text")
    with _db(channel_app).session() as session:
        invitation = make_invitation(session, form_id="child_after", contact=phone, status="opened")
        invitation.state = engine.ConversationState(form_id=form.id, form_version=form.version, status="asking",
                                                    current=text_question.key).to_dict()
        invitation_id = invitation.id
    assert _replies_to_sms(twilio_post, twilio_fake, phone, "my stepdad hits me when mum is out") == [CARING]
    with _db(channel_app).session() as session:
        [answer] = session.scalars(select(Answer).where(Answer.invitation_id == invitation_id)).all()
        assert (answer.question_key, answer.free_text) == (text_question.key, "my stepdad hits me when mum is out")
    [alert] = _alerts(channel_app)
    assert alert.question_key == text_question.key
    waiting = _state(channel_app, invitation_id)
    assert waiting["paused"] is True and waiting["current"] != text_question.key
    again = _replies_to_sms(twilio_post, twilio_fake, phone, "ok")
    assert again and not any(reask in r for r in again for reask in REASKS)
    assert _state(channel_app, invitation_id)["current"] == waiting["current"]


@pytest.mark.parametrize("words", ["help me", "I need help", "please help me"])
def test_help_me_in_the_middle_of_a_form_is_a_call_for_help_not_a_wrong_answer(channel_app, twilio_post,
                                                                               twilio_fake, words):
    phone = "+447400200008"
    with _db(channel_app).session() as session:
        invitation_id = make_invitation(session, form_id="child_after", contact=phone).id
    _sms(twilio_post, phone, "Hi")
    current = _state(channel_app, invitation_id)["current"]
    replies = _replies_to_sms(twilio_post, twilio_fake, phone, words)
    assert replies == [CARING] and "0800 1111" in replies[0]
    assert not any(reask in r for r in replies for reask in REASKS)
    [alert] = _alerts(channel_app)
    assert alert.invitation_id == invitation_id and alert.excerpt == words and alert.kind == "disclosure"
    with _db(channel_app).session() as session:
        assert session.scalars(select(Answer).where(Answer.invitation_id == invitation_id)).all() == []
    assert _state(channel_app, invitation_id)["current"] == current


def test_help_gets_the_help_text_with_childline_on_both_channels_and_no_alert(channel_app, twilio_post,
                                                                              twilio_fake, telegram_post,
                                                                              telegram_fake):
    phone = "+447400200009"
    with _db(channel_app).session() as session:
        make_invitation(session, form_id="child_after", contact=phone)
    _sms(twilio_post, phone, "Hi")
    [on_sms] = _replies_to_sms(twilio_post, twilio_fake, phone, "help")
    assert on_sms == engine.text("service_help") and "0800 1111" in on_sms and "999" in on_sms
    _, chat = _telegram_child(channel_app, telegram_post)
    on_telegram = _replies_to_telegram(telegram_post, telegram_fake, chat, message_update(chat, "help"))
    assert engine.text("help_now") in on_telegram and not any(reask in r for r in on_telegram for reask in REASKS)
    assert _alerts(channel_app) == []
    # From an unknown number "help me" is a call for help too.
    assert _replies_to_sms(twilio_post, twilio_fake, "+447400200010", "help me") == [CARING_UNKNOWN]
    assert [a.invitation_id for a in _alerts(channel_app)] == [None]


# -- the web form and paper key-in: words that are not stored are read too ----------------------

def test_web_free_text_too_long_to_keep_is_screened_all_the_same(channel_app):
    with _db(channel_app).session() as session:
        invitation = make_invitation(session, form_id="child_before", channel="web", contact=None, age=11)
        invitation_id, token = invitation.id, invitation.token
    client = channel_app.test_client()

    def post(key: str, data: dict):  # noqa: ANN202
        page = client.get(f"/f/{token}/q/{key}")
        return client.post(f"/f/{token}/q/{key}", data={"csrf_token": csrf_token_from(page.get_data(as_text=True)),
                                                        "action": "next", **data})

    client.get(f"/f/{token}")
    assert post("talk_about", {"talk_about": ["other"]}).status_code == 302
    words = "my stepdad hits me. " + "I want to tell someone about it. " * 20  # over the 500 letters
    response = post("talk_about_other", {"talk_about_other": words})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/f/{token}/help")
    [alert] = _alerts(channel_app)
    assert (alert.invitation_id, alert.question_key, alert.channel) == (invitation_id, "talk_about_other", "web")
    # Sending the same words again raises no second alert: the page asks for fewer letters.
    assert post("talk_about_other", {"talk_about_other": words}).status_code == 422
    assert len(_alerts(channel_app)) == 1


def test_paper_words_that_do_not_apply_or_are_too_long_are_screened(channel_app):
    client = channel_app.test_client()
    with _db(channel_app).session() as session:
        invitation_id = make_invitation(session, form_id="child_before", channel="paper", contact=None, age=11).id
    email = "manager.paper.paths@council.example"
    with _db(channel_app).session() as session:
        add_staff(session, email, "manager", "paper-paths-password")
    page = client.get("/login").get_data(as_text=True)
    client.post("/login", data={"email": email, "password": "paper-paths-password",
                                "csrf_token": csrf_token_from(page)})
    page = client.get(f"/dashboard/paper/{invitation_id}").get_data(as_text=True)
    # Written in the "something else" box though "something else" was not ticked: not stored, still read.
    response = client.post(f"/dashboard/paper/{invitation_id}", data={
        "csrf_token": csrf_token_from(page), "talk_about": ["school"],
        "talk_about_other": "my stepdad hits me"})
    assert response.status_code == 302
    [alert] = _alerts(channel_app)
    assert (alert.question_key, alert.channel, alert.excerpt) == ("talk_about_other", "paper", "my stepdad hits me")
    with _db(channel_app).session() as session:
        assert session.scalar(select(Answer.id).where(Answer.question_key == "talk_about_other")) is None
    # Too long for the form: refused, and read.
    page = client.get(f"/dashboard/paper/{invitation_id}").get_data(as_text=True)
    long_words = "my uncle touches me and says it is our secret. " * 12
    refused = client.post(f"/dashboard/paper/{invitation_id}", data={
        "csrf_token": csrf_token_from(page), "talk_about": ["other"], "talk_about_other": long_words})
    assert refused.status_code == 422
    assert len(_alerts(channel_app)) == 2 and _alerts(channel_app)[1].excerpt == long_words
    assert "1 safeguarding alert(s) raised" in refused.get_data(as_text=True)  # the staff member is told


# -- where staff see them ------------------------------------------------------------------------

def test_alerts_from_every_path_are_on_the_dashboard_and_in_the_api(channel_app, twilio_post, telegram_post,
                                                                   telegram_fake):
    """An unknown number, after STOP, in Welsh and in a Telegram caption: listed on the alerts
    pages and by GET /api/v1/alerts, review_ref null for the unknown sender."""
    stopped = "+447400200011"
    with _db(channel_app).session() as session:
        iro = add_staff(session, "iro.paths@council.example", "iro", "iro-paths-password")
        known = make_invitation(session, form_id="child_after", contact=stopped)
        known.review.iro_id = iro.id
        welsh = make_invitation(session, form_id="child_after", contact="+447400200012")
        welsh.language = "cy"
        welsh.review.iro_id = iro.id
        known_ref = known.review.review_ref
    _sms(twilio_post, "+447400200013", "my stepdad hits me")  # unknown number
    _sms(twilio_post, stopped, "Hi")
    _sms(twilio_post, stopped, "STOP")
    _sms(twilio_post, stopped, "he hits me every night")  # after STOP
    _, chat = _telegram_child(channel_app, telegram_post)
    telegram_post(_media_update(chat, "photo", caption="my stepdad hits me"))  # a caption
    _sms(twilio_post, "+447400200012", "Helo")
    _sms(twilio_post, "+447400200012", "Mae fy llystad yn fy nharo")  # Welsh
    alerts = _alerts(channel_app)
    assert sorted(a.channel for a in alerts) == ["sms", "sms", "sms", "telegram"]
    expected = 4
    unknown = next(a for a in alerts if a.review_id is None)
    # The API: managers see all, the unknown sender's with review_ref null; the IRO only theirs.
    listed = _api_alerts(channel_app, "manager", "manager.api.paths@council.example")
    assert {a["id"] for a in listed} == {a.id for a in alerts}
    row = next(a for a in listed if a["id"] == unknown.id)
    assert (row["review_ref"], row["invitation_id"], row["role"], row["kind"], row["channel"]) == \
        (None, None, None, "disclosure", "sms")
    assert known_ref in {a["review_ref"] for a in listed}
    assert len(_api_alerts(channel_app, "admin", "admin.api.paths@council.example")) == expected
    iro_listed = _api_alerts(channel_app, "iro", "iro.api.only@council.example")
    assert iro_listed == []  # an IRO with no reviews: nothing, and never the unknown sender's
    # The dashboard's alerts pages.
    client = channel_app.test_client()
    _login(channel_app, client, "manager")
    page = client.get("/dashboard/alerts/").get_data(as_text=True)
    for alert in alerts:
        assert f"/dashboard/alerts/{alert.id}" in page
    assert "No review: unknown sender" in page
    detail = client.get(f"/dashboard/alerts/{unknown.id}")
    assert detail.status_code == 200
    html = detail.get_data(as_text=True)
    assert "matched no invitation" in html and "my stepdad hits me" in html  # a manager reads the words
    assert client.post(f"/dashboard/alerts/{unknown.id}/acknowledge",
                       data={"csrf_token": csrf_token_from(html)}).status_code == 302


def test_an_iro_never_sees_an_unknown_senders_alert(channel_app, twilio_post):
    _sms(twilio_post, "+447400200014", "my stepdad hits me")
    [alert] = _alerts(channel_app)
    client = channel_app.test_client()
    _login(channel_app, client, "iro")
    assert f"/dashboard/alerts/{alert.id}" not in client.get("/dashboard/alerts/").get_data(as_text=True)
    assert client.get(f"/dashboard/alerts/{alert.id}").status_code == 404
    assert [a["id"] for a in _api_alerts(channel_app, "iro", "iro.api.paths@council.example")] == []
    page = client.get("/dashboard/unmatched/")
    assert page.status_code == 200 and "200014" not in page.get_data(as_text=True) and \
        "stepdad" not in page.get_data(as_text=True)


def test_the_unmatched_messages_page(channel_app, twilio_post):
    _sms(twilio_post, "+447400200015", "my stepdad hits me")
    _sms(twilio_post, "+447400200016", "hello who is this")
    [alert] = _alerts(channel_app)
    client = channel_app.test_client()
    staff_id = _login(channel_app, client, "manager")
    nav = client.get("/dashboard/").get_data(as_text=True)
    assert 'href="/dashboard/unmatched/"' in nav
    html = client.get("/dashboard/unmatched/").get_data(as_text=True)
    assert "\u2022\u2022\u2022015" in html and "\u2022\u2022\u2022016" in html  # masked to the last digits
    assert "+447400200015" not in html and "447400200" not in html
    assert f'href="/dashboard/alerts/{alert.id}"' in html
    assert html.count('class="tag danger">Yes') == 1  # one flagged, one not
    assert "my stepdad hits me" in html and "hello who is this" in html  # a manager reads them, as on alerts
    with _db(channel_app).session() as session:
        [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "view_unmatched")).all()
        assert event.staff_id == staff_id and event.detail["count"] == 2
    # An admin sees the list but not the words (as on the alert page).
    admin = channel_app.test_client()
    _login(channel_app, admin, "admin")
    html = admin.get("/dashboard/unmatched/").get_data(as_text=True)
    assert "\u2022\u2022\u2022015" in html and "my stepdad hits me" not in html and "hello who is this" not in html
    assert "Shown to IROs and managers only." in html


def test_an_iro_sees_the_unmatched_messages_routed_to_them(channel_app, twilio_post):
    phone = "+447400200017"
    with _db(channel_app).session() as session:
        old = make_invitation(session, form_id="child_after", contact=phone, status="completed")
        iro = add_staff(session, "iro.routed@council.example", "iro", "iro-routed-password")
        old.review.iro_id = iro.id
    _sms(twilio_post, phone, "he hits me again")
    _sms(twilio_post, "+447400200018", "my stepdad hits me")  # not theirs
    client = channel_app.test_client()
    page = client.get("/login").get_data(as_text=True)
    client.post("/login", data={"email": "iro.routed@council.example", "password": "iro-routed-password",
                                "csrf_token": csrf_token_from(page)})
    html = client.get("/dashboard/unmatched/").get_data(as_text=True)
    assert "\u2022\u2022\u2022017" in html and "he hits me again" in html
    assert "\u2022\u2022\u2022018" not in html and "my stepdad" not in html


def test_the_demo_settings_name_the_duty_contact():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    assert "SAFEGUARDING_DUTY_EMAIL" in (root / "config" / "example.env").read_text()
    assert "`SAFEGUARDING_DUTY_EMAIL`" in (root / "README.md").read_text()
