"""What staff do with a safeguarding alert: acknowledge, record action, close, escalate.

Every step is written to the audit log. An alert nobody acknowledges within
``ALERT_ESCALATE_MINUTES`` *working* minutes is escalated once to every active
manager (email through the outbox).

Working minutes: only time inside the working hours (``ALERT_WORKING_HOURS``, default
09:00-17:00 local time in ``TIMEZONE``) on a working day (Monday to Friday, not a bank
holiday of ``HOLIDAY_REGION``; the same rules as ``surveys.schedule``) counts. An
alert raised out of hours starts its clock at the next working morning: raised on
Friday at 22:00 with 60 minutes allowed, it escalates on Monday at 10:00 (or Tuesday,
if Monday is a bank holiday). The IRO is still notified at once, whatever the hour.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, object_session

from config import setting
from storage.alerts import CHANNEL_NAMES
from storage.audit import record
from storage.models import Alert, Staff, utcnow
from storage.outbox import enqueue

if TYPE_CHECKING:
    from surveys.schedule import ScheduleRules

DEFAULT_WORKING_HOURS = (time(9, 0), time(17, 0))
ACTION_MAX = 4000

ESCALATION_TEXT = (
    "Have Your Say: the safeguarding alert for review {review_ref} ({role}), raised at {raised}, "
    "has not been acknowledged within {minutes} working minutes. Please make sure someone "
    "picks it up now: {url}"
)
UNMATCHED_ESCALATION_TEXT = (
    "Have Your Say: the safeguarding alert for a {channel} message from a sender we could not match "
    "to a review, raised at {raised}, has not been acknowledged within {minutes} working minutes. "
    "Please make sure someone picks it up now: {url}"
)


class AlertWorkflowError(ValueError):
    """A step that cannot be taken on this alert (closed already, no action recorded ...)."""


def can_handle(staff: Staff, alert: Alert) -> bool:
    """Whether this staff member may see and act on the alert (its IRO, managers, admins).

    An alert from a sender who matches no invitation has no IRO: managers and admins only.
    """
    if not staff.active:
        return False
    if staff.role in ("admin", "manager"):
        return True
    return staff.role == "iro" and alert.review is not None and alert.review.iro_id == staff.id


def _session(alert: Alert) -> Session:
    session = object_session(alert)
    if session is None:
        raise AlertWorkflowError("the alert is not attached to a database session")
    return session


def _check(alert: Alert, staff: Staff) -> None:
    if not can_handle(staff, alert):
        raise PermissionError("this staff member may not act on this alert")
    if alert.status == "closed":
        raise AlertWorkflowError("this alert is closed")


def acknowledge(alert: Alert, staff: Staff, *, now: datetime | None = None) -> bool:
    """Mark the alert as seen and being dealt with; False if it was already acknowledged."""
    _check(alert, staff)
    if alert.acknowledged_at is not None:
        return False
    now = now or utcnow()
    alert.status = "acknowledged"
    alert.acknowledged_at = now
    alert.acknowledged_by = staff.id
    record(_session(alert), staff.id, "alert_acknowledged", "alert", alert.id)
    return True


def record_action(alert: Alert, staff: Staff, text: str, *, now: datetime | None = None) -> None:
    """Add a dated line saying what was done; acknowledges an open alert too."""
    _check(alert, staff)
    text = " ".join((text or "").split())
    if not text:
        raise AlertWorkflowError("say what was done (the action cannot be empty)")
    if len(text) > ACTION_MAX:
        raise AlertWorkflowError(f"the action is too long (at most {ACTION_MAX} characters)")
    now = now or utcnow()
    if alert.acknowledged_at is None:
        acknowledge(alert, staff, now=now)
    who = staff.display_name or staff.email
    line = f"{now.astimezone(UTC):%Y-%m-%d %H:%M} UTC, {who}: {text}"
    alert.action = f"{alert.action}\n{line}" if alert.action else line
    # The audit log keeps that an action was recorded, not its words.
    record(_session(alert), staff.id, "alert_action", "alert", alert.id, length=len(text))


def close(alert: Alert, staff: Staff, *, now: datetime | None = None) -> None:
    """Close the alert; an action must have been recorded first."""
    _check(alert, staff)
    if not alert.action:
        raise AlertWorkflowError("record what was done before closing the alert")
    now = now or utcnow()
    if alert.acknowledged_at is None:
        acknowledge(alert, staff, now=now)
    alert.status = "closed"
    alert.closed_at = now
    alert.closed_by = staff.id
    record(_session(alert), staff.id, "alert_closed", "alert", alert.id)


# ---------------------------------------------------------------- escalation

def working_hours(config: Any) -> tuple[time, time]:
    """The working hours from ``ALERT_WORKING_HOURS`` ("09:00-17:00"), or the default."""
    raw = setting(config, "ALERT_WORKING_HOURS")
    if not raw:
        return DEFAULT_WORKING_HOURS
    try:
        start, end = (time.fromisoformat(part.strip()) for part in str(raw).split("-"))
    except ValueError as exc:
        raise ValueError(f"ALERT_WORKING_HOURS must look like 09:00-17:00, not {raw!r}") from exc
    if not start < end:
        raise ValueError(f"ALERT_WORKING_HOURS must start before it ends, not {raw!r}")
    return start, end


def schedule_rules(config: Any) -> ScheduleRules:
    """The working-day rules (time zone, bank holiday region) from the settings."""
    from surveys.schedule import ScheduleRules

    settings = {k: setting(config, k) for k in ("TIMEZONE", "HOLIDAY_REGION")}
    return ScheduleRules.from_settings({k: v for k, v in settings.items() if v})


def escalation_due_at(raised_at: datetime, minutes: int, rules: ScheduleRules,
                      hours: tuple[time, time] = DEFAULT_WORKING_HOURS) -> datetime:
    """When an alert raised at ``raised_at`` escalates: ``minutes`` working minutes later (UTC).

    Local wall-clock time decides what is working time; the clocks change at night,
    outside working hours, so a working day's span is the same on every day.
    """
    from surveys.schedule import is_working_day

    if raised_at.tzinfo is None:
        raise ValueError("raised_at must be timezone-aware")
    zone = rules.zone
    start, end = hours
    local = raised_at.astimezone(zone)
    day = local.date()
    wall = local.time().replace(tzinfo=None)
    if not is_working_day(day, rules) or wall >= end:
        day, wall = _next_working_day(day, rules), start
    elif wall < start:
        wall = start
    remaining = timedelta(minutes=max(0, minutes))
    while True:
        available = datetime.combine(day, end) - datetime.combine(day, wall)
        if remaining <= available:
            moment = datetime.combine(day, wall) + remaining
            return moment.replace(tzinfo=zone).astimezone(UTC)
        remaining -= available
        day, wall = _next_working_day(day, rules), start


def _next_working_day(day: date, rules: ScheduleRules) -> date:
    from surveys.schedule import is_working_day

    day += timedelta(days=1)
    while not is_working_day(day, rules):
        day += timedelta(days=1)
    return day


def escalate_due(session: Session, config: Any, now: datetime | None = None) -> list[Alert]:
    """Escalate, once, every open alert not acknowledged in time; returns those escalated.

    Each active manager gets an email through the outbox (one per alert and manager,
    deduplicated, so a second worker or a rerun sends nothing more). With no active
    manager the admins get it, so an escalation never goes nowhere.
    """
    now = now or utcnow()
    minutes = int(setting(config, "ALERT_ESCALATE_MINUTES", 60) or 60)
    rules = schedule_rules(config)
    hours = working_hours(config)
    base = str(setting(config, "PUBLIC_BASE_URL", "") or "").rstrip("/")
    # Working minutes are never fewer than wall-clock minutes, so this bounds the search.
    candidates = session.scalars(
        select(Alert).where(Alert.status == "open", Alert.acknowledged_at.is_(None),
                            Alert.escalated_at.is_(None),
                            Alert.raised_at <= now - timedelta(minutes=minutes))
        .order_by(Alert.id)
    ).all()
    due = [a for a in candidates if escalation_due_at(a.raised_at, minutes, rules, hours) <= now]
    if not due:
        return []
    recipients = session.scalars(
        select(Staff).where(Staff.role == "manager", Staff.active.is_(True)).order_by(Staff.id)
    ).all() or session.scalars(
        select(Staff).where(Staff.role == "admin", Staff.active.is_(True)).order_by(Staff.id)
    ).all()
    escalated = []
    for alert in due:
        # A conditional update, so two workers running at once escalate an alert once.
        claimed = session.execute(
            update(Alert).where(Alert.id == alert.id, Alert.escalated_at.is_(None))
            .values(escalated_at=now).execution_options(synchronize_session=False)
        ).rowcount
        if not claimed:
            continue
        alert.escalated_at = now
        escalated.append(alert)
        raised = f"{alert.raised_at.astimezone(rules.zone):%a %d %b %H:%M}"
        url = f"{base}/dashboard/alerts/{alert.id}"
        if alert.review is not None:
            role = alert.invitation.role if alert.invitation is not None else "respondent"
            body = ESCALATION_TEXT.format(review_ref=alert.review.review_ref, role=role, raised=raised,
                                          minutes=minutes, url=url)
            subject = f"Escalated safeguarding alert: review {alert.review.review_ref}"
        else:  # a sender who matched no invitation: no review to name
            channel = CHANNEL_NAMES.get(alert.channel or "", alert.channel or "message")
            body = UNMATCHED_ESCALATION_TEXT.format(channel=channel, raised=raised, minutes=minutes, url=url)
            subject = f"Escalated safeguarding alert: a {channel} message from an unknown sender"
        for staff in recipients:
            enqueue(session, channel="email", to=staff.email, body=body,
                    dedupe_key=f"alert:{alert.id}:escalate:{staff.id}", purpose="alert_escalation",
                    payload={"subject": subject}, now=now)
        record(session, None, "alert_escalated", "alert", alert.id, recipients=len(recipients))
    session.flush()
    return escalated
