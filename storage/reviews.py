"""Import a review schedule CSV into reviews and invitations: all or nothing, idempotent.

The file is validated as a whole first (``surveys.schedule_csv``); with any error
nothing is stored and every problem comes back with its line, column and reason.
A valid file is stored in chunks of reviews inside one transaction:

- a review is found by ``review_ref``; its date, age, type and IRO are brought up to
  date (a moved date reschedules whatever has not been sent yet: the scheduler plans
  from the review date at each run, and the steps already done stay done);
- each row makes a consultation invitation and, where the role has a feedback form,
  a feedback invitation; ``Invitation.import_key`` (a hash of review_ref, role and
  contact) with the phase makes a re-import change nothing.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import ColumnElement, func, insert, or_, select, text, update
from sqlalchemy.orm import Session

from storage.lifecycle import log_event
from storage.models import Invitation, Review, Staff, utcnow
from surveys.forms import all_forms
from surveys.schedule import messaged_directly
from surveys.schedule_csv import DEFAULT_MAX_BYTES, RowError, ScheduleRow, validate_schedule

CHUNK_REVIEWS = 500


def counted_reviews(review_type: str | None, iro_id: int | None) -> list[ColumnElement[bool]]:
    """Which reviews a report counts, apart from their dates: one type, one IRO; never a rehearsal."""
    conditions: list[ColumnElement[bool]] = [or_(Review.simulated.is_(None), Review.simulated.is_(False))]
    if review_type:
        conditions.append(Review.review_type == review_type)
    if iro_id is not None:
        conditions.append(Review.iro_id == iro_id)
    return conditions


def import_key(review_ref: str, role: str, contact: str) -> str:
    """The idempotency key of one invitation row: sha256 of review_ref, role and contact."""
    return hashlib.sha256(f"{review_ref}\x1f{role}\x1f{contact}".encode()).hexdigest()


def new_token() -> str:
    """An unguessable invitation token (web form link and Telegram deep link)."""
    return secrets.token_urlsafe(24)


@dataclass
class ImportResult:
    """What an import did, or the errors that stopped it (then nothing was stored)."""

    errors: list[RowError] = field(default_factory=list)
    rows: int = 0
    reviews_created: int = 0
    reviews_updated: int = 0
    reviews_rescheduled: int = 0
    invitations_created: int = 0
    invitations_updated: int = 0
    invitations_unchanged: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        """One line for staff."""
        return (f"{self.rows} rows: {self.reviews_created} reviews created, {self.reviews_updated} updated "
                f"({self.reviews_rescheduled} rescheduled); {self.invitations_created} invitations created, "
                f"{self.invitations_updated} updated, {self.invitations_unchanged} unchanged")


def format_error(error: RowError) -> str:
    """'line 4, column review_date: reason' (or the parts that apply)."""
    where = []
    if error.line is not None:
        where.append(f"line {error.line}")
    if error.column:
        where.append(f"column {error.column}")
    return (", ".join(where) + ": " if where else "") + error.reason


class _Forms:
    """Which form each (phase, role, review type) gets; the form files are read once per import."""

    def __init__(self) -> None:
        self._forms = list(all_forms().values())
        self._ids: dict[tuple[str, str, str], str | None] = {}

    def __call__(self, phase: str, role: str, review_type: str) -> str | None:
        key = (phase, role, review_type)
        if key not in self._ids:
            # The same rule as surveys.forms.form_for, over the forms read once.
            self._ids[key] = next((f.id for f in self._forms if f.phase == phase and role in f.roles
                                   and review_type in f.review_types), None)
        return self._ids[key]


def _form_errors(rows: Iterable[ScheduleRow], form_id: _Forms) -> list[RowError]:
    errors = []
    for row in rows:
        if form_id("consultation", row.role, row.review_type) is None:
            errors.append(RowError(row.line, "role", f"there is no consultation form for role {row.role} "
                                                      f"in a {row.review_type} review"))
    return errors


def file_too_large(path: str | Path, max_bytes: int) -> RowError | None:
    """The size error for a file over the limit, found without reading it."""
    size = os.stat(path).st_size
    if size > max_bytes:
        return RowError(None, None, f"the file is {size / 1048576:.1f} MB, larger than the "
                                    f"{max_bytes / 1048576:.0f} MB limit; split it and import the parts")
    return None


def import_schedule(
    session: Session,
    source: Iterable[bytes] | BinaryIO,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    progress: Callable[[int, int], None] | None = None,
    now=None,  # noqa: ANN001 - datetime; the time recorded on created rows
) -> ImportResult:
    """Validate then store a schedule; on any error store nothing and return the errors.

    ``progress(stored, total)`` is called after each chunk with the rows stored so far. The
    caller commits (or the ``Database.session()`` block does).
    """
    validated = validate_schedule(source, max_bytes=max_bytes)
    if validated.errors:
        return ImportResult(errors=validated.errors)
    form_id = _Forms()
    errors = _form_errors(validated.rows, form_id)
    if errors:
        return ImportResult(errors=errors)
    now = now or utcnow()
    result = ImportResult(rows=len(validated.rows))
    by_review: dict[str, list[ScheduleRow]] = {}
    for row in validated.rows:
        by_review.setdefault(row.review_ref, []).append(row)
    iro_ids = {email.lower(): sid for sid, email in session.execute(select(Staff.id, Staff.email))}
    refs = list(by_review)
    stored = 0
    is_postgres = session.get_bind().dialect.name == "postgresql"
    analyze_after = 1
    for number, start in enumerate(range(0, len(refs), CHUNK_REVIEWS), start=1):
        chunk = refs[start:start + CHUNK_REVIEWS]
        _store_chunk(session, {ref: by_review[ref] for ref in chunk}, iro_ids, result, now, form_id)
        stored += sum(len(by_review[ref]) for ref in chunk)
        if is_postgres and number == analyze_after:
            # Autovacuum cannot see this transaction's rows: without fresh statistics the planner
            # keeps scanning the growing tables whole for each chunk's lookups (quadratic in the
            # file). ANALYZE in the transaction sees them; after chunks 1, 2, 4, 8, ... is enough.
            session.execute(text("ANALYZE reviews, invitations"))
            analyze_after *= 2
        if progress is not None:
            progress(stored, result.rows)
    return result


def _store_chunk(session: Session, chunk: dict[str, list[ScheduleRow]], iro_ids: dict[str, int],
                 result: ImportResult, now, form_id: _Forms) -> None:  # noqa: ANN001
    existing = {review.review_ref: review
                for review in session.scalars(select(Review).where(Review.review_ref.in_(list(chunk))))}
    moved: list[tuple[int, date, date]] = []
    for ref, rows in chunk.items():
        first = rows[0]
        values = {"child_ref": first.child_ref, "child_age": first.child_age, "review_type": first.review_type,
                  "review_date": first.review_date, "iro_email": first.iro_email,
                  "iro_id": iro_ids.get(first.iro_email.lower())}
        review = existing.get(ref)
        if review is None:
            review = Review(review_ref=ref, created_at=now, updated_at=now, **values)
            session.add(review)
            existing[ref] = review
            result.reviews_created += 1
            continue
        changed = {name: value for name, value in values.items() if getattr(review, name) != value}
        if changed:
            if "review_date" in changed:
                moved.append((review.id, review.review_date, changed["review_date"]))
                result.reviews_rescheduled += 1
            for name, value in changed.items():
                setattr(review, name, value)
            review.updated_at = now
            result.reviews_updated += 1
    session.flush()
    review_ids = [existing[ref].id for ref in chunk]
    # Plain rows, not ORM objects: a national re-import compares 600,000 of them.
    current = {(row.import_key, row.phase): row for row in session.execute(
        select(Invitation.id, Invitation.import_key, Invitation.phase, Invitation.form_id, Invitation.channel,
               Invitation.language, Invitation.via_carer).where(Invitation.review_id.in_(review_ids)))}
    new_rows = []
    updates = []
    for ref, rows in chunk.items():
        review = existing[ref]
        for row in rows:
            key = import_key(ref, row.role, row.contact)
            via_carer = not messaged_directly(row.role, row.child_age)
            for phase in ("consultation", "feedback"):
                form = form_id(phase, row.role, row.review_type)
                if form is None:
                    continue
                values = {"form_id": form, "channel": row.channel, "language": row.language,
                          "via_carer": via_carer}
                invitation = current.get((key, phase))
                if invitation is None:
                    new_rows.append({"review_id": review.id, "import_key": key, "phase": phase, "role": row.role,
                                     "contact": row.contact or None, "token": new_token(), "status": "pending",
                                     "received": False, "steps_done": {}, "created_at": now, "updated_at": now,
                                     **values})
                    continue
                changed = {name: value for name, value in values.items() if getattr(invitation, name) != value}
                if changed:
                    updates.append({"id": invitation.id, "updated_at": now, **changed})
                    result.invitations_updated += 1
                else:
                    result.invitations_unchanged += 1
    for row in updates:  # by primary key; rare (a channel or language changed in the case system)
        session.execute(update(Invitation).where(Invitation.id == row.pop("id")).values(**row))
    if new_rows:
        session.execute(insert(Invitation), new_rows)
        result.invitations_created += len(new_rows)
    for review_id, old, new in moved:
        for invitation in session.scalars(select(Invitation).where(Invitation.review_id == review_id)):
            log_event(session, invitation, "rescheduled", now=now,
                      detail=f"review moved from {old.isoformat()} to {new.isoformat()}")
    session.flush()


def count_reviews(session: Session) -> int:
    """How many reviews are stored (for the upload page)."""
    return session.scalar(select(func.count(Review.id))) or 0
