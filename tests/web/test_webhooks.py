"""Webhook verification, delivery reports and update filtering (no conversation needed)."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.telegram import TelegramChannel, callback_data, keyboard_rows, parse_callback_data
from bot.twilio_sms import TwilioSMS
from storage.models import InboundMessage, Invitation, OptOut, OutboxMessage
from storage.outbox import enqueue
from tests.bot._helpers import make_invitation
from tests.fakes.fixtures import payload
from tests.fakes.twilio_fake import inbound_sms_form, sign, status_form

PHONE = "+447400100200"


def _count(app, model) -> int:
    with app.extensions["db"].session() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_bad_twilio_signature_is_refused_and_nothing_is_stored(channel_app, twilio_post, channel_config):
    form = inbound_sms_form(PHONE, "yes")
    assert twilio_post("/webhooks/twilio/sms", form, signature="bm90IGEgc2lnbmF0dXJl").status_code == 403
    assert twilio_post("/webhooks/twilio/sms", form, signature="").status_code == 403
    # Signed for the URL the app sees behind the proxy (http://localhost), not the public one.
    wrong_url = sign(channel_config.TWILIO_AUTH_TOKEN, "http://localhost/webhooks/twilio/sms", form)
    assert twilio_post("/webhooks/twilio/sms", form, signature=wrong_url).status_code == 403
    # Signed with another account's token.
    other = sign("0" * 32, "https://hys.example.test/webhooks/twilio/sms", form)
    assert twilio_post("/webhooks/twilio/sms", form, signature=other).status_code == 403
    # A body changed after signing.
    signature = sign(channel_config.TWILIO_AUTH_TOKEN, "https://hys.example.test/webhooks/twilio/sms", form)
    assert twilio_post("/webhooks/twilio/sms", {**form, "Body": "no"}, signature=signature).status_code == 403
    assert _count(channel_app, InboundMessage) == 0
    assert _count(channel_app, OutboxMessage) == 0


def test_twilio_webhooks_refuse_when_twilio_is_not_configured(client, config):
    form = inbound_sms_form(PHONE, "yes")
    response = client.post("/webhooks/twilio/sms", data=form,
                           headers={"X-Twilio-Signature": sign("x" * 32, config.PUBLIC_BASE_URL, form)})
    assert response.status_code == 403
    assert client.post("/webhooks/twilio/status", data=status_form("SM1", "delivered")).status_code == 403


def test_signed_request_without_a_sender_is_a_json_400(channel_app, twilio_post):
    form = {k: v for k, v in payload("twilio_inbound_sms.json").items() if k != "From"}
    response = twilio_post("/webhooks/twilio/sms", form)
    assert response.status_code == 400
    assert response.get_json()["error"]["status"] == 400
    assert _count(channel_app, InboundMessage) == 0


def _sent_row(app, sid: str) -> int:
    with app.extensions["db"].session() as session:
        row_id = enqueue(session, channel="sms", to=PHONE, body="hello", dedupe_key="t:1", purpose="reply")
        row = session.get(OutboxMessage, row_id)
        row.status, row.provider_id = "sent", sid
    return row_id


def _status(app, row_id: int) -> tuple[str, str | None]:
    with app.extensions["db"].session() as session:
        row = session.get(OutboxMessage, row_id)
        return row.status, row.error_code


def test_status_callbacks_only_move_forward(channel_app, twilio_post):
    sid = payload("twilio_status_delivered.json")["MessageSid"]
    row_id = _sent_row(channel_app, sid)
    assert twilio_post("/webhooks/twilio/status", payload("twilio_status_delivered.json")).status_code == 204
    assert _status(channel_app, row_id) == ("delivered", None)
    # Twilio does not promise order: a late "sent" or "queued" must not move it back.
    assert twilio_post("/webhooks/twilio/status", payload("twilio_status_sent.json")).status_code == 204
    assert twilio_post("/webhooks/twilio/status", status_form(sid, "queued")).status_code == 204
    assert _status(channel_app, row_id) == ("delivered", None)


def test_failed_delivery_keeps_its_error_code(channel_app, twilio_post):
    row_id = _sent_row(channel_app, "SMfeedfeedfeedfeedfeedfeedfeedfeed")
    form = status_form("SMfeedfeedfeedfeedfeedfeedfeedfeed", "undelivered", to=PHONE, error_code=30003)
    assert twilio_post("/webhooks/twilio/status", form).status_code == 204
    assert _status(channel_app, row_id) == ("undelivered", "30003")
    late = status_form("SMfeedfeedfeedfeedfeedfeedfeedfeed", "sent", to=PHONE)
    twilio_post("/webhooks/twilio/status", late)
    assert _status(channel_app, row_id) == ("undelivered", "30003")


def test_error_21610_opts_the_number_out(channel_app, twilio_post):
    data = payload("twilio_status_undelivered_21610.json")
    row_id = _sent_row(channel_app, data["MessageSid"])
    with channel_app.extensions["db"].session() as session:
        invitation_id = make_invitation(session, contact=data["To"], status="sent").id
    assert twilio_post("/webhooks/twilio/status", data).status_code == 204
    assert _status(channel_app, row_id) == ("undelivered", "21610")
    with channel_app.extensions["db"].session() as session:
        assert session.scalar(select(OptOut.source).where(OptOut.address == data["To"])) == "provider_21610"
        assert session.get(Invitation, invitation_id).status == "opted_out"


def test_status_for_an_unknown_message_is_accepted_and_changes_nothing(channel_app, twilio_post):
    assert twilio_post("/webhooks/twilio/status", status_form("SM" + "1" * 32, "delivered")).status_code == 204
    assert _count(channel_app, OutboxMessage) == 0


def test_telegram_secret_is_required(channel_app, telegram_post):
    update = payload("telegram_message.json")
    assert telegram_post(update, secret=None).status_code == 403
    assert telegram_post(update, secret="wrong-secret").status_code == 403
    assert _count(channel_app, InboundMessage) == 0


def test_telegram_refuses_everything_when_not_configured(client):
    response = client.post("/webhooks/telegram", json=payload("telegram_message.json"),
                           headers={"X-Telegram-Bot-Api-Secret-Token": "anything"})
    assert response.status_code == 403


def test_telegram_updates_we_do_not_act_on_are_acknowledged(channel_app, telegram_post, telegram_fake):
    response = telegram_post(payload("telegram_group_message.json"))
    assert response.status_code == 200 and response.get_json()["ignored"] is True
    assert telegram_post({"no": "update id"}).status_code == 400
    assert _count(channel_app, InboundMessage) == 0
    assert telegram_fake.calls("sendMessage") == []


def test_an_edited_telegram_message_is_screened_but_moves_nothing(channel_app, telegram_post, telegram_fake):
    from storage.models import Alert

    db = channel_app.extensions["db"]
    with db.session() as session:
        invitation = make_invitation(session, form_id="child_before", channel="telegram", contact=None,
                                     chat_id="512345678", status="opened")
        invitation.state = {"status": "asking", "current": "talk_about"}
        invitation_id = invitation.id
    # An everyday edit: stored, no reply, the conversation where it was, no alert.
    everyday = payload("telegram_edited_message.json")
    assert telegram_post(everyday).status_code == 200
    assert telegram_post(everyday).status_code == 200  # the same update again changes nothing
    assert telegram_fake.calls("sendMessage") == []
    # The child edits a message to add a disclosure: the IRO is alerted and the child told who can help.
    disclosure = {**everyday, "update_id": everyday["update_id"] + 1,
                  "edited_message": {**everyday["edited_message"], "text": "my stepdad hits me when I'm home"}}
    assert telegram_post(disclosure).status_code == 200
    with db.session() as session:
        [alert] = session.scalars(select(Alert)).all()
        assert alert.invitation_id == invitation_id and alert.question_key is None
        assert session.get(Invitation, invitation_id).state == {"status": "asking", "current": "talk_about"}
        stored = session.scalars(select(InboundMessage.status).order_by(InboundMessage.id)).all()
        assert stored == ["processed", "processed"]
    [reply] = telegram_fake.calls("sendMessage")
    assert str(reply["chat_id"]) == "512345678" and "Childline" in reply["text"]


def test_parse_telegram_payloads():
    start = TelegramChannel.parse(payload("telegram_start.json"))
    assert (start.sender, start.start_token, start.text) == ("512345678", "TOKEN", "")
    text = TelegramChannel.parse(payload("telegram_message.json"))
    assert text.text == "I want to see my nan more" and text.provider_id == "815202002"
    press = TelegramChannel.parse(payload("telegram_callback_query.json"))
    assert press.callback == ("feel_safe", "yes") and press.callback_id == "2200462219835291044"
    assert press.sender == "512345678"


def test_parse_twilio_payload():
    message = TwilioSMS.parse(payload("twilio_inbound_sms.json"))
    assert (message.channel, message.sender, message.text) == ("sms", PHONE, "Yes")
    assert message.provider_id == "SM0f8a4f2b9c1d4e6f8a0b2c4d6e8f0a12"


def test_callback_data_fits_telegram_limit():
    assert callback_data("feel_safe", "yes", 1) == "a:feel_safe:yes"
    long = callback_data("k" * 30, "v" * 40, 3)
    assert long == "a:" + "k" * 30 + ":#3" and len(long.encode()) <= 64
    assert parse_callback_data(long) == ("k" * 30, "#3")
    assert parse_callback_data("something else") is None
    assert len(callback_data("q" * 70, "x", 2).encode()) <= 64


def test_keyboards_put_scales_five_to_a_row():
    from bot.base import Choice

    rows = keyboard_rows("safe_home", [Choice(str(n), str(n)) for n in range(1, 11)], "scale")
    assert [len(r) for r in rows] == [5, 5]
    feelings = [Choice(k, k.title(), "\U0001F600") for k in ("happy", "sad", "angry", "scared", "confused", "worried")]
    rows = keyboard_rows("feel", feelings, "feelings")
    assert [len(r) for r in rows] == [3, 3]
    assert rows[0][0]["text"].startswith("\U0001F600")


def test_cli_registers_the_telegram_webhook_with_its_secret(channel_app, telegram_fake):
    result = channel_app.test_cli_runner().invoke(args=["telegram", "set-webhook"])
    assert result.exit_code == 0, result.output
    assert "https://hys.example.test/webhooks/telegram" in result.output
    assert telegram_fake.webhook["url"] == "https://hys.example.test/webhooks/telegram"
    assert telegram_fake.webhook["secret_token"] == channel_app.config["HYS"].TELEGRAM_WEBHOOK_SECRET


def test_cli_set_webhook_refuses_plain_http_and_missing_settings(channel_app, app, telegram_fake):
    result = channel_app.test_cli_runner().invoke(args=["telegram", "set-webhook", "--url", "http://x.test/hook"])
    assert result.exit_code != 0 and "https" in result.output
    result = app.test_cli_runner().invoke(args=["telegram", "set-webhook"])
    assert result.exit_code != 0 and "TELEGRAM_BOT_TOKEN" in result.output
    assert telegram_fake.webhook == {}


def test_blocking_the_bot_opts_the_chat_out_and_unblocking_opts_it_in(channel_app, telegram_post, telegram_fake):
    update = payload("telegram_blocked.json")
    with channel_app.extensions["db"].session() as session:
        invitation_id = make_invitation(session, channel="telegram", contact=None, chat_id="512345678").id
    assert telegram_post(update).status_code == 200
    with channel_app.extensions["db"].session() as session:
        assert session.scalar(select(OptOut.source).where(OptOut.channel == "telegram")) == "blocked"
        assert session.get(Invitation, invitation_id).status == "opted_out"
    update["update_id"] += 1
    update["my_chat_member"]["new_chat_member"]["status"] = "member"
    telegram_post(update)
    assert _count(channel_app, OptOut) == 0
    assert telegram_fake.calls("sendMessage") == []
