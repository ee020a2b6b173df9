"""The staff dashboard: what each role may see of reviews, returns, alerts and quotes."""

from __future__ import annotations

from flask import Blueprint, Flask, redirect, render_template, url_for
from sqlalchemy import func, select

from storage.models import Alert, Invitation, Review, Staff
from web.auth import current_staff, login_required
from web.database import get_session

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")

# (endpoint, label, roles allowed); other modules append their pages.
NAV: list[tuple[str, str, tuple[str, ...]]] = [
    ("dashboard.index", "Overview", ("admin", "manager", "iro")),
]


def dashboard_nav(staff: Staff) -> list[tuple[str, str]]:
    """The dashboard links this staff member may follow."""
    return [(endpoint, label) for endpoint, label, roles in NAV if staff.role in roles]


def scoped_reviews(staff: Staff):
    """A select of the reviews this staff member may see (an IRO: only the ones they chair)."""
    query = select(Review)
    if staff.role == "iro":
        query = query.where(Review.iro_id == staff.id)
    return query


@bp.route("/")
@login_required()
def index():
    """Headline figures for the staff member's scope."""
    staff = current_staff()
    db = get_session()
    reviews = scoped_reviews(staff).subquery()
    invitations = db.scalar(
        select(func.count()).select_from(Invitation).join(reviews, Invitation.review_id == reviews.c.id)
    )
    received = db.scalar(
        select(func.count()).select_from(Invitation)
        .join(reviews, Invitation.review_id == reviews.c.id).where(Invitation.received.is_(True))
    )
    open_alerts = db.scalar(
        select(func.count()).select_from(Alert)
        .join(reviews, Alert.review_id == reviews.c.id).where(Alert.status != "closed")
    )
    review_count = db.scalar(select(func.count()).select_from(reviews))
    return render_template("dashboard/index.html", reviews=review_count, invitations=invitations,
                           received=received, open_alerts=open_alerts)


def init_app(app: Flask) -> None:
    """Register the dashboard and its navigation helper."""
    app.register_blueprint(bp)
    app.context_processor(lambda: {"dashboard_nav": dashboard_nav})

    @app.route("/")
    def home():
        return redirect(url_for("dashboard.index"))
