"""Defence in depth: every free-text answer from a child is read by a person before it is due.

An item "to read" is one free-text answer from a child or young person (invitation role
``child`` or ``care_leaver``) to a review that is not a staff rehearsal. It belongs to the
IRO who chairs the review (``Review.iro_id``).

- **Unread** while ``read_at`` is empty or earlier than ``answered_at``: every save of an
  answer (SMS, Telegram, web, paper) sets ``answered_at``, so words changed after they
  were read are unread again, without the answer path having to know about reading.
- **Due**: a consultation answer by the review date; a feedback answer, or a consultation
  answer that came on or after the review day, ``DUE_WORKING_DAYS`` working days after it
  arrived (local date, bank holidays of the region skipped). Overdue once the local date
  is past the due date.
- **Purged**: the retention purge (``storage.privacy.purge``) empties ``free_text`` and
  leaves the row; such an answer is no longer an item (there is nothing to read) and is
  counted with the read ones as "read or purged".
- An alert raised on the same invitation is listed beside the item; an alert on the same
  question marks the item "alerted". Closing an alert does not mark the answer read: the
  IRO still reads the words with the child's other answers before the review.

Marking read checks that the words are the ones the IRO was shown (their ``answered_at``)
and is written to the audit log with ids only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select, update
from sqlalchemy.orm import Session

from storage.audit import record
from storage.models import Alert, Answer, Invitation, Review, Staff, utcnow
from storage.reviews import counted_reviews
from surveys.forms import get_form
from surveys.schedule import ScheduleRules, add_working_days
from surveys.schema import age_band

CHILD_ROLES = ("child", "care_leaver")
# How long staff have to read words that came after the review (feedback, late replies).
DUE_WORKING_DAYS = 5


class ReadingError(LookupError):
    """An answer that is not this staff member's to mark read (or is not an item at all)."""


class WordsChanged(ValueError):
    """The answer changed (or was purged) after the page showing it was opened."""


@dataclass(frozen=True)
class AlertLink:
    """An alert on the same invitation as an item, to link beside it."""

    id: int
    status: str
    question_key: str | None
    raised_at: datetime


@dataclass(frozen=True)
class ReadingItem:
    """One child's free-text answer to read. ``text`` is None when it is not to be shown."""

    answer_id: int
    invitation_id: int
    review_id: int
    review_ref: str
    child_ref: str
    review_date: date
    iro_id: int | None
    iro_email: str
    phase: str
    form_id: str
    role: str
    channel: str
    question_key: str
    question: str
    text: str | None
    answered_at: datetime
    read_at: datetime | None
    read_by: int | None
    due: date
    alerts: tuple[AlertLink, ...] = field(default=())

    @property
    def unread(self) -> bool:
        """Never read, or changed since it was read."""
        return self.read_at is None or self.read_at < self.answered_at

    @property
    def changed_since_read(self) -> bool:
        """Read once, then the words changed."""
        return self.read_at is not None and self.read_at < self.answered_at

    @property
    def alerted(self) -> bool:
        """An alert was raised on this very question."""
        return any(a.question_key == self.question_key for a in self.alerts)

    def overdue(self, today: date) -> bool:
        """Unread and past its due date."""
        return self.unread and today > self.due


@dataclass
class ReadingCounts:
    """How many items one IRO (or everyone) has: unread, of which overdue; read or purged."""

    iro_id: int | None = None
    iro_email: str = ""
    iro_name: str = ""
    unread: int = 0
    overdue: int = 0
    read: int = 0
    purged: int = 0

    @property
    def read_or_purged(self) -> int:
        return self.read + self.purged


def _unread_condition() -> ColumnElement[bool]:
    return or_(Answer.read_at.is_(None), Answer.read_at < Answer.answered_at)


def _child_text_answers() -> list[ColumnElement[bool]]:
    """Conditions for a child's own-words answer to a counted review (with or without its words).

    A text answer is stored with no value and no number (``storage.responses.to_columns``);
    a purged one keeps that shape with its words emptied.
    """
    return [Invitation.role.in_(CHILD_ROLES), Answer.skipped.is_(False), Answer.value.is_(None),
            Answer.value_num.is_(None), *counted_reviews(None, None)]


def _has_words() -> ColumnElement[bool]:
    return and_(Answer.free_text.is_not(None), func.trim(Answer.free_text) != "")


def _joined(*columns: Any):
    return (select(*columns).select_from(Answer)
            .join(Invitation, Answer.invitation_id == Invitation.id)
            .join(Review, Invitation.review_id == Review.id))


def local_date(moment: datetime, rules: ScheduleRules) -> date:
    """The date of ``moment`` in the service's time zone."""
    return moment.astimezone(rules.zone).date()


def due_date(phase: str, review_date: date, answered_at: datetime, rules: ScheduleRules) -> date:
    """When an answer must have been read (see the module's docstring)."""
    arrived = local_date(answered_at, rules)
    if phase == "consultation" and arrived < review_date:
        return review_date
    return add_working_days(arrived, DUE_WORKING_DAYS, rules)


@lru_cache(maxsize=4096)
def question_text(form_id: str, key: str, age: int | None) -> str:
    """The question as the form asked it (English, the child's age wording); the key if unknown."""
    try:
        question = next((q for q in get_form(form_id).questions if q.key == key), None)
    except Exception:  # noqa: BLE001 - a form since removed must not hide what a child wrote
        question = None
    if question is None:
        return key
    variant = (question.variants or {}).get(age_band(age)) or {}
    return variant.get("en") or question.text.get("en") or key


_ITEM_COLUMNS = (Answer.id, Answer.invitation_id, Answer.question_key, Answer.channel,
                 Answer.answered_at, Answer.read_at, Answer.read_by, Invitation.phase, Invitation.form_id,
                 Invitation.role, Review.id.label("review_id"), Review.review_ref, Review.child_ref,
                 Review.child_age, Review.review_date, Review.iro_id, Review.iro_email)


def _items(session: Session, conditions: Iterable[ColumnElement[bool]], rules: ScheduleRules,
           *, with_text: bool) -> list[ReadingItem]:
    # The words are not even loaded for a page that must not show them.
    columns = (*_ITEM_COLUMNS, Answer.free_text) if with_text else _ITEM_COLUMNS
    rows = session.execute(_joined(*columns).where(*_child_text_answers(), _has_words(), *conditions)).all()
    alerts: dict[int, list[AlertLink]] = {}
    invitation_ids = sorted({row.invitation_id for row in rows})
    for start in range(0, len(invitation_ids), 500):
        for alert in session.execute(
                select(Alert.id, Alert.invitation_id, Alert.status, Alert.question_key, Alert.raised_at)
                .where(Alert.invitation_id.in_(invitation_ids[start:start + 500]))
                .order_by(Alert.raised_at, Alert.id)):
            alerts.setdefault(alert.invitation_id, []).append(
                AlertLink(alert.id, alert.status, alert.question_key, alert.raised_at))
    return [ReadingItem(
        answer_id=row.id, invitation_id=row.invitation_id, review_id=row.review_id, review_ref=row.review_ref,
        child_ref=row.child_ref, review_date=row.review_date, iro_id=row.iro_id, iro_email=row.iro_email,
        phase=row.phase, form_id=row.form_id, role=row.role, channel=row.channel, question_key=row.question_key,
        question=question_text(row.form_id, row.question_key, row.child_age),
        text=row.free_text if with_text else None, answered_at=row.answered_at, read_at=row.read_at,
        read_by=row.read_by, due=due_date(row.phase, row.review_date, row.answered_at, rules),
        alerts=tuple(alerts.get(row.invitation_id, ())),
    ) for row in rows]


@lru_cache(maxsize=64)
def _form_keys(form_id: str) -> tuple[str, ...]:
    try:
        return tuple(q.key for q in get_form(form_id).questions)
    except Exception:  # noqa: BLE001 - an unknown form's answers sort last
        return ()


def _form_order(form_id: str, key: str) -> int:
    keys = _form_keys(form_id)
    return keys.index(key) if key in keys else len(keys)


def to_read(session: Session, iro_id: int, *, rules: ScheduleRules | None = None,
            read: bool = False, limit: int = 500) -> list[ReadingItem]:
    """One IRO's items with the words as written: unread ones (or, with ``read``, read ones).

    Newest review first; within a review, invitation by invitation in form order.
    """
    rules = rules or ScheduleRules()
    condition = _unread_condition() if not read else ~_unread_condition()
    items = _items(session, [Review.iro_id == iro_id, condition], rules, with_text=True)
    items.sort(key=lambda i: (-i.review_date.toordinal(), -i.review_id, i.phase != "consultation",
                              i.invitation_id, _form_order(i.form_id, i.question_key)))
    return items[:limit]


def overdue_items(session: Session, *, now: datetime | None = None, rules: ScheduleRules | None = None,
                  limit: int = 1000) -> list[ReadingItem]:
    """Every IRO's unread items past their due date, without the words, longest overdue first."""
    rules = rules or ScheduleRules()
    today = local_date(now or utcnow(), rules)
    items = [i for i in _items(session, [_unread_condition()], rules, with_text=False) if i.overdue(today)]
    items.sort(key=lambda i: (i.due, i.review_date, i.answer_id))
    return items[:limit]


def counts_by_iro(session: Session, *, now: datetime | None = None, rules: ScheduleRules | None = None,
                  iro_id: int | None = None) -> list[ReadingCounts]:
    """Unread, overdue, read and purged items per IRO (reviews with no IRO account as iro_id None).

    With ``iro_id``, that IRO's row only (or none, if they have nothing to read).
    """
    rules = rules or ScheduleRules()
    only = [Review.iro_id == iro_id] if iro_id is not None else []
    today = local_date(now or utcnow(), rules)
    table: dict[tuple[int | None, str], ReadingCounts] = {}

    def entry(iro_id: int | None, email: str) -> ReadingCounts:
        # One row per IRO account, whatever email their reviews came with; one per email without.
        key = (iro_id, "") if iro_id is not None else (None, email)
        if key not in table:
            table[key] = ReadingCounts(iro_id=iro_id, iro_email=email)
        return table[key]

    unread = session.execute(_joined(Review.iro_id, Review.iro_email, Invitation.phase, Review.review_date,
                                     Answer.answered_at)
                             .where(*_child_text_answers(), _has_words(), _unread_condition(), *only)).all()
    for row in unread:
        counts = entry(row.iro_id, row.iro_email)
        counts.unread += 1
        if today > due_date(row.phase, row.review_date, row.answered_at, rules):
            counts.overdue += 1
    read = func.sum(case((and_(_has_words(), ~_unread_condition()), 1), else_=0))
    purged = func.sum(case((_has_words(), 0), else_=1))
    for row in session.execute(_joined(Review.iro_id, Review.iro_email, read.label("read"), purged.label("purged"))
                               .where(*_child_text_answers(), *only)
                               .group_by(Review.iro_id, Review.iro_email)).all():
        if row.read or row.purged:
            counts = entry(row.iro_id, row.iro_email)
            counts.read += int(row.read or 0)
            counts.purged += int(row.purged or 0)
    staff = {s.id: s for s in session.scalars(select(Staff).where(
        Staff.id.in_([k[0] for k in table if k[0] is not None] or [0])))}
    for counts in table.values():
        account = staff.get(counts.iro_id) if counts.iro_id is not None else None
        if account is not None:
            counts.iro_email = account.email
            counts.iro_name = account.display_name or account.email
        else:
            counts.iro_name = f"No IRO account ({counts.iro_email})"
    return sorted(table.values(), key=lambda c: (-c.overdue, -c.unread, c.iro_name))


def counts_for(session: Session, iro_id: int | None = None, *, now: datetime | None = None,
               rules: ScheduleRules | None = None) -> ReadingCounts:
    """The counts of one IRO, or (``iro_id`` None) of everyone together."""
    total = ReadingCounts(iro_id=iro_id)
    for counts in counts_by_iro(session, now=now, rules=rules, iro_id=iro_id):
        total.unread += counts.unread
        total.overdue += counts.overdue
        total.read += counts.read
        total.purged += counts.purged
    return total


def unread_count(session: Session, iro_id: int) -> int:
    """How many of one IRO's items are unread (one COUNT: for the navigation on every page)."""
    return int(session.scalar(_joined(func.count()).where(
        Review.iro_id == iro_id, *_child_text_answers(), _has_words(), _unread_condition())) or 0)


def mark_read(session: Session, staff: Staff, answer_id: int, *, seen: datetime | None,
              now: datetime | None = None) -> bool:
    """Record that ``staff`` (the child's own IRO) has read the answer; False if it was read already.

    ``seen``: the ``answered_at`` of the words the IRO was shown. If the answer changed (or
    was purged) since, nothing is marked and ``WordsChanged`` is raised, so words nobody
    saw are never marked read. ``ReadingError`` when the answer is not this IRO's item.
    """
    now = now or utcnow()
    row = session.execute(_joined(Answer.id, Answer.answered_at, Answer.read_at, Answer.invitation_id,
                                  Review.id.label("review_id"), Review.iro_id, _has_words().label("has_words"))
                          .where(Answer.id == answer_id, *_child_text_answers())).first()
    if row is None or staff.role != "iro" or not staff.active or row.iro_id != staff.id:
        raise ReadingError("not an answer for this staff member to read")
    if not row.has_words:
        raise WordsChanged("these words were removed after their retention period")
    if seen is None or row.answered_at != seen:
        raise WordsChanged("these words changed after the page was opened")
    if row.read_at is not None and row.read_at >= row.answered_at:
        return False
    if now < row.answered_at:
        raise WordsChanged("these words were saved later than this moment (a clock is out): try again shortly")
    # Only if the words are still the ones shown: a save that lands in between wins. ``now``
    # as it is: an answer stamped later than it (a clock ahead) stays unread, never the reverse.
    done = session.execute(update(Answer).where(Answer.id == answer_id, Answer.answered_at == row.answered_at)
                           .values(read_at=now, read_by=staff.id)
                           .execution_options(synchronize_session=False)).rowcount
    if not done:
        raise WordsChanged("these words changed after the page was opened")
    record(session, staff.id, "answer_read", "answer", answer_id, invitation=row.invitation_id,
           review=row.review_id)
    return True

