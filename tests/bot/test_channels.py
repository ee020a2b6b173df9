"""Channel adapters on their own: configuration, rendering, and SMTP outcomes against the fake."""

from __future__ import annotations

import dataclasses

import pytest

from bot.base import Choice, OutboundMessage, PermanentSendError, TransientSendError
from bot.channels import configured_channels, get_channel, rate_per_second
from bot.email import EmailChannel
from bot.telegram import TelegramChannel
from bot.twilio_sms import TwilioSMS
from tests.fakes.smtp_fake import SMTPFake


@dataclasses.dataclass
class _Prompt:
    key: str
    type: str
    text: str
    choices: tuple


YES_NO = _Prompt("feel_safe", "yes_no", "Do you feel safe?", (Choice("yes", "Yes"), Choice("no", "No")))


def test_channels_are_configured_from_settings(config, channel_config):
    assert configured_channels(config) == []
    assert get_channel(config, "sms") is None
    assert configured_channels(channel_config) == ["sms", "telegram", "email"]
    assert get_channel(channel_config, "sms") is get_channel(channel_config, "sms")  # one per process
    assert isinstance(get_channel(channel_config, "telegram"), TelegramChannel)
    assert get_channel(channel_config, "fax") is None
    without_sender = dataclasses.replace(channel_config, TWILIO_MESSAGING_SERVICE_SID=None, TWILIO_FROM_NUMBER=None)
    assert "sms" not in configured_channels(without_sender)
    assert rate_per_second(config, "sms") == config.SMS_PER_SECOND
    assert rate_per_second(config, "sim") == 0


def test_sms_renders_numbered_choices_and_telegram_buttons():
    [notice, sms] = TwilioSMS.render(None, YES_NO, notices=["Hello"])  # type: ignore[arg-type]
    assert notice.text == "Hello"
    assert sms.text == "Do you feel safe?\n1 Yes\n2 No" and not sms.choices
    [telegram] = TelegramChannel.render(None, YES_NO)  # type: ignore[arg-type]
    assert telegram.text == "Do you feel safe?"
    assert [c.value for c in telegram.choices] == ["yes", "no"]
    assert telegram.meta == {"question_key": "feel_safe", "type": "yes_no"}
    [mail] = EmailChannel.render(None, YES_NO)  # type: ignore[arg-type]
    assert "1. Yes" in mail.text


def test_outbox_payloads_round_trip():
    message = OutboundMessage("123", "Pick one", (Choice("a", "A", "\U0001F600"),), meta={"question_key": "q"})
    again = OutboundMessage.from_outbox("123", "Pick one", message.payload())
    assert again == message
    legacy = OutboundMessage.from_outbox("x@example.org", "hi", {"subject": "S", "choices": [["v", "V", None]]})
    assert legacy.meta == {"subject": "S"} and legacy.choices == (Choice("v", "V"),)


def test_email_with_login_and_refusals():
    with SMTPFake(username="mailer", password="s3cret") as fake:
        channel = EmailChannel(fake.host, fake.port, username="mailer", password="s3cret",
                               mail_from="hys@council.example")
        result = channel.send(OutboundMessage("carer@example.org", "Your link", meta={"subject": "Have your say",
                                                                                      "html": "<p>Your link</p>"}))
        assert result.provider_id
        [mail] = fake.messages
        assert mail.login == "mailer" and mail.message["From"] == "hys@council.example"
        assert mail.part("text/html").strip() == "<p>Your link</p>"

        fake.reject("gone@example.org")
        with pytest.raises(PermanentSendError) as refused:
            channel.send(OutboundMessage("gone@example.org", "x"))
        assert refused.value.code == "550"
        fake.fail_next(1)
        with pytest.raises(TransientSendError):
            channel.send(OutboundMessage("carer@example.org", "x"))
        assert len(fake.messages) == 1

        wrong = EmailChannel(fake.host, fake.port, username="mailer", password="wrong")
        with pytest.raises(PermanentSendError):
            wrong.send(OutboundMessage("carer@example.org", "x"))


def test_email_server_down_is_temporary():
    fake = SMTPFake().start()
    port = fake.port
    fake.stop()
    with pytest.raises(TransientSendError):
        EmailChannel("127.0.0.1", port, timeout=2).send(OutboundMessage("a@example.org", "x"))


def test_twilio_signature_check():
    from tests.fakes.twilio_fake import sign

    form = {"Body": "hi", "From": "+447400100200", "MessageSid": "SM1"}
    url = "https://hys.example.test/webhooks/twilio/sms"
    signature = sign("token-1", url, form)
    assert TwilioSMS.verify("token-1", url, form, signature)
    assert not TwilioSMS.verify("token-2", url, form, signature)
    assert not TwilioSMS.verify(None, url, form, signature)
    assert not TwilioSMS.verify("token-1", url, form, None)


def test_telegram_sends_share_one_long_lived_loop_and_connection(channel_config, telegram_fake):
    import threading

    from bot import telegram as tg

    channel = get_channel(channel_config, "telegram")
    assert isinstance(channel, TelegramChannel)
    loops: list[object] = []
    errors: list[BaseException] = []

    def send(n: int) -> None:
        try:
            channel.send(OutboundMessage(to="123456789", text=f"hello {n}"))
            loops.append(tg.event_loop())
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    for n in range(3):  # one after another from this thread ...
        send(n)
    threads = [threading.Thread(target=send, args=(n,)) for n in range(3, 9)]  # ... and from several at once
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors
    assert len(telegram_fake.calls("sendMessage")) == 9
    # One loop for the process, still running; one Bot; its HTTP connections kept alive and reused.
    assert len({id(loop) for loop in loops}) == 1 and loops[0].is_running()
    assert channel._bot is not None and channel._bot is tg.run(channel._get_bot())
    assert telegram_fake.connections_opened <= 7  # getMe + at most the six concurrent sends, never one per call
    calls_before = telegram_fake.connections_opened
    send(99)
    assert telegram_fake.connections_opened == calls_before  # a later send reuses a pooled connection
