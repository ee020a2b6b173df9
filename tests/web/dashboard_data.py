"""Test data for the dashboard and alert tests, made through the real storage code."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from storage.alerts import raise_alert
from storage.lifecycle import set_status
from storage.models import Alert, Answer, Invitation, Review, Staff
from storage.staff import add_staff
from storage.upsert import upsert

PASSWORD = "correct-horse-battery"


@dataclass
class World:
    """Ids of what ``build_world`` made."""

    admin: int = 0
    manager: int = 0
    iro_a: int = 0
    iro_b: int = 0
    reviews: dict[str, int] = field(default_factory=dict)  # review_ref -> id
    invitations: dict[str, int] = field(default_factory=dict)  # "<review_ref>:<role>" -> id
    alerts: dict[str, int] = field(default_factory=dict)  # review_ref -> id
    emails: dict[str, str] = field(default_factory=dict)  # admin|manager|iro_a|iro_b -> email


def add_review(session: Session, ref: str, iro: Staff, *, child_ref: str, age: int = 12,
               review_type: str = "CLA", review_date: date | None = None) -> Review:
    """A review chaired by ``iro``."""
    review = Review(review_ref=ref, child_ref=child_ref, child_age=age, review_type=review_type,
                    review_date=review_date or date.today() + timedelta(days=7), iro_email=iro.email, iro_id=iro.id)
    session.add(review)
    session.flush()
    return review


def add_invitation(session: Session, review: Review, role: str, *, channel: str = "web",
                   phase: str = "consultation", form_id: str = "child_before",
                   contact: str | None = None, status: str | None = None,
                   now: datetime | None = None) -> Invitation:
    """An invitation as the importer makes them, moved to ``status`` through the lifecycle."""
    key = hashlib.sha256(f"{review.review_ref}|{role}|{contact}".encode()).hexdigest()
    invitation = Invitation(review_id=review.id, import_key=key, phase=phase, form_id=form_id, role=role,
                            channel=channel, contact=contact, token=secrets.token_urlsafe(24))
    session.add(invitation)
    session.flush()
    moment = now or datetime(2026, 11, 19, 9, 0, tzinfo=UTC)
    order = ["sent", "opened", "partial", "completed"]
    if status in order:
        for step in order[: order.index(status) + 1]:
            set_status(session, invitation, step, now=moment)
    elif status:
        set_status(session, invitation, status, now=moment)
    return invitation


def with_required(invitation: Invitation, answers: dict[str, Any]) -> dict[str, Any]:
    """``answers`` plus a harmless answer to every other required question the form shows.

    So that the form counts as received whatever required questions the form files add.
    """
    from surveys.engine import Respondent, visible_questions
    from surveys.forms import get_form

    review = invitation.review
    form = get_form(invitation.form_id)
    respondent = Respondent(role=invitation.role, review_type=review.review_type, age=review.child_age,
                            language="en")
    result = dict(answers)
    for _ in range(len(form.questions)):  # answering one may show another
        missing = [q for q in visible_questions(form, respondent, result) if q.required and q.key not in result]
        if not missing:
            break
        for question in missing:
            options = [o.key for o in question.options or []]
            result[question.key] = {
                "yes_no": "yes", "scale": (question.scale.max if question.scale else 10),
                "single": options[0] if options else "", "multi": options[:1],
                "feelings": ["happy"], "text": "Fine, thank you",
            }[question.type]
    return result


def add_answers(session: Session, invitation: Invitation, answers: dict[str, Any]) -> None:
    """Store answers through ``storage.responses.save_answers`` (the one way answers are stored).

    While the conversation engine it needs is not in the tree yet, the rows are written
    the way it writes them.
    """
    try:
        from storage.responses import save_answers
    except ImportError:
        save_answers = None
    if save_answers is not None:
        save_answers(session, invitation, with_required(invitation, answers), channel=invitation.channel)
        return
    for key, value in answers.items():
        columns = {"value": None, "value_num": None, "free_text": None}
        if isinstance(value, int):
            columns.update(value=str(value), value_num=value)
        elif isinstance(value, list):
            columns["value"] = ";".join(value)
        elif key.endswith(("_other", "_more", "going_well", "worries", "family_to_see")):
            columns["free_text"] = value
        else:
            columns["value"] = value
        upsert(session, Answer, {"invitation_id": invitation.id, "question_key": key, "skipped": False,
                                 "channel": invitation.channel, **columns},
               ["invitation_id", "question_key"], ["value", "value_num", "free_text"])
    invitation.received = True  # the test answers cover the forms' required questions
    session.flush()


def build_world(session: Session, raised_at: datetime | None = None) -> World:
    """Two IROs with one child each, a manager and an admin; one open alert per child."""
    world = World()
    for name, role in (("admin", "admin"), ("manager", "manager"), ("iro_a", "iro"), ("iro_b", "iro")):
        email = f"{name.replace('_', '-')}@council.example"
        staff = add_staff(session, email, role, PASSWORD, display_name=name.upper())
        setattr(world, name, staff.id)
        world.emails[name] = email
    for ref, child, iro_name in (("R-A1", "C-ALPHA", "iro_a"), ("R-B1", "C-BRAVO", "iro_b")):
        iro = session.get(Staff, getattr(world, iro_name))
        review = add_review(session, ref, iro, child_ref=child)
        world.reviews[ref] = review.id
        child_inv = add_invitation(session, review, "child", channel="telegram", status="sent",
                                   contact="+447400100001")
        carer_inv = add_invitation(session, review, "carer", channel="web", status="completed",
                                   form_id="carer_before", contact="carer@example.test")
        world.invitations[f"{ref}:child"] = child_inv.id
        world.invitations[f"{ref}:carer"] = carer_inv.id
        add_answers(session, carer_inv, {"home_score": 8, "going_well": f"Settled well ({child})"})
        alert = raise_alert(session, child_inv, question_key="worries", reason="harm words",
                            categories="harm", excerpt=f"secret words for {child}",
                            now=raised_at or datetime(2026, 11, 23, 10, 0, tzinfo=UTC),
                            public_base_url="https://hys.example.test")
        world.alerts[ref] = alert.id
    session.flush()
    return world


def alert(session: Session, world: World, ref: str) -> Alert:
    """The alert of one review."""
    return session.get(Alert, world.alerts[ref])
