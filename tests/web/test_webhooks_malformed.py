"""Forged, replayed and malformed webhooks get a 4xx and store nothing; duplicates, even concurrent, are answered once."""

from __future__ import annotations

import io
import json
import threading
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from bot.sender import background
from storage.models import Answer, InboundMessage, OutboxMessage
from tests.bot._helpers import make_invitation
from tests.fakes.fixtures import TELEGRAM_SECRET, random_chat_id
from tests.fakes.telegram_fake import message_update, start_update
from tests.fakes.twilio_fake import inbound_sms_form, sign, status_form

PHONE = "+447400100200"
SMS_PATH = "/webhooks/twilio/sms"
FORM_TYPE = "application/x-www-form-urlencoded"


def _count(app, model) -> int:
    with app.extensions["db"].session() as session:
        return session.scalar(select(func.count()).select_from(model))


def _nothing_stored(app) -> None:
    assert _count(app, InboundMessage) == 0
    assert _count(app, OutboxMessage) == 0
    assert _count(app, Answer) == 0


def _signed_raw(channel_client, channel_config, body: bytes, signed_form: dict[str, str],
                content_type: str = FORM_TYPE, path: str = SMS_PATH):
    """POST raw bytes with a signature computed over ``signed_form`` for the public URL."""
    signature = sign(channel_config.TWILIO_AUTH_TOKEN, channel_config.PUBLIC_BASE_URL.rstrip("/") + path,
                     signed_form)
    return channel_client.post(path, data=body, headers={"X-Twilio-Signature": signature,
                                                         "Content-Type": content_type})


def test_unsigned_forged_and_replayed_elsewhere_twilio_requests_are_refused(
        channel_app, channel_client, channel_config, twilio_post):
    _ = channel_app
    form = inbound_sms_form(PHONE, "yes")
    assert channel_client.post(SMS_PATH, data=form).status_code == 403  # no signature at all
    # A genuine delivery report's signature replayed against the SMS webhook.
    report = status_form(form["MessageSid"], "delivered")
    report_signature = sign(channel_config.TWILIO_AUTH_TOKEN,
                            channel_config.PUBLIC_BASE_URL.rstrip("/") + "/webhooks/twilio/status", report)
    assert twilio_post(SMS_PATH, report, signature=report_signature).status_code == 403
    # A genuine SMS's signature with another sender swapped in.
    genuine = sign(channel_config.TWILIO_AUTH_TOKEN, channel_config.PUBLIC_BASE_URL.rstrip("/") + SMS_PATH, form)
    assert twilio_post(SMS_PATH, {**form, "From": "+447400999999"}, signature=genuine).status_code == 403
    # The same signed request sent to the status webhook.
    assert twilio_post("/webhooks/twilio/status", form, signature=genuine).status_code == 403
    _nothing_stored(channel_app)


def test_malformed_twilio_bodies_get_a_4xx_and_store_nothing(channel_app, channel_client, channel_config):
    form = inbound_sms_form(PHONE, "yes")
    cases: list[tuple[str, bytes, dict[str, str], str, int]] = []
    # Invalid UTF-8, raw and percent-escaped (signed over what a lenient decoder would read).
    bad = {**form, "Body": "caf\ufffd"}
    cases.append(("raw invalid utf-8", urlencode({**form, "Body": "cafX"}).encode().replace(b"cafX", b"caf\xe9"),
                  bad, FORM_TYPE, 400))
    cases.append(("escaped invalid utf-8", urlencode({**form, "Body": "cafX"}).replace("cafX", "caf%E9").encode(),
                  bad, FORM_TYPE, 400))
    cases.append(("latin-1 declared", urlencode({**form, "Body": "café"}, encoding="latin-1").encode(),
                  {**form, "Body": "café"}, FORM_TYPE + "; charset=latin-1", 400))
    cases.append(("NUL in the body", urlencode({**form, "Body": "a\x00b"}).encode(), {**form, "Body": "a\x00b"},
                  FORM_TYPE, 400))
    big = {**form, "Body": "x" * 100_000}
    cases.append(("oversized", urlencode(big).encode(), big, FORM_TYPE, 413))
    for missing in (("MessageSid", "SmsSid", "SmsMessageSid"), ("From",)):
        short = {k: v for k, v in form.items() if k not in missing}
        cases.append((f"no {missing[0]}", urlencode(short).encode(), short, FORM_TYPE, 400))
    cases.append(("JSON instead of a form", json.dumps(form).encode(), {}, "application/json", 400))
    cases.append(("empty body", b"", {}, FORM_TYPE, 400))
    for name, body, signed_form, content_type, status in cases:
        response = _signed_raw(channel_client, channel_config, body, signed_form, content_type)
        assert response.status_code == status, name
        assert response.is_json and response.get_json()["error"]["status"] == status, name
    # Oversized without a Content-Length (chunked) is cut off too.
    chunked = channel_client.post(SMS_PATH, input_stream=io.BytesIO(urlencode(big).encode()),
                                  headers={"Content-Type": FORM_TYPE, "Transfer-Encoding": "chunked"},
                                  environ_overrides={"wsgi.input_terminated": True})
    assert chunked.status_code == 413
    bad_status = {k: v for k, v in status_form("SM" + "0" * 32, "delivered").items() if k not in ("MessageStatus", "SmsStatus")}
    response = _signed_raw(channel_client, channel_config, urlencode(bad_status).encode(), bad_status,
                           path="/webhooks/twilio/status")
    assert response.status_code == 400
    _nothing_stored(channel_app)


@pytest.mark.parametrize("body, content_type, status", [
    (b"not json", "application/json", 400),
    (b"[1, 2]", "application/json", 400),
    (b'{"update_id": "12"}', "application/json", 400),
    (b'{"update_id": true, "message": {}}', "application/json", 400),
    (b'{"update_id": 5, "message": []}', "application/json", 400),
    (b'{"update_id": 5, "message": {"chat": {"id": "77", "type": "private"}, "text": "hi"}}',
     "application/json", 400),
    (b'{"update_id": 5, "message": {"chat": {"id": 77, "type": "private"}, "text": 12}}', "application/json", 400),
    (b'{"update_id": 5, "callback_query": "yes"}', "application/json", 400),
    (b'{"update_id": 5, "callback_query": {"id": "1", "data": "a:q:1"}}', "application/json", 400),
    (b'{"update_id": 5, "message": {"chat": {"id": 77, "type": "private"}, "text": "caf\xe9"}}',
     "application/json", 400),
    (b'{"update_id": 5, "message": {"chat": {"id": 77, "type": "private"}, "text": "a\\u0000b"}}',
     "application/json", 400),
    (json.dumps({"update_id": 5, "message": {"chat": {"id": 77, "type": "private"}, "text": "x" * 100_000}}).encode(),
     "application/json", 413),
    (b"update_id=5", FORM_TYPE, 400),
])
def test_malformed_telegram_updates_get_a_4xx_and_store_nothing(channel_app, channel_client, body, content_type,
                                                                 status):
    response = channel_client.post("/webhooks/telegram", data=body,
                                   headers={"Content-Type": content_type,
                                            "X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET})
    assert response.status_code == status
    assert response.get_json()["error"]["status"] == status
    _nothing_stored(channel_app)


def test_forged_telegram_updates_are_refused(channel_app, channel_client):
    update = json.dumps(message_update(random_chat_id(), "hello"))
    for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": ""},
                    {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET[:-1]},
                    {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET + "x"}):
        response = channel_client.post("/webhooks/telegram", data=update,
                                       headers={"Content-Type": "application/json", **headers})
        assert response.status_code == 403
    _nothing_stored(channel_app)


def _concurrently(app, n: int, send) -> list[int]:  # noqa: ANN001
    barrier = threading.Barrier(n)
    statuses: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run() -> None:
        client = app.test_client()
        try:
            barrier.wait(10)
            status = send(client)
            with lock:
                statuses.append(status)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    background.drain()
    assert not errors, errors
    return statuses


def test_the_same_sms_delivered_concurrently_is_answered_once(channel_app, channel_config, twilio_fake):
    with channel_app.extensions["db"].session() as session:
        make_invitation(session, form_id="child_after")
    form = inbound_sms_form(PHONE, "Hi")
    signature = sign(channel_config.TWILIO_AUTH_TOKEN, channel_config.PUBLIC_BASE_URL.rstrip("/") + SMS_PATH, form)
    answers: list[bytes] = []

    def post(client) -> int:  # noqa: ANN001
        response = client.post(SMS_PATH, data=form, headers={"X-Twilio-Signature": signature})
        answers.append(response.data)
        return response.status_code

    statuses = _concurrently(channel_app, 6, post)
    assert statuses == [200] * 6
    assert _count(channel_app, InboundMessage) == 1
    with channel_app.extensions["db"].session() as session:
        bodies = list(session.scalars(select(OutboxMessage.body).order_by(OutboxMessage.id)))
    # One answer carries the replies (TwiML), each once and in order; the copies carry none.
    for answer in answers:
        twilio_fake.accept_twiml(answer, form)
    assert sum(b"<Message" in answer for answer in answers) == 1
    assert bodies and [m["Body"] for m in twilio_fake.sent(PHONE)] == bodies


def test_the_same_telegram_update_delivered_concurrently_is_answered_once(channel_app, telegram_fake):
    with channel_app.extensions["db"].session() as session:
        token = make_invitation(session, form_id="child_after", channel="telegram", contact=None).token
    chat_id = random_chat_id()
    update = start_update(chat_id, token)
    statuses = _concurrently(channel_app, 6, lambda client: client.post(
        "/webhooks/telegram", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}).status_code)
    assert statuses == [200] * 6
    assert _count(channel_app, InboundMessage) == 1
    with channel_app.extensions["db"].session() as session:
        bodies = list(session.scalars(select(OutboxMessage.body).order_by(OutboxMessage.id)))
    assert bodies and [c["text"] for c in telegram_fake.calls("sendMessage")] == bodies
