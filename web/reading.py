"""The IRO's "to read" list of children's own words, and the managers' overdue view.

An IRO sees the free-text answers of the children whose reviews they chair, as written,
and marks each one read (``storage.reading``); showing the words and marking them read
are both audited with ids only. Managers and admins see how many items each IRO has
unread and overdue, and which ones, never the words. Only the child's own IRO marks an
item read: another IRO gets 404, as for any record outside their scope.
"""

from __future__ import annotations

from datetime import datetime

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)

from storage.audit import record
from storage.models import utcnow
from storage.reading import (
    DUE_WORKING_DAYS,
    ReadingError,
    WordsChanged,
    counts_by_iro,
    counts_for,
    local_date,
    mark_read,
    overdue_items,
    to_read,
    unread_count,
)
from storage.scheduler import rules_from
from web.auth import current_staff, login_required
from web.dashboard import NAV, ROLE_LABELS
from web.database import get_session
from web.errors import error_response

bp = Blueprint("reading", __name__)


def _rules():  # noqa: ANN202 - surveys.schedule.ScheduleRules
    return rules_from(current_app.config["HYS"])


@bp.route("/dashboard/to-read")
@login_required()
def index():
    """The IRO's unread (or, ``?show=read``, read) items; managers and admins go to the overdue view."""
    staff = current_staff()
    if staff.role != "iro":
        return redirect(url_for("reading.overdue"))
    show = "read" if request.args.get("show") == "read" else "unread"
    db = get_session()
    rules = _rules()
    now = utcnow()
    items = to_read(db, staff.id, rules=rules, read=show == "read")
    counts = counts_for(db, staff.id, now=now, rules=rules)
    if items:
        # The words are on this page: who saw which answers is recorded (ids only).
        record(db, staff.id, "view_to_read", "answer", None, show=show, answers=[i.answer_id for i in items])
    db.commit()
    return render_template("dashboard/reading.html", items=items, counts=counts, show=show,
                           today=local_date(now, rules), role_labels=ROLE_LABELS, due_days=DUE_WORKING_DAYS)


@bp.route("/dashboard/to-read/overdue")
@login_required("manager", "admin")
def overdue():
    """Unread items past due: counts per IRO and the items, without the children's words."""
    db = get_session()
    rules = _rules()
    now = utcnow()
    return render_template("dashboard/reading_overdue.html", per_iro=counts_by_iro(db, now=now, rules=rules),
                           items=overdue_items(db, now=now, rules=rules), today=local_date(now, rules),
                           role_labels=ROLE_LABELS, due_days=DUE_WORKING_DAYS)


@bp.route("/dashboard/to-read/<int:answer_id>/read", methods=["POST"])
@login_required()
def mark(answer_id: int):
    """The child's own IRO marks one answer read (CSRF-checked form post)."""
    staff = current_staff()
    if staff.role != "iro":
        # Managers and admins are never shown the words, so they cannot have read them.
        flash("Only the child's own IRO marks their words read; this view shows what is overdue.")
        return redirect(url_for("reading.overdue"), 303)
    try:
        seen = datetime.fromisoformat(request.form.get("seen", ""))
    except ValueError:
        seen = None
    if seen is not None and seen.tzinfo is None:
        seen = None
    db = get_session()
    try:
        done = mark_read(db, staff, answer_id, seen=seen)
    except ReadingError:
        db.rollback()
        abort(404)
    except WordsChanged as exc:
        db.rollback()
        if seen is None:
            return error_response(400, "The form did not say which words you were shown. Reload the page and "
                                       "try again.")
        flash(f"Not marked read: {exc}. Please read them again below.")
        return redirect(url_for("reading.index"), 303)
    db.commit()
    flash("Marked as read." if done else "This was already marked as read.")
    return redirect(url_for("reading.index"), 303)


def nav_count(endpoint: str) -> int | None:
    """The number shown beside a navigation link: the IRO's unread items beside "To read"."""
    if endpoint != "reading.index":
        return None
    staff = current_staff()
    if staff is None or staff.role != "iro":
        return None
    if "reading_unread" not in g:
        g.reading_unread = unread_count(get_session(), staff.id)
    return g.reading_unread


def init_app(app: Flask) -> None:
    """Register the pages, their navigation entries and the unread count beside "To read"."""
    app.register_blueprint(bp)
    for entry in (("reading.index", "To read", ("iro",)), ("reading.overdue", "Unread words", ("admin", "manager"))):
        if entry not in NAV:  # several apps (tests) share the module-level list
            NAV.append(entry)
    app.add_template_global(nav_count, "nav_count")
