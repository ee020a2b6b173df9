"""The review cycle on a frozen clock: invitations, reminders and closes queued and delivered.

Each run is ``queue_due`` then the real outbox sender (``bot.sender.deliver_due``)
against the fake Twilio and SMTP servers, at an explicit moment.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from bot.sender import deliver_due
from storage.lifecycle import set_status
from storage.models import Invitation, OptOut, OutboxMessage, Review
from storage.reviews import import_schedule
from storage.scheduler import queue_due, route
from surveys.forms import all_forms
from surveys.schedule_csv import COLUMNS

PAYLOADS = Path(__file__).parents[1] / "payloads" / "schedules"
CHILD, PARENT, CARER_EASTER, LEAVER = "+447400100001", "+447400100002", "+447400100003", "+447400100004"
CARER_MAIL = "carer.one@example.org"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _import(db, data: bytes | None = None) -> None:  # noqa: ANN001
    data = data if data is not None else (PAYLOADS / "cycle.csv").read_bytes()
    with db.session() as session:
        assert import_schedule(session, [data]).ok


def run(db, config, moment: str) -> dict[str, int]:  # noqa: ANN001
    """One worker round at ``moment`` (UTC): queue what is due, deliver the outbox."""
    now = at(moment)
    with db.session() as session:
        counts = queue_due(session, config, now)
    deliver_due(db, config, now=now)
    return counts


def invitations(db, review_ref: str) -> dict[tuple[str, str], Invitation]:  # noqa: ANN001
    with db.session() as session:
        rows = session.scalars(select(Invitation).join(Review).where(Review.review_ref == review_ref)).all()
        return {(i.role, i.phase): i for i in rows}


def outbox(db) -> list[tuple[str, str, str, str, str]]:  # noqa: ANN001
    """(dedupe step, role, outbox channel, address, due time) of every queued message, in order."""
    with db.session() as session:
        rows = session.execute(select(OutboxMessage, Invitation.role).join(Invitation)
                               .order_by(OutboxMessage.id)).all()
        return [(m.dedupe_key.split(":")[0], role, m.channel, m.to, m.next_attempt_at.isoformat(), m.status)
                for m, role in rows]


def statuses(db, review_ref: str) -> dict[tuple[str, str], str]:  # noqa: ANN001
    return {key: inv.status for key, inv in invitations(db, review_ref).items()}


def test_christmas_review_through_the_whole_cycle(db, channel_config, twilio_fake, smtp_fake):
    _import(db)
    with db.session() as session:
        session.add(OptOut(channel="sms", address=PARENT, source="keyword"))
    invs = invitations(db, "R-XMAS")

    assert run(db, channel_config, "2026-12-11T08:59:00")["queued"] == 0
    # Friday 11 December, 09:00 GMT: ten working days before Tuesday 29 December (25 and 28 are holidays).
    counts = run(db, channel_config, "2026-12-11T09:00:00")
    assert (counts["queued"], counts["opted_out"], counts["not_sent"]) == (2, 1, 1)
    assert outbox(db) == [
        ("invite", "child", "sms", CHILD, "2026-12-11T09:00:00+00:00", "sent"),
        ("invite", "carer", "email", CARER_MAIL, "2026-12-11T09:00:00+00:00", "sent"),
    ]
    [sms] = twilio_fake.sent(CHILD)
    child_token = invs[("child", "consultation")].token
    assert sms["Body"] == ("Have Your Say: your review is on Tuesday 29 December 2026. Tell us what you think "
                           f"before it ({all_forms()['child_before'].title['en']}): "
                           f"https://hys.example.test/f/{child_token} Reply STOP to stop.")
    [mail] = smtp_fake.messages
    assert mail.rcpt_tos == [CARER_MAIL]
    assert mail.message["Subject"].startswith("Have Your Say: ")
    assert f"https://hys.example.test/f/{invs[('carer', 'consultation')].token}" in mail.part("text/plain")
    assert statuses(db, "R-XMAS") == {
        ("child", "consultation"): "sent", ("carer", "consultation"): "sent",
        ("parent", "consultation"): "opted_out", ("health", "consultation"): "pending",  # paper: the letter
        ("child", "feedback"): "pending", ("carer", "feedback"): "pending", ("parent", "feedback"): "pending",
    }
    # A second run at the same moment, and runs between steps, queue nothing more.
    for moment in ("2026-12-11T09:00:00", "2026-12-14T12:00:00", "2026-12-17T19:59:00"):
        assert run(db, channel_config, moment)["queued"] == 0

    # The child answers everything before the first reminder: no reminders for them.
    with db.session() as session:
        set_status(session, session.get(Invitation, invs[("child", "consultation")].id), "completed",
                   now=at("2026-12-15T16:00:00"))
    assert run(db, channel_config, "2026-12-18T09:00:00")["queued"] == 1
    assert run(db, channel_config, "2026-12-23T09:00:00")["queued"] == 1
    assert outbox(db)[2:] == [
        ("reminder_1", "carer", "email", CARER_MAIL, "2026-12-18T09:00:00+00:00", "sent"),
        ("reminder_2", "carer", "email", CARER_MAIL, "2026-12-23T09:00:00+00:00", "sent"),
    ]
    assert len(twilio_fake.sent(CHILD)) == 1

    # The review day: consultation closes at midnight; not completed means expired.
    assert run(db, channel_config, "2026-12-28T23:59:59")["closed"] == 0
    assert run(db, channel_config, "2026-12-29T00:00:00")["closed"] == 2
    assert statuses(db, "R-XMAS") == {
        ("child", "consultation"): "completed", ("carer", "consultation"): "expired",
        ("parent", "consultation"): "opted_out", ("health", "consultation"): "expired",
        ("child", "feedback"): "pending", ("carer", "feedback"): "pending", ("parent", "feedback"): "pending",
    }

    # Feedback two days after the review at 10:00, one reminder a week later, closed after four weeks.
    assert run(db, channel_config, "2026-12-31T09:59:00")["queued"] == 0
    counts = run(db, channel_config, "2026-12-31T10:00:00")
    assert (counts["queued"], counts["opted_out"]) == (2, 1)
    with db.session() as session:
        set_status(session, session.get(Invitation, invs[("carer", "feedback")].id), "completed",
                   now=at("2027-01-02T10:00:00"))
    assert run(db, channel_config, "2027-01-07T10:00:00")["queued"] == 1
    assert outbox(db)[4:] == [
        ("feedback_invite", "child", "sms", CHILD, "2026-12-31T10:00:00+00:00", "sent"),
        ("feedback_invite", "carer", "email", CARER_MAIL, "2026-12-31T10:00:00+00:00", "sent"),
        ("feedback_reminder", "child", "sms", CHILD, "2027-01-07T10:00:00+00:00", "sent"),
    ]
    assert twilio_fake.sent(CHILD)[-1]["Body"].startswith("Have Your Say: we'd still love to know how your review "
                                                          "on Tuesday 29 December 2026 went")
    assert run(db, channel_config, "2027-01-28T10:00:00")["closed"] == 1
    final = statuses(db, "R-XMAS")
    assert (final[("child", "feedback")], final[("carer", "feedback")]) == ("expired", "completed")
    assert not twilio_fake.sent(PARENT)
    assert len(outbox(db)) == 7
    assert run(db, channel_config, "2027-02-28T10:00:00") == {
        "queued": 0, "already_queued": 0, "closed": 0, "skipped": 0, "not_sent": 0, "opted_out": 0,
        "invitations": 0}


def test_a_moved_review_keeps_what_was_sent_and_reschedules_the_rest(db, channel_config, twilio_fake):
    _import(db)
    run(db, channel_config, "2026-12-11T09:00:00")
    moved = (PAYLOADS / "cycle.csv").read_bytes().replace(b"2026-12-29", b"2027-01-12")
    _import(db, moved)
    # The old reminder times and the new invite day (24 December) send nothing: the invite stays sent.
    for moment in ("2026-12-18T09:00:00", "2026-12-23T09:00:00", "2026-12-24T09:00:00", "2026-12-29T00:00:00"):
        counts = run(db, channel_config, moment)
        assert (counts["queued"], counts["closed"]) == (0, 0), moment
    # New reminders: 5 and 2 working days before Tuesday 12 January 2027 (1 January is a holiday).
    assert run(db, channel_config, "2027-01-05T09:00:00")["queued"] == 3
    assert run(db, channel_config, "2027-01-08T09:00:00")["queued"] == 3
    assert run(db, channel_config, "2027-01-12T00:00:00")["closed"] == 4
    assert [row[:2] + row[4:5] for row in outbox(db)] == [
        ("invite", "child", "2026-12-11T09:00:00+00:00"),
        ("invite", "carer", "2026-12-11T09:00:00+00:00"),
        ("invite", "parent", "2026-12-11T09:00:00+00:00"),
        ("reminder_1", "child", "2027-01-05T09:00:00+00:00"),
        ("reminder_1", "carer", "2027-01-05T09:00:00+00:00"),
        ("reminder_1", "parent", "2027-01-05T09:00:00+00:00"),
        ("reminder_2", "child", "2027-01-08T09:00:00+00:00"),
        ("reminder_2", "carer", "2027-01-08T09:00:00+00:00"),
        ("reminder_2", "parent", "2027-01-08T09:00:00+00:00"),
    ]
    assert twilio_fake.sent(CHILD)[1]["Body"].startswith("Have Your Say: a reminder, your review is on "
                                                         "Tuesday 12 January 2027.")


def test_easter_child_under_eight_is_invited_through_the_carer(db, channel_config, twilio_fake):
    _import(db)
    invs = invitations(db, "R-EASTER")
    # Invite due Friday 20 March 09:00 GMT, but the worker was down: Saturday night is outside
    # the window, Sunday is barred, Monday 08:00 is the first allowed moment.
    for moment in ("2026-03-21T20:30:00", "2026-03-22T12:00:00", "2026-03-23T07:59:00"):
        assert run(db, channel_config, moment)["queued"] == 0, moment
    assert run(db, channel_config, "2026-03-23T08:00:00")["queued"] == 2
    via_carer, own = twilio_fake.sent(CARER_EASTER)
    assert via_carer["Body"].startswith("Have Your Say: please help the child you care for")
    assert via_carer["Body"].endswith(f"https://hys.example.test/f/{invs[('child', 'consultation')].token}")
    assert f"https://hys.example.test/f/{invs[('carer', 'consultation')].token}" in own["Body"]
    assert statuses(db, "R-EASTER")[("child", "consultation")] == "sent"
    # Reminders: Friday 27 March 09:00 GMT and Wednesday 1 April 09:00 BST (Good Friday and
    # Easter Monday are not working days): to the carer only.
    assert run(db, channel_config, "2026-03-27T09:00:00")["queued"] == 1
    assert run(db, channel_config, "2026-04-01T07:59:00")["queued"] == 0
    assert run(db, channel_config, "2026-04-01T08:00:00")["queued"] == 1
    assert run(db, channel_config, "2026-04-06T22:59:00")["closed"] == 0
    assert run(db, channel_config, "2026-04-06T23:00:00")["closed"] == 2  # midnight BST
    assert len(twilio_fake.sent(CARER_EASTER)) == 4


def test_care_leaver_on_telegram_gets_the_deep_link_by_sms(db, channel_config, twilio_fake):
    _import(db)
    invs = invitations(db, "R-MAY")
    assert invs[("care_leaver", "consultation")].form_id == "care_leaver_before"
    # Ten working days before Tuesday 5 May 2026 (4 May is a bank holiday): Monday 20 April, 09:00 BST.
    run(db, channel_config, "2026-04-20T07:59:00")  # (the Easter review's late feedback invite goes out)
    assert not twilio_fake.sent(LEAVER)
    assert run(db, channel_config, "2026-04-20T08:00:00")["queued"] == 1
    [sms] = twilio_fake.sent(LEAVER)
    token = invs[("care_leaver", "consultation")].token
    assert sms["Body"] == ("Have Your Say: tap here to answer on Telegram: "
                           f"https://t.me/{channel_config.TELEGRAM_BOT_USERNAME}?start={token}")


def test_routes_per_channel():
    assert route("sms", "+447400100001") == ("sms", "+447400100001")
    assert route("telegram", "+447400100001") == ("sms", "+447400100001")
    assert route("telegram", None) is None
    assert route("web", "a@example.org") == ("email", "a@example.org")
    assert route("email", "a@example.org") == ("email", "a@example.org")
    assert route("web", "+447400100001") == ("sms", "+447400100001")
    assert route("paper", "Flat 1") is None


def _many(n_reviews: int) -> bytes:
    lines = [",".join(COLUMNS)]
    for i in range(n_reviews):
        ref = f"R{i:05d}"
        lines.append(f"{ref},C{i:05d},12,CLA,2026-12-29,iro@council.example,child,sms,07400 1{i:05d},en")
        lines.append(f"{ref},C{i:05d},12,CLA,2026-12-29,iro@council.example,carer,email,carer{i}@example.org,en")
    return ("\n".join(lines) + "\n").encode()


def test_two_workers_queue_each_step_exactly_once(db, config):
    _import(db, _many(250))  # 500 consultation invitations due at once
    now = at("2026-12-11T09:00:00")
    results: list[dict[str, int]] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with db.session() as session:
                results.append(queue_due(session, config, now))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert sum(r["queued"] for r in results) == 500
    with db.session() as session:
        assert session.scalar(select(func.count(OutboxMessage.id))) == 500
        assert session.scalar(select(func.count(func.distinct(OutboxMessage.invitation_id)))) == 500
    with db.session() as session:
        again = queue_due(session, config, now)
    assert (again["queued"], again["already_queued"], again["invitations"]) == (0, 0, 0)


def test_the_close_expires_partials_but_keeps_what_was_received(db, config):
    _import(db)
    invs = invitations(db, "R-XMAS")
    run_at = at("2026-12-11T09:00:00")
    with db.session() as session:
        queue_due(session, config, run_at)
    with db.session() as session:
        parent = session.get(Invitation, invs[("parent", "consultation")].id)
        set_status(session, parent, "partial", now=at("2026-12-20T18:00:00"))
        parent.received = True  # every required question answered, the optional ones not yet
    with db.session() as session:
        counts = queue_due(session, config, at("2026-12-29T00:00:00"))
    assert counts["closed"] == 4
    with db.session() as session:
        parent = session.get(Invitation, invs[("parent", "consultation")].id)
        assert (parent.status, parent.received) == ("expired", True)
        assert parent.closed_at == at("2026-12-29T00:00:00")
        assert parent.steps_done["close"] == "2026-12-29T00:00:00+00:00"
        # No run between the invite and the close: the reminders are dropped, never sent late.
        assert (parent.steps_done["reminder_1"], parent.steps_done["reminder_2"]) == ("skipped", "skipped")
