"""The respondent web form at /f/<token>: children one question a screen, adults one page.

The same form definitions as SMS and Telegram (``surveys.forms``), the same show-if
rules and age wording (``surveys.engine``), the same parsing (``surveys.parsing``) and
the same store (``storage.responses.save_answers``, which screens every answer for
safeguarding). Answers are saved as they are given, so closing the page loses nothing
and the link carries on at the first unanswered question, on any channel: after each
save the invitation's conversation state is brought up to date, so an SMS reply answers
the next question the web form would have shown.

Works without JavaScript; no inline script or style (CSP); every text a respondent sees
comes from the form file or the message catalogue. Unknown, tampered, closed and
finished links get a kind page (404 / 410, never a trace) and guessing tokens is
throttled per client address with the ``rate_limits`` table the staff login uses.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from flask import Blueprint, Flask, abort, current_app, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.lifecycle import set_status
from storage.models import Answer, Invitation, utcnow
from storage.responses import answers_of, form_of, respondent_for, save_answers, screen_unsaved
from storage.throttle import recent_misses, record_miss
from surveys import engine
from surveys.parsing import parse_answer
from surveys.schedule import feedback_open
from surveys.schema import FormDefinition, Question
from web.alerts import send_notices_now
from web.database import get_session

bp = Blueprint("respondent", __name__, url_prefix="/f")

CHILD_ROLES = ("child", "care_leaver")
CLOSED_STATUSES = ("expired",)
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{16,64}")
# A client address may miss this many times in the window before it gets 429 pages.
GUESS_LIMIT = 20
GUESS_WINDOW = timedelta(minutes=15)


class Refused(Exception):  # noqa: N818 - a page to show instead, not an error
    """A link that cannot be used: carries the kind page to show and its status."""

    def __init__(self, page: str, status: int, invitation: Invitation | None = None) -> None:
        super().__init__(page)
        self.page = page
        self.status = status
        self.invitation = invitation


def t(key: str, language: str = "en", **values: Any) -> str:
    """A catalogue text in the respondent's language (English when not translated)."""
    return engine.text(key, language, **values)


def tr(texts: dict[str, str] | None, language: str) -> str:
    """A form text (title, intro, thanks) in the language, falling back to English."""
    if not texts:
        return ""
    return texts.get(language) or texts.get("en") or ""


def languages_of(form: FormDefinition) -> list[str]:
    """The languages this form is written in (English first)."""
    codes = [code for code in form.title if form.title.get(code)]
    return sorted(codes, key=lambda code: (code != "en", code))


def page_language(invitation: Invitation, form: FormDefinition) -> str:
    """The language the pages speak: the respondent's when the form is written in it, else English.

    As on SMS (``engine.conversation_language``): Welsh buttons and headings around an
    English-only form would mix two languages on one page.
    """
    language = invitation.language or "en"
    return language if language in languages_of(form) else "en"


def long_date(day: date, language: str) -> str:
    """A date as people write it ("Tuesday 8 December 2026"), names from the catalogue."""
    return engine.written_date(day, language)


def one_per_screen(invitation: Invitation) -> bool:
    """Children and care leavers get one question a screen; adults get one page."""
    return invitation.role in CHILD_ROLES


def worded_for(invitation: Invitation | None, key: str) -> str:
    """The catalogue key for this respondent: ``key_adult`` for parents, carers and professionals.

    Their form is about a child, so "your IRO", "your review" and Childline would be the
    wrong words for them.
    """
    return key if invitation is None or invitation.role in CHILD_ROLES else f"{key}_adult"


# --- token lookup and throttling -------------------------------------------------------


def _client_key() -> str:
    return f"form-token:{request.remote_addr or 'unknown'}"[:120]


def _guess_limit() -> int:
    return int(current_app.config.get("FORM_TOKEN_GUESS_LIMIT", GUESS_LIMIT))


def _throttled(session: Session) -> bool:
    return recent_misses(session, _client_key(), GUESS_WINDOW) >= _guess_limit()


def _record_miss(session: Session) -> None:
    record_miss(session, _client_key(), GUESS_WINDOW)
    session.commit()


def load_invitation(session: Session, token: str, *, allow_completed: bool = False,
                    for_update: bool = False) -> Invitation:
    """The open invitation for a token, or ``Refused`` with the kind page to show.

    ``for_update`` locks its row until the commit (PostgreSQL; SQLite's writers queue
    already), as the SMS and Telegram path does, so that answers given at the same moment
    on two channels (or a form posted twice) are saved one after the other, each from
    what the other left, and the two paths take their locks in the same order.
    """
    if _throttled(session):
        raise Refused("rate_limited", 429)
    invitation = None
    if TOKEN_RE.fullmatch(token):
        query = select(Invitation).where(Invitation.token == token)
        invitation = session.scalar(query.with_for_update(of=Invitation.__table__) if for_update else query)
    if invitation is None:
        _record_miss(session)
        raise Refused("not_found", 404)
    # Only a closed form refuses: someone who opted out of texts or said STOP by SMS may
    # still choose to answer on the web (the lifecycle lets them go on to completed).
    if invitation.status in CLOSED_STATUSES:
        raise Refused("expired", 410, invitation)
    if invitation.status == "completed" and not allow_completed:
        raise Refused("already_sent", 410, invitation)
    if not feedback_open_now(invitation):
        # How did the review go? Not before it has happened: the form opens on its date.
        raise Refused("not_yet", 403, invitation)
    return invitation


def feedback_open_now(invitation: Invitation) -> bool:
    """Whether the invitation's form may open now: a feedback survey on its review date, not before
    (the council's calendar, ``TIMEZONE``, from the one clock)."""
    review = invitation.review
    return feedback_open(invitation.phase, review.review_date if review is not None else None, utcnow(),
                         current_app.config["HYS"].TIMEZONE)


# --- what has been answered -----------------------------------------------------------


@dataclass
class Progress:
    """Where a respondent is: stored answers, skipped keys, the visible questions in order."""

    answers: dict[str, Any]
    skipped: set[str]
    visible: list[Question] = field(default_factory=list)

    def done(self, key: str) -> bool:
        return key in self.answers or key in self.skipped

    def first_open(self) -> Question | None:
        """The first visible question not yet answered or skipped."""
        return next((q for q in self.visible if not self.done(q.key)), None)

    def position(self, key: str) -> int:
        return next((i for i, q in enumerate(self.visible) if q.key == key), -1)


def progress_of(session: Session, invitation: Invitation, form: FormDefinition,
                respondent: engine.Respondent) -> Progress:
    """The respondent's stored answers and the questions they are asked, given those answers."""
    answers = answers_of(session, invitation)
    skipped = set(session.scalars(select(Answer.question_key).where(
        Answer.invitation_id == invitation.id, Answer.skipped.is_(True))).all())
    visible = list(engine.visible_questions(form, respondent, answers))
    return Progress(answers=answers, skipped=skipped, visible=visible)


def _sync_state(invitation: Invitation, form: FormDefinition, respondent: engine.Respondent,
                answers: dict[str, Any], skipped: set[str], complete: bool) -> None:
    """Bring the conversation state up to date so another channel carries on from here."""
    visible = engine.visible_questions(form, respondent, answers)
    history = [q.key for q in visible if q.key in answers or q.key in skipped]
    following = None if complete else next(
        (q for q in visible if q.key not in answers and q.key not in skipped), None)
    state = engine.ConversationState(
        form_id=form.id, form_version=form.version,
        status="complete" if complete or following is None else "asking",
        current=following.key if following is not None else None,
        answers=dict(answers), skipped=sorted(skipped), history=history, attempts=0,
    )
    invitation.state = state.to_dict()


def store(session: Session, invitation: Invitation, form: FormDefinition, respondent: engine.Respondent,
          progress: Progress, new: dict[str, Any], *, skip: tuple[str, ...] = (), clear: tuple[str, ...] = (),
          finish: bool | None = None):
    """Save new answers and skips; clear answers taken back or hidden; finish when nothing is left.

    ``finish=None`` finishes when every visible question is answered or skipped (one
    question a screen); the one-page form passes True or False itself.
    """
    merged = {k: v for k, v in progress.answers.items() if k not in skip and k not in clear}
    merged.update(new)
    skipped = (progress.skipped - set(new) - set(clear)) | set(skip)
    visible = list(engine.visible_questions(form, respondent, merged))
    keys = {q.key for q in visible}
    cleared = sorted({k for k in (set(merged) | skipped) if k not in keys} | set(clear))
    merged = {k: v for k, v in merged.items() if k in keys}
    skipped = {k for k in skipped if k in keys}
    if finish is None:
        finish = all(q.key in merged or q.key in skipped for q in visible)
    # An unchanged answer (the one-page form sends every answer again) is not stored or
    # screened again, so one disclosure raises one alert.
    changed = {k: v for k, v in new.items() if k in keys and progress.answers.get(k) != v}
    saved = save_answers(session, invitation, changed, channel="web",
                         skipped=[k for k in skip if k in keys], cleared=cleared, finished=finish)
    _sync_state(invitation, form, respondent, merged, skipped, finish)
    session.commit()
    send_notices_now(session, saved.alerts)  # the IRO hears at once, as from a text message
    return saved


# --- one question, as the page shows it -------------------------------------------------


@dataclass
class Field:
    """One question ready for a template: its prompt, the current value and any error."""

    question: Question
    prompt: Any
    value: Any = None
    error: str | None = None

    @property
    def key(self) -> str:
        return self.question.key

    @property
    def selected(self) -> set[str]:
        if self.value is None:
            return set()
        if isinstance(self.value, list):
            return {str(v) for v in self.value}
        return {str(self.value)}


def _scale_bounds(question: Question, prompt: Any) -> tuple[int, int]:
    low = getattr(prompt, "scale_min", None)
    high = getattr(prompt, "scale_max", None)
    if isinstance(low, int) and isinstance(high, int):
        return low, high
    spec = question.scale
    return (spec.min, spec.max) if spec else (1, 10)


def validate(question: Question, prompt: Any, submitted: list[str], language: str,
             respondent: engine.Respondent) -> tuple[Any, str | None]:
    """Turn what the page sent into an answer value, or a friendly error message.

    Text and scale answers go through ``surveys.parsing.parse_answer`` exactly as an
    SMS reply would. Choice answers come from the page's own buttons, so they must be
    one of the offered values (anything else is a tampered post); parse_answer still
    gives the canonical value when it understands the key.
    """
    submitted = [s for s in submitted if s is not None]
    if question.type == "text":
        raw = submitted[0] if submitted else ""
        if not raw.strip():
            return None, t("web_error_text_empty", language)
        if len(raw.strip()) > question.max_length:
            return None, t("web_error_text_long", language, max=question.max_length)
        parsed = parse_answer(question, raw, language, respondent)
        if not parsed.ok:
            return None, t(parsed.error or "web_error_text_empty", language)
        return parsed.value, None
    if question.type == "scale":
        low, high = _scale_bounds(question, prompt)
        raw = submitted[0].strip() if submitted else ""
        if not raw:
            return None, t("web_error_scale", language, min=low, max=high)
        parsed = parse_answer(question, raw, language, respondent)
        if not parsed.ok or not isinstance(parsed.value, int) or not low <= parsed.value <= high:
            return None, t("web_error_scale", language, min=low, max=high)
        return parsed.value, None
    allowed = [str(c.value) for c in prompt.choices]
    if question.type in ("multi", "feelings"):
        picked = list(dict.fromkeys(s for s in submitted if s))
        if not picked:
            return None, t("web_error_choose_some", language)
        if any(p not in allowed for p in picked):
            return None, t("web_error_choose_some", language)
        parsed = parse_answer(question, ", ".join(picked), language, respondent)
        if parsed.ok and isinstance(parsed.value, list) and sorted(parsed.value) == sorted(picked):
            return list(parsed.value), None
        return picked, None
    raw = submitted[0] if len(submitted) == 1 else ""
    if raw not in allowed:
        return None, t("web_error_choose_one", language)
    parsed = parse_answer(question, raw, language, respondent)
    if parsed.ok and parsed.value == raw:
        return parsed.value, None
    return raw, None


# Control characters a keyboard does not type (NUL would even make PostgreSQL refuse the
# row): dropped from whatever is posted, keeping tabs and line breaks.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def submitted_values(key: str) -> list[str]:
    """What the page posted for a question, without control characters."""
    return [_CONTROL.sub("", value) for value in request.form.getlist(key)]


def _submitted(key: str) -> list[str]:
    return submitted_values(key)


def _given(question: Question, key_values: list[str]) -> bool:
    return any((v or "").strip() for v in key_values)


# --- pages ----------------------------------------------------------------------------


def _context(invitation: Invitation, form: FormDefinition, **extra: Any) -> dict[str, Any]:
    language = page_language(invitation, form)
    review = invitation.review
    return {
        "invitation": invitation, "form": form, "lang": language, "t": lambda key, **v: t(key, language, **v),
        "title": tr(form.title, language), "languages": languages_of(form),
        "language_names": {code: t("language_name", code) for code in languages_of(form)},
        "review_date": long_date(review.review_date, language), "child": one_per_screen(invitation),
        "token": invitation.token, "adult": not one_per_screen(invitation), **extra,
    }


def _refused(exc: Refused):
    invitation = exc.invitation
    form = form_of(invitation) if invitation is not None else None
    language = page_language(invitation, form) if invitation is not None and form is not None else "en"
    title = tr(form.title, language) if form is not None else None
    review = invitation.review if invitation is not None else None
    date = long_date(review.review_date, language) if review is not None else ""
    return render_template("respondent/refused.html", page=exc.page, lang=language,
                           t=lambda key, **v: t(key, language, **{"date": date, **v}), title=title,
                           invitation=invitation, adult=invitation is not None and not one_per_screen(invitation)), exc.status


def _resume_url(invitation: Invitation, progress: Progress, **args: Any) -> str:
    if invitation.status == "completed":
        return url_for("respondent.thanks", token=invitation.token)
    if not one_per_screen(invitation):
        return url_for("respondent.whole_form", token=invitation.token, **args)
    following = progress.first_open()
    if following is None:
        return url_for("respondent.whole_form", token=invitation.token, **args) \
            if not progress.visible else url_for("respondent.question", token=invitation.token,
                                                 key=progress.visible[-1].key, **args)
    return url_for("respondent.question", token=invitation.token, key=following.key, **args)


def _with_invitation(*, allow_completed: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Give a view the open invitation for its token, or show the kind page that refuses it."""
    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapped(token: str, **kwargs: Any) -> Any:
            session = get_session()
            try:
                invitation = load_invitation(session, token, allow_completed=allow_completed,
                                             for_update=request.method == "POST")
            except Refused as exc:
                return _refused(exc)
            return view(token, session=session, invitation=invitation, **kwargs)
        return wrapped
    return decorate


@bp.route("/<token>")
@_with_invitation()
def start(token: str, *, session: Session, invitation: Invitation):
    """The link itself: the intro and privacy notice, or straight back to where they left off."""
    form = form_of(invitation)
    respondent = respondent_for(invitation)
    set_status(session, invitation, "opened", detail="web link")
    session.commit()
    progress = progress_of(session, invitation, form, respondent)
    if progress.answers or progress.skipped:
        return redirect(_resume_url(invitation, progress, resumed=1))
    return _intro(invitation, form, progress)


@bp.route("/<token>/intro")
@_with_invitation()
def intro(token: str, *, session: Session, invitation: Invitation):
    """The intro and privacy notice again (Back from the first question)."""
    form = form_of(invitation)
    return _intro(invitation, form, progress_of(session, invitation, form, respondent_for(invitation)))


def _intro(invitation: Invitation, form: FormDefinition, progress: Progress):
    language = page_language(invitation, form)
    if one_per_screen(invitation) and progress.visible:
        first = progress.first_open() or progress.visible[0]
        start_url = url_for("respondent.question", token=invitation.token, key=first.key)
    else:
        start_url = url_for("respondent.whole_form", token=invitation.token)
    return render_template("respondent/intro.html", **_context(
        invitation, form, intro=tr(form.intro, language), privacy=t(worded_for(invitation, "privacy_notice"), language),
        start_url=start_url, total=len(progress.visible),
        feedback=form.phase == "feedback"))


@bp.route("/<token>/q/<key>", methods=["GET", "POST"])
@_with_invitation()
def question(token: str, key: str, *, session: Session, invitation: Invitation):
    """One question a screen (children and care leavers)."""
    form = form_of(invitation)
    respondent = respondent_for(invitation)
    language = page_language(invitation, form)
    progress = progress_of(session, invitation, form, respondent)
    if not one_per_screen(invitation):
        return redirect(url_for("respondent.whole_form", token=token))
    index = progress.position(key)
    if index < 0:
        # Not asked of this respondent (hidden, or a made-up key): carry on where they are.
        return redirect(_resume_url(invitation, progress))
    q = progress.visible[index]
    total = len(progress.visible)
    prompt = engine.prompt_for(q, respondent, index + 1, total)
    item = Field(q, prompt, value=progress.answers.get(key))
    if request.method == "POST":
        action = request.form.get("action", "next")
        submitted = _submitted(key)
        if action == "skip" and not q.required:
            saved = store(session, invitation, form, respondent, progress, {}, skip=(key,))
            return _after_save(invitation, saved, session, form, respondent)
        if not _given(q, submitted):
            if q.required:
                item.error = t("web_error_required", language)
            else:
                saved = store(session, invitation, form, respondent, progress, {}, skip=(key,))
                return _after_save(invitation, saved, session, form, respondent)
        else:
            value, error = validate(q, prompt, submitted, language, respondent)
            if error is None:
                saved = store(session, invitation, form, respondent, progress, {key: value})
                return _after_save(invitation, saved, session, form, respondent)
            if q.type == "text" and screen_refused(session, invitation, {key: submitted[0]}):
                # Too long to keep, but read all the same: a disclosure gets the help page.
                return redirect(url_for("respondent.safe", token=token))
            item.error = error
            item.value = submitted if q.type in ("multi", "feelings") else submitted[0]
    back_url = (url_for("respondent.question", token=token, key=progress.visible[index - 1].key)
                if index > 0 else url_for("respondent.intro", token=token))
    status = 422 if item.error else 200
    return render_template("respondent/question.html", **_context(
        invitation, form, item=item, number=index + 1, total=total, back_url=back_url,
        resumed=request.args.get("resumed") == "1", errors=[item] if item.error else [],
        last=index + 1 == total)), status


def screen_refused(session: Session, invitation: Invitation, texts: dict[str, str]) -> list[Any]:
    """Screen words the form refused (too long) and tell the IRO at once of what they call for."""
    alerts = screen_unsaved(session, invitation, texts, channel="web")
    if alerts:
        session.commit()
        send_notices_now(session, alerts)
    return alerts


def _after_save(invitation: Invitation, saved: Any, session: Session, form: FormDefinition,
                respondent: engine.Respondent):
    if saved.alerts:
        return redirect(url_for("respondent.safe", token=invitation.token))
    if invitation.status == "completed":
        return redirect(url_for("respondent.thanks", token=invitation.token))
    progress = progress_of(session, invitation, form, respondent)
    return redirect(_resume_url(invitation, progress))


@bp.route("/<token>/form", methods=["GET", "POST"])
@_with_invitation()
def whole_form(token: str, *, session: Session, invitation: Invitation):
    """Every question on one page (parents, carers and professionals)."""
    form = form_of(invitation)
    respondent = respondent_for(invitation)
    language = page_language(invitation, form)
    progress = progress_of(session, invitation, form, respondent)
    notice = None
    if request.method == "POST":
        action = request.form.get("action", "send")
        shown = set(request.form.getlist("shown"))
        new: dict[str, Any] = {}
        errors: dict[str, str] = {}
        unanswered: list[str] = []
        for q in progress.visible:
            submitted = _submitted(q.key)
            if not _given(q, submitted):
                if q.key in shown:
                    unanswered.append(q.key)
                continue
            prompt = engine.prompt_for(q, respondent, 1, 1)
            value, error = validate(q, prompt, submitted, language, respondent)
            if error is None:
                new[q.key] = value
            else:
                errors[q.key] = error
                if q.type == "text":
                    screen_refused(session, invitation, {q.key: submitted[0]})  # read, though not kept
        # An answer the respondent emptied on this page is taken back.
        taken_back = tuple(k for k in unanswered if k in progress.answers)
        merged = {k: v for k, v in progress.answers.items() if k not in taken_back}
        merged.update(new)
        visible_now = list(engine.visible_questions(form, respondent, merged))
        # Questions that only apply because of an answer given on this page: show them
        # before sending (without JavaScript the page cannot reveal them as you go).
        before = {q.key for q in progress.visible}
        appeared = [q for q in visible_now if q.key not in before and q.key not in merged]
        missing = [q for q in visible_now if q.required and q.key not in merged and q.key not in errors]
        finish = action == "send" and not errors and not appeared and not missing
        if new or taken_back or finish:
            saved = store(session, invitation, form, respondent, progress, new, clear=taken_back, finish=finish)
            if saved.alerts:
                return redirect(url_for("respondent.safe", token=token))
        if finish:
            return redirect(url_for("respondent.thanks", token=token))
        if action == "save" and not errors:
            return redirect(url_for("respondent.saved", token=token))
        for q in missing:
            if action == "send":
                errors.setdefault(q.key, t("web_error_required", language))
        if appeared:
            notice = t("web_more_questions", language)
        progress = progress_of(session, invitation, form, respondent)
        values = {**progress.answers}
        for key in errors:
            raw = _submitted(key)
            q = next(q for q in progress.visible if q.key == key) if any(
                q.key == key for q in progress.visible) else None
            if q is not None:
                values[key] = raw if q.type in ("multi", "feelings") else (raw[0] if raw else "")
        items = _fields(progress, respondent, values, errors)
        status = 422 if errors else 200
        return render_template("respondent/form.html", **_context(
            invitation, form, items=items, errors=[i for i in items if i.error], notice=notice,
            resumed=False)), status
    items = _fields(progress, respondent, progress.answers, {})
    return render_template("respondent/form.html", **_context(
        invitation, form, items=items, errors=[], notice=None, resumed=request.args.get("resumed") == "1",
        privacy=t(worded_for(invitation, "privacy_notice"), language)))


def _fields(progress: Progress, respondent: engine.Respondent, values: dict[str, Any],
            errors: dict[str, str]) -> list[Field]:
    total = len(progress.visible)
    return [Field(q, engine.prompt_for(q, respondent, number, total), value=values.get(q.key),
                  error=errors.get(q.key))
            for number, q in enumerate(progress.visible, start=1)]


@bp.route("/<token>/saved")
@_with_invitation()
def saved(token: str, *, session: Session, invitation: Invitation):
    """Answers saved for later: the same link carries on."""
    form = form_of(invitation)
    return render_template("respondent/message.html", **_context(
        invitation, form, heading=t("web_saved_title", page_language(invitation, form)),
        body=t("web_saved_body", page_language(invitation, form)),
        continue_url=url_for("respondent.whole_form", token=token)))


@bp.route("/<token>/help")
@_with_invitation(allow_completed=True)
def safe(token: str, *, session: Session, invitation: Invitation):
    """After an answer that may mean they are not safe: who will see it and where to get help now."""
    form = form_of(invitation)
    progress = progress_of(session, invitation, form, respondent_for(invitation))
    return render_template("respondent/safe.html", **_context(
        invitation, form, message=t(worded_for(invitation, "safeguarding_reply"), page_language(invitation, form)),
        continue_url=_resume_url(invitation, progress)))


@bp.route("/<token>/thanks")
@_with_invitation(allow_completed=True)
def thanks(token: str, *, session: Session, invitation: Invitation):
    """The form's thank-you text once everything is sent."""
    form = form_of(invitation)
    if invitation.status != "completed":
        progress = progress_of(session, invitation, form, respondent_for(invitation))
        return redirect(_resume_url(invitation, progress))
    return render_template("respondent/thanks.html", **_context(
        invitation, form, thanks=tr(form.thanks, page_language(invitation, form))))


@bp.route("/<token>/language", methods=["POST"])
@_with_invitation()
def language(token: str, *, session: Session, invitation: Invitation):
    """Switch the form's language (kept on the invitation, so every channel uses it)."""
    form = form_of(invitation)
    chosen = request.form.get("lang", "")
    if chosen not in languages_of(form):
        abort(400)
    invitation.language = chosen
    session.commit()
    back = request.form.get("next") or ""
    if not back.startswith(f"/f/{token}") or "//" in back:
        back = url_for("respondent.intro", token=token)
    return redirect(back)


def init_app(app: Flask) -> None:
    """Register the respondent form."""
    app.register_blueprint(bp)
