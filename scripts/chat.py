"""Text the bot as a child's phone would, in this terminal (``make chat``).

    .venv/bin/python scripts/chat.py [--age 12] [--language en] [--database URL]

It starts the app on 127.0.0.1 with a demo database of one review (a temporary SQLite
file unless ``--database`` names one), and the project's fake Twilio
(tests/fakes/twilio_fake.py) as the provider. The invitation goes out through the real
scheduler and outbox sender to the fake, and is printed. Then each line typed is one
SMS from the child's number: it is posted to the app's real ``/webhooks/twilio/sms``
with a valid Twilio signature, and the app's replies (its TwiML answer, and anything it
sends through the REST API) are printed. Try "Hi", the answers, "HELP", "PRIVACY",
"STOP". An empty line or Ctrl+D ends it. Nothing leaves this machine.
"""

from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.etree import ElementTree

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from config import Config  # noqa: E402
from tests.fakes.twilio_fake import TwilioFake, inbound_sms_form, sign, status_form  # noqa: E402

SERVICE_NUMBER = "+447400123456"  # the council's Twilio number the child texts
CHILD_PHONE = "+447400900123"  # a made-up mobile; nothing is really sent


def _post(url: str, form: dict[str, str], auth_token: str) -> tuple[int, bytes]:
    """POST a form as Twilio does: URL-encoded, signed over the public URL."""
    data = urllib.parse.urlencode(form).encode()
    request = urllib.request.Request(url, data=data, method="POST", headers={
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": sign(auth_token, url, form),
        "User-Agent": "TwilioProxy/1.1",
    })
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _schedule(review_date, age: int, language: str) -> bytes:  # noqa: ANN001
    from surveys.schedule_csv import COLUMNS

    row = {"review_ref": "CHAT-1", "child_ref": "C-CHAT", "child_age": str(age), "review_type": "CLA",
           "review_date": review_date.isoformat(), "iro_email": "iro@chat.haveyoursay.test", "role": "child",
           "channel": "sms", "contact": CHILD_PHONE, "language": language}
    return (",".join(COLUMNS) + "\n" + ",".join(row[c] for c in COLUMNS) + "\n").encode()


class Chat:
    """The app served over HTTP on a free port, the fake Twilio, and one child's phone."""

    def __init__(self, database_url: str | None, age: int, language: str, reply_via: str) -> None:
        from werkzeug.serving import make_server

        self.temp = tempfile.TemporaryDirectory(prefix="hys-chat-")
        self.twilio = TwilioFake().start()
        # Listen first, so the app's public URL (what Twilio signs) names the real port.
        self.server = make_server("127.0.0.1", 0, lambda env, start: [], threaded=True)
        self.base_url = f"http://127.0.0.1:{self.server.port}"
        self.config = Config(
            ENV="development", SECRET_KEY=secrets.token_urlsafe(32),
            DATABASE_URL=database_url or f"sqlite:///{Path(self.temp.name) / 'chat.sqlite'}",
            PUBLIC_BASE_URL=self.base_url,
            TWILIO_ACCOUNT_SID=self.twilio.account_sid, TWILIO_AUTH_TOKEN=self.twilio.auth_token,
            TWILIO_FROM_NUMBER=SERVICE_NUMBER, TWILIO_API_BASE_URL=self.twilio.api_base_url,
            TWILIO_REPLY_VIA=reply_via,
        )
        self.age, self.language = age, language
        self.app = None
        self.seen = 0  # messages to the phone printed so far
        self.alerts = 0

    def start(self) -> str:
        """Create the schema and the review, serve the app, send the invitation; return its text."""
        import os

        from storage.reviews import import_schedule
        from surveys.schedule import bank_holidays
        from web import create_app

        os.environ.setdefault("HAVEYOURSAY_INSTANCE", str(Path(self.temp.name) / "instance"))
        self.app = create_app(self.config)
        self.server.app = self.app
        threading.Thread(target=self.server.serve_forever, daemon=True, name="chat-app").start()
        db = self.app.extensions["db"]
        db.upgrade()
        # The review on a working day about three weeks from today; the invitation is due ten
        # working days before it.
        today = datetime.now(UTC).date()
        review_date = today + timedelta(days=21)
        while review_date.weekday() >= 5 or review_date in bank_holidays("ENG", review_date.year):
            review_date += timedelta(days=1)
        with db.session() as session:
            result = import_schedule(session, [_schedule(review_date, self.age, self.language)])
            if not result.ok:
                raise SystemExit(f"could not make the demo review: {result.errors}")
        return self._send_invitation(today)

    def _send_invitation(self, today) -> str:  # noqa: ANN001
        from bot.sender import deliver_due
        from storage.scheduler import queue_due

        db = self.app.extensions["db"]
        # The scheduler and sender as the worker runs them, at 09:30 on each day until it is due.
        for days in range(22):
            moment = datetime.combine(today + timedelta(days=days), datetime.min.time(), UTC) \
                + timedelta(hours=9, minutes=30)
            with db.session() as session:
                queue_due(session, self.config, moment)
            deliver_due(db, self.config, now=moment)
            if self.twilio.sent(CHILD_PHONE):
                break
        return "\n".join(self._new_messages()) or "(no invitation was sent)"

    def _new_messages(self, wait: float = 0.0) -> list[str]:
        """Messages to the phone not yet printed; with ``wait``, until none has come for a moment."""
        deadline = time.monotonic() + wait
        sent = self.twilio.sent(CHILD_PHONE)
        quiet_since = time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.05)
            now_sent = self.twilio.sent(CHILD_PHONE)
            if len(now_sent) != len(sent):
                sent, quiet_since = now_sent, time.monotonic()
            elif len(sent) > self.seen and time.monotonic() - quiet_since > 0.4:
                break
        bodies = [m.get("Body", "") for m in sent[self.seen:]]
        self.seen = len(sent)
        return bodies

    def text(self, words: str) -> list[str]:
        """Send one SMS from the child's phone; the replies the phone gets."""
        form = inbound_sms_form(CHILD_PHONE, words, to=SERVICE_NUMBER, account_sid=self.twilio.account_sid)
        webhook = self.base_url + "/webhooks/twilio/sms"
        status, body = _post(webhook, form, self.twilio.auth_token)
        if status != 200:
            return [f"[the webhook answered {status}: {body[:200].decode(errors='replace')}]"]
        # What Twilio does with the TwiML: send each <Message>, then report it to its action URL.
        for sid, action in self.twilio.accept_twiml(body, form):
            if action:  # relative without an https PUBLIC_BASE_URL: Twilio resolves it against the webhook's
                _post(urllib.parse.urljoin(webhook, action), status_form(sid, "delivered", to=CHILD_PHONE, from_=SERVICE_NUMBER,
                                          account_sid=self.twilio.account_sid), self.twilio.auth_token)
        has_twiml = ElementTree.fromstring(body).find("Message") is not None
        replies = self._new_messages(wait=0.0 if has_twiml else 1.5)  # REST replies come off-thread
        return replies + self._alert_note()

    def _alert_note(self) -> list[str]:
        from sqlalchemy import func, select

        from storage.models import Alert

        with self.app.extensions["db"].session() as session:
            count = session.scalar(select(func.count()).select_from(Alert))
        note = ["[a safeguarding alert was raised for the child's IRO]"] if count > self.alerts else []
        self.alerts = count
        return note

    def summary(self) -> str:
        from sqlalchemy import func, select

        from storage.models import Answer, Invitation

        with self.app.extensions["db"].session() as session:
            invitation = session.scalars(select(Invitation).where(Invitation.contact == CHILD_PHONE,
                                                                  Invitation.phase == "consultation")).first()
            answers = session.scalar(select(func.count()).select_from(Answer)
                                     .where(Answer.invitation_id == invitation.id))
        return f"invitation {invitation.status}, {answers} answer(s) stored"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.twilio.stop()
        if self.app is not None:
            self.app.extensions["db"].dispose()
        self.temp.cleanup()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Text the Have Your Say bot as a child's phone would.")
    parser.add_argument("--age", type=int, default=12, choices=range(8, 26), metavar="8..25",
                        help="the child's age (wording differs for 8-12 and 13+; under-8s are invited "
                             "through their carer, so are not offered here)")
    parser.add_argument("--language", default="en", help="BCP 47 tag on the schedule row (en, cy, ...)")
    parser.add_argument("--database", help="SQLAlchemy URL to use (default: a temporary SQLite file)")
    parser.add_argument("--reply-via", choices=("twiml", "rest"), default="twiml",
                        help="how the app answers a text (TWILIO_REPLY_VIA)")
    args = parser.parse_args(argv)

    import logging

    chat = Chat(args.database, args.age, args.language, args.reply_via)
    try:
        invitation = chat.start()
        logging.getLogger().setLevel(logging.WARNING)  # the app's INFO lines would bury the chat
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        print(f"The app is on {chat.base_url}; fake Twilio on {chat.twilio.base_url}.")
        print(f"You are a {args.age}-year-old's phone, {CHILD_PHONE}. The invitation arrives:")
        print(f" bot> {invitation}")
        print("Type a text and press Enter (an empty line or Ctrl+D ends).")
        interactive = sys.stdin.isatty()
        while True:
            try:
                line = input("you> ") if interactive else sys.stdin.readline()
            except EOFError:
                break
            if not interactive:
                if not line:
                    break
                line = line.rstrip("\n")
                print(f"you> {line}")
            if not line.strip():
                break
            replies = chat.text(line)
            for reply in replies:
                print(" bot> " + reply.replace("\n", "\n      "))
            if not replies:
                print(" bot> (no reply)")
            sys.stdout.flush()
        print(f"Done: {chat.summary()}.")
    finally:
        chat.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
