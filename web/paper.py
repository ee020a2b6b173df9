"""The paper channel: a printable invitation letter per invitation, and keying in returns.

The letter says in plain words when the review is and offers three ways to answer: the
web form (link and QR code), Telegram (deep link and QR code, when a bot is set up)
and the printed questions themselves. A returned paper form is keyed in by a manager
or admin at /dashboard/paper/<invitation_id>; the answers go through
``storage.responses.save_answers`` with channel "paper", so they are screened for
safeguarding and count in the same return rates as every other channel.
"""

from __future__ import annotations

from dataclasses import dataclass
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
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from storage.audit import record
from storage.lifecycle import OPEN_STATUSES
from storage.models import Invitation, Review
from storage.responses import answers_of, form_of, respondent_for, save_answers
from storage.reviews import counted_reviews
from surveys import engine
from surveys.schema import FormDefinition, Question, age_band
from web.alerts import send_notices_now
from web.auth import current_staff, login_required
from web.database import get_session
from web.respondent import (
    CHILD_ROLES,
    Field,
    long_date,
    page_language,
    submitted_values,
    t,
    tr,
    validate,
    worded_for,
)

bp = Blueprint("paper", __name__, url_prefix="/dashboard/paper")
ROLES = ("admin", "manager")
PAGE_ROWS = 500


@dataclass
class PaperQuestion:
    """A question as printed on the paper form: its number and, if conditional, on which answer."""

    number: int
    question: Question
    prompt: Any
    depends_on: int | None = None


def paper_questions(form: FormDefinition, respondent: engine.Respondent) -> list[PaperQuestion]:
    """Every question this respondent could be asked, numbered as printed.

    Age band and review type decide at print time; a condition on an earlier answer
    cannot, so the question is printed with a note naming the question it depends on.
    """
    printed: list[tuple[Question, str | None]] = []
    for question in form.questions:
        rule = question.show_if
        if rule is not None:
            if rule.age_band is not None and age_band(respondent.age) not in rule.age_band:
                continue
            if rule.review_type is not None and respondent.review_type not in rule.review_type:
                continue
        printed.append((question, rule.answer.key if rule is not None and rule.answer is not None else None))
    numbers = {question.key: index for index, (question, _) in enumerate(printed, start=1)}
    total = len(printed)
    return [PaperQuestion(number=index, question=question,
                          prompt=engine.prompt_for(question, respondent, index, total),
                          depends_on=numbers.get(depends) if depends else None)
            for index, (question, depends) in enumerate(printed, start=1)]


def web_link(invitation: Invitation) -> str:
    """The respondent's web form link."""
    base = str(current_app.config["HYS"].PUBLIC_BASE_URL).rstrip("/")
    return f"{base}/f/{invitation.token}"


def telegram_link(invitation: Invitation) -> str | None:
    """The Telegram deep link that starts this invitation's conversation (None without a bot)."""
    username = current_app.config["HYS"].TELEGRAM_BOT_USERNAME
    if not username:
        return None
    return f"https://t.me/{username.lstrip('@')}?start={invitation.token}"


def qr_svg(data: str, label: str) -> Markup:
    """A QR code as inline SVG (no image request, no inline style), labelled for screen readers."""
    svg = segno.make(data, error="m").svg_inline(scale=4, border=2, title=label, svgclass="qr", omitsize=True)
    return Markup(svg.replace("<svg ", '<svg role="img" aria-label="' + str(escape(label)) + '" ', 1))


def _invitation(session: Session, invitation_id: int, *, for_update: bool = False) -> Invitation:
    """The invitation or 404; ``for_update`` locks its row until the commit, as every channel
    that saves answers does first, so a text or a web save in flight is counted, not lost."""
    invitation = session.get(Invitation, invitation_id, with_for_update=for_update or None)
    if invitation is None:
        abort(404)
    return invitation


@bp.route("/")
@login_required(*ROLES)
def index():
    """Paper invitations: the open ones (soonest review first) to print and key in, or the closed ones."""
    session = get_session()
    show = "closed" if request.args.get("show") == "closed" else "open"
    query = (select(Invitation).join(Review).options(selectinload(Invitation.review))
             .where(Invitation.channel == "paper", *counted_reviews(None, None)))
    if show == "open":
        # The forms still to print or to come back, soonest first: the oldest of a long
        # history must not push them off the page.
        query = query.where(Invitation.status.in_(OPEN_STATUSES)).order_by(Review.review_date, Invitation.id)
    else:
        query = query.where(Invitation.status.not_in(OPEN_STATUSES)).order_by(Review.review_date.desc(),
                                                                              Invitation.id.desc())
    rows = session.scalars(query.limit(PAGE_ROWS)).all()
    return render_template("paper/index.html", invitations=rows, show=show, limit=PAGE_ROWS)


@bp.route("/<int:invitation_id>/letter")
@login_required(*ROLES)
def letter(invitation_id: int):
    """The printable invitation letter, in the respondent's language."""
    session = get_session()
    invitation = _invitation(session, invitation_id)
    form = form_of(invitation)
    respondent = respondent_for(invitation)
    language = page_language(invitation, form)
    link = web_link(invitation)
    tg = telegram_link(invitation)
    record(session, current_staff().id, "paper_letter", "invitation", invitation.id)
    session.commit()
    date = long_date(invitation.review.review_date, language)
    return render_template(
        "paper/letter.html", invitation=invitation, lang=language, title=tr(form.title, language),
        intro=tr(form.intro, language), t=lambda key, **v: t(key, language, **v), review_date=date,
        feedback=form.phase == "feedback", web_link=link, telegram_link=tg,
        web_qr=qr_svg(link, t("letter_qr_web", language)),
        telegram_qr=qr_svg(tg, t("letter_qr_telegram", language)) if tg else None,
        questions=paper_questions(form, respondent), privacy=t(worded_for(invitation, "privacy_notice"), language),
        adult=invitation.role not in CHILD_ROLES)


@bp.route("/<int:invitation_id>", methods=["GET", "POST"])
@login_required(*ROLES)
def key_in(invitation_id: int):
    """Key in a returned paper form; answers count as received like any other channel."""
    session = get_session()
    invitation = _invitation(session, invitation_id, for_update=request.method == "POST")
    form = form_of(invitation)
    respondent = respondent_for(invitation)
    printed = paper_questions(form, respondent)
    existing = answers_of(session, invitation)
    errors: dict[str, str] = {}
    values: dict[str, Any] = dict(existing)
    if request.method == "POST":
        new: dict[str, Any] = {}
        for item in printed:
            question = item.question
            submitted = [v for v in submitted_values(question.key) if v.strip()]
            if not submitted:
                values.pop(question.key, None)
                continue
            value, error = validate(question, item.prompt, submitted, "en", respondent)
            if error is None:
                new[question.key] = value
            else:
                errors[question.key] = error
            values[question.key] = submitted if question.type in ("multi", "feelings") else submitted[0]
        if not errors:
            shown = {q.key for q in engine.visible_questions(form, respondent, {**existing, **new})}
            kept = {k: v for k, v in new.items() if k in shown}
            ignored = [k for k in new if k not in shown]
            saved = save_answers(session, invitation, kept, channel="paper", finished=bool(kept))
            record(session, current_staff().id, "paper_keyed", "invitation", invitation.id,
                   answers=len(kept), ignored=len(ignored), alerts=len(saved.alerts))
            session.commit()
            send_notices_now(session, saved.alerts)
            message = f"Saved {len(kept)} answer(s) from the paper form for review {invitation.review.review_ref}."
            message += " It counts as received." if saved.received else " It does not count as received yet " \
                "(a required question has no answer)."
            if ignored:
                message += f" Not stored (they do not apply, given the other answers): {', '.join(ignored)}."
            if saved.alerts:
                message += f" {len(saved.alerts)} safeguarding alert(s) raised: the IRO has been told."
            flash(message)
            return redirect(url_for("paper.index"))
    # The page comes back filled in with what was keyed before: seeing it is a view of the answers.
    record(session, current_staff().id, "view_answers", "invitation", invitation.id, answers=len(existing))
    session.commit()
    fields = [(item, Field(item.question, item.prompt, value=values.get(item.question.key),
                           error=errors.get(item.question.key))) for item in printed]
    return render_template("paper/key_in.html", invitation=invitation, form=form, fields=fields,
                           paper_t=lambda key, **v: t(key, "en", **v),
                           errors=[f for _, f in fields if f.error], existing=existing,
                           title=tr(form.title, "en")), 422 if errors else 200


def init_app(app: Flask) -> None:
    """Register the paper pages and their place in the staff navigation."""
    from web.dashboard import NAV

    app.register_blueprint(bp)
    entry = ("paper.index", "Paper forms", ROLES)
    if entry not in NAV:
        NAV.append(entry)
