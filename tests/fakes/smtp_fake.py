"""A local SMTP server (aiosmtpd) that records every message and can refuse on purpose."""

from __future__ import annotations

import threading
import warnings
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

# aiosmtpd sets its own deprecated attribute after a successful AUTH; not ours to fix.
warnings.filterwarnings("ignore", message="Session.login_data is deprecated", category=DeprecationWarning)


@dataclass
class ReceivedMail:
    """One message as the server accepted it."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    login: str | None

    @property
    def message(self) -> EmailMessage:
        """The message parsed with the modern email policy."""
        return message_from_bytes(self.data, policy=policy.default)  # type: ignore[return-value]

    def part(self, content_type: str) -> str | None:
        """The text of the first part of ``content_type`` (``text/plain`` or ``text/html``)."""
        for part in self.message.walk():
            if part.get_content_type() == content_type and not part.is_multipart():
                return part.get_content()
        return None


class _Handler:
    def __init__(self, fake: SMTPFake) -> None:
        self.fake = fake

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,  # noqa: N802 - aiosmtpd hook
                          address: str, rcpt_options: list[str]) -> str:
        if self.fake.username is not None and not session.authenticated:
            return "530 5.7.0 Authentication required"
        refusal = self.fake.rejections.get(address.lower())
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        failure = self.fake._take_failure()
        if failure:
            return failure
        login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
        content = envelope.original_content or envelope.content or b""
        mail = ReceivedMail(envelope.mail_from or "", list(envelope.rcpt_tos),
                            content if isinstance(content, bytes) else content.encode(), login)
        with self.fake._lock:
            self.fake.messages.append(mail)
        return "250 Message accepted for delivery"


class _Controller(Controller):
    """aiosmtpd's Controller, but on a free port chosen by the OS."""

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class SMTPFake:
    """An SMTP server on 127.0.0.1 (free port); optional AUTH LOGIN/PLAIN without TLS."""

    def __init__(self, username: str | None = None, password: str | None = None) -> None:
        self.username = username
        self.password = password
        self.messages: list[ReceivedMail] = []
        self.rejections: dict[str, str] = {}
        self._failures: list[str] = []
        self._lock = threading.Lock()
        kwargs: dict[str, Any] = {}
        if username is not None:
            # Checked in handle_RCPT: aiosmtpd's own auth_required warns when TLS is off.
            kwargs.update(authenticator=self._authenticate, auth_require_tls=False)
        self._controller = _Controller(_Handler(self), hostname="127.0.0.1", port=0, **kwargs)

    def _authenticate(self, server: SMTP, session: Session, envelope: Envelope, mechanism: str,
                      auth_data: Any) -> AuthResult:
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == self.username
              and auth_data.password.decode() == self.password)
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    def start(self) -> SMTPFake:
        """Start serving on a background thread."""
        self._controller.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self._controller.stop()

    def __enter__(self) -> SMTPFake:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def host(self) -> str:
        return "127.0.0.1"

    @property
    def port(self) -> int:
        return self._controller.port

    def reject(self, address: str, reply: str = "550 5.1.1 User unknown") -> None:
        """Refuse ``address`` at RCPT TO with ``reply`` (4xx: temporary, 5xx: permanent)."""
        self.rejections[address.lower()] = reply

    def fail_next(self, n: int = 1, reply: str = "451 4.3.0 Temporary failure, try again later") -> None:
        """Refuse the next ``n`` messages at DATA with ``reply``."""
        with self._lock:
            self._failures.extend([reply] * n)

    def _take_failure(self) -> str | None:
        with self._lock:
            return self._failures.pop(0) if self._failures else None
