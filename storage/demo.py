"""Demo data: staff logins and a realistic sample year of reviews, returns and answers.

Everything is synthetic and deterministic (a seeded random generator): children are
``DEMO-C…`` references with an age, contacts use reserved example addresses, and the
answers go through ``storage.responses.save_answers`` like every real channel's do, so
alerts, statuses and report figures come out exactly as they would in use.
"""

from __future__ import annotations

import hashlib
import random
import secrets
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.lifecycle import set_status
from storage.models import Invitation, Quote, Review, Staff, utcnow
from storage.responses import save_answers
from storage.staff import add_staff
from surveys.engine import Respondent, answer_signals, visible_questions
from surveys.forms import form_for
from surveys.report import reporting_year
from surveys.schema import FEELINGS, FormDefinition, Question

DEMO_LOGINS = (
    ("manager@demo.haveyoursay.test", "demo-manager-pass", "manager"),
    ("iro@demo.haveyoursay.test", "demo-iro-pass1", "iro"),
    ("admin@demo.haveyoursay.test", "demo-admin-pass", "admin"),
)
EXTRA_IROS = ("iro.two@demo.haveyoursay.test", "iro.three@demo.haveyoursay.test")

# Chance that a respondent in each role sends their form back (close to the published rates).
RETURN_RATES = {"child": 0.38, "care_leaver": 0.3, "carer": 0.5, "parent": 0.18, "health": 0.3,
                "education": 0.42, "guardian": 0.6}
CHANNELS = {"child": ("sms", "telegram", "web"), "care_leaver": ("sms", "telegram"), "carer": ("web", "email"),
            "parent": ("sms", "paper", "email"), "health": ("email",), "education": ("email",),
            "guardian": ("email",)}
COMMENTS = {
    "child": ["I want to see my nan more", "my IRO listens to me", "I like my school and my friends",
              "the meeting was too long and boring", "I want to stay where I am",
              "can we have the meeting after school", "I want to do more football"],
    "care_leaver": ["I need help finding a flat", "my personal adviser is really helpful",
                    "money is hard at the moment", "I want to go to college in September"],
    "carer": ["The IRO explained everything clearly", "The review was well chaired and focused on the child",
              "We would like more notice of the meeting date", "Contact arrangements need to be looked at"],
    "parent": ["I want more contact with my son", "I did not get the report before the meeting",
               "The IRO made sure I was heard"],
}
YOU_SAID_WE_DID = (
    "You said you wanted to see your nan more. Your social worker has set up a visit every month.",
    "You said the meeting was too long. Your next review will be shorter and after school.",
    "You said you wanted to join a football club. Your carer has found one near you.",
)
DISCLOSURE = "i dont feel safe at home, he hits me when mum is out"


def _stable_hash(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:40]


def _value(question: Question, rng: random.Random, role: str):
    """A plausible answer of the question's type; one in fifty that signal danger is kept."""
    value = _any_value(question, rng, role)
    for _ in range(20):
        if not answer_signals(question, value) or rng.random() < 0.02:
            break
        value = _any_value(question, rng, role)
    return value


def _any_value(question: Question, rng: random.Random, role: str):
    """An answer of the question's type, weighted towards the common ones."""
    if question.type == "yes_no":
        roll = rng.random()
        return "yes" if roll < 0.78 else ("not_sure" if question.not_sure and roll < 0.86 else "no")
    if question.type == "scale":
        low, high = (question.scale.min, question.scale.max) if question.scale else (1, 10)
        return max(low, min(high, round(rng.triangular(low, high, high - (high - low) // 4))))
    if question.type == "single":
        return rng.choice(question.options).key
    if question.type == "multi":
        keys = [o.key for o in question.options]
        return rng.sample(keys, k=min(len(keys), rng.choice((1, 1, 2, 3))))
    if question.type == "feelings":
        return [rng.choices(list(FEELINGS), weights=(8, 2, 1, 1, 1, 2))[0]]
    pool = COMMENTS.get(role) or COMMENTS["carer"]
    return rng.choice(pool)


def _answers_for(form: FormDefinition, respondent: Respondent, rng: random.Random, full: bool) -> dict:
    answers: dict = {}
    for question in form.questions:
        if question not in visible_questions(form, respondent, answers):
            continue
        if question.type == "text" and rng.random() < 0.5:
            continue  # many people leave the comment box empty
        if not full and not question.required and rng.random() < 0.5:
            continue
        answers[question.key] = _value(question, rng, respondent.role)
    return answers


def _staff(session: Session) -> tuple[int, list[Staff]]:
    created = 0
    for email, password, role in DEMO_LOGINS:
        if session.scalar(select(Staff).where(Staff.email == email)) is None:
            add_staff(session, email, role, password, display_name=f"{role.title()} (demo)")
            created += 1
    for number, email in enumerate(EXTRA_IROS, start=2):
        if session.scalar(select(Staff).where(Staff.email == email)) is None:
            add_staff(session, email, "iro", None, display_name=f"IRO {number} (demo)")
            created += 1
    session.flush()
    iros = list(session.scalars(select(Staff).where(Staff.role == "iro").order_by(Staff.id)))
    return created, iros


def load_demo(session: Session, config, *, today: date | None = None, reviews: int = 140,
              seed: int = 2026) -> dict:
    """Create the demo logins and a sample year once; later runs change nothing."""
    created, iros = _staff(session)
    links: list[tuple[str, str]] = [("Simulator", "/dashboard/simulator")]
    existing = session.scalar(select(func.count()).select_from(Review).where(Review.review_ref.like("DEMO-%")))
    if existing:
        open_token = session.scalar(select(Invitation.token).join(Review)
                                    .where(Review.review_ref.like("DEMO-%"), Invitation.status.in_(("sent", "pending")),
                                           Invitation.role == "child", Invitation.phase == "consultation").limit(1))
        if open_token:
            links.append(("A child's web form", f"/f/{open_token}"))
        return {"staff_created": created, "reviews": existing, "links": links}

    rng = random.Random(seed)
    today = today or utcnow().astimezone(ZoneInfo(config.TIMEZONE)).date()
    year_start = reporting_year(today)[0] - timedelta(days=365)
    span = (today - year_start).days + 30
    counts = {"reviews": 0, "invitations": 0, "answered": 0, "alerts": 0}
    disclosure_done = False
    open_token = None
    for number in range(1, reviews + 1):
        review_type = "PP" if number % 7 == 0 else "CLA"
        age = rng.randint(16, 20) if review_type == "PP" else rng.randint(3, 17)
        review_date = year_start + timedelta(days=rng.randrange(span))
        if number == reviews:  # one review next week, so the demo has a child's form still open
            review_type, age, review_date = "CLA", 12, today + timedelta(days=7)
        iro = iros[number % len(iros)]
        review = Review(review_ref=f"DEMO-R{number:04d}", child_ref=f"DEMO-C{number:04d}", child_age=age,
                        review_type=review_type, review_date=review_date, iro_email=iro.email, iro_id=iro.id)
        held = review_date < today
        if held and rng.random() < 0.85:
            review.participation_code = rng.choices(
                ("PN0", "PN1", "PN2", "PN3", "PN4", "PN5", "PN6", "PN7"), weights=(3, 40, 12, 15, 10, 8, 8, 4))[0]
            review.attended = review.participation_code in ("PN1", "PN2", "PN3")
            review.chaired = "co_chair" if review.participation_code == "PN2" else "none"
            review.seen_before_review = rng.random() < 0.7
        session.add(review)
        session.flush()
        counts["reviews"] += 1
        roles = ["care_leaver"] if review_type == "PP" else ["child", "carer"]
        roles += [r for r, p in (("parent", 0.7), ("health", 0.4), ("education", 0.5), ("guardian", 0.1))
                  if rng.random() < p and (review_type == "CLA" or r != "guardian")]
        for role in roles:
            channel = rng.choice(CHANNELS[role])
            contact = (f"+4474001{number:03d}{len(role):02d}"[:13] if channel in ("sms", "telegram")
                       else f"{role}{number}@example.org" if channel in ("email", "web") else None)
            for phase in ("consultation", "feedback"):
                form = form_for(phase, role, review_type)
                if form is None:
                    continue
                invitation = Invitation(
                    review_id=review.id, import_key=_stable_hash(review.review_ref, role, contact or ""),
                    phase=phase, form_id=form.id, role=role, channel=channel, contact=contact, language="en",
                    token=secrets.token_urlsafe(24), status="pending", via_carer=role == "child" and age < 8)
                session.add(invitation)
                session.flush()
                counts["invitations"] += 1
                sent_on = review_date - timedelta(days=14) if phase == "consultation" else review_date + timedelta(days=2)
                sent_at = datetime.combine(sent_on, time(10, 0), tzinfo=UTC)
                if sent_on > today:
                    continue
                set_status(session, invitation, "sent", now=sent_at)
                if role == "child" and phase == "consultation" and not held and open_token is None:
                    open_token = invitation.token
                    continue
                respondent = Respondent(role=role, review_type=review_type, age=age)
                answer_at = sent_at + timedelta(days=rng.randint(1, 6), hours=rng.randint(0, 8))
                if rng.random() < RETURN_RATES[role] and answer_at.date() <= today:
                    full = rng.random() < 0.85
                    answers = _answers_for(form, respondent, rng, full)
                    if not disclosure_done and role == "child" and phase == "consultation":
                        text_keys = [q.key for q in form.questions if q.type == "text"
                                     and q in visible_questions(form, respondent, answers)]
                        if text_keys:
                            answers[text_keys[-1]] = DISCLOSURE
                            disclosure_done = True
                    if answers:
                        saved = save_answers(session, invitation, answers, channel=channel, finished=full,
                                             now=answer_at)
                        counts["answered"] += 1
                        counts["alerts"] += len(saved.alerts)
                elif held and phase == "consultation":
                    set_status(session, invitation, "expired",
                               now=datetime.combine(review_date, time(9, 0), tzinfo=UTC))
    session.flush()
    counts.update(_quotes_and_follow_up(session, rng))
    if open_token:
        links.append(("A child's web form", f"/f/{open_token}"))
    return {"staff_created": created, **counts, "links": links}


def _quotes_and_follow_up(session: Session, rng: random.Random) -> dict[str, int]:
    """Make candidate quotes, approve some as a manager would, and record a few "you said, we did"."""
    from storage.quotes import decide, record_you_said_we_did, refresh_candidates

    refresh_candidates(session)
    manager = session.scalar(select(Staff).where(Staff.role == "manager").order_by(Staff.id))
    approved = 0
    for quote in session.scalars(select(Quote).where(Quote.status == "candidate").order_by(Quote.id)):
        if quote.sentiment_label != "negative" and rng.random() < 0.6 and "hits me" not in quote.redacted_text:
            decide(session, quote, manager, "approved")
            approved += 1
    followed = 0
    answered = session.scalars(
        select(Review).join(Invitation, Invitation.review_id == Review.id)
        .where(Review.review_ref.like("DEMO-%"), Invitation.role.in_(("child", "care_leaver")),
               Invitation.phase == "consultation", Invitation.received.is_(True))
        .order_by(Review.review_date).distinct().limit(12))
    for review in answered:
        iro = session.get(Staff, review.iro_id)
        record_you_said_we_did(session, review, iro, rng.choice(YOU_SAID_WE_DID))
        followed += 1
    session.flush()
    return {"quotes_approved": approved, "you_said_we_did": followed}
