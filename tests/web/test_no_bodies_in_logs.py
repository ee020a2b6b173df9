"""Children's words never reach the logs, whatever the log level an operator turns on.

A conversation runs over SMS, Telegram and the web form, alerts are raised and the
IRO's notifications are sent, with every logger (ours, werkzeug, SQLAlchemy, twilio,
python-telegram-bot, httpx, smtplib's callers) at DEBUG; no log record may hold a
message body, and no provider secret either.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from bot.sender import deliver_due
from storage.models import Alert, utcnow
from tests.bot._helpers import make_invitation
from tests.conftest import csrf_token_from
from tests.fakes.fixtures import random_chat_id
from tests.fakes.telegram_fake import message_update, start_update
from tests.fakes.twilio_fake import inbound_sms_form

SMS_PATH = "/webhooks/twilio/sms"
LOGGERS = ("", "web", "bot", "storage", "surveys", "werkzeug", "sqlalchemy", "sqlalchemy.engine",
           "sqlalchemy.pool", "twilio", "twilio.http_client", "telegram", "httpx", "httpcore", "urllib3",
           "flask", "alembic", "mail")

SMS_WORDS = "my stepdad hurts me when mum is at work xq7"
SMS_ANSWER = "zebra crossing near the school xq8"
TELEGRAM_WORDS = "someone at the home touches me and i am scared xq9"
WEB_WORDS = "i want to talk about seeing my little sister xq10"


def _record_texts(records: list[logging.LogRecord]) -> list[str]:
    texts = []
    for record in records:
        texts.append(record.getMessage())
        texts.append(repr(record.args))
        if record.exc_text:
            texts.append(record.exc_text)
    return texts


def test_conversations_on_every_channel_leave_no_words_in_the_logs(
        channel_app, channel_config, twilio_post, telegram_post, twilio_fake, telegram_fake, smtp_fake, caplog):
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    db = channel_app.extensions["db"]
    phone = "+447400100950"
    with db.session() as session:
        make_invitation(session, form_id="child_after", contact=phone)
        telegram_token = make_invitation(session, form_id="child_after", channel="telegram", contact=None).token
        web_token = make_invitation(session, form_id="child_before", channel="web", contact=None).token

    # SMS: a disclosure, then answers up to a free-text question.
    twilio_post(SMS_PATH, inbound_sms_form(phone, "Hi"))
    twilio_post(SMS_PATH, inbound_sms_form(phone, SMS_WORDS))
    for _ in range(20):
        twilio_post(SMS_PATH, inbound_sms_form(phone, "1"))
    twilio_post(SMS_PATH, inbound_sms_form(phone, SMS_ANSWER))
    # Telegram.
    chat = random_chat_id()
    telegram_post(start_update(chat, telegram_token))
    telegram_post(message_update(chat, TELEGRAM_WORDS))
    # The web form.
    client = channel_app.test_client()

    def post(key: str, data: dict):  # noqa: ANN202
        page = client.get(f"/f/{web_token}/q/{key}")
        return client.post(f"/f/{web_token}/q/{key}",
                           data={"csrf_token": csrf_token_from(page.get_data(as_text=True)), "action": "next", **data})

    assert post("talk_about", {"talk_about": ["other"]}).status_code == 302
    assert post("talk_about_other", {"talk_about_other": WEB_WORDS}).status_code == 302
    # The worker sends the IRO's notifications.
    deliver_due(db, channel_config, now=utcnow() + timedelta(minutes=1))

    with db.session() as session:
        assert len(session.scalars(select(Alert)).all()) == 2  # SMS and Telegram disclosures
    assert twilio_fake.sent(phone) and telegram_fake.sent_messages and smtp_fake.messages
    texts = _record_texts(caplog.records)
    assert len(caplog.records) > 20  # the loggers were listening
    for words in (SMS_WORDS, SMS_ANSWER, TELEGRAM_WORDS, WEB_WORDS):
        assert not [t for t in texts if words in t], words
    for secret in (channel_config.TWILIO_AUTH_TOKEN, channel_config.TELEGRAM_BOT_TOKEN,
                   channel_config.TELEGRAM_WEBHOOK_SECRET, channel_config.SECRET_KEY):
        leaked = [(r.name, r.getMessage()[:60]) for r in caplog.records
                  if secret in r.getMessage() or secret in repr(r.args)]
        assert not leaked, "a provider secret reached the logs"
