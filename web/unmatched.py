"""Unmatched inbound messages: texts and Telegram messages that no open form claimed.

A child on a new phone, a sibling, a child who sent STOP or whose form is finished: their
messages are screened like any other (``bot.dispatcher``) and listed here for managers and
admins, newest first, with when they came, the channel, the sender masked to its last
digits, whether the screen raised an alert and a link to it. An IRO sees only the messages
whose alert was routed to them (a number known from one of their reviews).

Who may read the words follows the alert pages (``web.alerts``): managers and IROs, never
admins. Every viewing of the page is written to the audit log (with a count, never words).
The words and the number go at ``CONTACT_RETENTION_DAYS`` (``storage.privacy.purge``).
"""

from __future__ import annotations

from flask import Blueprint, Flask, render_template
from sqlalchemy import select

from storage.alert_workflow import can_handle
from storage.audit import record
from storage.models import Alert, InboundMessage, Review, Staff
from web.auth import current_staff, login_required
from web.dashboard import NAV
from web.database import get_session

bp = Blueprint("unmatched", __name__, url_prefix="/dashboard/unmatched")

LIMIT = 500
WORD_ROLES = ("iro", "manager")  # as the alert page: admins manage accounts, they do not read children's words
CHANNEL_LABELS = {"sms": "Text (SMS)", "telegram": "Telegram", "sim": "Rehearsal"}


def mask(sender: str | None) -> str:
    """A sender shown by its last three characters only ("•••123"); purged ones say so."""
    if not sender:
        return "(deleted)"
    tail = sender[-3:] if len(sender) > 3 else ""
    return f"\u2022\u2022\u2022{tail}"


def rows_for(staff: Staff) -> list[dict]:
    """The unmatched messages this staff member may see, newest first, each with its alerts."""
    db = get_session()
    query = select(InboundMessage).where(InboundMessage.status == "unmatched")
    if staff.role == "iro":
        # Only what was routed to them: a message whose alert names a review they chair.
        query = query.where(InboundMessage.id.in_(
            select(Alert.inbound_message_id).join(Review, Alert.review_id == Review.id)
            .where(Review.iro_id == staff.id, Alert.inbound_message_id.is_not(None))))
    messages = db.scalars(query.order_by(InboundMessage.received_at.desc(), InboundMessage.id.desc())
                          .limit(LIMIT)).all()
    alerts: dict[int, list[Alert]] = {}
    if messages:
        for alert in db.scalars(select(Alert).where(Alert.inbound_message_id.in_([m.id for m in messages]))
                                .order_by(Alert.id)):
            alerts.setdefault(alert.inbound_message_id, []).append(alert)
    words = staff.role in WORD_ROLES
    rows = []
    for message in messages:
        own = [a for a in alerts.get(message.id, []) if can_handle(staff, a)]
        rows.append({
            "id": message.id, "received_at": message.received_at,
            "channel": CHANNEL_LABELS.get(message.channel, message.channel), "sender": mask(message.sender),
            "flagged": any(a.kind == "disclosure" for a in own),
            "needs_reading": any(a.kind == "not_screened" for a in own),
            "alerts": [a.id for a in own], "known": any(a.review_id is not None for a in own),
            "words": message.body if words else None, "words_hidden": not words,
        })
    return rows


@bp.route("/")
@login_required()
def index():
    """The unmatched inbound messages, as far as this staff member may see them (audited)."""
    staff = current_staff()
    rows = rows_for(staff)
    db = get_session()
    record(db, staff.id, "view_unmatched", "inbound_message", None, count=len(rows),
           words=staff.role in WORD_ROLES)
    db.commit()
    return render_template("dashboard/unmatched.html", rows=rows, limit=LIMIT, staff_role=staff.role)


def init_app(app: Flask) -> None:
    """Register the page and its navigation entry (managers and admins)."""
    app.register_blueprint(bp)
    entry = ("unmatched.index", "Unmatched messages", ("admin", "manager"))
    if entry not in NAV:  # several apps (tests) share the module-level list
        NAV.append(entry)
