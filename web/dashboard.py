"""The staff dashboard: what each role may see of reviews, returns, alerts and quotes.

Roles: an admin sees everything and manages accounts; a manager sees every review and
the figures; an IRO sees only the reviews they chair (``Review.iro_id``). A review
outside the staff member's scope is answered 404 as if it did not exist, so changing
an id in a URL reveals nothing. Every view of a child's answers is audited.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import segno
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
from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload

from storage.audit import record
from storage.models import PN_CODES, Alert, Answer, Invitation, Review, Staff, utcnow
from storage.quotes import known_names
from storage.reviews import counted_reviews
from storage.staff import StaffError, add_staff, set_password, set_staff_active
from surveys.redaction import redact
from surveys.report import reporting_year
from surveys.schedule import local_date
from web.auth import current_session_token, current_staff, login_required
from web.database import get_session

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")

# (endpoint, label, roles allowed); other modules append their pages.
NAV: list[tuple[str, str, tuple[str, ...]]] = [
    ("dashboard.index", "Overview", ("admin", "manager", "iro")),
    ("dashboard.reviews", "My reviews", ("iro",)),
    ("dashboard.reviews", "Reviews", ("admin", "manager")),
    ("dashboard.figures", "Figures", ("admin", "manager")),
    ("dashboard.users", "Users", ("admin",)),
]

# York's wording of the participation codes (Table 5 of its 2016/17 report).
PN_LABELS = {
    "PN0": "Child under 4 at time of review",
    "PN1": "Attends or speaks for him/herself",
    "PN2": "Attends, views represented by advocate",
    "PN3": "Attends, views given non-verbally",
    "PN4": "Attends but does not convey views",
    "PN5": "Does not attend but briefs advocate",
    "PN6": "Does not attend but conveys views",
    "PN7": "Does not attend or convey views",
}
PN_ATTENDED = {"PN1", "PN2", "PN3", "PN4"}
PN_NOT_ATTENDED = {"PN5", "PN6", "PN7"}
CHAIRED = {"none": "Did not chair", "chair": "Chaired the review", "co_chair": "Co-chaired the review"}
ROLE_LABELS = {
    "child": "Child / young person", "care_leaver": "Care leaver", "parent": "Parent",
    "carer": "Carer", "health": "Health", "education": "Education", "guardian": "Children's guardian",
}
ENDED_STATUSES = {"declined", "opted_out", "expired", "completed"}


def dashboard_nav(staff: Staff) -> list[tuple[str, str]]:
    """The dashboard links this staff member may follow."""
    return [(endpoint, label) for endpoint, label, roles in NAV if staff.role in roles]


def scoped_reviews(staff: Staff):
    """A select of the reviews this staff member may see (an IRO: only the ones they chair).

    Never a simulator rehearsal: those are listed on the simulator's own page and must
    not show as reviews or count in the figures.
    """
    return select(Review).where(*_in_scope(staff))


def _in_scope(staff: Staff) -> list[Any]:
    """The conditions on Review for what this staff member may see (an IRO: their own; no rehearsal)."""
    return counted_reviews(None, staff.id if staff.role == "iro" else None)


def review_in_scope(staff: Staff, review_id: int) -> Review:
    """The review if this staff member may see it; 404 otherwise (never 'exists but forbidden')."""
    review = get_session().get(Review, review_id)
    if review is None or (staff.role == "iro" and review.iro_id != staff.id):
        abort(404)
    return review


def local_today() -> date:
    """Today's date in the service's time zone."""
    return local_date(utcnow(), current_app.config["HYS"].TIMEZONE)


# ---------------------------------------------------------------- overview

def return_rates_by_role(staff: Staff, phase: str = "consultation") -> list[dict[str, Any]]:
    """Forms sent and received per respondent role in the staff member's scope."""
    reviews = scoped_reviews(staff).subquery()
    sent = func.sum(case((Invitation.sent_at.is_not(None), 1), else_=0))
    received = func.sum(case((Invitation.received.is_(True), 1), else_=0))
    rows = get_session().execute(
        select(Invitation.role, sent, received)
        .join(reviews, Invitation.review_id == reviews.c.id)
        .where(Invitation.phase == phase)
        .group_by(Invitation.role).order_by(Invitation.role)
    ).all()
    result = []
    for role, n_sent, n_received in rows:
        n_sent, n_received = int(n_sent or 0), int(n_received or 0)
        result.append({"role": role, "label": ROLE_LABELS.get(role, role), "sent": n_sent,
                       "received": n_received, "pct": pct(n_received, n_sent)})
    return result


@bp.route("/")
@login_required()
def index():
    """Alerts first, then headline return rates, for the staff member's scope."""
    staff = current_staff()
    db = get_session()
    # The alerts pages' own scope, so the overview lists what they list: alerts from a sender
    # who matched no invitation too (a reviews-only join left those off the overview).
    from web.alerts import scoped_alerts

    alerts = db.scalars(scoped_alerts(staff).limit(20)).all()
    reviews = scoped_reviews(staff).subquery()
    review_count = db.scalar(select(func.count()).select_from(reviews))
    today = local_today()
    upcoming = db.scalar(select(func.count()).select_from(reviews)
                         .where(reviews.c.review_date >= today,
                                reviews.c.review_date <= today + timedelta(days=28)))
    rates = return_rates_by_role(staff)
    sent = sum(r["sent"] for r in rates)
    received = sum(r["received"] for r in rates)
    # Children's own words not yet read: the IRO's own, or everyone's for managers and admins.
    from storage.reading import counts_for
    from storage.scheduler import rules_from

    to_read = counts_for(db, staff.id if staff.role == "iro" else None, now=utcnow(),
                         rules=rules_from(current_app.config["HYS"]))
    return render_template("dashboard/index.html", alerts=alerts, reviews=review_count, upcoming=upcoming,
                           rates=rates, sent=sent, received=received,
                           pct=pct(received, sent), to_read=to_read)


# ---------------------------------------------------------------- reviews

@bp.route("/reviews")
@login_required()
def reviews():
    """Upcoming reviews first (then the recent past), with how many forms came back."""
    staff = current_staff()
    db = get_session()
    today = local_today()
    show = request.args.get("show", "upcoming")
    query = scoped_reviews(staff).options(selectinload(Review.invitations), selectinload(Review.iro))
    if show == "past":
        query = query.where(Review.review_date < today).order_by(Review.review_date.desc(), Review.id)
    else:
        show = "upcoming"
        query = query.where(Review.review_date >= today).order_by(Review.review_date, Review.id)
    rows = db.scalars(query.limit(200)).all()
    open_alerts = dict(db.execute(
        select(Alert.review_id, func.count()).where(Alert.status != "closed",
                                                    Alert.review_id.in_([r.id for r in rows] or [0]))
        .group_by(Alert.review_id)).all())
    return render_template("dashboard/reviews.html", rows=rows, show=show, open_alerts=open_alerts,
                           today=today)


def _form(form_id: str):
    """The form definition for an invitation, or None when it cannot be loaded."""
    try:
        from surveys.forms import get_form

        return get_form(form_id)
    except Exception:  # noqa: BLE001 - a missing or broken form must not hide the answers
        return None


def _display_answers(invitation: Invitation, rows: list[Answer],
                     redact_names: list[str] | None = None) -> list[dict[str, str]]:
    """Question text and a readable answer for each stored answer, in form order.

    With ``redact_names`` (anyone but the child's own IRO is looking) free text is shown
    redacted: those names, other personal names, numbers, emails, addresses, schools.
    """
    form = _form(invitation.form_id)
    questions = {q.key: q for q in form.questions} if form else {}
    order = {key: index for index, key in enumerate(questions)}
    shown = []
    for row in sorted(rows, key=lambda r: (order.get(r.question_key, len(order)), r.question_key)):
        question = questions.get(row.question_key)
        text = question.text.get("en", row.question_key) if question else row.question_key
        if row.skipped:
            answer = "(skipped)"
        elif row.free_text is not None:
            answer = row.free_text if redact_names is None else redact(row.free_text, redact_names).text
        elif row.value_num is not None:
            top = question.scale.max if question is not None and question.scale else None
            answer = f"{row.value_num} out of {top}" if top else str(row.value_num)
        else:
            options = {o.key: o.text.get("en", o.key) for o in (question.options or [])} if question else {}
            labels = {"yes": "Yes", "no": "No", "not_sure": "Not sure"}
            answer = ", ".join(options.get(v, labels.get(v, v)) for v in (row.value or "").split(";") if v)
        shown.append({"key": row.question_key, "question": text, "answer": answer,
                      "channel": row.channel, "at": row.answered_at})
    return shown


def _links(invitation: Invitation) -> dict[str, str]:
    config = current_app.config["HYS"]
    base = config.PUBLIC_BASE_URL.rstrip("/")
    links = {"web": f"{base}/f/{invitation.token}"}
    if config.TELEGRAM_BOT_USERNAME:
        links["telegram"] = f"https://t.me/{config.TELEGRAM_BOT_USERNAME}?start={invitation.token}"
    # A QR code of the web link, for the IRO to show on a visit; drawn here, no scripts.
    links["qr"] = segno.make(links["web"], error="m").svg_data_uri(scale=4, border=2)
    return links


@bp.route("/reviews/<int:review_id>")
@login_required()
def review_detail(review_id: int):
    """One review: invitations and their history, the answers given, alerts, participation."""
    staff = current_staff()
    review = review_in_scope(staff, review_id)
    db = get_session()
    invitations = db.scalars(select(Invitation).where(Invitation.review_id == review.id)
                             .options(selectinload(Invitation.events))
                             .order_by(Invitation.phase, Invitation.role, Invitation.id)).all()
    answers: dict[int, list[Answer]] = {}
    for row in db.scalars(select(Answer).where(Answer.invitation_id.in_([i.id for i in invitations] or [0]))):
        answers.setdefault(row.invitation_id, []).append(row)
    # Only the child's own IRO reads free text as written; managers and admins see it redacted.
    names = None if staff.role == "iro" and review.iro_id == staff.id else known_names(db, review)
    items = [{"invitation": inv, "answers": _display_answers(inv, answers.get(inv.id, []), names),
              "links": _links(inv) if inv.status not in ENDED_STATUSES else {}} for inv in invitations]
    alerts = db.scalars(select(Alert).where(Alert.review_id == review.id).order_by(Alert.raised_at.desc())).all()
    # Seeing a child's answers is recorded, whether or not there were any yet.
    record(db, staff.id, "view_answers", "review", review.id,
           invitations=[i.id for i in invitations if answers.get(i.id)])
    db.commit()
    return render_template("dashboard/review.html", review=review, items=items, alerts=alerts,
                           pn_labels=PN_LABELS, chaired=CHAIRED, role_labels=ROLE_LABELS,
                           can_record=review.review_date <= local_today(), errors={}, form={})


def _yes_no(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


@bp.route("/reviews/<int:review_id>/participation", methods=["POST"])
@login_required()
def record_participation(review_id: int):
    """Record after the review how the child took part (PN code, attended, chaired, seen before)."""
    staff = current_staff()
    review = review_in_scope(staff, review_id)
    form = request.form
    errors: dict[str, str] = {}
    code = form.get("participation_code", "")
    attended = form.get("attended", "")
    chaired = form.get("chaired", "")
    seen = form.get("seen_before_review", "")
    if review.review_date > local_today():
        errors["participation_code"] = "Participation can be recorded once the review has taken place."
    if code not in PN_CODES:
        errors["participation_code"] = "Choose how the child took part (PN0 to PN7)."
    if attended not in ("yes", "no"):
        errors["attended"] = "Say whether the child attended."
    elif code in PN_ATTENDED and attended == "no":
        errors["attended"] = f"{code} means the child attended: choose yes, or another code."
    elif code in PN_NOT_ATTENDED and attended == "yes":
        errors["attended"] = f"{code} means the child did not attend: choose no, or another code."
    if chaired not in CHAIRED:
        errors["chaired"] = "Say whether the child chaired the review."
    elif chaired != "none" and attended == "no":
        errors["chaired"] = "A child who did not attend cannot have chaired the review."
    if seen not in ("yes", "no", "unknown"):
        errors["seen_before_review"] = "Say whether you saw the child before the review."
    if errors:
        db = get_session()
        invitations = db.scalars(select(Invitation).where(Invitation.review_id == review.id)
                                 .order_by(Invitation.phase, Invitation.role, Invitation.id)).all()
        items = [{"invitation": inv, "answers": [], "links": {}} for inv in invitations]
        alerts = db.scalars(select(Alert).where(Alert.review_id == review.id)).all()
        return render_template("dashboard/review.html", review=review, items=items, alerts=alerts,
                               pn_labels=PN_LABELS, chaired=CHAIRED, role_labels=ROLE_LABELS,
                               can_record=True, errors=errors, form=form, answers_hidden=True), 400
    db = get_session()
    review.participation_code = code
    review.attended = attended == "yes"
    review.chaired = chaired
    review.seen_before_review = _yes_no(seen)
    review.participation_recorded_at = utcnow()
    review.participation_recorded_by = staff.id
    record(db, staff.id, "participation_recorded", "review", review.id, code=code)
    db.commit()
    flash(f"Participation recorded for review {review.review_ref}: {code}.")
    return redirect(url_for("dashboard.review_detail", review_id=review.id))


# ---------------------------------------------------------------- figures

class PeriodError(ValueError):
    """A period or filter on the figures page that cannot be used, with the reason."""


def financial_year(day: date) -> int:
    """The year a reporting year (1 April to 31 March) starts in."""
    return reporting_year(day)[0].year


def parse_period(args: Any, today: date) -> tuple[date, date, str]:
    """(from, to, label) from ``period`` = year | quarter | custom and its fields."""
    period = args.get("period") or "year"
    try:
        year = int(args.get("year") or financial_year(today))
    except ValueError:
        raise PeriodError("The year must be a number such as 2026.") from None
    if not 2000 <= year <= 2100:
        raise PeriodError("The year must be between 2000 and 2100.")
    if period == "year":
        return date(year, 4, 1), date(year + 1, 3, 31), f"{year}/{str(year + 1)[-2:]}"
    if period == "quarter":
        quarter = args.get("quarter") or "Q1"
        if quarter not in ("Q1", "Q2", "Q3", "Q4"):
            raise PeriodError("The quarter must be Q1, Q2, Q3 or Q4.")
        number = int(quarter[1])
        start_month = 4 + 3 * (number - 1)
        start = date(year + (start_month - 1) // 12, (start_month - 1) % 12 + 1, 1)
        end_month = start.month + 3
        end = date(start.year + (end_month - 1) // 12, (end_month - 1) % 12 + 1, 1) - timedelta(days=1)
        return start, end, f"{quarter} {year}/{str(year + 1)[-2:]}"
    if period == "custom":
        try:
            start = date.fromisoformat(args.get("from") or "")
            end = date.fromisoformat(args.get("to") or "")
        except ValueError:
            raise PeriodError("Give both dates as YYYY-MM-DD.") from None
        if end < start:
            raise PeriodError("The end date must not be before the start date.")
        if (end - start).days > 3660:
            raise PeriodError("Choose a period of at most ten years.")
        return start, end, f"{start:%d %b %Y} to {end:%d %b %Y}"
    raise PeriodError("Choose a year, a quarter or your own dates.")


def _quarter_blocks(report: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The report's by-quarter blocks as (label, block), whether given as a list or a mapping."""
    raw = report.get("by_quarter") or []
    if isinstance(raw, dict):
        return [(str(k), v) for k, v in raw.items()]
    blocks = []
    for item in raw:
        label = item.get("quarter") or item.get("label") or item.get("period") or "?"
        blocks.append((str(label), item))
    return blocks


def return_rate_table(rows: list[dict[str, Any]], phase: str) -> list[dict[str, Any]]:
    """Rows laid out like Cheshire East's 'consultation forms sent and received' (CLA / PP split)."""
    table: dict[str, dict[str, Any]] = {}
    for row in rows:
        if row.get("phase", phase) != phase:
            continue
        role = row.get("role") or "all"
        entry = table.setdefault(role, {"role": role, "label": ROLE_LABELS.get(role, role),
                                        "sent": {"CLA": 0, "PP": 0}, "received": {"CLA": 0, "PP": 0}})
        kind = row.get("review_type") or "CLA"
        entry["sent"][kind] = entry["sent"].get(kind, 0) + int(row.get("sent") or 0)
        entry["received"][kind] = entry["received"].get(kind, 0) + int(row.get("received") or 0)
    result = []
    for entry in table.values():
        sent = sum(entry["sent"].values())
        received = sum(entry["received"].values())
        entry["sent_total"], entry["received_total"] = sent, received
        entry["pct"] = pct(received, sent)
        result.append(entry)
    order = list(ROLE_LABELS)
    result.sort(key=lambda e: order.index(e["role"]) if e["role"] in order else len(order))
    return result


def pct(count: int, n: int) -> int | None:
    """A whole-number percentage rounded half up, as the published reports print them."""
    if not n:
        return None
    return int((Decimal(100 * count) / Decimal(n)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def participation_rows(raw: Any) -> list[dict[str, Any]]:
    """PN rows (code, label, n, pct) from the report's participation block.

    The block is ``{"n": .., "codes": {"PN0": {"label", "count", "pct"}, ..}, ..}``; a
    plain ``{code: count}`` mapping or a list of ``{"code", "count"}`` rows also works.
    """
    counts: dict[str, int] = {}
    source = raw.get("codes", raw) if isinstance(raw, dict) else raw or []
    if isinstance(source, dict):
        for code, value in source.items():
            if code in PN_LABELS:
                counts[code] = int((value.get("count", value.get("n", 0)) if isinstance(value, dict) else value) or 0)
    else:
        for item in source:
            code = item.get("code") or item.get("participation_code")
            if code in PN_LABELS:
                counts[code] = int(item.get("count", item.get("n", 0)) or 0)
    total = sum(counts.values())
    return [{"code": code, "label": PN_LABELS[code], "n": counts.get(code, 0),
             "pct": pct(counts.get(code, 0), total)} for code in PN_CODES]


def participation_extras(raw: Any) -> list[dict[str, Any]]:
    """Attended, chaired, co-chaired and seen-before rows (count of n, %), where recorded."""
    if not isinstance(raw, dict):
        return []
    rows = []
    for key, label in (("attended", "Attended their review"), ("chaired", "Chaired their review"),
                       ("co_chaired", "Co-chaired their review"),
                       ("seen_before_review", "Seen and spoken to by the IRO before the review")):
        item = raw.get(key)
        if isinstance(item, dict) and item.get("n"):
            rows.append({"label": label, "count": int(item.get("count") or 0), "n": int(item["n"]),
                         "pct": pct(int(item.get("count") or 0), int(item["n"]))})
    return rows


@bp.route("/figures")
@login_required("admin", "manager")
def figures():
    """Return rates, per-question figures and participation for any period, with charts."""
    from web import charts

    db = get_session()
    today = local_today()
    args = request.args
    error = None
    try:
        start, end, label = parse_period(args, today)
    except PeriodError as exc:
        error = str(exc)
        start, end, label = parse_period({}, today)
    role = args.get("role") or None
    if role and role not in ROLE_LABELS:
        error, role = "Choose a role from the list.", None
    review_type = args.get("review_type") or None
    if review_type and review_type not in ("CLA", "PP"):
        error, review_type = "Choose CLA or Pathway Plan reviews.", None
    iro_id = None
    iros = db.scalars(select(Staff).where(Staff.role == "iro").order_by(Staff.email)).all()
    if args.get("iro"):
        if args["iro"] in {str(iro.id) for iro in iros}:
            iro_id = int(args["iro"])
        else:
            error = "Choose an IRO from the list."
    try:
        from storage.reports import build_report
    except ImportError:
        build_report = None
    report: dict[str, Any] = {}
    if build_report is not None:
        report = build_report(db, start, end, role=role, review_type=review_type, iro_id=iro_id)
    consultation = return_rate_table(report.get("return_rates") or [], "consultation")
    feedback = return_rate_table(report.get("return_rates") or [], "feedback")
    questions = [q for q in report.get("questions") or [] if q.get("yes_pct") is not None]
    other_questions = [q for q in report.get("questions") or [] if q.get("yes_pct") is None]
    participation = participation_rows(report.get("participation"))
    participation_more = participation_extras(report.get("participation"))
    quarters = _quarter_blocks(report)
    quarter_rates = []
    for qlabel, block in quarters:
        rows = return_rate_table(block.get("return_rates") or [], "consultation")
        sent = sum(r["sent_total"] for r in rows)
        received = sum(r["received_total"] for r in rows)
        quarter_rates.append({"label": qlabel, "sent": sent, "received": received, "pct": pct(received, sent)})
    # York's Table 7: children seen and spoken to by the IRO before the review, by quarter.
    seen_by_quarter = []
    for qlabel, block in quarters:
        seen = (block.get("participation") or {}).get("seen_before_review") or {}
        if seen.get("n"):
            count, n = int(seen.get("count") or 0), int(seen["n"])
            seen_by_quarter.append({"label": qlabel, "seen": count, "not_seen": n - count, "n": n,
                                    "pct": pct(count, n)})
    small = current_app.config["HYS"].SMALL_GROUP_MIN

    def shown(value: int | None, n: int | None) -> int | None:
        # Charts leave out what the tables print as suppressed (fewer than SMALL_GROUP_MIN).
        return value if n is not None and n >= small else None

    pn_total = sum(p["n"] for p in participation)
    chart_rates = charts.bar_chart([q["label"] for q in quarter_rates],
                                   {"Return rate": [shown(q["pct"], q["sent"]) for q in quarter_rates]},
                                   title="Consultation return rate by quarter (%)")
    chart_questions = charts.bar_chart([q.get("text") or q.get("key") for q in questions],
                                       {"% yes": [shown(q.get("yes_pct"), q.get("n")) for q in questions]},
                                       title="% yes per question", horizontal=True)
    chart_participation = charts.bar_chart([p["code"] for p in participation],
                                           {"% of reviews": [shown(p["pct"], pn_total) for p in participation]},
                                           title="How children took part in their review (%)")
    status = 400 if error else 200
    return render_template(
        "dashboard/figures.html", error=error, label=label, start=start, end=end, args=args,
        role_labels=ROLE_LABELS, iros=iros, available=build_report is not None,
        consultation=consultation, feedback=feedback, questions=questions, other_questions=other_questions,
        participation=participation, participation_more=participation_more, seen_by_quarter=seen_by_quarter, quarter_rates=quarter_rates, quotes=report.get("quotes") or [],
        counting=report.get("counting"),
        chart_rates=chart_rates, chart_questions=chart_questions, chart_participation=chart_participation,
        this_year=financial_year(today),
    ), status


# ---------------------------------------------------------------- users (admin)

@bp.route("/users", methods=["GET", "POST"])
@login_required("admin")
def users():
    """Staff accounts: add one, reset a password, deactivate or reactivate."""
    staff = current_staff()
    db = get_session()
    errors: dict[str, str] = {}
    if request.method == "POST":
        email = (request.form.get("email") or "").strip().lower()
        role = request.form.get("role") or ""
        password = request.form.get("password") or ""
        try:
            if db.scalar(select(Staff).where(Staff.email == email)) is not None:
                raise StaffError("there is already an account with that email")
            if len(password) < 10:
                raise StaffError("give the new account a password of at least 10 characters")
            new = add_staff(db, email, role, password, request.form.get("display_name") or None,
                            request.form.get("phone") or None)
            record(db, staff.id, "staff_added", "staff", new.id, role=role)
            db.commit()
            flash(f"Account {new.email} added ({new.role}).")
            return redirect(url_for("dashboard.users"))
        except StaffError as exc:
            db.rollback()
            errors["add"] = str(exc)[0].upper() + str(exc)[1:] + "."
    return _users_page(errors=errors, form=request.form if errors else {}), (400 if errors else 200)


def _users_page(**context: Any) -> str:
    accounts = get_session().scalars(select(Staff).order_by(Staff.role, Staff.email)).all()
    context.setdefault("errors", {})
    context.setdefault("form", {})
    return render_template("dashboard/users.html", accounts=accounts, **context)


def _account(staff_id: int) -> Staff:
    account = get_session().get(Staff, staff_id)
    if account is None:
        abort(404)
    return account


@bp.route("/users/<int:staff_id>/password", methods=["POST"])
@login_required("admin")
def reset_password(staff_id: int):
    """Give an account a new temporary password (shown once to the admin) and unlock it."""
    admin = current_staff()
    account = _account(staff_id)
    temporary = secrets.token_urlsafe(12)
    # Every session of the account ends (a copied cookie too), but the one in use when
    # admins reset their own.
    set_password(get_session(), account, temporary,
                 keep_session=current_session_token() if account.id == admin.id else None)
    account.failed_logins = 0
    account.locked_until = None
    db = get_session()
    record(db, admin.id, "staff_password_reset", "staff", account.id)
    db.commit()
    # Shown in this response only: a flash message would travel in the (signed, not
    # encrypted) session cookie.
    return _users_page(new_password=(account.email, temporary))


@bp.route("/users/<int:staff_id>/active", methods=["POST"])
@login_required("admin")
def set_active(staff_id: int):
    """Deactivate or reactivate an account (never your own)."""
    admin = current_staff()
    account = _account(staff_id)
    active = request.form.get("active") == "1"
    if account.id == admin.id and not active:
        flash("You cannot deactivate your own account.")
        return redirect(url_for("dashboard.users"))
    db = get_session()
    set_staff_active(db, account, active)  # deactivating ends the account's sessions
    record(db, admin.id, "staff_activated" if active else "staff_deactivated", "staff", account.id)
    db.commit()
    flash(f"{account.email} is now {'active' if active else 'deactivated'}.")
    return redirect(url_for("dashboard.users"))


def _fmt_time(value: datetime | None) -> str:
    """A timestamp in the service's local time, e.g. 'Mon 23 Nov 2026 10:05'."""
    if value is None:
        return ""
    from zoneinfo import ZoneInfo

    return value.astimezone(ZoneInfo(current_app.config["HYS"].TIMEZONE)).strftime("%a %d %b %Y %H:%M")


def _pct_of(value: int | None, n: int | None) -> str:
    """A percentage for the figures tables: '-' with no data, 'suppressed' for a small group."""
    if value is None or not n:
        return "-"
    if n < current_app.config["HYS"].SMALL_GROUP_MIN:
        return "suppressed"
    return f"{value}%"


def init_app(app: Flask) -> None:
    """Register the dashboard and its navigation helper."""
    app.register_blueprint(bp)
    app.context_processor(lambda: {"dashboard_nav": dashboard_nav})
    app.add_template_filter(_fmt_time, "localtime")
    app.add_template_global(_pct_of, "pct_of")

    @app.route("/")
    def home():
        return redirect(url_for("dashboard.index"))
