"""Email over SMTP: web-form links for parents, carers and professionals, and staff alerts.

Email has no inbound side here (replies go to the web form), so this channel only sends.
The subject comes from the message's ``meta["subject"]``; an optional ``meta["html"]``
adds an HTML alternative.

A header must be one line: the subject is put on one (control characters, line and
paragraph separators and bidirectional controls become spaces), so a review_ref with
a line break in it cannot stop a safeguarding alert going out. A message that still
cannot be built (an address with a line break) is a permanent failure, not retried.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

from bot.base import (
    Channel,
    OutboundMessage,
    PermanentSendError,
    SendResult,
    TransientSendError,
    choices_of,
)
from config import setting

DEFAULT_SUBJECT = "Have Your Say"
_NOT_IN_HEADER = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]+")


def header_text(value: str) -> str:
    """``value`` on one line, as a header may hold it (each run of control characters one space)."""
    return _NOT_IN_HEADER.sub(" ", value).strip()


class EmailChannel(Channel):
    """Plain SMTP (optionally STARTTLS and login); one connection per message."""

    name = "email"

    def __init__(self, host: str, port: int = 25, *, username: str | None = None, password: str | None = None,
                 use_tls: bool = False, mail_from: str = "haveyoursay@localhost", timeout: float = 15.0) -> None:
        self.host = host
        self.port = int(port)
        self.username = username
        self.password = password
        self.use_tls = use_tls
        self.mail_from = mail_from
        self.timeout = timeout

    @classmethod
    def configured(cls, settings: Any) -> bool:
        return bool(setting(settings, "SMTP_HOST"))

    @classmethod
    def from_settings(cls, settings: Any) -> EmailChannel:
        return cls(setting(settings, "SMTP_HOST"), setting(settings, "SMTP_PORT", 25),
                   username=setting(settings, "SMTP_USERNAME"), password=setting(settings, "SMTP_PASSWORD"),
                   use_tls=bool(setting(settings, "SMTP_USE_TLS", False)),
                   mail_from=setting(settings, "MAIL_FROM", "haveyoursay@localhost"))

    def render(self, prompt: Any, notices: Sequence[str] = ()) -> list[OutboundMessage]:
        lines = [*notices, prompt.text]
        lines += [f"{n}. {c.label}" for n, c in enumerate(choices_of(prompt), start=1)]
        return [OutboundMessage(to="", text="\n\n".join(lines))]

    def build(self, message: OutboundMessage) -> EmailMessage:
        """The email for an outbound message."""
        mail = EmailMessage()
        mail["From"] = self.mail_from
        mail["To"] = message.to
        mail["Subject"] = header_text(str(message.meta.get("subject") or "")) or DEFAULT_SUBJECT
        mail["Message-ID"] = make_msgid(domain=self.mail_from.rpartition("@")[2] or "localhost")
        mail.set_content(message.text)
        if message.meta.get("html"):
            mail.add_alternative(str(message.meta["html"]), subtype="html")
        return mail

    def send(self, message: OutboundMessage) -> SendResult:
        try:
            mail = self.build(message)
        except (ValueError, TypeError) as exc:
            # The same message fails the same way every time: retrying would never end.
            # The type only: the error's text repeats the header value.
            raise PermanentSendError(f"email cannot be built: {type(exc).__name__}", code="bad_header") from None
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.use_tls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            code = next(iter(exc.recipients.values()))[0] if exc.recipients else 550
            raise _error(code, "recipient refused") from None
        except smtplib.SMTPResponseException as exc:
            raise _error(exc.smtp_code, "server refused") from None
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            raise TransientSendError(f"smtp network error: {type(exc).__name__}") from None
        return SendResult(provider_id=str(mail["Message-ID"]).strip("<>")[:64], status="sent")


def _error(code: int, what: str) -> Exception:
    if 400 <= code < 500:
        return TransientSendError(f"smtp {code} {what}")
    return PermanentSendError(f"smtp {code} {what}", code=str(code))
