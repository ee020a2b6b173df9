"""Builders for the respondent form tests: a review and one invitation, through the models."""

from __future__ import annotations

import hashlib
import secrets
from datetime import date

from storage.models import Invitation, Review


def make_invitation(db, form_id: str, role: str, *, age: int = 11, review_type: str = "CLA",  # noqa: ANN001
                    phase: str | None = None, status: str = "sent", channel: str = "web",
                    contact: str | None = None, language: str = "en",
                    review_date: date | None = None) -> tuple[int, str]:
    """Store a review and an invitation to ``form_id``; returns (invitation id, token).

    The review is on Tuesday 8 December 2026, or for a feedback survey (which opens only
    on its review date) two weeks ago, unless ``review_date`` says otherwise.
    """
    from surveys.forms import get_form
    from tests.bot._helpers import past_review_date

    form = get_form(form_id)
    if review_date is None:
        review_date = past_review_date() if (phase or form.phase) == "feedback" else date(2026, 12, 8)
    token = secrets.token_urlsafe(24)
    with db.session() as session:
        ref = f"R-{secrets.token_hex(4)}"
        review = Review(review_ref=ref, child_ref=f"C-{ref}", child_age=age, review_type=review_type,
                        review_date=review_date, iro_email="iro@council.example")
        session.add(review)
        session.flush()
        invitation = Invitation(
            review_id=review.id, import_key=hashlib.sha256(f"{ref}|{role}".encode()).hexdigest()[:40],
            phase=phase or form.phase, form_id=form_id, role=role, channel=channel, contact=contact,
            language=language, token=token, status=status)
        session.add(invitation)
        session.flush()
        invitation_id = invitation.id
        session.commit()
    return invitation_id, token
