"""Staff pages for quotes (redaction, approval) and "you said, we did" messages."""

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
from sqlalchemy import select

from storage.audit import record
from storage.models import Quote, Review, YouSaidWeDid
from storage.quotes import (
    QuoteError,
    attribution,
    decide,
    group_sizes,
    override_small_group,
    record_you_said_we_did,
    refresh_candidates,
)
from surveys.forms import get_form
from surveys.report import reporting_year
from web.auth import current_staff, login_required
from web.dashboard import NAV, scoped_reviews
from web.database import get_session

bp = Blueprint("quotes", __name__, url_prefix="/dashboard")
STATUSES = ("candidate", "approved", "rejected")


@bp.route("/quotes")
@login_required("manager", "admin")
def index():
    """Candidate quotes to approve, edit or reject; already-decided ones by status."""
    session = get_session()
    refresh_candidates(session)
    session.commit()
    status = request.args.get("status", "candidate")
    if status not in STATUSES:
        status = "candidate"
    quotes = session.scalars(select(Quote).where(Quote.status == status).order_by(Quote.id.desc()).limit(200)).all()
    # Seeing respondents' (redacted) words is recorded, like opening a review's answers.
    record(session, current_staff().id, "view_quotes", "quote", None, status=status, quotes=[q.id for q in quotes])
    session.commit()
    minimum = current_app.config["HYS"].SMALL_GROUP_MIN
    # A quote's group is counted in the reporting year of its review: one grouped count per year shown.
    years = {reporting_year(q.invitation.review.review_date) for q in quotes}
    sizes = {year: group_sizes(session, *year) for year in years}
    rows = [(q, attribution(q.role, q.age),
             sizes[reporting_year(q.invitation.review.review_date)].get((q.form_id, q.role), 0), *_asked(q))
            for q in quotes]
    return render_template("quotes/index.html", rows=rows, status=status, statuses=STATUSES, minimum=minimum)


def _asked(quote: Quote) -> tuple[str, str]:
    """(the form's title, the question's words) a quote answers, in English, for the manager deciding."""
    try:
        form = get_form(quote.form_id)
    except Exception:  # noqa: BLE001 - a form since removed must not hide its quotes
        return quote.form_id, quote.question_key
    question = next((q for q in form.questions if q.key == quote.question_key), None)
    return form.title.get("en", form.id), question.text.get("en", quote.question_key) if question else quote.question_key


@bp.route("/quotes/<int:quote_id>", methods=["POST"])
@login_required("manager", "admin")
def decide_quote(quote_id: int):
    """Approve, edit-and-approve, reject, or allow a quote from a small group."""
    session = get_session()
    quote = session.get(Quote, quote_id) or abort(404)
    staff = current_staff()
    action = request.form.get("action", "")
    try:
        if action == "override":
            override_small_group(session, quote, staff, request.form.get("reason", ""))
            flash("Quote allowed despite the small group; the reason is in the audit log.")
        elif action in ("approve", "reject"):
            edited = request.form.get("text")
            if edited is not None and edited.strip() == (quote.edited_text or quote.redacted_text):
                edited = None
            decide(session, quote, staff, "approved" if action == "approve" else "rejected", edited_text=edited)
            flash(f"Quote {'approved' if action == 'approve' else 'rejected'}.")
        else:
            raise QuoteError("choose approve, reject or allow")
    except QuoteError as exc:
        session.rollback()
        flash(str(exc))
        return redirect(url_for("quotes.index", status=quote.status)), 303
    session.commit()
    return redirect(url_for("quotes.index", status=request.form.get("back", "candidate"))), 303


@bp.route("/reviews/<int:review_id>/you-said-we-did", methods=["GET", "POST"])
@login_required("iro", "manager", "admin")
def you_said_we_did(review_id: int):
    """The IRO records what was done about the child's views; the child gets it as a message."""
    session = get_session()
    staff = current_staff()
    review = session.scalar(scoped_reviews(staff).where(Review.id == review_id)) or abort(404)
    error = None
    if request.method == "POST":
        try:
            record_you_said_we_did(session, review, staff, request.form.get("message", ""))
        except QuoteError as exc:
            error = str(exc)
            session.rollback()
        else:
            session.commit()
            flash("Saved. The young person will get it as a message on their own channel.")
            return redirect(url_for("quotes.you_said_we_did", review_id=review.id)), 303
    history = session.scalars(select(YouSaidWeDid).where(YouSaidWeDid.review_id == review.id)
                              .order_by(YouSaidWeDid.id.desc())).all()
    return render_template("quotes/you_said_we_did.html", review=review, history=history, error=error,
                           message=request.form.get("message", "")), (400 if error else 200)


def init_app(app: Flask) -> None:
    """Register the quote pages and their navigation entry."""
    app.register_blueprint(bp)
    NAV.append(("quotes.index", "Quotes", ("manager", "admin")))
