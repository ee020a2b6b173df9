"""Small builders for tests that need reviews, invitations and answers in the database."""

from __future__ import annotations

import hashlib
import secrets
from datetime import date

from sqlalchemy.orm import Session

from storage.models import Invitation, Review
from surveys.forms import form_for
from surveys.schema import FormDefinition, Question


def make_review(session: Session, ref: str, *, child_ref: str | None = None, age: int = 14,
                review_type: str = "CLA", review_date: date = date(2026, 6, 1), iro_id: int | None = None,
                iro_email: str = "iro@council.example") -> Review:
    """A review row (the IRO linked by id when given)."""
    review = Review(review_ref=ref, child_ref=child_ref or f"C-{ref}", child_age=age, review_type=review_type,
                    review_date=review_date, iro_email=iro_email, iro_id=iro_id)
    session.add(review)
    session.flush()
    return review


def make_invitation(session: Session, review: Review, role: str = "child", *, phase: str = "consultation",
                    channel: str = "sms", contact: str | None = "+447400123456", status: str = "sent",
                    form_id: str | None = None) -> Invitation:
    """An invitation for one respondent, with the form the real import would choose."""
    form = form_id or form_for(phase, role, review.review_type).id
    key = hashlib.sha256(f"{review.review_ref}|{role}|{contact}".encode()).hexdigest()[:40]
    invitation = Invitation(review_id=review.id, import_key=key, phase=phase, form_id=form, role=role,
                            channel=channel, contact=contact, language="en", token=secrets.token_urlsafe(24),
                            status=status)
    session.add(invitation)
    session.flush()
    return invitation


def first_question(form: FormDefinition, kind: str) -> Question:
    """The first question of a type that every respondent is asked (no show_if)."""
    return next(q for q in form.questions if q.type == kind and q.show_if is None)


def first_quotable(form: FormDefinition) -> Question:
    """The first free-text question every respondent is asked whose answers a report may quote."""
    return next(q for q in form.questions if q.type == "text" and q.show_if is None and q.report != "none")
