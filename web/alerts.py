"""Safeguarding alert pages: the list, one alert, and acknowledge / record action / close.

An IRO sees the alerts of the reviews they chair; managers and admins see all, including
alerts from a sender who matched no invitation (no review: routed to the duty contact).
An alert outside the staff member's scope is answered 404. Opening an alert (which shows
what the child said) is audited, as is every step taken on it.
"""

from __future__ import annotations

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
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, selectinload

from bot.sender import background
from storage.alert_workflow import AlertWorkflowError, acknowledge, can_handle, close, record_action
from storage.alerts import notice_ids
from storage.audit import record
from storage.models import Alert, Review, Staff
from storage.reviews import counted_reviews
from web.auth import current_staff, login_required
from web.dashboard import NAV, ROLE_LABELS
from web.database import get_session

bp = Blueprint("alerts", __name__, url_prefix="/dashboard/alerts")

STATUS_FILTERS = ("open", "acknowledged", "closed", "all")


def send_notices_now(session: Session, alerts: list[Alert]) -> None:
    """Send the IRO's notices of alerts just committed now, off the request (the worker retries)."""
    if alerts:
        background.submit(current_app.extensions["db"], current_app.config["HYS"], notice_ids(session, alerts))


def scoped_alerts(staff: Staff, *, include_closed: bool = False):
    """A select of the alerts this staff member may see, newest first (never a rehearsal's).

    An IRO: the alerts of the reviews they chair. Managers and admins: every review's, and
    the alerts that have no review (a sender who matched no invitation).
    """
    reviewed = and_(Alert.review_id.is_not(None), *counted_reviews(None, staff.id if staff.role == "iro" else None))
    scope = reviewed if staff.role == "iro" else or_(Alert.review_id.is_(None), reviewed)
    query = (select(Alert).outerjoin(Review, Alert.review_id == Review.id).where(scope)
             .options(selectinload(Alert.review), selectinload(Alert.invitation)))
    if not include_closed:
        query = query.where(Alert.status != "closed")
    return query.order_by(Alert.raised_at.desc(), Alert.id.desc())


def alert_in_scope(staff: Staff, alert_id: int) -> Alert:
    """The alert if this staff member may see it; 404 otherwise."""
    alert = get_session().get(Alert, alert_id)
    if alert is None or not can_handle(staff, alert):
        abort(404)
    return alert


@bp.route("/")
@login_required()
def index():
    """Alerts in scope, newest first, filtered by status."""
    staff = current_staff()
    status = request.args.get("status", "open")
    if status not in STATUS_FILTERS:
        status = "open"
    query = scoped_alerts(staff, include_closed=status in ("closed", "all"))
    if status != "all":
        query = query.where(Alert.status == status)
    rows = get_session().scalars(query.limit(500)).all()
    return render_template("dashboard/alerts.html", rows=rows, status=status, filters=STATUS_FILTERS,
                           role_labels=ROLE_LABELS)


@bp.route("/<int:alert_id>")
@login_required()
def detail(alert_id: int):
    """One alert with what was said, its history and the forms to act on it."""
    staff = current_staff()
    alert = alert_in_scope(staff, alert_id)
    db = get_session()
    record(db, staff.id, "view_alert", "alert", alert.id)
    db.commit()
    return _page(alert, None, 200)


def _page(alert: Alert, error: str | None, status: int):
    ids = [i for i in (alert.acknowledged_by, alert.closed_by) if i]
    names = {s.id: s.display_name or s.email
             for s in get_session().scalars(select(Staff).where(Staff.id.in_(ids or [0])))}
    return render_template("dashboard/alert.html", alert=alert, names=names, role_labels=ROLE_LABELS,
                           error=error), status


def _step(alert_id: int, step) -> object:  # noqa: ANN001
    staff = current_staff()
    alert = alert_in_scope(staff, alert_id)
    db = get_session()
    try:
        message = step(alert, staff)
    except AlertWorkflowError as exc:
        db.rollback()
        alert = alert_in_scope(staff, alert_id)
        return _page(alert, str(exc)[0].upper() + str(exc)[1:] + ".", 400)
    db.commit()
    flash(message)
    return redirect(url_for("alerts.detail", alert_id=alert.id))


@bp.route("/<int:alert_id>/acknowledge", methods=["POST"])
@login_required()
def acknowledge_view(alert_id: int):
    """Say the alert has been seen and is being dealt with."""
    def step(alert: Alert, staff: Staff) -> str:
        done = acknowledge(alert, staff)
        return "Alert acknowledged." if done else "This alert was already acknowledged."
    return _step(alert_id, step)


@bp.route("/<int:alert_id>/action", methods=["POST"])
@login_required()
def action_view(alert_id: int):
    """Record what was done about the alert."""
    def step(alert: Alert, staff: Staff) -> str:
        record_action(alert, staff, request.form.get("action", ""))
        return "Action recorded."
    return _step(alert_id, step)


@bp.route("/<int:alert_id>/close", methods=["POST"])
@login_required()
def close_view(alert_id: int):
    """Close the alert once an action has been recorded."""
    def step(alert: Alert, staff: Staff) -> str:
        close(alert, staff)
        return "Alert closed."
    return _step(alert_id, step)


def init_app(app: Flask) -> None:
    """Register the alert pages and their navigation entry."""
    app.register_blueprint(bp)
    entry = ("alerts.index", "Alerts", ("admin", "manager", "iro"))
    if entry not in NAV:  # several apps (tests) share the module-level list
        NAV.insert(1, entry)
