"""Quotes and "you said, we did": children's own words, redacted and approved by a person.

Every free-text answer becomes a candidate quote, redacted before any staff member
other than the child's IRO sees it. Only a manager's approval lets a quote leave the
dashboard, attributed by role and age only; a quote from a group smaller than the
small-numbers threshold is held back unless a manager overrides that with a reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.audit import record
from storage.models import Answer, Invitation, Quote, Review, Staff, YouSaidWeDid, utcnow
from storage.outbox import enqueue
from storage.reviews import counted_reviews
from surveys.engine import text as catalogue_text
from surveys.forms import all_forms
from surveys.redaction import redact
from surveys.sentiment import sentiment
from surveys.themes import themes

# How a quote is attributed: a child or care leaver by age, an adult by role only.
ROLE_LABELS = {"carer": "foster carer", "parent": "parent", "health": "health professional",
               "education": "education professional", "guardian": "children's guardian",
               "care_leaver": "care leaver", "child": "young person"}


class QuoteError(ValueError):
    """A quote decision that cannot be made (e.g. an empty edit, an unknown decision)."""


def attribution(role: str, age: int | None) -> str:
    """How a quote is signed in a report: "(14)" for a child, "(foster carer)" for an adult."""
    if role in ("child", "care_leaver") and age is not None:
        return f"({age})"
    return f"({ROLE_LABELS.get(role, role.replace('_', ' '))})"


def _quote_questions() -> set[tuple[str, str]]:
    """(form id, question key) of every free-text question a report may quote."""
    return {(form.id, q.key) for form in all_forms().values() for q in form.questions
            if q.type == "text" and q.report != "none"}


def known_names(session: Session, review: Review) -> list[str]:
    """Names on the record that must never appear in a quote: the IRO's (account and email) and
    the carers' and parents' as their email addresses give them (the record holds no child's name)."""
    names: list[str] = []
    iro = session.get(Staff, review.iro_id) if review.iro_id else None
    if iro is not None and iro.display_name:
        names.extend(part for part in iro.display_name.split() if len(part) > 1)
        names.append(iro.display_name)
    emails = [review.iro_email or ""]
    # Carers' and parents' names, as far as the record has them: their email addresses.
    emails.extend(session.scalars(select(Invitation.contact).where(Invitation.review_id == review.id,
                                                                  Invitation.contact.like("%@%"))))
    for email in emails:
        local = email.split("@")[0]
        names.extend(part.capitalize() for part in re.split(r"[._\-+]", local)
                     if len(part) > 2 and part.isalpha() and part.lower() not in _MAILBOX_WORDS)
    return names


# Parts of an email address that are not anyone's name ("info@", "foster.team@").
_MAILBOX_WORDS = {"info", "admin", "team", "office", "mail", "contact", "foster", "fostering", "care", "home",
                  "council", "school", "enquiries", "reception", "the", "and",
                  # an IRO service's shared mailbox ("iro@", "iro.service@", "reviewing.officers@")
                  "iro", "iros", "service", "services", "independent", "reviewing", "officer", "officers", "unit",
                  "childrens", "children", "social", "cla", "lac", "duty"}


def refresh_candidates(session: Session, *, limit: int = 5000) -> int:
    """Make a redacted candidate quote of every free-text answer that has none yet."""
    quotable = _quote_questions()
    rows = session.execute(
        select(Answer, Invitation, Review)
        .join(Invitation, Answer.invitation_id == Invitation.id)
        .join(Review, Invitation.review_id == Review.id)
        .outerjoin(Quote, Quote.answer_id == Answer.id)
        .where(Quote.id.is_(None), Answer.free_text.is_not(None), Answer.skipped.is_(False),
               *counted_reviews(None, None))  # a simulator rehearsal's words are no one's to quote
        .order_by(Answer.id).limit(limit)
    ).all()
    made = 0
    for answer, invitation, review in rows:
        if (invitation.form_id, answer.question_key) not in quotable or not (answer.free_text or "").strip():
            continue
        cleaned = redact(answer.free_text, known_names(session, review))
        feeling = sentiment(answer.free_text)
        session.add(Quote(
            answer_id=answer.id, invitation_id=invitation.id, form_id=invitation.form_id,
            question_key=answer.question_key, role=invitation.role,
            age=review.child_age if invitation.role in ("child", "care_leaver") else None,
            redacted_text=cleaned.text, sentiment=feeling.polarity, sentiment_label=feeling.label,
            themes=";".join(themes(answer.free_text)) or None, status="candidate", created_at=utcnow(),
        ))
        made += 1
    session.flush()
    return made


def decide(session: Session, quote: Quote, staff: Staff, decision: str, *, edited_text: str | None = None,
           now: datetime | None = None) -> Quote:
    """Approve (optionally with an edited redaction) or reject a quote; audited."""
    if decision not in ("approved", "rejected"):
        raise QuoteError(f"unknown decision {decision!r}: approve or reject")
    if edited_text is not None:
        edited_text = edited_text.strip()
        if not edited_text:
            raise QuoteError("the edited quote is empty: reject it instead")
        # A manager's edit is redacted again: an edit must not put a name back.
        review = quote.invitation.review
        edited_text = redact(edited_text, known_names(session, review)).text
        quote.edited_text = edited_text if edited_text != quote.redacted_text else None
    quote.status = decision
    quote.decided_by = staff.id
    quote.decided_at = now or utcnow()
    record(session, staff.id, f"quote_{decision}", "quote", quote.id, edited=edited_text is not None)
    return quote


def override_small_group(session: Session, quote: Quote, staff: Staff, reason: str) -> None:
    """Let a quote from a small group be shown; the reason is required and audited."""
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise QuoteError("give a reason for showing a quote from a group this small")
    quote.small_group_override = reason[:300]
    record(session, staff.id, "quote_small_group_override", "quote", quote.id, reason=reason[:300])


def _scope(date_from: date, date_to: date, review_type: str | None, iro_id: int | None) -> list:
    """Which reviews count: held in the period, and as ``counted_reviews`` says."""
    return [Review.review_date >= date_from, Review.review_date <= date_to, *counted_reviews(review_type, iro_id)]


def group_sizes(session: Session, date_from: date, date_to: date, *, review_type: str | None = None,
                iro_id: int | None = None) -> dict[tuple[str, str], int]:
    """How many people answered each (form, role) in the period: a quote's group is its form and role."""
    return {(form_id, who): int(n) for form_id, who, n in session.execute(
        select(Invitation.form_id, Invitation.role, func.count(Invitation.id))
        .join(Review, Invitation.review_id == Review.id)
        .where(Invitation.received.is_(True), *_scope(date_from, date_to, review_type, iro_id))
        .group_by(Invitation.form_id, Invitation.role))}


@dataclass(frozen=True)
class PublishedQuote:
    """An approved quote as a report prints it."""

    id: int
    text: str
    role: str
    age: int | None
    survey: str
    question: str
    themes: tuple[str, ...]
    sentiment: str | None
    attribution: str
    review_date: date | None = None

    def as_dict(self) -> dict:
        """As the report JSON carries it (``text``, ``role``, ``age``, ``survey`` and the rest)."""
        return {"id": self.id, "text": self.text, "role": self.role, "age": self.age, "survey": self.survey,
                "question": self.question, "themes": list(self.themes), "sentiment": self.sentiment,
                "attribution": self.attribution}


def published_quotes(session: Session, date_from: date, date_to: date, *, min_group: int = 5,
                     iro_id: int | None = None, review_type: str | None = None,
                     role: str | None = None) -> list[PublishedQuote]:
    """Approved quotes from reviews in the period; small groups held back unless overridden.

    The one rule every report, export and page uses: only quotes a manager approved; a
    quote whose group (its form and role, among the reviews in scope) has fewer than
    ``min_group`` received forms is left out unless a manager recorded a reason to show it.
    """
    scope = _scope(date_from, date_to, review_type, iro_id)
    query = (select(Quote, Review.review_date).join(Invitation, Quote.invitation_id == Invitation.id)
             .join(Review, Invitation.review_id == Review.id)
             .where(Quote.status == "approved", *scope)
             .order_by(Quote.id))
    if role:
        query = query.where(Quote.role == role)
    rows = session.execute(query).all()
    if not rows:
        return []
    sizes = group_sizes(session, date_from, date_to, review_type=review_type, iro_id=iro_id)
    out: list[PublishedQuote] = []
    for quote, review_date in rows:
        if sizes.get((quote.form_id, quote.role), 0) < min_group and not quote.small_group_override:
            continue
        age = quote.age if quote.role in ("child", "care_leaver") else None
        out.append(PublishedQuote(
            id=quote.id, text=quote.edited_text or quote.redacted_text, role=quote.role, age=age,
            survey=quote.form_id, question=quote.question_key,
            themes=tuple(t for t in (quote.themes or "").split(";") if t), sentiment=quote.sentiment_label,
            attribution=attribution(quote.role, age), review_date=review_date))
    return out


# --- you said, we did -----------------------------------------------------------------

def _child_invitation(session: Session, review: Review) -> Invitation | None:
    """The child's own invitation for this review (the consultation one first)."""
    return session.scalar(
        select(Invitation).where(Invitation.review_id == review.id, Invitation.role.in_(("child", "care_leaver")),
                                 Invitation.via_carer.is_(False))
        .order_by((Invitation.phase != "consultation"), Invitation.id).limit(1))


def record_you_said_we_did(session: Session, review: Review, staff: Staff, message: str, *,
                           now: datetime | None = None) -> YouSaidWeDid:
    """Store what was done about the child's views and queue it to the child on their channel."""
    message = (message or "").strip()
    if not message:
        raise QuoteError("write what was done about the child's views")
    if len(message) > 600:
        raise QuoteError("keep it short: at most 600 characters, so it reads well as a text message")
    now = now or utcnow()
    invitation = _child_invitation(session, review)
    row = YouSaidWeDid(review_id=review.id, invitation_id=invitation.id if invitation else None,
                       staff_id=staff.id, text=message, created_at=now)
    session.add(row)
    session.flush()
    record(session, staff.id, "you_said_we_did", "review", review.id)
    if invitation is not None:
        channel, to = _address(invitation)
        if channel and to:
            body = catalogue_text("you_said_we_did", invitation.language or "en", message=message)
            payload = None
            if channel == "email":
                payload = {"subject": catalogue_text("you_said_we_did_subject", invitation.language or "en")}
            enqueue(session, channel=channel, to=to, body=body, dedupe_key=f"yswd:{row.id}",
                    purpose="you_said_we_did", invitation_id=invitation.id, payload=payload, now=now)
            row.sent_at = now
    return row


def _address(invitation: Invitation) -> tuple[str | None, str | None]:
    """Where a message to this respondent goes, on their own channel."""
    if invitation.channel == "telegram" and invitation.telegram_chat_id:
        return "telegram", invitation.telegram_chat_id
    contact = invitation.contact or ""
    if contact.startswith("+"):
        return "sms", contact
    if "@" in contact:
        return "email", contact
    return None, None
