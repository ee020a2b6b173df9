"""The paper channel: a printable invitation letter per invitation, and keying in returns.

The letter says in plain words when the review is and offers three ways to answer: the
web form (link and QR code), Telegram (deep link and QR code, when a bot is set up)
and the printed questions themselves. A returned paper form is keyed in by a manager
or admin at /dashboard/paper/<invitation_id>; the answers go through
``storage.responses.save_answers`` with channel "paper", so they are screened for
safeguarding and count in the same return rates as every other channel.

Only a paper invitation that is still open can be printed or keyed in here: any other
invitation (a child's web or SMS conversation, a closed form) gets a refusal page and
none of its answers. The key-in page shows only answers keyed in from paper; an answer
it replaces (a correction, or a question answered on the web form first) is kept in
``answer_revisions`` before it is overwritten (``storage.revisions.keep_replaced``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import segno
from flask import (
    Blueprint,
    Flask,
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
from storage.models import Answer, Invitation, Review
from storage.responses import answers_of, form_of, respondent_for, save_answers, screen_unsaved
from storage.reviews import counted_reviews
from storage.revisions import keep_replaced
from surveys import engine
from surveys.schema import FormDefinition, Question, age_band
from web.alerts import send_notices_now
from web.auth import current_staff, login_required
from web.database import get_session
from web.respondent import (
    CHILD_ROLES,
    Field,
    feedback_open_now,
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


class Refused(Exception):
    """This invitation cannot be printed or keyed in here: a staff page says why (404 or 409)."""

    def __init__(self, status: int, heading: str, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.heading = heading
        self.reason = reason


def _invitation(session: Session, invitation_id: int, *, for_update: bool = False) -> Invitation:
    """The open paper invitation, or ``Refused``.

    Anything else is refused before its answers are read: another channel's invitation
    is a respondent's own conversation (a child's words, unredacted), and a closed one
    is finished. ``for_update`` locks its row until the commit, as every channel that
    saves answers does first, so a text or a web save in flight is counted, not lost;
    the status is checked on the locked row.
    """
    invitation = session.get(Invitation, invitation_id, with_for_update=for_update or None)
    if invitation is None:
        raise Refused(404, "No such paper form", f"There is no paper form number {invitation_id}.")
    if invitation.channel != "paper":
        raise Refused(404, "Not a paper form",
                      f"Form number {invitation_id} was not sent on paper (its channel is {invitation.channel}), "
                      "so it cannot be printed or keyed in here.")
    if invitation.status not in OPEN_STATUSES:
        raise Refused(409, "This paper form is closed",
                      f"Paper form number {invitation_id} is {invitation.status.replace('_', ' ')}, so it can "
                      "no longer be printed or keyed in.")
    return invitation


@bp.errorhandler(Refused)
def refused(exc: Refused):
    """A clear staff page, never the invitation's answers."""
    return render_template("paper/refused.html", heading=exc.heading, reason=exc.reason), exc.status


def _answered_elsewhere(session: Session, invitation: Invitation) -> set[str]:
    """The questions whose stored answer came from another channel than paper (never shown here)."""
    return set(session.scalars(select(Answer.question_key).where(Answer.invitation_id == invitation.id,
                                                                 Answer.channel != "paper")))


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
    if not feedback_open_now(invitation):
        # A feedback form asks how the review went: answers dated before it are not taken.
        raise Refused(409, "This feedback form is not open yet",
                      f"Paper form number {invitation_id} asks how the review on "
                      f"{long_date(invitation.review.review_date, 'en')} went, so its answers can be keyed in "
                      "from that day on, not before.")
    form = form_of(invitation)
    respondent = respondent_for(invitation)
    printed = paper_questions(form, respondent)
    existing = answers_of(session, invitation)
    # What the page may show: answers keyed from paper. A question answered on the web
    # form or by text is counted, never shown (the respondent's words are not the paper's).
    elsewhere = _answered_elsewhere(session, invitation)
    shown_answers = {k: v for k, v in existing.items() if k not in elsewhere}
    errors: dict[str, str] = {}
    values: dict[str, Any] = dict(shown_answers)
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
            staff_id = current_staff().id
            # The answers this key-in overwrites are kept first (counts only in the audit log).
            replaced = keep_replaced(session, invitation, kept, channel="paper", staff_id=staff_id)
            # Finished when it counts as received: a form with a required answer missing
            # stays open, so the rest (or a correction) can still be keyed in.
            finished = bool(kept) and engine.is_received(form, respondent, {**existing, **kept})
            saved = save_answers(session, invitation, kept, channel="paper", finished=finished)
            # Words not stored (they do not apply) are read all the same.
            saved.alerts.extend(screen_unsaved(session, invitation, {k: new[k] for k in ignored}, channel="paper"))
            record(session, staff_id, "paper_keyed", "invitation", invitation.id,
                   answers=len(kept), ignored=len(ignored), alerts=len(saved.alerts), replaced=replaced)
            session.commit()
            send_notices_now(session, saved.alerts)
            message = f"Saved {len(kept)} answer(s) from the paper form for review {invitation.review.review_ref}."
            message += " It counts as received." if saved.received else " It does not count as received yet " \
                "(a required question has no answer); the form stays open to key in the rest."
            if replaced:
                message += f" {replaced} earlier answer(s) replaced; they are kept in the form's history."
            if ignored:
                message += f" Not stored (they do not apply, given the other answers): {', '.join(ignored)}."
            if saved.alerts:
                message += f" {len(saved.alerts)} safeguarding alert(s) raised: the IRO has been told."
            flash(message)
            return redirect(url_for("paper.index"))
    if errors and (refused := screen_unsaved(session, invitation, {k: values[k] for k in errors}, channel="paper")):
        session.commit()  # words refused (too long) are read all the same
        send_notices_now(session, refused)
        flash(f"{len(refused)} safeguarding alert(s) raised from the words keyed in: the IRO has been told.")
    # The page comes back filled in with what was keyed before: seeing it is a view of the answers.
    record(session, current_staff().id, "view_answers", "invitation", invitation.id, answers=len(shown_answers))
    session.commit()
    fields = [(item, Field(item.question, item.prompt, value=values.get(item.question.key),
                           error=errors.get(item.question.key))) for item in printed]
    return render_template("paper/key_in.html", invitation=invitation, form=form, fields=fields,
                           paper_t=lambda key, **v: t(key, "en", **v),
                           errors=[f for _, f in fields if f.error], existing=shown_answers,
                           elsewhere=len(elsewhere & set(existing)), title=tr(form.title, "en")), \
        422 if errors else 200


def init_app(app: Flask) -> None:
    """Register the paper pages and their place in the staff navigation."""
    from web.dashboard import NAV

    app.register_blueprint(bp)
    entry = ("paper.index", "Paper forms", ROLES)
    if entry not in NAV:
        NAV.append(entry)
