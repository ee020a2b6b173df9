"""The outbox under a failing provider and a dying worker: everything arrives, each message once.

Real twilio / python-telegram-bot clients against the fakes on 127.0.0.1; the conversation
replies come from the signed webhooks, the invitations from the imported schedule.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import signal
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from bot.sender import LEASE, deliver_due
from storage.models import Invitation, OutboxMessage, utcnow
from storage.outbox import enqueue
from storage.reviews import import_schedule
from storage.scheduler import queue_due
from surveys.schedule_csv import COLUMNS
from tests.fakes.fixtures import random_chat_id
from tests.fakes.telegram_fake import message_update, start_update
from tests.fakes.twilio_fake import inbound_sms_form, status_form

# Weeks ahead of the real clock, so the replies (queued at the real time) are due on the test's clock.
REVIEW_DATE = date.today() + timedelta(days=35)


@pytest.fixture
def channel_config(channel_config):  # noqa: ANN001 - the shared fixture, with room for many retries
    # Half of all sends fail: eight tries would leave about one message in 256 undelivered.
    return dataclasses.replace(channel_config, OUTBOX_MAX_ATTEMPTS=60)


def _rows(db) -> list[OutboxMessage]:  # noqa: ANN001
    with db.session() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def _import(app, n: int) -> None:  # noqa: ANN001
    lines = [",".join(COLUMNS)]
    for i in range(n):
        values = {"review_ref": f"R-{i}", "child_ref": f"C-{i}", "child_age": "13", "review_type": "CLA",
                  "review_date": REVIEW_DATE.isoformat(), "iro_email": "iro@council.example", "role": "child",
                  "channel": "sms" if i % 2 == 0 else "telegram", "contact": f"+4474005000{i:02d}",
                  "language": "en"}
        lines.append(",".join(values[c] for c in COLUMNS))
    with app.extensions["db"].session() as session:
        assert import_schedule(session, ["\n".join(lines).encode() + b"\n"]).ok


def test_with_half_of_all_sends_failing_every_reply_and_invitation_arrives_once(
        channel_app, twilio_post, telegram_post, twilio_fake, telegram_fake):
    db, config = channel_app.extensions["db"], channel_app.config["HYS"]
    _import(channel_app, 8)
    twilio_fake.fail_ratio(0.5, 503, seed=1)
    twilio_fake.drop_next(2)  # and two network failures
    telegram_fake.fail_ratio(0.5, 429, retry_after=2, seed=2)

    # The scheduler queues the invitations on their day; the first delivery round meets the failures.
    moment = datetime.combine(REVIEW_DATE - timedelta(days=21), datetime.min.time(), UTC) + timedelta(hours=10)
    while True:
        with db.session() as session:
            if queue_due(session, config, moment)["queued"]:
                break
        moment += timedelta(days=1)
        assert moment.date() < REVIEW_DATE
    deliver_due(db, config, now=moment)

    # The young people answer (whether or not their invitation arrived yet); replies go out at once.
    with db.session() as session:
        invitations = [(i.channel, i.contact, i.token) for i in
                       session.scalars(select(Invitation).where(Invitation.phase == "consultation"))]
    assert len(invitations) == 8
    # Half of the webhooks' TwiML answers are lost on the way back to Twilio.
    for n, (channel, phone, token) in enumerate(invitations):
        if channel == "sms":
            twilio_post("/webhooks/twilio/sms", inbound_sms_form(phone, "Hi"), twiml_reaches_twilio=n % 4 == 0)
            twilio_post("/webhooks/twilio/sms", inbound_sms_form(phone, "1, 2"), twiml_reaches_twilio=n % 4 != 0)
        else:
            chat_id = random_chat_id()
            telegram_post(start_update(chat_id, token))
            telegram_post(message_update(chat_id, "family and school"))

    # The worker comes round every hour until nothing is left to send.
    for _ in range(80):
        if all(r.status == "sent" for r in _rows(db)):
            break
        moment += timedelta(hours=1)
        deliver_due(db, config, now=moment)
    rows = _rows(db)
    assert rows and all(r.status == "sent" for r in rows), Counter(r.status for r in rows)
    assert {r.purpose for r in rows} >= {"invite", "reply"}

    sms_rows = [r for r in rows if r.channel == "sms"]
    tg_rows = [r for r in rows if r.channel == "telegram"]
    assert len(sms_rows) >= 4 + 8 and len(tg_rows) >= 4  # four invites (SMS deep links for Telegram too)
    # Exactly once: what the providers accepted is what the outbox holds, message for message.
    accepted_sms = Counter((m["To"], m["Body"]) for m in twilio_fake.sent())
    assert accepted_sms == Counter((r.to, r.body) for r in sms_rows)
    assert {m["sid"] for m in twilio_fake.messages} == {r.provider_id for r in sms_rows}
    accepted_tg = Counter((str(c["chat_id"]), c["text"]) for c in telegram_fake.calls("sendMessage"))
    assert accepted_tg == Counter((r.to, r.body) for r in tg_rows)
    assert len({r.provider_id for r in tg_rows}) == len(tg_rows)
    # And the providers really did refuse about half of what they were asked (over the REST
    # API: the invitations, and the replies whose TwiML answer was lost, sent by the worker).
    rest = [r for r in twilio_fake.recorded("Messages") if r.path.startswith("/")]
    twiml = [r for r in twilio_fake.recorded("Messages") if not r.path.startswith("/")]
    assert len(twiml) >= 4 and all(r.answered == 201 for r in twiml)
    assert len([r for r in rest if r.answered != 201]) >= len(rest) * 0.3
    assert len([r for r in telegram_fake.recorded("sendMessage") if r.answered != 200]) >= len(tg_rows) * 0.3
    with db.session() as session:
        statuses = set(session.scalars(select(Invitation.status).where(Invitation.phase == "consultation")))
    assert statuses <= {"sent", "opened", "partial"}


def _doomed_worker(database_url: str, config) -> None:  # noqa: ANN001 - runs in a forked child, killed there
    from bot.sender import deliver_due as deliver
    from storage.db import Database

    deliver(Database(database_url), config, worker_id="doomed", limit=50)


def test_a_worker_killed_mid_batch_loses_nothing_and_duplicates_nothing(
        db, database_url, channel_app, twilio_post, twilio_fake):
    config = channel_app.config["HYS"]
    with db.session() as session:
        for i in range(12):
            enqueue(session, channel="sms", to=f"+4474006000{i:02d}", body=f"message {i}",
                    dedupe_key=f"kill:{i}", purpose="reply")
    twilio_fake.set_delay(0.5)  # each send takes half a second at the provider
    process = multiprocessing.get_context("fork").Process(target=_doomed_worker, args=(database_url, config))
    process.start()
    deadline = time.monotonic() + 60
    while len(twilio_fake.recorded("Messages")) < 4:  # the fourth request has reached the provider
        assert time.monotonic() < deadline and process.is_alive()
        time.sleep(0.005)
    os.kill(process.pid, signal.SIGKILL)  # killed while the provider is still working on it
    process.join(10)
    assert process.exitcode == -signal.SIGKILL
    twilio_fake.set_delay(0)
    deadline = time.monotonic() + 10
    while len(twilio_fake.sent()) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)  # the provider finishes the message the worker never heard back about

    rows = _rows(db)
    assert Counter(r.status for r in rows) == {"sent": 3, "sending": 9}  # the batch was leased, 3 recorded
    assert len(twilio_fake.sent()) == 4
    # Twilio reports on every message it accepted, to the callback URL it was given (which names the row).
    for sid, url in twilio_fake.status_callbacks.items():
        parts = urlsplit(url)
        assert parts.path == "/webhooks/twilio/status" and parts.query.startswith("o=")
        response = twilio_post(f"{parts.path}?{parts.query}", status_form(sid, "sent"))
        assert response.status_code == 204
    assert Counter(r.status for r in _rows(db)) == {"sent": 4, "sending": 8}

    # Another worker picks the rest up once the dead worker's lease has run out; not before.
    assert deliver_due(db, config, now=utcnow())["claimed"] == 0
    assert deliver_due(db, config, now=utcnow() + LEASE + timedelta(seconds=1))["sent"] == 8
    rows = _rows(db)
    assert all(r.status == "sent" for r in rows)
    assert Counter(m["Body"] for m in twilio_fake.sent()) == Counter(f"message {i}" for i in range(12))
    assert {m["sid"] for m in twilio_fake.messages} == {r.provider_id for r in rows}
