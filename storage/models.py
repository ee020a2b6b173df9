"""SQLAlchemy 2 typed models: reviews, invitations, answers, messages, alerts, quotes, staff.

Children are never named: a child is a ``child_ref`` from the case system and an age.
Contact details and free text are purgeable columns, so aggregate figures survive a purge.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Stable constraint names so Alembic migrations are the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and always read back timezone-aware.

    SQLite keeps no zone and returns naive values; comparing those with aware ones
    raises, so every value is normalised on the way in and out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON}


# Invitation statuses in lifecycle order (a status only moves forward, except re-open on resume).
INVITATION_STATUSES = (
    "pending",
    "sent",
    "opened",
    "partial",
    "completed",
    "declined",
    "opted_out",
    "failed",
    "expired",
)
OUTBOX_STATUSES = ("queued", "sending", "sent", "delivered", "failed", "undelivered", "cancelled")
STAFF_ROLES = ("admin", "manager", "iro")
PN_CODES = ("PN0", "PN1", "PN2", "PN3", "PN4", "PN5", "PN6", "PN7")


class Staff(Base):
    """A staff account: admin, manager or IRO."""

    __tablename__ = "staff"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(20))  # for alert SMS
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="staff")


class StaffSession(Base):
    """A logged-in browser session, held on the server so that logging out ends it.

    The cookie carries a random id whose SHA-256 hash is stored here; logging out, a
    password change or deactivation deletes the row, so a copied cookie stops working.
    """

    __tablename__ = "staff_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiToken(Base):
    """An API token for a staff account; only its SHA-256 hash is stored."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)

    staff: Mapped[Staff] = relationship(back_populates="tokens")


class Review(Base):
    """One statutory review of one child (CLA review or care leaver's Pathway Plan review)."""

    __tablename__ = "reviews"
    id: Mapped[int] = mapped_column(primary_key=True)
    review_ref: Mapped[str] = mapped_column(String(64), unique=True)
    child_ref: Mapped[str] = mapped_column(String(64), index=True)
    child_age: Mapped[int] = mapped_column(Integer)
    review_type: Mapped[str] = mapped_column(String(4))  # CLA | PP
    review_date: Mapped[date] = mapped_column(Date, index=True)
    iro_email: Mapped[str] = mapped_column(String(254), index=True)
    iro_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    # Recorded by the IRO after the review (York's participation table).
    participation_code: Mapped[str | None] = mapped_column(String(4))
    attended: Mapped[bool | None] = mapped_column(Boolean)
    chaired: Mapped[str | None] = mapped_column(String(12))  # none | chair | co_chair
    participation_recorded_at: Mapped[datetime | None]
    participation_recorded_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    seen_before_review: Mapped[bool | None] = mapped_column(Boolean)
    # A staff rehearsal from the simulator (review_ref "SIM-..."): never counted in reports.
    simulated: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    invitations: Mapped[list[Invitation]] = relationship(back_populates="review")
    iro: Mapped[Staff | None] = relationship(foreign_keys=[iro_id])


class Invitation(Base):
    """One respondent asked one form about one review (consultation before, feedback after)."""

    __tablename__ = "invitations"
    __table_args__ = (
        UniqueConstraint("import_key", "phase", name="uq_invitations_import_key_phase"),
        Index("ix_invitations_status_phase", "status", "phase"),
        # Covers the report's return-rate and answer-grouping queries (migration 0002).
        Index("ix_invitations_report", "review_id", "role", "phase", "form_id", "status", "channel", "received",
              "sent_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"), index=True)
    # review_ref + role + contact, hashed: the idempotency key of the import; survives a purge.
    import_key: Mapped[str] = mapped_column(String(64))
    phase: Mapped[str] = mapped_column(String(16))  # consultation | feedback
    form_id: Mapped[str] = mapped_column(String(40))
    role: Mapped[str] = mapped_column(String(16), index=True)
    channel: Mapped[str] = mapped_column(String(12))  # sms | telegram | web | email | paper
    contact: Mapped[str | None] = mapped_column(String(254), index=True)  # purged on retention
    contact_purged_at: Mapped[datetime | None]
    language: Mapped[str] = mapped_column(String(8), default="en")
    token: Mapped[str] = mapped_column(String(64), unique=True)  # web form + Telegram deep link
    telegram_chat_id: Mapped[str | None] = mapped_column(String(32), index=True)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    # Conversation engine state (surveys.engine.ConversationState.to_dict()).
    state: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Lifecycle timestamps (also as rows in invitation_events).
    sent_at: Mapped[datetime | None]
    opened_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    received: Mapped[bool] = mapped_column(Boolean, default=False)  # required questions answered
    # Children under 8 are not messaged directly: their carer's link is used.
    via_carer: Mapped[bool] = mapped_column(Boolean, default=False)
    steps_done: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # schedule step -> ISO time
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    review: Mapped[Review] = relationship(back_populates="invitations")
    answers: Mapped[list[Answer]] = relationship(back_populates="invitation", cascade="all, delete-orphan")
    events: Mapped[list[InvitationEvent]] = relationship(
        back_populates="invitation", cascade="all, delete-orphan", order_by="InvitationEvent.id"
    )


class InvitationEvent(Base):
    """A dated step in an invitation's lifecycle (sent, opened, reminded, completed ...)."""

    __tablename__ = "invitation_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitations.id", ondelete="CASCADE"), index=True)
    event: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    detail: Mapped[str | None] = mapped_column(String(200))

    invitation: Mapped[Invitation] = relationship(back_populates="events")


class Answer(Base):
    """One answer to one question of one invitation's form (stored once, updated on change)."""

    __tablename__ = "answers"
    __table_args__ = (
        UniqueConstraint("invitation_id", "question_key", name="uq_answers_invitation_question"),
        Index("ix_answers_question_value", "question_key", "value"),
        # Covers the report's answer counts: one invitation's answers without the table (migration 0002).
        Index("ix_answers_report", "invitation_id", "skipped", "question_key", "value", "value_num"),
    )
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitations.id", ondelete="CASCADE"))
    question_key: Mapped[str] = mapped_column(String(40))
    # Canonical value: "yes"/"no"/"not_sure", option key, feelings/multi joined with ";".
    value: Mapped[str | None] = mapped_column(String(200))
    value_num: Mapped[int | None] = mapped_column(Integer)  # scale answers
    free_text: Mapped[str | None] = mapped_column(Text)  # text answers; purgeable
    skipped: Mapped[bool] = mapped_column(Boolean, default=False)
    channel: Mapped[str] = mapped_column(String(12))
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)

    # Defence in depth (a person reads every child's own words): who read this free text, when.
    read_at: Mapped[datetime | None]
    read_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))

    invitation: Mapped[Invitation] = relationship(back_populates="answers")


class AnswerRevision(Base):
    """An answer as it was before it was replaced (paper key-in over a stored answer)."""

    __tablename__ = "answer_revisions"
    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitations.id", ondelete="CASCADE"), index=True)
    question_key: Mapped[str] = mapped_column(String(40))
    value: Mapped[str | None] = mapped_column(String(200))
    value_num: Mapped[int | None] = mapped_column(Integer)
    free_text: Mapped[str | None] = mapped_column(Text)  # purgeable, as the answer's
    skipped: Mapped[bool] = mapped_column(Boolean, default=False)
    channel: Mapped[str] = mapped_column(String(12))
    answered_at: Mapped[datetime]
    replaced_at: Mapped[datetime] = mapped_column(default=utcnow)
    replaced_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    replaced_via: Mapped[str] = mapped_column(String(12))  # the channel of the new answer


class InboundMessage(Base):
    """A message received from a provider, stored before it is acknowledged."""

    __tablename__ = "inbound_messages"
    __table_args__ = (UniqueConstraint("channel", "provider_id", name="uq_inbound_channel_provider_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(12))
    provider_id: Mapped[str] = mapped_column(String(64))
    sender: Mapped[str | None] = mapped_column(String(64), index=True)  # purgeable
    body: Mapped[str | None] = mapped_column(Text)  # purgeable; never logged
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitations.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="received")  # received | processed | unmatched
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None]


class OutboxMessage(Base):
    """A message to send: durable, retried with backoff, sent at most once per dedupe key."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(12))
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitations.id", ondelete="SET NULL"), index=True)
    # e.g. "invite:42:consultation", "reply:<inbound id>:0": a second insert is refused.
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    purpose: Mapped[str] = mapped_column(String(24))  # invite | reminder | reply | alert | ...
    to: Mapped[str | None] = mapped_column(String(254))  # purgeable
    body: Mapped[str | None] = mapped_column(Text)  # purgeable; never logged
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # choices, subject, html ...
    status: Mapped[str] = mapped_column(String(12), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    locked_by: Mapped[str | None] = mapped_column(String(64))
    locked_until: Mapped[datetime | None]
    provider_id: Mapped[str | None] = mapped_column(String(64), index=True)
    error_code: Mapped[str | None] = mapped_column(String(16))
    last_error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    status_at: Mapped[datetime | None]


class OptOut(Base):
    """A phone number or chat that asked not to be messaged (STOP)."""

    __tablename__ = "opt_outs"
    __table_args__ = (UniqueConstraint("channel", "address", name="uq_opt_outs_channel_address"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(12))
    address: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(24))  # keyword | provider_21610 | blocked | staff
    opted_out_at: Mapped[datetime] = mapped_column(default=utcnow)


class Alert(Base):
    """A possible disclosure of harm, raised to the child's IRO at once."""

    __tablename__ = "alerts"
    id: Mapped[int] = mapped_column(primary_key=True)
    # Null for a sender who matches no invitation (an unknown number): routed to the duty contact.
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitations.id", ondelete="CASCADE"),
                                                      index=True)
    review_id: Mapped[int | None] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"), index=True)
    inbound_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("inbound_messages.id", ondelete="SET NULL"), index=True)
    # disclosure (a screen flagged it) | not_screened (a language or script the screen cannot read)
    kind: Mapped[str] = mapped_column(String(16), default="disclosure", server_default="disclosure")
    channel: Mapped[str | None] = mapped_column(String(12))
    question_key: Mapped[str | None] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(String(200))  # rule names / signal, never the text
    categories: Mapped[str | None] = mapped_column(String(200))
    excerpt: Mapped[str | None] = mapped_column(Text)  # what was said; IRO and managers only; purgeable
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | acknowledged | closed
    raised_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    action: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    escalated_at: Mapped[datetime | None]

    invitation: Mapped[Invitation | None] = relationship()
    review: Mapped[Review | None] = relationship()


class Quote(Base):
    """A free-text answer as a candidate quote: redacted, then approved by a person."""

    __tablename__ = "quotes"
    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int | None] = mapped_column(
        ForeignKey("answers.id", ondelete="SET NULL"), unique=True
    )
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitations.id", ondelete="CASCADE"), index=True)
    form_id: Mapped[str] = mapped_column(String(40))
    question_key: Mapped[str] = mapped_column(String(40))
    role: Mapped[str] = mapped_column(String(16))
    age: Mapped[int | None] = mapped_column(Integer)
    redacted_text: Mapped[str] = mapped_column(Text)
    edited_text: Mapped[str | None] = mapped_column(Text)
    sentiment: Mapped[float | None] = mapped_column(Float)
    sentiment_label: Mapped[str | None] = mapped_column(String(10))
    themes: Mapped[str | None] = mapped_column(String(200))  # ";"-joined
    status: Mapped[str] = mapped_column(String(12), default="candidate")  # candidate|approved|rejected
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    decided_at: Mapped[datetime | None]
    small_group_override: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    invitation: Mapped[Invitation] = relationship()


class YouSaidWeDid(Base):
    """What was done about a child's views after the review, sent back to the child."""

    __tablename__ = "you_said_we_did"
    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"), index=True)
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitations.id", ondelete="SET NULL"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


class AuditEvent(Base):
    """Append-only record of who saw or changed what."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    action: Mapped[str] = mapped_column(String(48))
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class LoginAttempt(Base):
    """A failed or throttled login / token guess, for rate limiting by key (email or address)."""

    __tablename__ = "rate_limits"
    __table_args__ = (Index("ix_rate_limits_key_at", "key", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(default=utcnow)
