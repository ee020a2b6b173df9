"""Provider webhooks: Twilio SMS and delivery reports, Telegram updates.

Each request is verified first (Twilio signature over the public URL, Telegram secret
header); an unverified request gets 403 and changes nothing. The inbound message is
stored before anything else happens and is unique per provider id, so a provider
retrying its webhook changes nothing. Replies go through the outbox. A reply to a text
rides on the webhook's TwiML answer (``TWILIO_REPLY_VIA=twiml``, the default), its row
leased until Twilio reports the message; other replies are sent at once after the
transaction commits, on a small thread pool (``bot.sender.background``), so the webhook
answers without waiting for the provider. What fails is retried by the worker.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any
from urllib.parse import unquote_to_bytes

import click
from flask import Blueprint, Flask, Response, abort, current_app, jsonify, request
from flask.cli import with_appcontext
from werkzeug.exceptions import RequestEntityTooLarge

from bot.base import BadInbound, InboundMessage
from bot.channels import get_channel
from bot.telegram import SECRET_HEADER, TelegramChannel
from bot.twilio_sms import TwilioSMS, reply_twiml, status_callback_url
from storage.models import InboundMessage as StoredInbound
from storage.models import utcnow
from storage.upsert import insert_ignore

log = logging.getLogger(__name__)

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")

# Twilio posts at most 1,600 characters of SMS plus a few dozen fields; a Telegram update
# is a few kilobytes. Anything far larger is not a provider's request.
MAX_WEBHOOK_BYTES = 64 * 1024


def _config() -> Any:
    return current_app.config["HYS"]


def _db() -> Any:
    return current_app.extensions["db"]


def _public_url() -> str:
    """The URL Twilio signed: the configured public base (TLS proxies rewrite ours) plus the path."""
    url = str(_config().PUBLIC_BASE_URL).rstrip("/") + request.path
    if request.query_string:
        url += "?" + request.query_string.decode("latin-1")
    return url


def _twilio_verified() -> bool:
    return TwilioSMS.verify(_config().TWILIO_AUTH_TOKEN, _public_url(), request.form,
                            request.headers.get("X-Twilio-Signature"))


@bp.before_request
def _readable_body() -> Any:
    """Refuse oversized bodies (413) and bodies that are not UTF-8 (400) before anything is read."""
    request.max_content_length = MAX_WEBHOOK_BYTES
    if request.content_length is not None and request.content_length > MAX_WEBHOOK_BYTES:
        return _error(413, "the request body is too large")
    try:
        # Cached, so the form / JSON parsers read the same bytes afterwards.
        data = request.get_data(cache=True)
    except RequestEntityTooLarge:
        return _error(413, "the request body is too large")
    if len(data) >= MAX_WEBHOOK_BYTES:  # a streamed body is cut at the limit rather than refused
        return _error(413, "the request body is too large")
    try:
        text = data.decode("utf-8")
        if request.mimetype == "application/x-www-form-urlencoded" and "%" in text:
            # Percent-escapes must decode to UTF-8 too (Werkzeug would quietly replace them).
            # The whole body at once: "&" and "=" are ASCII, so it is UTF-8 exactly when every
            # name and value is, and it costs a fraction of splitting the form first.
            text = unquote_to_bytes(text).decode("utf-8")
    except UnicodeDecodeError:
        return _error(400, "the request body is not UTF-8")
    if "\x00" in text or (request.is_json and "\\u0000" in text):
        return _error(400, "the request body holds a NUL character")
    return None


def _error(status: int, message: str) -> tuple[Response, int]:
    """A JSON error, whatever the request asked for: the callers are the providers' programs."""
    return jsonify({"error": {"status": status, "message": message}}), status


def _twiml(replies: Sequence[Any] = ()) -> Response:
    """TwiML for Twilio: empty, or sending ``replies`` (leased outbox items) back to the sender."""
    body = reply_twiml([(item.id, item.message.text) for item in replies], status_callback_url(_config()))
    return Response(body, mimetype="application/xml")


def handle_inbound(message: InboundMessage, *, send_replies: bool = True) -> Any:
    """Store and dispatch one inbound message, then send its replies; the Dispatched result.

    With ``send_replies`` False the replies inserted under this process's lease are left to
    the caller (in ``result.leased``): the SMS webhook answers them in TwiML.
    """
    from bot.dispatcher import Dispatched, dispatch
    from bot.sender import background, new_lease

    db, config = _db(), _config()
    try:
        with db.session() as session:
            # The replies are inserted already claimed by this process, which sends them below.
            result = dispatch(session, message, lease=new_lease(), timezone=config.TIMEZONE)
    except Exception as exc:  # noqa: BLE001 - keep the message even when the conversation fails
        # The type only: an exception's text may hold the respondent's words. The failed
        # transaction is rolled back whole (no savepoint: two round trips on every message).
        log.error("dispatch of %s inbound failed: %s", message.channel, type(exc).__name__)
        with db.session() as session:
            insert_ignore(session, StoredInbound, {
                "channel": message.channel, "provider_id": message.provider_id[:64], "sender": message.sender,
                "body": message.text, "status": "error", "received_at": utcnow(),
            }, ["channel", "provider_id"])
        result = Dispatched(outcome="error")
    # Sent straight away but off the request thread: the provider's round trip does not
    # hold up the webhook's answer (or a sync worker); the worker retries what fails.
    leased = (result.lease[0], result.leased) if send_replies and result.lease and result.leased else None
    background.submit(db, config, result.outbox_ids, leased=leased)
    return result


@bp.post("/twilio/sms")
def twilio_sms():
    """An SMS from a respondent (Twilio's incoming-message webhook)."""
    if not _twilio_verified():
        abort(403)
    try:
        message = TwilioSMS.parse(request.form)
    except BadInbound as exc:
        return _error(400, exc.reason)
    if _config().TWILIO_REPLY_VIA != "twiml":
        handle_inbound(message)
        return _twiml()
    # The replies ride on this answer: no second request to Twilio, whose report of each one
    # (to the <Message action> URL) marks its outbox row sent. Until then the rows stay
    # leased; if this answer never reaches Twilio, the worker sends them once the lease ends.
    return _twiml(handle_inbound(message, send_replies=False).leased)


@bp.post("/twilio/status")
def twilio_status():
    """A delivery report for a message we sent (moves the outbox status forward only)."""
    from bot.optout import opt_out_address
    from bot.sender import record_status

    if not _twilio_verified():
        abort(403)
    sid = request.form.get("MessageSid") or request.form.get("SmsSid")
    status = request.form.get("MessageStatus") or request.form.get("SmsStatus")
    if not sid or not status:
        return _error(400, "MessageSid and MessageStatus are required")
    error_code = request.form.get("ErrorCode") or None
    with _db().session() as session:
        outbox_id = request.args.get("o", "")
        row = record_status(session, sid, status, error_code=error_code,
                            outbox_id=int(outbox_id) if outbox_id.isdigit() and len(outbox_id) < 19 else None)
        if error_code == "21610":
            address = request.form.get("To") or (row.to if row is not None else None)
            if address:
                opt_out_address(session, "sms", address, source="provider_21610")
    return Response(status=204)


@bp.post("/telegram")
def telegram():
    """An update from Telegram (message, /start deep link or button press)."""
    config = _config()
    channel = get_channel(config, "telegram")
    if not isinstance(channel, TelegramChannel) or not channel.verify(request.headers.get(SECRET_HEADER)):
        abort(403)
    update = request.get_json(silent=True)
    try:
        message = TelegramChannel.parse(update)
    except BadInbound as exc:
        return _error(400, exc.reason)
    if message is None:
        return jsonify({"ok": True, "ignored": True})
    if "member_status" in message.meta:
        _chat_member(message)
        return jsonify({"ok": True})
    result = handle_inbound(message)
    if message.callback_id and not result.duplicate:
        channel.answer_callback(message.callback_id)
        message_id = message.meta.get("message_id")
        if isinstance(message_id, int):
            channel.clear_keyboard(message.sender, message_id)
    return jsonify({"ok": True})


def _chat_member(message: InboundMessage) -> None:
    """A user blocked the bot (opt out of everything) or unblocked it (opt back in)."""
    from bot.optout import opt_in_address, opt_out_address

    with _db().session() as session:
        if message.meta["member_status"] == "kicked":
            opt_out_address(session, "telegram", message.sender, source="blocked")
        elif message.meta["member_status"] == "member":
            opt_in_address(session, "telegram", message.sender)


@click.group("telegram")
def telegram_group() -> None:
    """The Telegram bot."""


@telegram_group.command("set-webhook")
@click.option("--url", help="Register this URL instead of {PUBLIC_BASE_URL}/webhooks/telegram.")
@with_appcontext
def telegram_set_webhook(url: str | None) -> None:
    """Tell Telegram where to send updates, with the webhook secret."""
    from bot.telegram import WEBHOOK_PATH

    config = _config()
    channel = get_channel(config, "telegram")
    if not isinstance(channel, TelegramChannel):
        raise click.ClickException("TELEGRAM_BOT_TOKEN is not set")
    if not config.TELEGRAM_WEBHOOK_SECRET:
        raise click.ClickException("TELEGRAM_WEBHOOK_SECRET must be set, or anyone could post updates")
    url = url or str(config.PUBLIC_BASE_URL).rstrip("/") + WEBHOOK_PATH
    if not url.startswith("https://"):
        raise click.ClickException(f"Telegram needs an https:// URL, not {url}")
    try:
        channel.set_webhook(url)
    except Exception as exc:  # noqa: BLE001 - TransientSendError / PermanentSendError carry a safe reason
        raise click.ClickException(f"Telegram refused: {getattr(exc, 'reason', type(exc).__name__)}") from None
    click.echo(f"webhook set: {url}")


def init_app(app: Flask) -> None:
    """Register the webhooks and the ``telegram`` commands; providers sign their requests, so no CSRF."""
    app.register_blueprint(bp)
    csrf = app.extensions.get("csrf")
    if csrf is not None:
        csrf.exempt(bp)
    app.cli.add_command(telegram_group)
