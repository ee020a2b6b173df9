"""Children's data kept as little and as briefly as the work allows.

- ``purge``: contact details (phone, email, chat id, message addresses and bodies) go
  N days after the review (messages that belong to no invitation, N days after they
  came or went); free text (answers, the copy of them in the conversation state,
  closed alerts' excerpts, candidate quotes, the words of answers a paper key-in
  replaced) goes after its own, longer period; records of unknown-link guesses go
  after a day. Rows stay, so every aggregate figure is unchanged. Safe to run as
  often as you like (cron): a second run finds nothing.
- ``subject_access_export``: everything stored about one ``child_ref`` and nothing
  about anyone else, as JSON-ready data or CSV rows: their reviews and everything
  hanging off them, messages from or to their addresses that matched no invitation
  (only when no other child's invitation uses that address), opt-outs of their
  addresses, and the audit log of who saw or did what with their records.
- ``erase_child``: remove everything stored about one ``child_ref`` (opt-outs stay,
  so an address that said STOP is never messaged again; the audit log is append-only
  and holds ids and counts, never the child's words).

Each run is written to the audit log with counts, never with the data itself.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.orm import Session

from storage.audit import record
from storage.models import (
    Alert,
    Answer,
    AnswerRevision,
    AuditEvent,
    InboundMessage,
    Invitation,
    InvitationEvent,
    LoginAttempt,
    OptOut,
    OutboxMessage,
    Quote,
    Review,
    YouSaidWeDid,
    utcnow,
)
from surveys.spreadsheet_safety import spreadsheet_cell

# Outbox rows still waiting to go keep their address: purging them would lose a message.
_UNSENT = ("queued", "sending")
# Rate limits (unknown-link guesses, web.respondent) count over 15 minutes; a day is plenty.
RATE_LIMIT_RETENTION = timedelta(days=1)


@dataclass
class PurgeCounts:
    """How many of each thing a purge removed (or would remove, in a dry run)."""

    dry_run: bool
    contact_cutoff: date
    free_text_cutoff: date
    counts: dict[str, int] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """Human-readable summary lines for the CLI."""
        verb = "would purge" if self.dry_run else "purged"
        head = (f"{verb}: contact details of reviews held before {self.contact_cutoff}, "
                f"free text of reviews held before {self.free_text_cutoff}")
        return [head] + [f"  {name}: {count}" for name, count in self.counts.items()]


def _review_ids_before(cutoff: date):
    return select(Review.id).where(Review.review_date < cutoff)


def _invitation_ids_before(cutoff: date):
    return select(Invitation.id).where(Invitation.review_id.in_(_review_ids_before(cutoff)))


def purge(session: Session, *, contact_days: int, free_text_days: int, now: datetime | None = None,
          dry_run: bool = False, staff_id: int | None = None) -> PurgeCounts:
    """Remove contact details and free text past their retention; keep every countable row."""
    now = now or utcnow()
    today = now.date()
    result = PurgeCounts(dry_run=dry_run, contact_cutoff=today - timedelta(days=contact_days),
                         free_text_cutoff=today - timedelta(days=free_text_days))
    contact_invitations = _invitation_ids_before(result.contact_cutoff)
    text_invitations = _invitation_ids_before(result.free_text_cutoff)
    contact_moment = datetime.combine(result.contact_cutoff, time(0), tzinfo=UTC)

    steps: list[tuple[str, Any, Any, dict[str, Any] | None]] = [
        ("invitation contacts", Invitation,
         (Invitation.id.in_(contact_invitations),
          (Invitation.contact.is_not(None)) | (Invitation.telegram_chat_id.is_not(None))),
         {"contact": None, "telegram_chat_id": None, "contact_purged_at": now}),
        ("inbound messages", InboundMessage,
         (InboundMessage.invitation_id.in_(contact_invitations),
          (InboundMessage.sender.is_not(None)) | (InboundMessage.body.is_not(None))),
         {"sender": None, "body": None}),
        ("outbox messages", OutboxMessage,
         (OutboxMessage.invitation_id.in_(contact_invitations), OutboxMessage.status.not_in(_UNSENT),
          (OutboxMessage.to.is_not(None)) | (OutboxMessage.body.is_not(None))),
         {"to": None, "body": None}),
        ("free-text answers", Answer,
         (Answer.invitation_id.in_(text_invitations), Answer.free_text.is_not(None)),
         {"free_text": None}),
        # An answer replaced by a paper key-in keeps its words in a revision: same schedule.
        ("free-text answer revisions", AnswerRevision,
         (AnswerRevision.invitation_id.in_(text_invitations), AnswerRevision.free_text.is_not(None)),
         {"free_text": None}),
        ("alert excerpts", Alert,
         (Alert.invitation_id.in_(text_invitations), Alert.excerpt.is_not(None), Alert.status == "closed"),
         {"excerpt": None}),
        # An alert from a sender who matched no invitation has no review date: its words go
        # on the free-text schedule counted from when it was raised (closed alerts only, as above).
        ("unmatched alert excerpts", Alert,
         (Alert.invitation_id.is_(None), Alert.excerpt.is_not(None), Alert.status == "closed",
          Alert.raised_at < datetime.combine(result.free_text_cutoff, time(0), tzinfo=UTC)),
         {"excerpt": None}),
        ("candidate quotes", Quote,
         (Quote.invitation_id.in_(text_invitations), Quote.status != "approved"), None),
        # Messages no invitation claimed (unknown numbers, strays after a form closed,
        # notices to staff) have no review date: their clock starts when they came or went.
        ("unmatched inbound messages", InboundMessage,
         (InboundMessage.invitation_id.is_(None), InboundMessage.received_at < contact_moment,
          (InboundMessage.sender.is_not(None)) | (InboundMessage.body.is_not(None))),
         {"sender": None, "body": None}),
        ("unlinked outbox messages", OutboxMessage,
         (OutboxMessage.invitation_id.is_(None), OutboxMessage.status.not_in(_UNSENT),
          OutboxMessage.created_at < contact_moment,
          (OutboxMessage.to.is_not(None)) | (OutboxMessage.body.is_not(None))),
         {"to": None, "body": None}),
        # Rate-limit records hold an IP address; they count over minutes, not days.
        ("rate-limit records", LoginAttempt, (LoginAttempt.at < now - RATE_LIMIT_RETENTION,), None),
    ]
    for name, model, conditions, values in steps:
        if dry_run:
            count = session.scalar(select(func.count()).select_from(model).where(*conditions)) or 0
        elif values is None:
            count = session.execute(delete(model).where(*conditions)).rowcount or 0
        else:
            count = session.execute(update(model).where(*conditions).values(**values)).rowcount or 0
        result.counts[name] = int(count)
    result.counts["free text in conversation state"] = _purge_state_text(session, text_invitations, dry_run)
    if not dry_run:
        record(session, staff_id, "purge", None, None, **result.counts)
    return result


def _purge_state_text(session: Session, invitation_ids: Any, dry_run: bool) -> int:
    """Drop free-text answers from the conversation state (the engine keeps a copy there)."""
    from surveys.forms import get_form

    text_keys: dict[str, set[str] | None] = {}
    count = 0
    rows = session.execute(select(Invitation.id, Invitation.form_id, Invitation.state)
                           .where(Invitation.id.in_(invitation_ids), Invitation.state.is_not(None))).all()
    for invitation_id, form_id, state in rows:
        answers = state.get("answers") if isinstance(state, dict) else None
        if not answers:
            continue
        if form_id not in text_keys:
            try:
                text_keys[form_id] = {q.key for q in get_form(form_id).questions if q.type == "text"}
            except KeyError:
                text_keys[form_id] = None  # a form no longer shipped: keep no answers at all
        keys = text_keys[form_id]
        # Other answers are option keys and numbers, never the respondent's own words.
        kept = {} if keys is None else {k: v for k, v in answers.items() if k not in keys}
        if kept == answers:
            continue
        count += 1
        if not dry_run:
            session.execute(update(Invitation).where(Invitation.id == invitation_id)
                            .values(state={**state, "answers": kept})
                            .execution_options(synchronize_session=False))
    return count


# --- subject access -------------------------------------------------------------------

_EXPORTED: dict[str, tuple[type, tuple[str, ...]]] = {
    "reviews": (Review, ()),
    "invitations": (Invitation, ()),
    "invitation_events": (InvitationEvent, ()),
    "answers": (Answer, ()),
    "answer_revisions": (AnswerRevision, ()),
    "inbound_messages": (InboundMessage, ()),
    "outbox_messages": (OutboxMessage, ("locked_by", "locked_until")),
    "alerts": (Alert, ()),
    "quotes": (Quote, ()),
    "you_said_we_did": (YouSaidWeDid, ()),
    "opt_outs": (OptOut, ()),
    "audit_events": (AuditEvent, ()),
}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _row(obj: Any, skip: tuple[str, ...]) -> dict[str, Any]:
    return {c.key: _plain(getattr(obj, c.key)) for c in obj.__table__.columns if c.key not in skip}


def _child_rows(session: Session, child_ref: str) -> dict[str, list[Any]]:
    reviews = session.scalars(select(Review).where(Review.child_ref == child_ref).order_by(Review.id)).all()
    review_ids = [r.id for r in reviews]
    invitations = session.scalars(
        select(Invitation).where(Invitation.review_id.in_(review_ids)).order_by(Invitation.id)).all()
    invitation_ids = [i.id for i in invitations]
    addresses = {i.contact for i in invitations if i.contact} | {i.telegram_chat_id for i in invitations
                                                                 if i.telegram_chat_id}
    # Messages that matched no invitation are the child's only when no other child's
    # invitation uses the address (a foster carer's phone may serve two children).
    shared = set()
    if addresses:
        for contact, chat in session.execute(
                select(Invitation.contact, Invitation.telegram_chat_id).join(Review)
                .where(Review.child_ref != child_ref,
                       or_(Invitation.contact.in_(addresses), Invitation.telegram_chat_id.in_(addresses)))):
            shared |= {contact, chat}
    exclusive = sorted(addresses - shared)

    def of(model: Any, column: Any) -> list[Any]:
        return list(session.scalars(select(model).where(column.in_(invitation_ids)).order_by(model.id)))

    alerts = list(session.scalars(select(Alert).where(Alert.review_id.in_(review_ids)).order_by(Alert.id)))
    quotes = of(Quote, Quote.invitation_id)
    about = [("child", [child_ref]), ("review", review_ids), ("invitation", invitation_ids),
             ("alert", [a.id for a in alerts]), ("quote", [q.id for q in quotes])]
    audit = list(session.scalars(select(AuditEvent).where(or_(*(
        and_(AuditEvent.object_type == kind, AuditEvent.object_id.in_([str(i) for i in ids]))
        for kind, ids in about if ids))).order_by(AuditEvent.id)))
    return {
        "reviews": list(reviews),
        "invitations": list(invitations),
        "invitation_events": of(InvitationEvent, InvitationEvent.invitation_id),
        "answers": of(Answer, Answer.invitation_id),
        "answer_revisions": of(AnswerRevision, AnswerRevision.invitation_id),
        "inbound_messages": list(session.scalars(select(InboundMessage).where(or_(
            InboundMessage.invitation_id.in_(invitation_ids),
            and_(InboundMessage.invitation_id.is_(None), InboundMessage.sender.in_(exclusive)))
        ).order_by(InboundMessage.id))),
        "outbox_messages": list(session.scalars(select(OutboxMessage).where(or_(
            OutboxMessage.invitation_id.in_(invitation_ids),
            and_(OutboxMessage.invitation_id.is_(None), OutboxMessage.to.in_(exclusive)))
        ).order_by(OutboxMessage.id))),
        "alerts": alerts,
        "quotes": quotes,
        "you_said_we_did": list(session.scalars(
            select(YouSaidWeDid).where(YouSaidWeDid.review_id.in_(review_ids)).order_by(YouSaidWeDid.id))),
        # An opt-out belongs to an address; it is the child's only if the address is theirs.
        "opt_outs": list(session.scalars(select(OptOut).where(OptOut.address.in_(addresses)).order_by(OptOut.id)))
        if addresses else [],
        # Who saw or did what with the child's records (append-only: exported, never erased).
        "audit_events": audit,
    }


def subject_access_export(session: Session, child_ref: str, *, staff_id: int | None = None) -> dict[str, Any]:
    """Everything stored about one child (and the people asked about their reviews)."""
    rows = _child_rows(session, child_ref)
    export = {"child_ref": child_ref, "exported_at": utcnow().isoformat(),
              "tables": {name: [_row(obj, _EXPORTED[name][1]) for obj in objs] for name, objs in rows.items()}}
    record(session, staff_id, "subject_access_export", "child", child_ref,
           rows=sum(len(v) for v in export["tables"].values()))
    return export


def export_as_csv(export: dict[str, Any]) -> str:
    """One CSV of a subject access export: table, row id, column, value (every stored field).

    The child's words are written as text a spreadsheet never runs ("=..." becomes
    "'=..."; ``spreadsheet_cell``); numbers stay numbers.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["table", "row_id", "column", "value"])
    for table, rows in export["tables"].items():
        for row in rows:
            for column, value in row.items():
                if isinstance(value, dict | list):
                    value = json.dumps(value, ensure_ascii=False, sort_keys=True)
                writer.writerow([spreadsheet_cell(cell) for cell in
                                 (table, row.get("id"), column, "" if value is None else value)])
    return buffer.getvalue()


def erase_child(session: Session, child_ref: str, *, staff_id: int | None = None) -> dict[str, int]:
    """Delete everything stored about one child; the audit log keeps only the counts."""
    rows = _child_rows(session, child_ref)
    rows.pop("audit_events")  # append-only: ids and counts, never the child's words
    counts = {name: len(objs) for name, objs in rows.items()}
    # Children first where foreign keys would only null the link and leave the data behind.
    # Opt-outs stay: they are the record that an address must not be messaged again.
    for name in ("quotes", "inbound_messages", "outbox_messages", "you_said_we_did", "alerts", "answer_revisions",
                 "answers", "invitation_events", "invitations", "reviews"):
        for obj in rows[name]:
            session.delete(obj)
        session.flush()
    record(session, staff_id, "erasure", "child", child_ref, **counts)
    return counts
