"""The outbox sender against the fake providers, driven by the real twilio / PTB / smtplib clients."""

from __future__ import annotations

import dataclasses
import threading
import time
from datetime import timedelta

from sqlalchemy import func, select

from bot.sender import backoff, deliver_due, record_status, run_worker, send_now
from storage.models import Invitation, InvitationEvent, OptOut, OutboxMessage, utcnow
from storage.outbox import enqueue
from tests.bot._helpers import in_send_window, make_invitation

PHONE = "+447400100200"


def _queue(db, n=1, channel="sms", to=PHONE, purpose="reply", invitation_id=None, payload=None, prefix="m"):
    ids = []
    with db.session() as session:
        for i in range(n):
            ids.append(enqueue(session, channel=channel, to=to, body=f"{prefix} {i}", dedupe_key=f"{prefix}:{i}",
                               purpose=purpose, invitation_id=invitation_id, payload=payload))
    return ids


def _row(db, row_id):
    with db.session() as session:
        return session.get(OutboxMessage, row_id)


def test_each_channel_sends_through_its_real_client(db, channel_config, twilio_fake, telegram_fake, smtp_fake):
    [sms] = _queue(db, prefix="sms")
    [tg] = _queue(db, channel="telegram", to="123456789", prefix="tg",
                  payload={"choices": [["yes", "Yes", None], ["no", "No", None]], "question_key": "feel_safe"})
    [mail] = _queue(db, channel="email", to="carer@example.org", prefix="mail",
                    payload={"subject": "Your review"})

    counts = deliver_due(db, channel_config)

    assert counts["claimed"] == 3 and counts["sent"] == 3
    [sent_sms] = twilio_fake.sent(PHONE)
    assert sent_sms["Body"] == "sms 0"
    assert sent_sms["MessagingServiceSid"] == channel_config.TWILIO_MESSAGING_SERVICE_SID
    assert sent_sms["StatusCallback"] == f"https://hys.example.test/webhooks/twilio/status?o={sms}"
    [sent_tg] = telegram_fake.calls("sendMessage")
    assert sent_tg["chat_id"] == 123456789 and sent_tg["text"] == "tg 0"
    buttons = [b for row in sent_tg["reply_markup"]["inline_keyboard"] for b in row]
    assert [b["callback_data"] for b in buttons] == ["a:feel_safe:yes", "a:feel_safe:no"]
    [received] = smtp_fake.messages
    assert received.rcpt_tos == ["carer@example.org"]
    assert received.message["Subject"] == "Your review"
    assert received.part("text/plain").strip() == "mail 0"
    for row_id in (sms, tg, mail):
        row = _row(db, row_id)
        assert row.status == "sent" and row.provider_id and row.attempts == 1 and row.locked_by is None
    assert _row(db, sms).provider_id == twilio_fake.messages[0]["sid"]
    # Nothing left to do: a second round claims nothing and sends nothing.
    assert deliver_due(db, channel_config)["claimed"] == 0
    assert len(twilio_fake.sent()) == 1


def test_from_number_is_used_without_a_messaging_service(db, channel_config, twilio_fake):
    config = dataclasses.replace(channel_config, TWILIO_MESSAGING_SERVICE_SID=None, TWILIO_FROM_NUMBER="+447400999888")
    _queue(db)
    assert deliver_due(db, config)["sent"] == 1
    [sent] = twilio_fake.sent()
    assert sent["From"] == "+447400999888" and "MessagingServiceSid" not in sent


def test_invite_sent_moves_the_invitation_to_sent(db, channel_config, twilio_fake):
    with db.session() as session:
        invitation = make_invitation(session, status="pending")
        invitation_id = invitation.id
    _queue(db, purpose="invite", invitation_id=invitation_id)
    now = in_send_window(channel_config)
    deliver_due(db, channel_config, now=now)
    with db.session() as session:
        invitation = session.get(Invitation, invitation_id)
        assert invitation.status == "sent" and invitation.sent_at == now
        events = session.scalars(select(InvitationEvent.event).where(InvitationEvent.invitation_id == invitation_id))
        assert list(events) == ["sent"]


def test_server_error_is_retried_with_exponential_backoff(db, channel_config, twilio_fake):
    [row_id] = _queue(db)
    now = utcnow()
    twilio_fake.fail_next(2, 500)
    assert deliver_due(db, channel_config, now=now)["retry"] == 1
    row = _row(db, row_id)
    assert row.status == "queued" and row.attempts == 1 and "500" in row.last_error
    assert row.next_attempt_at == now + timedelta(seconds=30)
    assert deliver_due(db, channel_config, now=now + timedelta(seconds=29))["claimed"] == 0  # not due yet
    later = now + timedelta(seconds=31)
    assert deliver_due(db, channel_config, now=later)["retry"] == 1
    assert _row(db, row_id).next_attempt_at == later + timedelta(seconds=60)
    assert deliver_due(db, channel_config, now=later + timedelta(seconds=61))["sent"] == 1
    assert _row(db, row_id).status == "sent" and _row(db, row_id).attempts == 3
    assert len(twilio_fake.sent()) == 1


def test_rate_limit_honours_retry_after(db, channel_config, twilio_fake, telegram_fake):
    [sms] = _queue(db, prefix="sms")
    [tg] = _queue(db, channel="telegram", to="55555", prefix="tg")
    twilio_fake.fail_next(1, 429, retry_after=7)
    telegram_fake.fail_next(1, 429, retry_after=11, routes="sendMessage")
    now = utcnow()
    assert deliver_due(db, channel_config, now=now)["retry"] == 2
    assert _row(db, sms).next_attempt_at == now + timedelta(seconds=7)
    assert _row(db, tg).next_attempt_at == now + timedelta(seconds=11)
    assert deliver_due(db, channel_config, now=now + timedelta(seconds=8))["sent"] == 1
    assert deliver_due(db, channel_config, now=now + timedelta(seconds=12))["sent"] == 1


def test_network_failure_is_retried(db, channel_config, twilio_fake):
    [row_id] = _queue(db)
    twilio_fake.drop_next(1)
    now = utcnow()
    assert deliver_due(db, channel_config, now=now)["retry"] == 1
    assert "network" in _row(db, row_id).last_error
    assert deliver_due(db, channel_config, now=now + timedelta(minutes=1))["sent"] == 1


def test_unsubscribed_number_is_opted_out_everywhere(db, channel_config, twilio_fake):
    with db.session() as session:
        invitation_id = make_invitation(session, contact=PHONE, status="sent").id
    twilio_fake.reject(PHONE, 21610)
    [first] = _queue(db, prefix="a")
    counts = deliver_due(db, channel_config)
    assert counts["failed"] == 1
    row = _row(db, first)
    assert row.status == "failed" and row.error_code == "21610"
    with db.session() as session:
        assert session.scalar(select(OptOut.source).where(OptOut.address == PHONE)) == "provider_21610"
        assert session.get(Invitation, invitation_id).status == "opted_out"
    # A later message to that number is cancelled without asking Twilio.
    requests_before = len(twilio_fake.recorded("Messages"))
    [second] = _queue(db, prefix="b")
    assert deliver_due(db, channel_config)["cancelled"] == 1
    assert _row(db, second).status == "cancelled"
    assert len(twilio_fake.recorded("Messages")) == requests_before


def test_blocked_telegram_chat_is_opted_out(db, channel_config, telegram_fake):
    telegram_fake.block(424242)
    [row_id] = _queue(db, channel="telegram", to="424242")
    assert deliver_due(db, channel_config)["failed"] == 1
    assert _row(db, row_id).error_code == "403"
    with db.session() as session:
        assert session.scalar(select(OptOut.source).where(OptOut.channel == "telegram")) == "blocked"


def test_permanent_failure_of_an_invite_fails_the_invitation(db, channel_config, twilio_fake):
    with db.session() as session:
        invitation_id = make_invitation(session, contact="+447400100999", status="pending").id
    twilio_fake.reject("+447400100999", 21614)
    [row_id] = _queue(db, to="+447400100999", purpose="invite", invitation_id=invitation_id)
    deliver_due(db, channel_config, now=in_send_window(channel_config))
    assert _row(db, row_id).error_code == "21614"
    with db.session() as session:
        assert session.get(Invitation, invitation_id).status == "failed"


def test_gives_up_after_max_attempts(db, channel_config, twilio_fake):
    config = dataclasses.replace(channel_config, OUTBOX_MAX_ATTEMPTS=2)
    [row_id] = _queue(db)
    twilio_fake.fail_next(5, 503)
    now = utcnow()
    deliver_due(db, config, now=now)
    deliver_due(db, config, now=now + timedelta(hours=1))
    row = _row(db, row_id)
    assert row.status == "failed" and row.attempts == 2 and row.error_code == "retries"
    assert deliver_due(db, config, now=now + timedelta(hours=2))["claimed"] == 0


def test_unconfigured_channel_waits_in_the_queue(db, config, twilio_fake):
    [row_id] = _queue(db)
    assert deliver_due(db, config)["claimed"] == 0  # no Twilio settings
    assert _row(db, row_id).status == "queued"
    assert twilio_fake.recorded() == []


def test_two_workers_send_each_message_exactly_once(db, channel_config, twilio_fake, telegram_fake):
    _queue(db, n=30, prefix="sms")
    _queue(db, n=30, channel="telegram", to="777", prefix="tg")
    twilio_fake.set_delay(0.002)
    errors: list[BaseException] = []

    def worker(name: str) -> None:
        try:
            while deliver_due(db, channel_config, worker_id=name, limit=4)["claimed"]:
                pass
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    bodies = sorted(m["Body"] for m in twilio_fake.sent())
    assert bodies == sorted(f"sms {i}" for i in range(30))
    texts = sorted(c["text"] for c in telegram_fake.calls("sendMessage"))
    assert texts == sorted(f"tg {i}" for i in range(30))
    with db.session() as session:
        assert session.scalar(select(func.count()).where(OutboxMessage.status == "sent")) == 60


def test_sends_are_spaced_per_channel(db, channel_config, twilio_fake):
    config = dataclasses.replace(channel_config, SMS_PER_SECOND=20.0)
    _queue(db, n=6)
    started = time.monotonic()
    assert deliver_due(db, config)["sent"] == 6
    assert time.monotonic() - started >= 5 / 20.0 - 0.01


def test_send_now_sends_only_the_given_messages(db, channel_config, twilio_fake):
    ids = _queue(db, n=3)
    counts = send_now(db, channel_config, ids[:2])
    assert counts["sent"] == 2
    assert sorted(m["Body"] for m in twilio_fake.sent()) == ["m 0", "m 1"]
    assert _row(db, ids[2]).status == "queued"
    assert send_now(db, channel_config, ids[:2])["claimed"] == 0  # already sent


def test_worker_loop_stops_when_told(db, channel_config, twilio_fake):
    _queue(db, n=2)
    stop = threading.Event()
    thread = threading.Thread(target=lambda: run_worker(db, channel_config, stop, interval=0.05))
    thread.start()
    deadline = time.monotonic() + 10
    while len(twilio_fake.sent()) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    stop.set()
    thread.join(5)
    assert not thread.is_alive()
    assert len(twilio_fake.sent()) == 2


def test_status_reports_only_move_forward(db):
    [row_id] = _queue(db)
    with db.session() as session:
        row = session.get(OutboxMessage, row_id)
        row.status, row.provider_id = "sent", "SMabc"
    with db.session() as session:
        assert record_status(session, "SMabc", "delivered").status == "delivered"
    with db.session() as session:
        assert record_status(session, "SMabc", "sent").status == "delivered"  # late "sent" is ignored
        assert record_status(session, "SMunknown", "delivered") is None


def test_backoff_grows_and_is_capped():
    assert [backoff(n) for n in (1, 2, 3)] == [30, 60, 120]
    assert backoff(20) == 3600
    assert backoff(3, retry_after=5) == 5


def _process_worker(database_url: str, config, name: str) -> None:  # noqa: ANN001 - runs in a child process
    from bot.sender import deliver_due
    from storage.db import Database

    db = Database(database_url)
    try:
        while deliver_due(db, config, worker_id=name, limit=3)["claimed"]:
            pass
    finally:
        db.dispose()


def test_two_worker_processes_send_each_message_exactly_once(db, database_url, channel_config, twilio_fake):
    import multiprocessing

    _queue(db, n=24, prefix="p")
    twilio_fake.set_delay(0.005)
    context = multiprocessing.get_context("fork")  # Linux; the child builds its own engine
    processes = [context.Process(target=_process_worker, args=(database_url, channel_config, f"proc{i}"))
                 for i in range(2)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(60)
    assert [p.exitcode for p in processes] == [0, 0]
    assert sorted(m["Body"] for m in twilio_fake.sent()) == sorted(f"p {i}" for i in range(24))
    with db.session() as session:
        provider_ids = set(session.scalars(select(OutboxMessage.provider_id)))
        assert len(provider_ids) == 24 and session.scalar(
            select(func.count()).where(OutboxMessage.status == "sent")) == 24


def test_messages_we_start_wait_for_the_send_window_and_replies_do_not(db, channel_config, twilio_fake):
    from datetime import UTC, datetime

    with db.session() as session:
        invitation_id = make_invitation(session, contact="+447400100777", status="pending").id
    # Queued at 19:59 on a Friday in November (London is on UTC): the invitation's first try fails.
    friday_evening = datetime(2026, 11, 27, 19, 59, tzinfo=UTC)
    with db.session() as session:
        invite = enqueue(session, channel="sms", to="+447400100777", body="invite", dedupe_key="w:invite",
                         purpose="invite", invitation_id=invitation_id, not_before=friday_evening)
        said = enqueue(session, channel="sms", to="+447400100777", body="yswd", dedupe_key="w:yswd",
                       purpose="you_said_we_did", not_before=friday_evening + timedelta(hours=2))
        reply = enqueue(session, channel="sms", to="+447400100777", body="reply", dedupe_key="w:reply",
                        purpose="reply", not_before=friday_evening + timedelta(hours=2))
    twilio_fake.fail_next(1, 503)
    assert deliver_due(db, channel_config, now=friday_evening)["retry"] == 1
    # Its retry falls due at 20:00 and after: it waits; a reply to a child who just wrote does not.
    late = friday_evening + timedelta(hours=2)
    counts = deliver_due(db, channel_config, now=late)
    assert counts["sent"] == 1 and _row(db, reply).status == "sent"
    assert _row(db, invite).status == "queued" and _row(db, said).status == "queued"
    # Saturday 07:59 is still too early; 08:00 sends both.
    saturday = datetime(2026, 11, 28, 7, 59, tzinfo=UTC)
    assert deliver_due(db, channel_config, now=saturday)["claimed"] == 0
    assert deliver_due(db, channel_config, now=saturday + timedelta(minutes=1))["sent"] == 2
    assert [m["Body"] for m in twilio_fake.sent("+447400100777")] == ["reply", "invite", "yswd"]
    # No messages we start on a Sunday either (NO_SUNDAY_SENDS), even inside the hours.
    with db.session() as session:
        enqueue(session, channel="sms", to="+447400100777", body="sunday", dedupe_key="w:sunday",
                purpose="reminder", not_before=saturday)
    assert deliver_due(db, channel_config, now=datetime(2026, 11, 29, 12, 0, tzinfo=UTC))["claimed"] == 0
    assert deliver_due(db, channel_config, now=datetime(2026, 11, 30, 8, 0, tzinfo=UTC))["sent"] == 1


def test_enqueue_many_queues_each_dedupe_key_once_and_names_the_new_ids(db):
    """One statement for many rows: the new ones get ids, a key already queued is left as it was."""
    from storage.outbox import enqueue_many, outbox_row

    with db.session() as session:
        first = enqueue(session, channel="sms", to="+447400100888", body="already here", dedupe_key="many:0",
                        purpose="reply")
        rows = [outbox_row(channel="sms", to="+447400100888", body=f"part {i}", dedupe_key=f"many:{i}",
                           purpose="reply") for i in range(3)]
        queued = enqueue_many(session, rows)
    assert first is not None and set(queued) == {"many:1", "many:2"}
    with db.session() as session:
        stored = dict(session.execute(select(OutboxMessage.dedupe_key, OutboxMessage.body)
                                      .where(OutboxMessage.dedupe_key.like("many:%"))).all())
        by_id = {row.id: row.dedupe_key for row in session.scalars(select(OutboxMessage)
                                                                   .where(OutboxMessage.id.in_(queued.values())))}
    assert stored == {"many:0": "already here", "many:1": "part 1", "many:2": "part 2"}
    assert by_id == {queued["many:1"]: "many:1", queued["many:2"]: "many:2"}
