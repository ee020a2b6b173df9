"""What is due now -> the outbox: invitations, reminders and closes of the review cycle.

``queue_due`` walks the open invitations whose review is near (keyset pages of
``CHUNK`` ids, one transaction each; PostgreSQL locks each page with SKIP LOCKED so
two workers share the work), plans each one from its review date
(``surveys.schedule.plan``) and carries out the due steps:

- a message step is queued in the outbox (the rule of ``storage.outbox.enqueue``, one
  INSERT per page) under the dedupe key ``f"{step}:{invitation.id}"`` (two runs or two
  workers queue it once) and noted in ``steps_done``; a queued reminder is also an
  event on the invitation's timeline; the sender moves the invitation to "sent" when it is delivered;
- a close expires what was not completed (answers received stay counted);
- steps that can no longer help (a reminder after a late invite, anything after the
  close) are noted as skipped; nothing goes to an opted-out address, to paper
  invitations, or to Telegram invitations without a phone number; a child under 8 is
  invited through the carer of the same review (catalogue ``invite_via_carer``).

Message steps go out only inside the send window (``surveys.schedule.in_send_window``):
a run outside it leaves them for the next run inside.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from config import setting
from storage.lifecycle import OPEN_STATUSES, log_event, set_status
from storage.models import Invitation, OptOut, Review, utcnow
from storage.outbox import enqueue_many, outbox_row
from surveys import engine
from surveys.forms import all_forms
from surveys.schedule import ScheduleRules, Step, in_send_window, plan, triage

CHUNK = 500
CARER_ROLES = ("carer", "parent")
# Catalogue keys per step kind and phase.
_SMS_KEYS = {("invite", "consultation"): "invite_sms", ("reminder", "consultation"): "reminder_sms",
             ("invite", "feedback"): "feedback_invite_sms", ("reminder", "feedback"): "feedback_reminder_sms"}
_PURPOSE = {("invite", "consultation"): "invite", ("reminder", "consultation"): "reminder",
            ("invite", "feedback"): "feedback_invite", ("reminder", "feedback"): "feedback_reminder"}


def rules_from(config: Any) -> ScheduleRules:
    """The schedule rules from a ``Config`` (or a mapping of settings)."""
    if isinstance(config, Mapping):
        return ScheduleRules.from_settings(config)
    names = ("INVITE_WORKING_DAYS", "REMINDER_WORKING_DAYS", "FEEDBACK_DAYS_AFTER", "SEND_WINDOW",
             "NO_SUNDAY_SENDS", "TIMEZONE", "HOLIDAY_REGION")
    return ScheduleRules.from_settings({n: getattr(config, n) for n in names if hasattr(config, n)})


def form_link(config: Any, token: str) -> str:
    """The respondent's web form link."""
    base = (setting(config, "PUBLIC_BASE_URL") or "").rstrip("/")
    return f"{base}/f/{token}"


def telegram_link(config: Any, token: str) -> str | None:
    """The Telegram deep link, when a bot username is set."""
    username = setting(config, "TELEGRAM_BOT_USERNAME")
    return f"https://t.me/{username}?start={token}" if username else None


def _is_phone(contact: str | None) -> bool:
    return bool(contact) and contact.startswith("+")


def _is_email(contact: str | None) -> bool:
    return bool(contact) and "@" in contact


def route(channel: str, contact: str | None) -> tuple[str, str] | None:
    """(outbox channel, address) for an invitation's channel and contact, or None (nothing to send)."""
    if channel == "sms" and _is_phone(contact):
        return "sms", contact  # type: ignore[return-value]
    if channel == "telegram" and _is_phone(contact):
        return "sms", contact  # type: ignore[return-value]
    if channel in ("web", "email"):
        if _is_email(contact):
            return "email", contact  # type: ignore[return-value]
        if _is_phone(contact):
            return "sms", contact  # type: ignore[return-value]
    return None


def _review_date_text(day: date) -> str:
    return f"{day.strftime('%A')} {day.day} {day.strftime('%B %Y')}"


class _Plans:
    """Plans per (review date, phase): many invitations share a date, and plans are pure."""

    def __init__(self, rules: ScheduleRules) -> None:
        self.rules = rules
        self._cache: dict[tuple[date, str], list[Step]] = {}

    def __call__(self, review_date: date, phase: str) -> list[Step]:
        key = (review_date, phase)
        if key not in self._cache:
            self._cache[key] = plan(review_date, phase, self.rules, held=True)  # type: ignore[arg-type]
        return self._cache[key]


def _new_counts() -> dict[str, int]:
    return {"queued": 0, "already_queued": 0, "closed": 0, "skipped": 0, "not_sent": 0, "opted_out": 0,
            "invitations": 0}


def queue_due(session: Session, config: Any, now: datetime) -> dict[str, int]:
    """Carry out every step due at ``now``; commits after each page. Counts of what was done.

    ``queued``: messages put in the outbox; ``already_queued``: dedupe hits (another run
    got there first); ``closed``: invitations expired at a close; ``skipped``: steps
    dropped by the rules; ``not_sent``: message steps with nowhere to send (paper,
    no contact); ``opted_out``: invitations stopped because their address opted out;
    ``invitations``: how many were looked at.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    now = now.astimezone(UTC)
    rules = rules_from(config)
    plans = _Plans(rules)
    counts = _new_counts()
    window_open = in_send_window(now, rules)
    today = now.astimezone(rules.zone).date()
    # Consultation steps start at most this long before the review; feedback steps start after it.
    horizon = today + timedelta(days=rules.invite_working_days_before * 2 + 21)
    feedback_from = today - timedelta(days=rules.feedback_days_after - 1)
    titles = {form.id: form.title for form in all_forms().values()}
    is_postgres = session.get_bind().dialect.name == "postgresql"
    last_id = 0
    while True:
        # Only what triage needs: most open invitations have nothing due, and a page of
        # whole rows (conversation state included) would cost more than the plan itself.
        query = (select(Invitation.id, Invitation.phase, Invitation.steps_done, Review.review_date)
                 .join(Review, Review.id == Invitation.review_id)
                 .where(Invitation.id > last_id, Invitation.status.in_(OPEN_STATUSES),
                        ((Invitation.phase == "consultation") & (Review.review_date <= horizon))
                        | ((Invitation.phase == "feedback") & (Review.review_date < feedback_from)))
                 .order_by(Invitation.id).limit(CHUNK))
        if is_postgres:
            query = query.with_for_update(skip_locked=True, of=Invitation)
        page = session.execute(query).all()
        if not page:
            break
        last_id = page[-1].id
        # No autoflush: each enqueue would otherwise flush the page's earlier changes row by row.
        with session.no_autoflush:
            _process_page(session, config, page, plans, counts, now, window_open, titles)
        session.commit()
        session.expunge_all()  # bounded memory: nothing of the page stays in the identity map
    return counts


def _process_page(session: Session, config: Any, page: list[Any], plans: _Plans, counts: dict[str, int],
                  now: datetime, window_open: bool, titles: dict[str, Any]) -> None:
    due = {}
    for row in page:
        decision = triage(plans(row.review_date, row.phase), now, frozenset(row.steps_done or {}))
        if decision.send or decision.skip:
            due[row.id] = (row.review_date, decision)
    if not due:
        return
    work = []
    addresses: set[tuple[str, str]] = set()
    carer_needed: set[tuple[int, str]] = set()
    for invitation in session.scalars(select(Invitation).where(Invitation.id.in_(list(due)))
                                      .order_by(Invitation.id)):
        review_date, decision = due[invitation.id]
        work.append((invitation, review_date, decision))
        target = route(invitation.channel, invitation.contact)
        if target is not None:
            addresses.add(target)
        if invitation.via_carer:
            carer_needed.add((invitation.review_id, invitation.phase))
    carers = _carers(session, carer_needed)
    for carer_route in carers.values():
        addresses.add(carer_route[0])
    opted = _opted_out(session, addresses)
    outbox_rows: list[dict[str, Any]] = []
    reminders: dict[str, Invitation] = {}  # dedupe key -> invitation, for the timeline
    for invitation, review_date, decision in work:
        counts["invitations"] += 1
        done = dict(invitation.steps_done or {})
        stamp = now.isoformat()
        for step in decision.skip:
            done[step.name] = "skipped"
            counts["skipped"] += 1
        for step in decision.send:
            if step.kind == "close":
                done[step.name] = stamp
                if invitation.status != "completed" and set_status(session, invitation, "expired", now=now,
                                                                    detail=f"{step.name} at review"):
                    counts["closed"] += 1
                continue
            if not window_open:
                continue  # left for the next run inside the send window
            outcome = _send_step(config, invitation, review_date, step, carers, opted, titles, now)
            if isinstance(outcome, dict):
                outbox_rows.append(outcome)  # queued below, with the page's others
                if step.kind == "reminder":
                    reminders[outcome["dedupe_key"]] = invitation
                done[step.name] = stamp
                continue
            done[step.name] = outcome
            counts[outcome if outcome in counts else "not_sent"] += 1
            if outcome == "opted_out":
                set_status(session, invitation, "opted_out", now=now, detail="address opted out")
                break
        if done != (invitation.steps_done or {}):
            invitation.steps_done = done
    queued = _enqueue_all(session, outbox_rows)
    counts["queued"] += len(queued)
    counts["already_queued"] += len(outbox_rows) - len(queued)
    # The first message shows as the "sent" status; a reminder is an event on the timeline.
    for key in sorted(queued & reminders.keys()):
        log_event(session, reminders[key], key.split(":", 1)[0], now=now, detail="reminder queued")


def _enqueue_all(session: Session, rows: list[dict[str, Any]]) -> set[str]:
    """Put a page's messages in the outbox in one statement; the dedupe keys that were new.

    The same rule as ``storage.outbox.enqueue`` (insert unless the dedupe key is
    already there), for many rows at once: one INSERT per message was most of the
    cost of a busy morning's run.
    """
    created = utcnow()
    for row in rows:
        row["created_at"] = created
    return set(enqueue_many(session, rows))


def _carers(session: Session, needed: set[tuple[int, str]]) -> dict[tuple[int, str], tuple[tuple[str, str], str]]:
    """(review id, phase) -> ((outbox channel, address), language) of a carer (or parent) to ask."""
    if not needed:
        return {}
    review_ids = sorted({review_id for review_id, _ in needed})
    found: dict[tuple[int, str], tuple[tuple[str, str], str]] = {}
    rows = session.execute(
        select(Invitation.review_id, Invitation.phase, Invitation.role, Invitation.channel, Invitation.contact,
               Invitation.language)
        .where(Invitation.review_id.in_(review_ids), Invitation.role.in_(CARER_ROLES))
        .order_by(Invitation.id)).all()
    for role in CARER_ROLES:  # a carer before a parent
        for review_id, phase, row_role, channel, contact, language in rows:
            target = route(channel, contact)
            if row_role == role and target is not None and (review_id, phase) not in found:
                found[(review_id, phase)] = (target, language)
    return found


def _opted_out(session: Session, addresses: set[tuple[str, str]]) -> set[tuple[str, str]]:
    if not addresses:
        return set()
    values = sorted({address for _, address in addresses})
    rows = session.execute(select(OptOut.channel, OptOut.address).where(OptOut.address.in_(values))).all()
    return {(channel, address) for channel, address in rows}


def _send_step(config: Any, invitation: Invitation, review_date: date, step: Step,
               carers: dict[tuple[int, str], tuple[tuple[str, str], str]], opted: set[tuple[str, str]],
               titles: dict[str, Any], now: datetime) -> dict[str, Any] | str:
    """The outbox row of one message step, or why there is none: 'opted_out', 'via_carer', 'no_contact'."""
    kind_phase = (step.kind, step.phase)
    link = form_link(config, invitation.token)
    language = invitation.language or "en"
    if invitation.via_carer:
        carer = carers.get((invitation.review_id, invitation.phase))
        if step.name != "invite" or carer is None:
            return "via_carer"  # the carer's own messages carry the review; no link for the carer
        target, language = carer
        key = "invite_via_carer"
    else:
        target = route(invitation.channel, invitation.contact)
        if target is None:
            return "no_contact"
        if invitation.channel == "telegram":
            link = telegram_link(config, invitation.token) or link
            key = "invite_telegram_link" if step.kind == "invite" and step.phase == "consultation" \
                else _SMS_KEYS[kind_phase]
        else:
            key = _SMS_KEYS[kind_phase]
    if target in opted:
        return "opted_out"
    title_texts = titles.get(invitation.form_id) or {}
    title = title_texts.get(language) or title_texts.get("en") or ""
    values = {"title": title, "review_date": _review_date_text(review_date), "link": link}
    payload = None
    channel, address = target
    if channel == "email":
        body_key = "invite_email_body" if key in ("invite_sms", "feedback_invite_sms") else key
        body = engine.text(body_key, language, **values)
        payload = {"subject": engine.text("invite_email_subject", language, **values)}
    else:
        body = engine.text(key, language, **values)
    return outbox_row(channel=channel, to=address, body=body, dedupe_key=f"{step.name}:{invitation.id}",
                      purpose=_PURPOSE[kind_phase], invitation_id=invitation.id, payload=payload, now=now)
