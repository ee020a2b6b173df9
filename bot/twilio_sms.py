"""SMS through Twilio: verify webhook signatures, parse inbound texts, send through the REST API.

The real ``twilio`` client is used; ``TWILIO_API_BASE_URL`` points it at a fake in tests
and staging. Choices are shown as numbered lines, because SMS has no buttons.
"""

from __future__ import annotations

import hmac
import logging
import os
import threading
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from twilio.twiml.messaging_response import MessagingResponse

from bot.base import (
    BadInbound,
    Channel,
    InboundMessage,
    OutboundMessage,
    PermanentSendError,
    SendResult,
    TransientSendError,
    choices_of,
)
from config import setting

log = logging.getLogger(__name__)

# The twilio client logs request details at INFO; keep it quiet so nothing about a
# message (numbers, headers) reaches the logs through it.
_QUIET = logging.getLogger("haveyoursay.twilio_http")
_QUIET.setLevel(logging.WARNING)
_QUIET.propagate = False

# Twilio error codes that mean "this number must not be messaged again".
OPT_OUT_CODES = {21610}
# Error codes worth trying again although Twilio answered 4xx.
TRANSIENT_CODES = {20429, 30001, 30002}
# Looking for a reply Twilio may already hold: how many of the number's latest messages to
# read, and how far our clock and Twilio's may disagree.
ALREADY_SENT_LOOKBACK = 20
CLOCK_SKEW = timedelta(minutes=2)
STATUS_PATH = "/webhooks/twilio/status"
SMS_PATH = "/webhooks/twilio/sms"


class _RecordingHttpClient(TwilioHttpClient):
    """Twilio's HTTP client, keeping the last response per thread (for ``Retry-After``).

    The proxy and CA settings of the environment (HTTPS_PROXY, NO_PROXY,
    REQUESTS_CA_BUNDLE) are read once, here, not on every request as requests would:
    that lookup was a tenth of the cost of a send.
    """

    def __init__(self, api_base_url: str, **kwargs: Any) -> None:
        proxies = requests.utils.get_environ_proxies(api_base_url)
        super().__init__(logger=_QUIET, proxy=proxies or None, **kwargs)
        if self.session is not None:
            self.session.trust_env = False
            bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
            if bundle:
                self.session.verify = bundle
        self._local = threading.local()

    def request(self, *args: Any, **kwargs: Any) -> Response:
        self._local.response = None
        response = super().request(*args, **kwargs)
        self._local.response = response
        return response

    @property
    def last(self) -> Response | None:
        return getattr(self._local, "response", None)


def _retry_after(response: Response | None) -> float | None:
    if response is None or not response.headers:
        return None
    value = {k.lower(): v for k, v in dict(response.headers).items()}.get("retry-after")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def status_callback_url(settings: Any) -> str | None:
    """Where Twilio reports on what we send: the public HTTPS URL (Twilio calls no other)."""
    base = str(setting(settings, "PUBLIC_BASE_URL", "")).rstrip("/")
    return f"{base}{STATUS_PATH}" if base.startswith("https://") else None


def reply_twiml(replies: Sequence[tuple[int, str]], status_callback: str | None) -> str:
    """TwiML answering an inbound text with ``replies`` (outbox id, text).

    Each <Message> names its outbox row on its ``action`` URL, so Twilio's report of the
    message it created marks that row sent (``bot.sender.record_status``). Without a public
    HTTPS base the URL is relative, which Twilio resolves against the webhook's own URL.
    """
    response = MessagingResponse()
    for outbox_id, text in replies:
        response.message(text, action=f"{status_callback or STATUS_PATH}?o={int(outbox_id)}")
    return str(response)


class TwilioSMS(Channel):
    """Text messages through Twilio (Messaging Service SID, else a From number)."""

    name = "sms"

    def __init__(self, account_sid: str, auth_token: str, *, messaging_service_sid: str | None = None,
                 from_number: str | None = None, api_base_url: str | None = None,
                 status_callback: str | None = None, timeout: float = 10.0) -> None:
        if not (messaging_service_sid or from_number):
            raise ValueError("a Messaging Service SID or a From number is needed")
        self.messaging_service_sid = messaging_service_sid
        self.from_number = from_number
        self.status_callback = status_callback
        self.auth_token = auth_token
        self._http = _RecordingHttpClient((api_base_url or "https://api.twilio.com").rstrip("/"), timeout=timeout)
        self.client = Client(account_sid, auth_token, http_client=self._http)
        if api_base_url:
            # Not edge/region: those rewrite the host (see NOTES-dependencies.md).
            self.client.api.base_url = api_base_url.rstrip("/")

    # -- configuration -------------------------------------------------------------------
    @classmethod
    def configured(cls, settings: Any) -> bool:
        return bool(setting(settings, "TWILIO_ACCOUNT_SID") and setting(settings, "TWILIO_AUTH_TOKEN")
                    and (setting(settings, "TWILIO_MESSAGING_SERVICE_SID") or setting(settings, "TWILIO_FROM_NUMBER")))

    @classmethod
    def from_settings(cls, settings: Any) -> TwilioSMS:
        return cls(
            setting(settings, "TWILIO_ACCOUNT_SID"), setting(settings, "TWILIO_AUTH_TOKEN"),
            messaging_service_sid=setting(settings, "TWILIO_MESSAGING_SERVICE_SID"),
            from_number=setting(settings, "TWILIO_FROM_NUMBER"),
            api_base_url=setting(settings, "TWILIO_API_BASE_URL"),
            status_callback=status_callback_url(settings),
        )

    # -- inbound -------------------------------------------------------------------------
    @staticmethod
    def verify(auth_token: str | None, url: str, form: Mapping[str, Any], signature: str | None) -> bool:
        """Whether ``signature`` is Twilio's for a POST of ``form`` to ``url`` (the public URL)."""
        if not auth_token or not signature:
            return False
        try:
            validator = RequestValidator(auth_token)
            # The URL as configured is what Twilio signs: checked first, it spares the
            # library's two signatures (with and without the port) on every genuine request.
            if hmac.compare_digest(validator.compute_signature(url, form), signature):
                return True
            return bool(validator.validate(url, form, signature))
        except (TypeError, ValueError):
            return False

    @staticmethod
    def parse(form: Mapping[str, Any]) -> InboundMessage:
        """The inbound SMS in a webhook form (MessageSid, From, Body)."""
        sid = form.get("MessageSid") or form.get("SmsSid")
        sender = form.get("From")
        if not sid or not sender:
            raise BadInbound("MessageSid and From are required")
        meta: dict[str, Any] = {"opt_out_type": form.get("OptOutType")} if form.get("OptOutType") else {}
        if str(form.get("NumMedia") or "0").strip() not in ("", "0"):
            meta["media"] = "mms"  # a picture message: its words (if any) are read, the picture cannot be
        return InboundMessage(channel="sms", provider_id=str(sid)[:64], sender=str(sender)[:64],
                              text=str(form.get("Body") or ""), meta=meta)

    # -- outbound ------------------------------------------------------------------------
    def render(self, prompt: Any, notices: Sequence[str] = ()) -> list[OutboundMessage]:
        lines = [prompt.text]
        for number, choice in enumerate(choices_of(prompt), start=1):
            emoji = f"{choice.emoji} " if choice.emoji else ""
            lines.append(f"{number} {emoji}{choice.label}")
        messages = [OutboundMessage(to="", text=n) for n in notices]
        messages.append(OutboundMessage(to="", text="\n".join(lines), meta={"question_key": prompt.key}))
        return messages

    def send(self, message: OutboundMessage) -> SendResult:
        kwargs: dict[str, Any] = {"to": message.to, "body": message.text}
        if self.messaging_service_sid:
            kwargs["messaging_service_sid"] = self.messaging_service_sid
        else:
            kwargs["from_"] = self.from_number
        if self.status_callback:
            outbox_id = message.meta.get("outbox_id")
            # The outbox row's id comes back with the report, even if we never learn the message SID.
            kwargs["status_callback"] = (f"{self.status_callback}?o={int(outbox_id)}" if isinstance(outbox_id, int)
                                         else self.status_callback)
        try:
            created = self.client.messages.create(**kwargs)
        except TwilioRestException as exc:
            code = exc.code
            reason = f"twilio {exc.status} error {code}"
            if exc.status == 429 or exc.status >= 500 or code in TRANSIENT_CODES:
                raise TransientSendError(reason, retry_after=_retry_after(self._http.last)) from None
            raise PermanentSendError(reason, code=str(code or exc.status),
                                     opted_out=code in OPT_OUT_CODES) from None
        except requests.RequestException as exc:
            raise TransientSendError(f"twilio network error: {type(exc).__name__}") from None
        return SendResult(provider_id=created.sid, status=created.status or "queued")

    def already_sent(self, message: OutboundMessage, since: datetime) -> list[str]:
        """SIDs of messages Twilio holds to ``message.to`` with its words, created since ``since``.

        Twilio lists a number's messages newest first; a reply whose TwiML answer reached
        Twilio is there even when its delivery report was lost or came after the lease.
        A message Twilio could not send (failed, undelivered, canceled) does not count.
        """
        earliest = since.replace(tzinfo=since.tzinfo or UTC) - CLOCK_SKEW
        try:
            recent = self.client.messages.list(to=message.to, limit=ALREADY_SENT_LOOKBACK)
        except TwilioRestException as exc:
            raise TransientSendError(f"twilio {exc.status} error {exc.code} listing messages",
                                     retry_after=_retry_after(self._http.last)) from None
        except requests.RequestException as exc:
            raise TransientSendError(f"twilio network error listing messages: {type(exc).__name__}") from None
        return [found.sid for found in reversed(recent)
                if found.body == message.text and (found.direction or "").startswith("outbound")
                and found.status not in ("failed", "undelivered", "canceled")
                and (found.date_created is None or found.date_created >= earliest)]

    def close(self) -> None:
        session = getattr(self._http, "session", None)
        if session is not None:
            session.close()
