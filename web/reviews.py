"""Review schedule upload: managers and admins import the CSV from the case system.

The whole file is checked first; with any problem nothing is stored and the page lists
every bad row with its line, column and reason. A good file is imported (re-importing
changes nothing) and the page shows what was created, updated and rescheduled.
"""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, render_template, request
from sqlalchemy.exc import IntegrityError, OperationalError
from werkzeug.exceptions import RequestEntityTooLarge

from storage.audit import record
from storage.reviews import count_reviews, format_error, import_schedule
from web.auth import current_staff, login_required
from web.dashboard import NAV
from web.database import get_session

bp = Blueprint("reviews", __name__, url_prefix="/dashboard/schedule")

ROLES = ("admin", "manager")
MAX_ERRORS_SHOWN = 200


def _limit_mb() -> int:
    return int(current_app.config["HYS"].MAX_UPLOAD_MB)


def _page(status: int = 200, *, count: bool = True, **values):  # noqa: ANN003, ANN202
    values.setdefault("errors", [])
    values.setdefault("result", None)
    values.setdefault("problem", None)
    # No count when the database is busy: the page must still come back.
    reviews = count_reviews(get_session()) if count else None
    return render_template("reviews/upload.html", limit_mb=_limit_mb(), reviews=reviews,
                           max_shown=MAX_ERRORS_SHOWN, **values), status


@bp.route("/", methods=["GET"])
@login_required(*ROLES)
def upload_form():
    """The upload form and how many reviews are stored."""
    return _page()


@bp.route("/", methods=["POST"])
@login_required(*ROLES)
def upload():
    """Check and import an uploaded schedule; list every problem or the counts."""
    upload_file = request.files.get("schedule")
    if upload_file is None or not upload_file.filename:
        return _page(400, problem="Choose a CSV file to upload.")
    session = get_session()
    try:
        result = import_schedule(session, upload_file.stream, max_bytes=_limit_mb() * 1024 * 1024)
    except (IntegrityError, OperationalError) as exc:
        # Another import stored the same reviews first (PostgreSQL), or held the database
        # longer than the lock timeout (SQLite): this one is rolled back whole.
        session.rollback()
        busy = isinstance(exc, OperationalError)
        return _page(503 if busy else 409, count=not busy, problem=(
            ("The database was busy" if busy else "Another import was saving the same reviews at the same time")
            + f", so nothing from {upload_file.filename} was imported. Upload it again in a minute: "
            "rows that are already stored are not imported twice."))
    staff = current_staff()
    if result.errors:
        session.rollback()
        errors = [format_error(e) for e in result.errors]
        return _page(422, problem=f"{len(errors)} problem(s) found in {upload_file.filename}; nothing was imported.",
                     errors=errors[:MAX_ERRORS_SHOWN], error_count=len(errors))
    record(session, staff.id, "import_schedule", "schedule", None, rows=result.rows,
           reviews_created=result.reviews_created, invitations_created=result.invitations_created)
    session.commit()
    return _page(result=result)


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_exc: RequestEntityTooLarge):
    """A file over the upload limit: say so plainly (nothing was read or stored)."""
    return _page(413, problem=f"That file is larger than the {_limit_mb()} MB limit. "
                              "Split it into smaller files and upload each one.")


def init_app(app: Flask) -> None:
    """Register the upload page and its navigation entry."""
    app.register_blueprint(bp)
    entry = ("reviews.upload_form", "Import schedule", ROLES)
    if entry not in NAV:  # several apps (tests) share the module-level list
        NAV.append(entry)
