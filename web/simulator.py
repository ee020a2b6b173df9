"""The channel simulator: staff walk any form as an SMS or Telegram conversation, nothing is sent.

A simulation is a throwaway review (``review_ref`` "SIM-...", ``Review.simulated``, so
reports leave it out) with one invitation whose messages run through the same
dispatcher as the real channels with channel "sim". Replies are kept in the outbox with
status "simulated" (never claimed by the sender) and shown as the channel would show
them: SMS text with numbered choices, Telegram text with buttons. Plain form posts, no
script. A disclosure typed here raises a real alert record, closed at once and
notifying no one, so staff see what a child would be told.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import date
from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select, update

from bot.base import InboundMessage as Inbound
from bot.telegram import keyboard_rows, parse_callback_data
from storage.models import Alert, InboundMessage, Invitation, OutboxMessage, Review, utcnow
from surveys.schema import ROLES
from web.auth import current_staff, login_required
from web.dashboard import local_today
from web.database import get_session

bp = Blueprint("simulator", __name__, url_prefix="/dashboard/simulator")
ROLES_ALLOWED = ("admin", "manager", "iro")
STYLES = {"sms": "SMS", "telegram": "Telegram"}
REVIEW_TYPE_NAMES = {"CLA": "CLA review", "PP": "Pathway Plan review"}
DEFAULT_FORM = "child_before"  # the form most simulations are for


def _forms() -> dict[str, Any]:
    from surveys.forms import all_forms

    return all_forms()


def _own_invitation(invitation_id: int) -> Invitation:
    session = get_session()
    invitation = session.get(Invitation, invitation_id)
    staff = current_staff()
    if invitation is None or not invitation.review.simulated:
        abort(404)
    if staff.role == "iro" and invitation.review.iro_id != staff.id:
        abort(404)
    return invitation


def _run(invitation: Invitation, *, text: str = "", callback: tuple[str, str] | None = None,
         start: bool = False) -> None:
    """Dispatch one simulated message and keep whatever a real one would notify quiet."""
    from bot.dispatcher import dispatch

    session = get_session()
    message = Inbound(channel="sim", provider_id=f"sim-{uuid.uuid4().hex}", sender=invitation.telegram_chat_id,
                      text=text, callback=callback, start_token=invitation.token if start else None)
    dispatch(session, message, timezone=current_app.config["HYS"].TIMEZONE)
    session.flush()
    # A rehearsal never pages an IRO: cancel the alert notifications and close the alert.
    alert_ids = list(session.scalars(select(Alert.id).where(Alert.invitation_id == invitation.id,
                                                            Alert.status != "closed")))
    if alert_ids:
        keys = [f"alert:{a}:{kind}" for a in alert_ids for kind in ("email", "sms")]
        session.execute(update(OutboxMessage).where(OutboxMessage.dedupe_key.in_(keys),
                                                    OutboxMessage.status == "queued")
                        .values(status="cancelled", last_error="simulated review")
                        .execution_options(synchronize_session=False))
        now = utcnow()
        session.execute(update(Alert).where(Alert.id.in_(alert_ids))
                        .values(status="closed", closed_at=now, closed_by=current_staff().id,
                                action="Simulator rehearsal: no child involved, no one notified.")
                        .execution_options(synchronize_session=False))
        flash("A safeguarding alert would have gone to the child's IRO now. "
              "This is a simulation, so no one was notified.")
    session.commit()


@bp.get("/")
@login_required(*ROLES_ALLOWED)
def index():
    """Pick a form, who is answering and the channel."""
    staff = current_staff()
    query = (select(Invitation).join(Review).where(Review.simulated.is_(True))
             .order_by(Invitation.id.desc()).limit(10))
    if staff.role == "iro":
        query = query.where(Review.iro_id == staff.id)
    recent = get_session().scalars(query).all()
    return render_template("simulator/index.html", forms=_forms(), roles=ROLES, styles=STYLES, recent=recent,
                           errors={}, chosen=DEFAULT_FORM)


@bp.post("/")
@login_required(*ROLES_ALLOWED)
def start():
    """Create a throwaway review and invitation and open the conversation."""
    forms = _forms()
    form_id = request.form.get("form_id", "")
    role = request.form.get("role", "")
    review_type = request.form.get("review_type", "")
    style = request.form.get("channel", "")
    errors: dict[str, str] = {}
    if form_id not in forms:
        errors["form_id"] = "Choose a form."
    if role not in ROLES:
        errors["role"] = "Choose who is answering."
    if review_type not in ("CLA", "PP"):
        errors["review_type"] = "Choose CLA or Pathway Plan."
    if style not in STYLES:
        errors["channel"] = "Choose SMS or Telegram."
    try:
        age = int(request.form.get("age", ""))
        if not 0 <= age <= 25:
            raise ValueError
    except ValueError:
        errors["age"] = "Enter an age from 0 to 25."
        age = 0
    # The review's date (today unless given): a feedback survey rehearsed before it does
    # what a real one does, and waits for the review.
    review_date = local_today()
    raw_date = request.form.get("review_date", "").strip()
    if raw_date:
        try:
            review_date = date.fromisoformat(raw_date)
        except ValueError:
            errors["review_date"] = "Enter the review date as YYYY-MM-DD, or leave it empty for today."
    form = forms.get(form_id)
    # A form only runs as those it is written for would see it: say who, rather than
    # rehearse a conversation no one would have.
    if form is not None and "role" not in errors and role not in form.roles:
        errors["role"] = (f"“{form.title.get('en', form_id)}” is for a "
                          f"{' or a '.join(r.replace('_', ' ') for r in form.roles)}: choose one of those.")
    if form is not None and "review_type" not in errors and review_type not in form.review_types:
        kinds = " or ".join(REVIEW_TYPE_NAMES[t] for t in form.review_types)
        errors["review_type"] = f"“{form.title.get('en', form_id)}” is sent for {kinds}s only."
    if errors:
        return render_template("simulator/index.html", forms=forms, roles=ROLES, styles=STYLES, recent=[],
                               errors=errors, chosen=form_id), 400
    staff = current_staff()
    session = get_session()
    ref = f"SIM-{secrets.token_hex(5).upper()}"
    review = Review(review_ref=ref, child_ref=ref, child_age=age, review_type=review_type,
                    review_date=review_date, iro_email=staff.email, iro_id=staff.id, simulated=True)
    session.add(review)
    session.flush()
    invitation = Invitation(review_id=review.id, import_key=secrets.token_hex(16), phase=form.phase,
                            form_id=form.id, role=role, channel=style, contact=None,
                            token=secrets.token_urlsafe(24), telegram_chat_id=f"sim-{secrets.token_hex(8)}",
                            # A rehearsal starts at once, as if its invitation had just gone out
                            # (a feedback survey takes texts only once it has been sent).
                            status="pending", language="en", sent_at=utcnow())
    session.add(invitation)
    session.flush()
    _run(invitation, start=True)
    return redirect(url_for("simulator.conversation", invitation_id=invitation.id))


def transcript(invitation: Invitation) -> list[dict[str, Any]]:
    """The conversation so far: each message in, then the replies it produced."""
    session = get_session()
    inbound = session.scalars(select(InboundMessage).where(InboundMessage.invitation_id == invitation.id,
                                                           InboundMessage.channel == "sim")
                              .order_by(InboundMessage.id)).all()
    replies = session.scalars(select(OutboxMessage).where(OutboxMessage.invitation_id == invitation.id,
                                                          OutboxMessage.channel == "sim")
                              .order_by(OutboxMessage.id)).all()
    by_inbound: dict[str, list[OutboxMessage]] = {}
    for row in replies:
        parts = row.dedupe_key.split(":")
        by_inbound.setdefault(parts[2] if len(parts) > 2 else "", []).append(row)
    entries: list[dict[str, Any]] = []
    for number, message in enumerate(inbound):
        if number or message.body:
            entries.append({"from": "respondent", "text": message.body or "(pressed a button)"})
        for row in by_inbound.get(str(message.id), []):
            payload = row.payload or {}
            rows = []
            if invitation.channel == "telegram" and payload.get("choices") and payload.get("question_key"):
                from bot.base import Choice

                choices = [Choice.of(c) for c in payload["choices"]]
                rows = keyboard_rows(payload["question_key"], choices, payload.get("type"))
            entries.append({"from": "service", "text": row.body or "", "keyboard": rows})
    # Only the newest keyboard can be pressed, as in a real chat after the next message.
    last_keyboard = max((i for i, e in enumerate(entries) if e.get("keyboard")), default=-1)
    for index, entry in enumerate(entries):
        entry["active"] = index == last_keyboard and index >= len(entries) - 2
    return entries


@bp.get("/<int:invitation_id>")
@login_required(*ROLES_ALLOWED)
def conversation(invitation_id: int):
    """The simulated conversation and a box to reply in."""
    invitation = _own_invitation(invitation_id)
    return render_template("simulator/conversation.html", invitation=invitation, form=_forms().get(invitation.form_id),
                           entries=transcript(invitation), style=STYLES.get(invitation.channel, "SMS"))


@bp.post("/<int:invitation_id>")
@login_required(*ROLES_ALLOWED)
def reply(invitation_id: int):
    """Send one simulated reply (typed text or a pressed button)."""
    invitation = _own_invitation(invitation_id)
    data = request.form.get("callback", "")
    text = request.form.get("text", "")[:1600]
    if data:
        callback = parse_callback_data(data)
        if callback is None:
            abort(400)
        label = _label_for(invitation, data)
        _run(invitation, text=label, callback=callback)
    elif text.strip():
        _run(invitation, text=text)
    else:
        flash("Type a reply first.")
    return redirect(url_for("simulator.conversation", invitation_id=invitation.id))


def _label_for(invitation: Invitation, data: str) -> str:
    """The words on the pressed button, for the transcript."""
    for entry in reversed(transcript(invitation)):
        for row in entry.get("keyboard") or []:
            for button in row:
                if button["callback_data"] == data:
                    return button["text"]
    return ""


def init_app(app: Flask) -> None:
    """Register the simulator and its dashboard link."""
    from web.dashboard import NAV

    app.register_blueprint(bp)
    entry = ("simulator.index", "Simulator", ROLES_ALLOWED)
    if entry not in NAV:
        NAV.append(entry)
