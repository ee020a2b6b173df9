"""The whole review cycle on a frozen clock, every status and every send time checked.

Three reviews on Friday 11 September 2026 (the invitations go out across the August
bank-holiday weekend) run from import to the feedback survey's close. Every moment is
explicit: ``queue_due`` and the real outbox sender (``bot.sender.deliver_due``, real
twilio and smtplib clients against the fake servers) run at that moment, replies go
through the real dispatcher and answers through ``storage.responses.save_answers``
with the same moment. Along the way:

- the child answers part of the form (partial), is reminded, then finishes (completed);
- the parent texts STOP (opted out: no reminder, no feedback survey);
- the carer opens the link and never finishes (opened, reminded twice, expired);
- the health professional's invitation is on paper (pending until the close: expired);
- the school's number cannot take texts (failed: nothing more is sent);
- another child says they want to stop (declined: no reminders);
- a third review moves two weeks later after its invitation went out (rescheduled:
  the reminders, close and feedback follow the new date, the invitation is not resent).

At the end every status and its time is on the dashboard's review page.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

from sqlalchemy import select

from bot.base import InboundMessage
from bot.dispatcher import dispatch
from bot.sender import deliver_due
from storage.lifecycle import set_status
from storage.models import Invitation, InvitationEvent, OutboxMessage, Review
from storage.responses import save_answers
from storage.reviews import import_schedule
from storage.scheduler import queue_due
from surveys.schedule_csv import COLUMNS
from tests.web.dashboard_data import with_required

CHILD, PARENT, SCHOOL, DECLINER, MOVER = ("+447400300001", "+447400300002", "+447400300003",
                                          "+447400300004", "+447400300005")
CARER = "carer.aug@example.org"


def schedule(moved_to: str = "2026-09-11") -> bytes:
    rows = [
        "R-AUG,C-10,12,CLA,2026-09-11,iro@council.example,child,sms,07400 300001,en",
        "R-AUG,C-10,12,CLA,2026-09-11,iro@council.example,parent,sms,07400 300002,en",
        f"R-AUG,C-10,12,CLA,2026-09-11,iro@council.example,carer,email,{CARER},en",
        "R-AUG,C-10,12,CLA,2026-09-11,iro@council.example,health,paper,Health visitor (by hand),en",
        "R-AUG,C-10,12,CLA,2026-09-11,iro@council.example,education,web,07400 300003,en",
        "R-DECL,C-11,15,CLA,2026-09-11,iro@council.example,child,sms,07400 300004,en",
        f"R-MOVED,C-12,13,CLA,{moved_to},iro@council.example,child,sms,07400 300005,en",
    ]
    return (",".join(COLUMNS) + "\n" + "\n".join(rows) + "\n").encode()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


class Cycle:
    def __init__(self, db, config) -> None:  # noqa: ANN001
        self.db, self.config = db, config
        self.sms = 0

    def run(self, moment: str) -> dict[str, int]:
        now = at(moment)
        with self.db.session() as session:
            counts = queue_due(session, self.config, now)
        deliver_due(self.db, self.config, now=now)
        return counts

    def invitation_id(self, ref: str, role: str, phase: str = "consultation") -> int:
        with self.db.session() as session:
            return session.scalar(select(Invitation.id).join(Review).where(
                Review.review_ref == ref, Invitation.role == role, Invitation.phase == phase))

    def statuses(self) -> dict[tuple[str, str, str], str]:
        with self.db.session() as session:
            rows = session.execute(select(Review.review_ref, Invitation.role, Invitation.phase, Invitation.status)
                                   .join(Review)).all()
            return {(ref, role, phase): status for ref, role, phase, status in rows}

    def outbox(self) -> list[tuple[str, str, str, str, str]]:
        """(step, review, role, address, due time UTC, status) of every queued message, in order."""
        with self.db.session() as session:
            rows = session.execute(select(OutboxMessage, Review.review_ref, Invitation.role)
                                   .join(Invitation, OutboxMessage.invitation_id == Invitation.id)
                                   .join(Review).where(OutboxMessage.purpose != "reply")
                                   .order_by(OutboxMessage.id)).all()
            return [(m.dedupe_key.split(":")[0], ref, role, m.to,
                     m.next_attempt_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M"), m.status)
                    for m, ref, role in rows]

    def text(self, sender: str, body: str, moment: str) -> str:
        self.sms += 1
        now = at(moment)
        with self.db.session() as session:
            result = dispatch(session, InboundMessage(channel="sms", provider_id=f"SMtest{self.sms:04d}",
                                                      sender=sender, text=body, received_at=now), now=now)
            return result.outcome

    def answer(self, invitation_id: int, moment: str, *, finished: bool, first_only: bool = False) -> str:
        with self.db.session() as session:
            invitation = session.get(Invitation, invitation_id)
            answers = with_required(invitation, {})
            if first_only:
                answers = dict(list(answers.items())[:1])
            return save_answers(session, invitation, answers, channel="web", finished=finished,
                                now=at(moment)).status

    def events(self, invitation_id: int) -> list[tuple[str, str]]:
        with self.db.session() as session:
            rows = session.execute(select(InvitationEvent.event, InvitationEvent.at)
                                   .where(InvitationEvent.invitation_id == invitation_id)
                                   .order_by(InvitationEvent.at, InvitationEvent.id)).all()
            return [(event, moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M")) for event, moment in rows]


def _review_page(client, db, ref: str) -> dict[str, tuple[str, list[str]]]:  # noqa: ANN001
    """'Role: phase' -> (status shown, ['Thu 27 Aug 2026 09:00: sent', ...]) from the dashboard's review page."""
    with db.session() as session:
        review_id = session.scalar(select(Review.id).where(Review.review_ref == ref))
    response = client.get(f"/dashboard/reviews/{review_id}")
    assert response.status_code == 200
    shown = {}
    for section in response.get_data(as_text=True).split('<section class="invitation"')[1:]:
        heading = re.search(r'<h3 id="inv-\d+">(.*?) <span class="tag">([a-z_]+)</span></h3>', section)
        timeline = re.findall(r'<li><time datetime="[^"]+">([^<]+)</time>: ([^<]+)</li>', section)
        shown[html.unescape(heading.group(1))] = (heading.group(2), [f"{when}: {event}" for when, event in timeline])
    return shown


def test_three_reviews_from_import_to_the_feedback_close(db, channel_config, twilio_fake, smtp_fake, client,
                                                         staff_login):
    twilio_fake.reject(SCHOOL, 21614)  # the school's number is a landline that Twilio cannot text
    with db.session() as session:
        assert import_schedule(session, [schedule()], now=at("2026-08-20T10:00:00")).ok
    cycle = Cycle(db, channel_config)
    child, carer = cycle.invitation_id("R-AUG", "child"), cycle.invitation_id("R-AUG", "carer")

    # Thursday 27 August, 09:00 BST: ten working days before Friday 11 September, counted past the
    # bank holiday on Monday 31 August (without it the invitations would go a day later).
    assert cycle.run("2026-08-27T07:59:00")["queued"] == 0
    counts = cycle.run("2026-08-27T08:00:00")
    assert (counts["queued"], counts["not_sent"]) == (6, 1)  # the health professional's is on paper
    invites = [
        ("invite", "R-AUG", "child", CHILD, "2026-08-27 08:00", "sent"),
        ("invite", "R-AUG", "parent", PARENT, "2026-08-27 08:00", "sent"),
        ("invite", "R-AUG", "carer", CARER, "2026-08-27 08:00", "sent"),
        ("invite", "R-AUG", "education", SCHOOL, "2026-08-27 08:00", "failed"),
        ("invite", "R-DECL", "child", DECLINER, "2026-08-27 08:00", "sent"),
        ("invite", "R-MOVED", "child", MOVER, "2026-08-27 08:00", "sent"),
    ]
    assert cycle.outbox() == invites
    assert cycle.statuses() == {
        ("R-AUG", "child", "consultation"): "sent", ("R-AUG", "child", "feedback"): "pending",
        ("R-AUG", "parent", "consultation"): "sent", ("R-AUG", "parent", "feedback"): "pending",
        ("R-AUG", "carer", "consultation"): "sent", ("R-AUG", "carer", "feedback"): "pending",
        ("R-AUG", "health", "consultation"): "pending", ("R-AUG", "education", "consultation"): "failed",
        ("R-DECL", "child", "consultation"): "sent", ("R-DECL", "child", "feedback"): "pending",
        ("R-MOVED", "child", "consultation"): "sent", ("R-MOVED", "child", "feedback"): "pending",
    }
    assert [m["To"] for m in twilio_fake.sent()] == [CHILD, PARENT, DECLINER, MOVER]
    assert [m.rcpt_tos for m in smtp_fake.messages] == [[CARER]]

    # Friday: the parent texts STOP (both forms opted out); the other child starts, then wants to stop.
    assert cycle.text(PARENT, "STOP", "2026-08-28T12:00:00") == "opted_out"
    assert cycle.text(DECLINER, "hi", "2026-08-28T15:00:00") == "started"
    assert cycle.text(DECLINER, "i want to stop", "2026-08-28T15:01:00") == "answered"
    # The bank-holiday weekend: nothing is due, nothing goes out.
    for moment in ("2026-08-29T09:00:00", "2026-08-30T09:00:00", "2026-08-31T08:00:00", "2026-08-31T12:00:00"):
        assert cycle.run(moment)["queued"] == 0, moment
    assert cycle.answer(child, "2026-09-01T16:00:00", finished=False, first_only=True) == "partial"
    # Wednesday 2 September: the case system moves R-MOVED to Friday 25 September.
    with db.session() as session:
        moved = import_schedule(session, [schedule(moved_to="2026-09-25")], now=at("2026-09-02T10:00:00"))
    assert (moved.reviews_rescheduled, moved.invitations_created, moved.invitations_unchanged) == (1, 0, 12)
    with db.session() as session:  # what the web form does when the carer follows the link
        set_status(session, session.get(Invitation, carer), "opened", now=at("2026-09-03T19:00:00"),
                   detail="web link")

    # Reminders, 5 and 2 working days before 11 September, 09:00 BST, to those who have not finished.
    assert cycle.run("2026-09-04T07:59:00")["queued"] == 0
    counts = cycle.run("2026-09-04T08:00:00")
    assert (counts["queued"], counts["not_sent"]) == (2, 1)  # the partial child and the carer; paper
    assert cycle.answer(child, "2026-09-07T17:00:00", finished=True) == "completed"
    assert cycle.run("2026-09-09T08:00:00")["queued"] == 1  # the carer only
    # The consultation closes as the review starts (00:00 BST): not completed means expired.
    assert cycle.run("2026-09-10T22:59:59")["closed"] == 0
    assert cycle.run("2026-09-10T23:00:00")["closed"] == 2  # the carer and the paper form
    # The new invite day of the moved review sends nothing: its invitation went out already.
    assert cycle.run("2026-09-11T08:00:00")["queued"] == 0
    # Feedback: two days after the review is Sunday 13 September (no sends): Monday 08:00 BST instead.
    for moment in ("2026-09-13T09:00:00", "2026-09-14T06:59:00"):
        assert cycle.run(moment)["queued"] == 0, moment
    assert cycle.run("2026-09-14T07:00:00")["queued"] == 3
    # The moved review: reminders 5 and 2 working days before 25 September, then its close.
    assert cycle.run("2026-09-18T08:00:00")["queued"] == 1
    assert cycle.run("2026-09-21T09:00:00")["queued"] == 3  # one feedback reminder, a week after
    assert cycle.run("2026-09-23T08:00:00")["queued"] == 1
    assert cycle.run("2026-09-24T23:00:00")["closed"] == 1
    assert cycle.run("2026-09-28T07:00:00")["queued"] == 1  # Sunday 27th again: Monday 08:00
    assert cycle.run("2026-10-05T09:00:00")["queued"] == 1
    assert cycle.run("2026-10-12T06:59:00")["closed"] == 0
    assert cycle.run("2026-10-12T07:00:00")["closed"] == 3  # four weeks after the feedback invite
    assert cycle.run("2026-10-26T07:59:00")["closed"] == 0  # after the clocks went back: 08:00 GMT
    assert cycle.run("2026-10-26T08:00:00")["closed"] == 1
    assert cycle.run("2026-11-30T12:00:00") == {"queued": 0, "already_queued": 0, "closed": 0, "skipped": 0,
                                                "not_sent": 0, "opted_out": 0, "invitations": 0}

    assert cycle.outbox() == invites + [
        ("reminder_1", "R-AUG", "child", CHILD, "2026-09-04 08:00", "sent"),
        ("reminder_1", "R-AUG", "carer", CARER, "2026-09-04 08:00", "sent"),
        ("reminder_2", "R-AUG", "carer", CARER, "2026-09-09 08:00", "sent"),
        ("feedback_invite", "R-AUG", "child", CHILD, "2026-09-14 07:00", "sent"),
        ("feedback_invite", "R-AUG", "carer", CARER, "2026-09-14 07:00", "sent"),
        ("feedback_invite", "R-DECL", "child", DECLINER, "2026-09-14 07:00", "sent"),
        ("reminder_1", "R-MOVED", "child", MOVER, "2026-09-18 08:00", "sent"),
        ("feedback_reminder", "R-AUG", "child", CHILD, "2026-09-21 09:00", "sent"),
        ("feedback_reminder", "R-AUG", "carer", CARER, "2026-09-21 09:00", "sent"),
        ("feedback_reminder", "R-DECL", "child", DECLINER, "2026-09-21 09:00", "sent"),
        ("reminder_2", "R-MOVED", "child", MOVER, "2026-09-23 08:00", "sent"),
        ("feedback_invite", "R-MOVED", "child", MOVER, "2026-09-28 07:00", "sent"),
        ("feedback_reminder", "R-MOVED", "child", MOVER, "2026-10-05 09:00", "sent"),
    ]
    assert not twilio_fake.sent(SCHOOL) and len(twilio_fake.sent(PARENT)) == 1
    assert cycle.statuses() == {
        ("R-AUG", "child", "consultation"): "completed", ("R-AUG", "child", "feedback"): "expired",
        ("R-AUG", "parent", "consultation"): "opted_out", ("R-AUG", "parent", "feedback"): "opted_out",
        ("R-AUG", "carer", "consultation"): "expired", ("R-AUG", "carer", "feedback"): "expired",
        ("R-AUG", "health", "consultation"): "expired", ("R-AUG", "education", "consultation"): "failed",
        ("R-DECL", "child", "consultation"): "declined", ("R-DECL", "child", "feedback"): "expired",
        ("R-MOVED", "child", "consultation"): "expired", ("R-MOVED", "child", "feedback"): "expired",
    }
    with db.session() as session:
        partial = session.get(Invitation, child)
        assert (partial.sent_at, partial.opened_at, partial.completed_at) == (
            at("2026-08-27T08:00:00"), at("2026-09-01T16:00:00"), at("2026-09-07T17:00:00"))

    # Every status and reminder with its time, on the review page (local time: BST until 25 October).
    staff_login("manager")
    assert _review_page(client, db, "R-AUG") == {
        "Carer: consultation": ("expired", ["Thu 27 Aug 2026 09:00: sent", "Thu 03 Sep 2026 20:00: opened",
                                            "Fri 04 Sep 2026 09:00: reminder_1", "Wed 09 Sep 2026 09:00: reminder_2",
                                            "Fri 11 Sep 2026 00:00: expired"]),
        "Child / young person: consultation": ("completed", ["Thu 27 Aug 2026 09:00: sent", "Tue 01 Sep 2026 17:00: opened",
                                              "Tue 01 Sep 2026 17:00: partial", "Fri 04 Sep 2026 09:00: reminder_1",
                                              "Mon 07 Sep 2026 18:00: completed"]),
        "Education: consultation": ("failed", ["Thu 27 Aug 2026 09:00: failed"]),
        "Health: consultation": ("expired", ["Fri 11 Sep 2026 00:00: expired"]),
        "Parent: consultation": ("opted_out", ["Thu 27 Aug 2026 09:00: sent", "Fri 28 Aug 2026 13:00: opted_out"]),
        "Carer: feedback": ("expired", ["Mon 14 Sep 2026 08:00: sent", "Mon 21 Sep 2026 10:00: feedback_reminder",
                                        "Mon 12 Oct 2026 08:00: expired"]),
        "Child / young person: feedback": ("expired", ["Mon 14 Sep 2026 08:00: sent",
                                                       "Mon 21 Sep 2026 10:00: feedback_reminder",
                                                       "Mon 12 Oct 2026 08:00: expired"]),
        "Parent: feedback": ("opted_out", ["Fri 28 Aug 2026 13:00: opted_out"]),
    }
    assert _review_page(client, db, "R-DECL")["Child / young person: consultation"] == (
        "declined", ["Thu 27 Aug 2026 09:00: sent", "Fri 28 Aug 2026 16:00: opened", "Fri 28 Aug 2026 16:01: declined"])
    assert _review_page(client, db, "R-MOVED") == {
        "Child / young person: consultation": ("expired", [
            "Thu 27 Aug 2026 09:00: sent", "Wed 02 Sep 2026 11:00: rescheduled", "Fri 18 Sep 2026 09:00: reminder_1",
            "Wed 23 Sep 2026 09:00: reminder_2", "Fri 25 Sep 2026 00:00: expired"]),
        "Child / young person: feedback": ("expired", [
            "Wed 02 Sep 2026 11:00: rescheduled", "Mon 28 Sep 2026 08:00: sent",
            "Mon 05 Oct 2026 10:00: feedback_reminder", "Mon 26 Oct 2026 08:00: expired"]),
    }
