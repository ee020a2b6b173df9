"""A small year of reviews, invitations and answers for the report tests, with the figures it gives.

Answers go in through ``storage.responses.save_answers`` (the one way every channel stores
them), so ``received`` and statuses are what the real system would record.

Period 2025-04-01 to 2026-03-31 (financial year 2025/26):

- Q1 (May 2025), IRO A: CLA reviews R1-R8, a child feedback invitation (child_after) each.
  R1-R6 answer the required questions (received); R7 says only "not sure" to know_iro and
  R8 only "no" (sent, not received). know_iro: 5 yes, 2 no, 1 not sure -> 63% yes (62.5
  rounded half up), 13% not sure (12.5). Carers of R1-R6 get carer_after; R1-R4 answer.
- Q2 (July 2025), IRO A: a Pathway Plan review R12 with a care leaver invitation, unanswered.
- Q3 (November 2025), IRO B: CLA reviews R9-R11; R9 and R10 children answer; R11's child
  invitation is still pending (not sent); R11's carer has a paper form (counts as sent).
- Previous year: P1 (June 2024), one child invitation, received.
- Outside the period: X1 (April 2026), never counted.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import pytest
from sqlalchemy.orm import Session

# save_answers screens every answer; until the screen is in the tree these tests skip.
pytest.importorskip("surveys.safeguarding", reason="storage.responses needs surveys.safeguarding")

from storage.alerts import raise_alert  # noqa: E402
from storage.models import Invitation, Quote, Review, YouSaidWeDid  # noqa: E402
from storage.responses import save_answers  # noqa: E402
from storage.staff import add_staff  # noqa: E402
from surveys.forms import form_for  # noqa: E402

PERIOD = (date(2025, 4, 1), date(2026, 3, 31))
APPROVED_QUOTE = "My IRO really listened to me this time"
HIDDEN_TEXTS = ("SECRET candidate words", "SECRET rejected words", "SECRET small group carer words")
EXCERPT = "EXCERPT words only the IRO may read"


@dataclass
class Seeded:
    iro_a: int
    iro_b: int
    manager: int
    reviews: dict[str, int] = field(default_factory=dict)
    alerts: dict[str, int] = field(default_factory=dict)


def make_review(session: Session, ref: str, *, age: int = 14, review_type: str = "CLA",
                review_date: date = date(2025, 6, 1), iro_id: int | None = None,
                iro_email: str = "iro@council.example") -> Review:
    """A review row."""
    review = Review(review_ref=ref, child_ref=f"C-{ref}", child_age=age, review_type=review_type,
                    review_date=review_date, iro_email=iro_email, iro_id=iro_id)
    session.add(review)
    session.flush()
    return review


def make_invitation(session: Session, review: Review, role: str, *, phase: str, channel: str = "sms",
                    contact: str | None = None, status: str = "sent") -> Invitation:
    """An invitation with the form the real import would choose for this role and review."""
    key = hashlib.sha256(f"{review.review_ref}|{role}|{contact}".encode()).hexdigest()[:40]
    invitation = Invitation(review_id=review.id, import_key=key, phase=phase,
                            form_id=form_for(phase, role, review.review_type).id, role=role, channel=channel,
                            contact=contact, language="en", token=secrets.token_urlsafe(24), status=status)
    session.add(invitation)
    session.flush()
    return invitation


def _phone(n: int) -> str:
    return f"+4474001{n:05d}"


def seed_year(session: Session) -> Seeded:
    """Store the year described in the module docstring; returns the ids tests need."""
    iro_a = add_staff(session, "iro.a@council.example", "iro").id
    iro_b = add_staff(session, "iro.b@council.example", "iro").id
    manager = add_staff(session, "manager@council.example", "manager").id
    seeded = Seeded(iro_a, iro_b, manager)
    at = datetime(2025, 5, 20, 12, 0, tzinfo=UTC)

    # Q1: R1-R8, IRO A.
    child_answers = {
        1: ({"know_iro": "yes", "spoke_before": "yes", "how_attended": "in_person", "rate_meeting": 4}, True),
        2: ({"know_iro": "yes", "spoke_before": "yes", "how_attended": "in_person", "rate_meeting": 5}, True),
        3: ({"know_iro": "yes", "spoke_before": "yes", "how_attended": "in_person", "rate_meeting": 5}, True),
        4: ({"know_iro": "yes", "spoke_before": "yes", "how_attended": "video", "rate_meeting": 3}, True),
        5: ({"know_iro": "yes", "spoke_before": "yes", "how_attended": "video", "rate_meeting": 2}, True),
        6: ({"know_iro": "no", "spoke_before": "no", "how_attended": "video"}, True),
        7: ({"know_iro": "not_sure"}, False),
        8: ({"know_iro": "no"}, False),
    }
    codes = {1: "PN1", 2: "PN1", 3: "PN1", 4: "PN1", 5: "PN6", 6: "PN6", 7: "PN7", 8: "PN0"}
    first_child = None
    for i in range(1, 9):
        review = make_review(session, f"R{i}", age=9 + i, review_date=date(2025, 5, i), iro_id=iro_a,
                             iro_email="iro.a@council.example")
        review.participation_code = codes[i]
        review.attended = i <= 4
        review.chaired = "chair" if i == 1 else "co_chair" if i == 2 else "none"
        seeded.reviews[f"R{i}"] = review.id
        child = make_invitation(session, review, "child", phase="feedback", contact=_phone(i))
        answers, finished = child_answers[i]
        save_answers(session, child, answers, channel="sms", finished=finished, now=at)
        if i == 1:
            first_child = child
        if i <= 6:
            carer = make_invitation(session, review, "carer", phase="feedback", contact=_phone(100 + i))
            if i <= 4:
                save_answers(session, carer, {"spoke_iro": "yes" if i <= 3 else "no"}, channel="sms",
                             finished=True, now=at)
            if i == 1:
                session.add(Quote(invitation_id=carer.id, form_id="carer_after", question_key="comment",
                                  role="carer", age=None, redacted_text=HIDDEN_TEXTS[2], status="approved"))
        if i in (1, 2):
            session.add(YouSaidWeDid(review_id=review.id, staff_id=iro_a, text="We arranged more family time",
                                     sent_at=datetime(2025, 6, 1, 10, 0, tzinfo=UTC)))
    assert first_child is not None
    session.add_all([
        Quote(invitation_id=first_child.id, form_id="child_after", question_key="iro_comment", role="child",
              age=10, redacted_text=APPROVED_QUOTE, status="approved"),
        Quote(invitation_id=first_child.id, form_id="child_after", question_key="iro_comment", role="child",
              age=10, redacted_text=HIDDEN_TEXTS[0], status="candidate"),
        Quote(invitation_id=first_child.id, form_id="child_after", question_key="iro_comment", role="child",
              age=10, redacted_text=HIDDEN_TEXTS[1], status="rejected"),
    ])
    alert_a = raise_alert(session, first_child, question_key="iro_comment", reason="harm words", categories="harm",
                          excerpt=EXCERPT, now=datetime(2025, 5, 21, 9, 0, tzinfo=UTC))
    seeded.alerts["A"] = alert_a.id

    # Q2: a Pathway Plan review, IRO A.
    pp = make_review(session, "R12", age=17, review_type="PP", review_date=date(2025, 7, 10), iro_id=iro_a,
                     iro_email="iro.a@council.example")
    make_invitation(session, pp, "care_leaver", phase="feedback", contact=_phone(12))

    # Q3: R9-R11, IRO B.
    at_q3 = datetime(2025, 11, 20, 12, 0, tzinfo=UTC)
    for i in (9, 10, 11):
        review = make_review(session, f"R{i}", age=12, review_date=date(2025, 11, i), iro_id=iro_b,
                             iro_email="iro.b@council.example")
        seeded.reviews[f"R{i}"] = review.id
        child = make_invitation(session, review, "child", phase="feedback", contact=_phone(i),
                                status="pending" if i == 11 else "sent")
        if i in (9, 10):
            save_answers(session, child, {"know_iro": "yes", "spoke_before": "yes", "how_attended": "phone"},
                         channel="telegram", finished=True, now=at_q3)
        if i == 9:
            alert_b = raise_alert(session, child, question_key=None, reason="harm words", categories="harm",
                                  excerpt=EXCERPT, now=datetime(2025, 11, 21, 9, 0, tzinfo=UTC))
            seeded.alerts["B"] = alert_b.id
            session.add(YouSaidWeDid(review_id=review.id, staff_id=iro_b, text="We moved your meeting",
                                     sent_at=datetime(2025, 12, 1, 10, 0, tzinfo=UTC)))
        if i == 11:
            make_invitation(session, review, "carer", phase="feedback", channel="paper", contact=None,
                            status="pending")

    # Previous year and outside the period.
    p1 = make_review(session, "P1", review_date=date(2024, 6, 1), iro_id=iro_a)
    child = make_invitation(session, p1, "child", phase="feedback", contact=_phone(50))
    save_answers(session, child, {"know_iro": "no", "spoke_before": "yes", "how_attended": "phone"},
                 channel="sms", finished=True, now=datetime(2024, 6, 2, tzinfo=UTC))
    x1 = make_review(session, "X1", review_date=date(2026, 4, 2), iro_id=iro_a)
    child = make_invitation(session, x1, "child", phase="feedback", contact=_phone(60))
    save_answers(session, child, {"know_iro": "yes", "spoke_before": "yes", "how_attended": "phone"},
                 channel="sms", finished=True, now=datetime(2026, 4, 3, tzinfo=UTC))
    session.flush()
    return seeded
