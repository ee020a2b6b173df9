"""A fake Twilio REST API (Messages resource) for the real ``twilio`` client, plus webhook helpers.

Point the client at it with ``TWILIO_API_BASE_URL=fake.base_url``. It checks HTTP basic
auth (account SID or API key + token), answers ``POST /2010-04-01/Accounts/{sid}/Messages.json``
with 201 and a Message resource shaped like Twilio's, and refuses bad requests with
Twilio's error JSON (``{"code", "message", "more_info", "status"}``).

Helpers build what Twilio *sends us*: :func:`inbound_sms_form`, :func:`status_form` and
:func:`sign` (the ``X-Twilio-Signature`` for a URL and form, via the real validator).
"""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from xml.etree import ElementTree

from twilio.request_validator import RequestValidator

from tests.fakes._http import Failure, FakeHTTPServer, RecordedRequest

API_VERSION = "2010-04-01"
_MESSAGES = re.compile(r"^/2010-04-01/Accounts/(?P<sid>AC[0-9a-f]{32})/Messages(?:/(?P<msid>(?:SM|MM)[0-9a-f]{32}))?\.json$")
E164 = re.compile(r"^\+[1-9]\d{6,14}$")

# Twilio's own wording for the errors the fake can give.
ERRORS: dict[int, tuple[int, str]] = {
    20003: (401, "Authenticate"),
    20404: (404, "The requested resource was not found"),
    20429: (429, "Too Many Requests"),
    20500: (500, "Internal Server Error"),
    20503: (503, "Service Unavailable"),
    21211: (400, "The 'To' number {to} is not a valid phone number."),
    21408: (400, "Permission to send an SMS has not been enabled for the region indicated by the 'To' number: {to}."),
    21602: (400, "Message body is required."),
    21603: (400, "A 'From' phone number is required."),
    21610: (400, "Attempt to send to unsubscribed recipient"),
    21614: (400, "'To' number is not a valid mobile number"),
}
_STATUS_CODES = {401: 20003, 404: 20404, 429: 20429, 500: 20500, 502: 20500, 503: 20503}

# GSM 03.38: characters that take one septet, and the extension table (two septets).
_GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXT = set("^{}\\[~]|€\f")


def segments(body: str) -> int:
    """How many SMS segments Twilio bills ``body`` as (GSM-7 160/153, else UCS-2 70/67)."""
    if all(c in _GSM7 or c in _GSM7_EXT for c in body):
        length = sum(2 if c in _GSM7_EXT else 1 for c in body)
        single, multi = 160, 153
    else:
        length = len(body.encode("utf-16-le")) // 2
        single, multi = 70, 67
    if length <= single:
        return 1
    return -(-length // multi)


def new_sid(prefix: str) -> str:
    """A Twilio-shaped SID: two letters and 32 hex digits."""
    return prefix + secrets.token_hex(16)


def _rfc2822(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC), usegmt=False).replace("-0000", "+0000")


class TwilioFake(FakeHTTPServer):
    """The Messages resource of Twilio's REST API, recording every request."""

    def __init__(self, account_sid: str | None = None, auth_token: str | None = None,
                 api_keys: Mapping[str, str] | None = None) -> None:
        super().__init__()
        self.account_sid = account_sid or new_sid("AC")
        self.auth_token = auth_token or secrets.token_hex(16)
        self.api_keys = dict(api_keys or {})  # SK... -> secret
        self.messages: list[dict[str, Any]] = []
        self.rejections: dict[str, int] = {}  # To number -> Twilio error code
        self.status_callbacks: dict[str, str] = {}  # message SID -> the StatusCallback URL it was created with
        self._messages_lock = threading.Lock()

    @property
    def api_base_url(self) -> str:
        """What ``TWILIO_API_BASE_URL`` should be set to."""
        return self.base_url

    def reject(self, to: str, code: int = 21610) -> None:
        """Refuse every message to ``to`` with Twilio error ``code`` (21610: unsubscribed)."""
        self.rejections[to] = code

    def sent(self, to: str | None = None) -> list[dict[str, str]]:
        """The form fields of every accepted message-create request (to ``to``, when given)."""
        return [r.form for r in self.recorded("Messages")
                if r.method == "POST" and r.answered == 201 and (to is None or r.form.get("To") == to)]

    # -- FakeHTTPServer hooks ----------------------------------------------------------
    def route_of(self, request: RecordedRequest) -> str:
        return "Messages" if _MESSAGES.match(request.path) else request.path

    def error_body(self, request: RecordedRequest, failure: Failure) -> Any:
        code = failure.code or _STATUS_CODES.get(failure.status, failure.status)
        message = failure.message or ERRORS.get(code, (failure.status, "Error"))[1]
        return self._error(code, message.format(to=request.form.get("To", "")), failure.status)

    def _error(self, code: int, message: str, status: int | None = None) -> dict[str, Any]:
        return {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status or ERRORS.get(code, (400, ""))[0],
        }

    def _refuse(self, code: int, to: str = "") -> tuple[int, dict[str, str], Any]:
        status, message = ERRORS[code]
        return status, {}, self._error(code, message.format(to=to), status)

    def _authorised(self, request: RecordedRequest, sid: str) -> bool:
        if request.auth is None:
            return False
        user, password = request.auth
        if user == self.account_sid:
            return secrets.compare_digest(password, self.auth_token) and sid == self.account_sid
        if user in self.api_keys:
            return secrets.compare_digest(password, self.api_keys[user]) and sid == self.account_sid
        return False

    def respond(self, request: RecordedRequest) -> tuple[int, dict[str, str], Any]:
        match = _MESSAGES.match(request.path)
        if not match:
            return self._refuse(20404)
        if not self._authorised(request, match["sid"]):
            return self._refuse(20003)
        if match["msid"]:
            if request.method != "GET":
                return self._refuse(20404)
            with self._messages_lock:
                for message in self.messages:
                    if message["sid"] == match["msid"]:
                        return 200, {}, message
            return self._refuse(20404)
        if request.method != "POST":
            return 200, {}, self._list(request.query)
        return self._create(request.form)

    def _list(self, query: Mapping[str, str]) -> dict[str, Any]:
        """One page of messages, newest first, filtered by ``To`` and ``From`` as Twilio does."""
        size = int(query.get("PageSize") or 50)
        with self._messages_lock:
            found = [m for m in reversed(self.messages)
                     if query.get("To") in (None, m["to"]) and query.get("From") in (None, m["from"])]
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages.json"
        return {"messages": found[:size], "page": 0, "page_size": size, "start": 0,
                "end": min(size, len(found)) - 1, "first_page_uri": f"{uri}?PageSize={size}&Page=0",
                "next_page_uri": None, "previous_page_uri": None, "uri": f"{uri}?PageSize={size}&Page=0"}

    def accept_twiml(self, twiml: bytes | str, inbound: Mapping[str, str]) -> list[tuple[str, str | None]]:
        """Do what Twilio does with a webhook's TwiML answer to ``inbound``: create its messages.

        Each <Message> becomes a message from the number written to, to the sender (unless
        ``to``/``from`` say otherwise), recorded as a "Messages" request so ``sent()`` lists
        it in order with the REST ones. Returns (message SID, action URL) per message, for
        the status reports Twilio would post.
        """
        root = ElementTree.fromstring(twiml)
        if root.tag != "Response":
            raise ValueError(f"TwiML must be a <Response>, not <{root.tag}>")
        created: list[tuple[str, str | None]] = []
        for element in root:
            if element.tag != "Message":
                raise ValueError(f"the fake knows only <Message>, not <{element.tag}>")
            form = {"To": element.get("to") or inbound["From"], "From": element.get("from") or inbound["To"],
                    "Body": element.text or ""}
            if element.get("action"):
                form["StatusCallback"] = element.get("action")
            status, _headers, message = self._create(form, direction="outbound-reply")
            record = RecordedRequest(method="POST", path="(TwiML reply)", query={}, headers={}, body=b"",
                                     form=form, form_lists={k: [v] for k, v in form.items()}, auth=None,
                                     connection=0, route="Messages", answered=status)
            with self._lock:
                self.requests.append(record)
            if status == 201:
                created.append((message["sid"], element.get("action")))
        return created

    def _create(self, form: Mapping[str, str], direction: str = "outbound-api") -> tuple[int, dict[str, str], Any]:
        to, body = form.get("To", ""), form.get("Body", "")
        sender, service = form.get("From"), form.get("MessagingServiceSid")
        if not E164.match(to):
            return self._refuse(21211, to)
        if not body and not form.get("MediaUrl") and not form.get("ContentSid"):
            return self._refuse(21602)
        if not sender and not service:
            return self._refuse(21603)
        if to in self.rejections:
            return self._refuse(self.rejections[to], to)
        sid = new_sid("SM")
        now = _rfc2822(datetime.now(UTC))
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}.json"
        message = {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": body,
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": direction,
            "error_code": None,
            "error_message": None,
            "from": sender,
            "messaging_service_sid": service,
            "num_media": "0",
            "num_segments": str(segments(body)),
            "price": None,
            "price_unit": "GBP",
            "sid": sid,
            # Twilio: "accepted" when a Messaging Service picks the sender, else "queued".
            "status": "accepted" if service and not sender else "queued",
            "subresource_uris": {"media": f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}/Media.json"},
            "to": to,
            "uri": uri,
        }
        with self._messages_lock:
            self.messages.append(message)
            if form.get("StatusCallback"):
                self.status_callbacks[sid] = form["StatusCallback"]
        return 201, {}, message


# -- what Twilio sends to our webhooks ----------------------------------------------------

def inbound_sms_form(from_: str, body: str, *, to: str = "+447400123456", account_sid: str | None = None,
                     messaging_service_sid: str | None = None, message_sid: str | None = None,
                     opt_out_type: str | None = None) -> dict[str, str]:
    """The form Twilio POSTs to the incoming-message webhook for one SMS."""
    sid = message_sid or new_sid("SM")
    form = {
        "ToCountry": "GB", "ToState": "", "SmsMessageSid": sid, "NumMedia": "0", "ToCity": "",
        "FromZip": "", "SmsSid": sid, "FromState": "", "SmsStatus": "received", "FromCity": "",
        "Body": body, "FromCountry": "GB", "To": to, "ToZip": "", "NumSegments": str(segments(body)),
        "MessageSid": sid, "AccountSid": account_sid or new_sid("AC"), "From": from_, "ApiVersion": API_VERSION,
    }
    if messaging_service_sid:
        form["MessagingServiceSid"] = messaging_service_sid
    if opt_out_type:
        form["OptOutType"] = opt_out_type
    return form


def status_form(message_sid: str, status: str, *, to: str = "+447400123456", from_: str = "+447400654321",
                error_code: int | None = None, account_sid: str | None = None,
                messaging_service_sid: str | None = None) -> dict[str, str]:
    """The form Twilio POSTs to a message's StatusCallback URL."""
    form = {
        "SmsSid": message_sid, "SmsStatus": status, "MessageStatus": status, "To": to,
        "MessageSid": message_sid, "AccountSid": account_sid or new_sid("AC"), "From": from_,
        "ApiVersion": API_VERSION,
    }
    if messaging_service_sid:
        form["MessagingServiceSid"] = messaging_service_sid
    if error_code is not None:
        form["ErrorCode"] = str(error_code)
    if status in ("delivered", "undelivered"):
        form["RawDlrDoneDate"] = datetime.now(UTC).strftime("%y%m%d%H%M")
    return form


def sign(auth_token: str, url: str, form: Mapping[str, str]) -> str:
    """The ``X-Twilio-Signature`` Twilio would send for a POST of ``form`` to ``url``."""
    return RequestValidator(auth_token).compute_signature(url, dict(form))
