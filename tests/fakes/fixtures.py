"""Pytest fixtures: fake Twilio, Telegram and SMTP servers on 127.0.0.1, and settings that use them.

Loaded as a plugin by ``tests/conftest.py``. Each fake listens on a free port for one
test; ``channel_config`` is the test ``config`` pointed at all three, with send rates
high enough that rate limiting never slows a test that is not about it.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from config import Config
from tests.fakes.smtp_fake import SMTPFake
from tests.fakes.telegram_fake import TelegramFake
from tests.fakes.twilio_fake import TwilioFake, new_sid

TELEGRAM_SECRET = "test-webhook-secret_0123456789"
TWILIO_NUMBER = "+447400123456"


@pytest.fixture
def twilio_fake() -> Iterator[TwilioFake]:
    """A fake Twilio REST API (Messages) on a free local port."""
    fake = TwilioFake().start()
    yield fake
    fake.stop()


@pytest.fixture
def telegram_fake() -> Iterator[TelegramFake]:
    """A fake Telegram Bot API on a free local port."""
    fake = TelegramFake().start()
    yield fake
    fake.stop()


@pytest.fixture
def smtp_fake() -> Iterator[SMTPFake]:
    """A local SMTP server that records every message."""
    fake = SMTPFake().start()
    yield fake
    fake.stop()


@pytest.fixture
def channel_config(config: Config, twilio_fake: TwilioFake, telegram_fake: TelegramFake,
                   smtp_fake: SMTPFake) -> Iterator[Config]:
    """The test settings with every channel configured against the fakes."""
    from bot.channels import close_all

    yield dataclasses.replace(
        config,
        TWILIO_ACCOUNT_SID=twilio_fake.account_sid,
        TWILIO_AUTH_TOKEN=twilio_fake.auth_token,
        TWILIO_MESSAGING_SERVICE_SID=new_sid("MG"),
        TWILIO_FROM_NUMBER=None,
        TWILIO_API_BASE_URL=twilio_fake.api_base_url,
        TELEGRAM_BOT_TOKEN=telegram_fake.token,
        TELEGRAM_WEBHOOK_SECRET=TELEGRAM_SECRET,
        TELEGRAM_BOT_USERNAME=telegram_fake.username,
        TELEGRAM_API_BASE_URL=telegram_fake.bot_base_url,
        SMTP_HOST=smtp_fake.host,
        SMTP_PORT=smtp_fake.port,
        MAIL_FROM="haveyoursay@council.example",
        SMS_PER_SECOND=10_000.0,
        TELEGRAM_PER_SECOND=10_000.0,
        EMAIL_PER_SECOND=10_000.0,
    )
    close_all()


@pytest.fixture
def channel_app(channel_config: Config, tmp_path: Path, monkeypatch):  # noqa: ANN001
    """The Flask app on this test's database with every channel pointed at the fakes."""
    from web import create_app

    monkeypatch.setenv("HAVEYOURSAY_INSTANCE", str(tmp_path / "instance"))
    application = create_app(channel_config)
    yield application
    application.extensions["db"].dispose()


@pytest.fixture
def channel_client(channel_app):  # noqa: ANN001
    """A test client for ``channel_app``."""
    return channel_app.test_client()


def random_chat_id() -> int:
    """A private-chat id shaped like Telegram's."""
    return 100_000_000 + secrets.randbelow(900_000_000)


PAYLOADS = Path(__file__).resolve().parent.parent / "payloads"


def payload(name: str) -> dict:
    """A recorded provider payload from tests/payloads (JSON)."""
    import json

    return json.loads((PAYLOADS / name).read_text(encoding="utf-8"))


@pytest.fixture
def twilio_post(channel_client, channel_config: Config, twilio_fake: TwilioFake):  # noqa: ANN001
    """POST a form to a Twilio webhook path, signed as Twilio signs it (or with ``signature``).

    Then Twilio's part: messages in a TwiML answer are created on the fake (so ``sent()``
    lists them) and reported "sent" to their action URLs, signed, as Twilio reports them.
    ``twiml_reaches_twilio=False`` plays an answer lost on the way back (nothing created);
    ``reports_reach_us=False`` one that Twilio acted on but whose reports were lost.
    """
    from bot.sender import background
    from tests.fakes.twilio_fake import sign, status_form

    base = channel_config.PUBLIC_BASE_URL.rstrip("/")

    def signed_post(path: str, form: dict[str, str], signature: str | None = None):  # noqa: ANN202
        signature = signature if signature is not None else sign(channel_config.TWILIO_AUTH_TOKEN, base + path, form)
        return channel_client.post(path, data=form, headers={"X-Twilio-Signature": signature})

    def post(path: str, form: dict[str, str], signature: str | None = None, *,  # noqa: ANN202
             twiml_reaches_twilio: bool = True, reports_reach_us: bool = True):
        response = signed_post(path, form, signature)
        background.drain()  # replies go out on a thread pool; wait so tests see them arrive
        if twiml_reaches_twilio and response.status_code == 200 and response.mimetype == "application/xml":
            for sid, action in twilio_fake.accept_twiml(response.data, form):
                if action and reports_reach_us:
                    report = status_form(sid, "sent", to=form["From"], from_=form["To"])
                    answered = signed_post(action.removeprefix(base), report)
                    assert answered.status_code == 204, answered.get_data(as_text=True)
        return response

    return post


@pytest.fixture
def telegram_post(channel_client):  # noqa: ANN001
    """POST an update to the Telegram webhook with the secret header (or ``secret``)."""
    from bot.sender import background

    def post(update: dict, secret: str | None = TELEGRAM_SECRET):  # noqa: ANN202
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        response = channel_client.post("/webhooks/telegram", json=update, headers=headers)
        background.drain()
        return response

    return post
