"""Route an inbound message to its invitation, run the conversation, queue the replies.

Every messaging channel (Twilio SMS, Telegram, the staff simulator) hands its parsed
inbound message to ``dispatch``. The message is stored first (unique per provider id,
so a retried webhook changes nothing) and its words are screened for safeguarding before
anything decides what they are (``storage.alerts.screen_text``, in the sender's form
language): from a matched sender, an unknown number, a sender who sent STOP or whose
form is closed, an edit or a photo's caption. Then the conversation engine turns it into
answers and the next prompt, answers are saved through ``storage.responses`` (with the
screening, not screened twice), and the replies go into the outbox. A possible disclosure
is answered with the caring reply alone (Childline, 999) and the form waits for the
child to write again; a sender no open form claims is routed to the duty safeguarding
contact too (``storage.alerts``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, exists, or_, select, update
from sqlalchemy.orm import Session, joinedload

from bot.base import InboundMessage as Inbound
from bot.base import resolve_choice
from bot.optout import OPEN_STATUSES, is_opted_out, opt_in_address, opt_out_address
from bot.sender import leased_item
from storage.alerts import notice_ids, raise_for_screening, screen_text
from storage.lifecycle import set_status
from storage.models import InboundMessage, Invitation, OptOut, Review, utcnow
from storage.outbox import enqueue_many, outbox_row
from storage.responses import (
    StoredAnswer,
    form_of,
    respondent_for,
    save_answers,
    save_state_and_queue,
    stored_answers,
    stored_answers_column,
    write_answer,
)
from storage.upsert import insert_ignore
from surveys import engine
from surveys.safeguarding import Screening
from surveys.schedule import DEFAULT_TIMEZONE, feedback_open_on, local_date

__all__ = ["Dispatched", "Inbound", "OPEN_STATUSES", "Part", "dispatch", "find_invitation", "opt_out_address",
           "render_parts"]

log = logging.getLogger(__name__)

# Carrier keywords (Twilio's defaults). YES opts back in only when the number is opted out,
# because "yes" is also an answer.
SMS_OPT_OUT = frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit"})
SMS_OPT_IN = frozenset({"start", "unstop"})
SMS_OPT_IN_IF_OUT = frozenset({"yes"})
SMS_HELP = frozenset({"help", "info"})
SMS_PRIVACY = frozenset({"privacy"})


@dataclass(frozen=True)
class Part:
    """One outgoing message: text, and choices a channel may show as buttons."""

    text: str
    choices: tuple[tuple[str, str, str | None], ...] = ()  # (value, label, emoji)
    question_key: str | None = None
    question_type: str | None = None


@dataclass
class Dispatched:
    """What happened to one inbound message."""

    duplicate: bool = False
    inbound_id: int | None = None
    invitation_id: int | None = None
    parts: list[Part] = field(default_factory=list)
    outbox_ids: list[int] = field(default_factory=list)
    recorded: list[str] = field(default_factory=list)
    alerts: int = 0
    complete: bool = False
    # answered | started | disclosure | help_call | opted_out | opted_in | help | privacy | unmatched | closed |
    # edited | media | not_yet (a feedback survey before its review) | duplicate
    outcome: str = ""
    # Replies inserted already claimed under ``lease`` (see ``dispatch``), for bot.sender.send_leased.
    lease: tuple[str, datetime] | None = None
    leased: list[Any] = field(default_factory=list)
    # (invitation id, status) the inbound row was stored with, so ``_finish`` writes only a change.
    stored: tuple[int | None, str] | None = None
    # Whether the sender has opted out, when the invitation lookup read it too (None: not known).
    sender_opted_out: bool | None = None


def _normalise_keyword(text: str) -> str:
    return "".join(ch for ch in text.strip().lower() if ch.isalnum())


def _command(message: Inbound) -> str:
    """A Telegram-style command ("/privacy", "/help@SomeBot") as a keyword, else ""."""
    text = (message.text or "").strip().lower()
    if message.channel == "sms" or not text.startswith("/") or len(text.split()) != 1:
        return ""
    return text[1:].split("@", 1)[0]


def _open_invitation_by(column: Any, dialect: str, *, waiting: bool) -> Any:
    """The newest open invitation whose ``column`` is the sender (its review loaded with it),
    whether the sender has opted out of ``:channel``, and the invitation's stored answers.

    Built once per dialect: a statement built per message costs more than running it
    (SQLAlchemy derives its cache key each time), and this one runs on every inbound
    message. The opt-out and the answers ride along because the reply needs them and a
    round trip costs more than a subquery. The invitation row is locked (PostgreSQL;
    SQLite's writers queue already) so that two texts from one child sent moments apart
    are answered one after the other, the second from the state the first left, not both
    from the same state, and so that the answers read here stay current until the commit.

    Not ``waiting``, a locked row is skipped (no row comes back): a statement that waited
    for a lock would return the row as it is now but the answers as they were when it
    began (PostgreSQL reads a statement's subqueries at its start), so the caller asks
    again, waiting, and reads the answers afresh (``_find_invitation``).
    """
    opted_out = exists().where(OptOut.channel == bindparam("channel"), OptOut.address == bindparam("sender"))
    # A feedback survey is open to texts only once it has been sent (after its review) or
    # begun on its web link: before that, a child who writes (both forms pending, the feedback
    # made last) is in the consultation, not asked how a meeting that has not happened went.
    sent_if_feedback = or_(Invitation.phase != "feedback", Invitation.sent_at.is_not(None),
                           Invitation.status != "pending")
    # ... and never before its review date (the council's calendar, ``:today``), whatever was sent.
    after_review = or_(Invitation.phase != "feedback", Review.review_date <= bindparam("today"))
    newest = (select(Invitation.id).join(Review, Review.id == Invitation.review_id)
              .where(column == bindparam("sender"), _one_of(Invitation.status, OPEN_STATUSES),
                     _one_of(Invitation.channel, ("sms", "web", "telegram")), sent_if_feedback, after_review)
              .order_by(Invitation.sent_at.desc().nulls_last(), Invitation.id.desc()).limit(1).scalar_subquery())
    columns = (Invitation, opted_out.label("opted_out"),
               *((stored_answers_column(dialect).label("answers"),) if not waiting else ()))
    # Waiting, the row is checked again once the lock is had: it may have been closed meanwhile.
    open_again = (_one_of(Invitation.status, OPEN_STATUSES),) if waiting else ()
    return (select(*columns).options(joinedload(Invitation.review))
            .where(Invitation.id == newest, *open_again)
            .with_for_update(of=Invitation.__table__, skip_locked=not waiting))


def _one_of(column: Any, values: tuple[str, ...]) -> Any:
    """``column IN values`` as plain comparisons: an IN list is expanded again on every execution."""
    return or_(*(column == value for value in values))


_OPEN_BY: dict[tuple[str, str, bool], Any] = {}


def _open_by(session: Session, by: str, *, waiting: bool = False) -> Any:
    """``_open_invitation_by`` the phone number ("contact") or the Telegram chat, for the session's database."""
    dialect = session.get_bind().dialect.name
    statement = _OPEN_BY.get((by, dialect, waiting))
    if statement is None:
        column = Invitation.contact if by == "contact" else Invitation.telegram_chat_id
        statement = _OPEN_BY[by, dialect, waiting] = _open_invitation_by(column, dialect, waiting=waiting)
    return statement


def find_invitation(session: Session, message: Inbound, *, today: date | None = None) -> Invitation | None:
    """The open invitation this message belongs to (deep-link token, chat or phone number).

    A feedback survey whose review date (``today``: the council's date, from the one clock
    when not given) is still to come is not one: the child's consultation is.
    """
    return _find_invitation(session, message, today)[0]


def local_today(now: datetime | None = None, timezone: str | None = None) -> date:
    """The council's calendar date now (``TIMEZONE``; Europe/London when not given)."""
    return local_date(now or utcnow(), timezone or DEFAULT_TIMEZONE)


def too_early(invitation: Invitation | None, today: date) -> bool:
    """Whether ``invitation`` is a feedback survey whose review has not happened by ``today``."""
    # The phase is asked first so that a consultation never loads its review here.
    return invitation is not None and invitation.phase == "feedback" and invitation.review is not None \
        and not feedback_open_on(invitation.phase, invitation.review.review_date, today)


def _find_invitation(session: Session, message: Inbound, today: date | None = None
                     ) -> tuple[Invitation | None, bool | None, list[StoredAnswer] | None]:
    """``find_invitation``; whether the sender opted out of their channel and the invitation's
    stored answers, when those were read with it (else None)."""
    if message.channel == "telegram" or message.channel == "sim":
        if message.start_token:
            invitation = session.scalar(select(Invitation).where(Invitation.token == message.start_token))
            if invitation is None:
                return None, None, None
            if invitation.telegram_chat_id not in (None, message.sender):
                return None, None, None  # one chat per invitation: a forwarded link can't take it over
            invitation.telegram_chat_id = message.sender
            return invitation, None, None
        by = "chat"
    else:
        by = "contact"
    params = {"sender": message.sender, "channel": _reply_channel(message), "today": today or local_today()}
    row = session.execute(_open_by(session, by), params).first()
    if row is not None:
        return row[0], bool(row[1]), stored_answers(row[2])
    if session.get_bind().dialect.name == "sqlite":
        return None, None, None  # nothing is skipped there: its writers queue before they read
    # None open, or another transaction holds the newest (a text or a save in flight): wait
    # for it, and leave the answers to be read afresh.
    row = session.execute(_open_by(session, by, waiting=True), params).first()
    return (row[0], bool(row[1]), None) if row is not None else (None, None, None)


def _reply_channel(message: Inbound) -> str:
    """The outbox channel replies to this message go out on."""
    return "telegram" if message.channel == "telegram" else ("sim" if message.channel == "sim" else "sms")


def _opted_out(session: Session, result: Dispatched, message: Inbound) -> bool:
    """Whether the sender opted out of the channel replies go on (known from the lookup when it read it)."""
    if result.sender_opted_out is None:
        result.sender_opted_out = is_opted_out(session, _reply_channel(message), message.sender)
    return result.sender_opted_out


def render_parts(turn: engine.Turn, channel: str, language: str) -> list[Part]:
    """The messages a turn produces, shaped for the channel (numbered text or buttons)."""
    if channel == "sms":
        return [Part(text) for text in engine.render_text(turn, "sms")]
    parts = [Part(text) for text in turn.messages]
    if turn.prompt is not None:
        prompt = turn.prompt
        choices = tuple((c.value, c.label, c.emoji) for c in prompt.choices)
        if not choices and prompt.type == "scale" and prompt.scale_min is not None and prompt.scale_max is not None:
            choices = tuple((str(n), str(n), None) for n in range(prompt.scale_min, prompt.scale_max + 1))
        text = prompt.text
        if prompt.type == "scale" and prompt.low and prompt.high:
            text = f"{text}\n({prompt.scale_min} = {prompt.low}, {prompt.scale_max} = {prompt.high})"
        parts.append(Part(text, choices, prompt.key, prompt.type))
    return parts


def _render_channel(message: Inbound, invitation: Invitation | None) -> str:
    """How replies look: SMS text, or Telegram buttons (the simulator copies the invitation's channel)."""
    if message.channel == "sim":
        return "sms" if invitation is not None and invitation.channel == "sms" else "telegram"
    return "sms" if message.channel == "sms" else "telegram"


def _callback_text(form, respondent, current: str | None, callback: tuple[str, str]) -> str:
    """The reply a button press stands for ("" when it belongs to another question)."""
    key, value = callback
    if key and key != current:
        return ""  # a button from an older question re-shows the current one instead of answering it
    if value.startswith("#") and current:
        question = next((q for q in form.questions if q.key == current), None)
        if question is not None:
            value = resolve_choice(engine.prompt_for(question, respondent, 0, 0), value)
    return value


def dispatch(session: Session, message: Inbound, *, now: datetime | None = None,
             helpline_on_alert: bool = True, lease: tuple[str, datetime] | None = None,
             timezone: str | None = None) -> Dispatched:
    """Store, screen, route and answer one inbound message; the caller commits.

    Every text is screened first, whoever sent it and whatever it turns out to be (an
    answer, a keyword, a message to a closed form, from an unknown number or after STOP).
    A possible disclosure is answered with the caring reply alone and the form pauses: the
    next question comes when the child writes again.

    With ``lease`` (token, until) the replies are inserted already claimed under it and
    listed in ``leased``, for a caller that sends them itself straight after the commit
    (the webhook: it saves the claiming round trip); otherwise they are queued for anyone.

    ``timezone`` (the ``TIMEZONE`` setting) gives the council's date, which decides whether
    a feedback survey has opened (on its review date, never before).
    """
    now = now or utcnow()
    today = local_today(now, timezone)
    # Looked up (read only) before the message is stored, so that the stored row names its
    # invitation from the start and the usual answer needs no second write to it. A deep
    # link or an edit finds its invitation its own way below.
    early, opted_out, stored_answers_early = (None, None, None) if message.start_token or message.meta.get("edited") \
        else _find_invitation(session, message, today)
    stored = (early.id, "processed") if early is not None else (None, "received")
    inbound_id = insert_ignore(session, InboundMessage, {
        "channel": message.channel, "provider_id": message.provider_id[:64], "sender": message.sender,
        "body": message.text, "invitation_id": stored[0], "status": stored[1], "received_at": now,
        "processed_at": now if early is not None else None,
    }, ["channel", "provider_id"])
    if inbound_id is None:
        return Dispatched(duplicate=True, outcome="duplicate")
    result = Dispatched(inbound_id=inbound_id, lease=lease if message.channel != "sim" else None, stored=stored,
                        sender_opted_out=opted_out)
    words = message.text or ""

    if message.meta.get("edited"):
        # The conversation does not move on an edit; safeguarding still reads the new words.
        result.outcome = "edited"
        current = find_invitation(session, message, today=today)
        invitation = current or _latest_invitation(session, message)
        found = screen_text(words, _screen_language(invitation))
        parts = _screen_stray(session, result, message, invitation, found, now, duty=current is None)
        _queue(session, result, message, parts, invitation if parts else None, direct=True)
        _finish(session, result, invitation.id if result.alerts and invitation else None, "processed", now)
        return result

    if message.meta.get("media") and not words.strip():
        # A sticker, voice note or picture without words: nothing to read; say so kindly.
        result.outcome = "media"
        _queue(session, result, message, [Part(engine.text("media_not_read", _language_of(session, message)))],
               early)
        _finish(session, result, early.id if early is not None else None,
                "processed" if early is not None else "unmatched", now)
        return result

    # Screened before anything decides what the message is. The language is the form's: the
    # open invitation's, else the sender's latest (an unknown sender is read in English and Welsh).
    latest: Invitation | None = None
    if early is None and words.strip() and not message.start_token:
        latest = _latest_invitation(session, message)
    found = screen_text(words, _screen_language(early or latest)) if words.strip() else _NOTHING
    alarm = found.flagged or engine.call_for_help(words)

    keyword = _normalise_keyword(words) if message.channel == "sms" else ""
    if keyword in SMS_OPT_OUT:
        # Opted out as the carrier opts them out (Twilio itself confirms STOP to the sender).
        opt_out_address(session, message.channel, message.sender, source="keyword", now=now)
        result.outcome = "opted_out"
        known = None
        if alarm:
            # A stop word the screen reads as more ("end"): a person is told, the sender answered.
            known = early or latest or _latest_invitation(session, message)
            parts = _screen_stray(session, result, message, known, found, now, duty=True)
            _queue(session, result, message, parts, known if parts else None, direct=True)
        _finish(session, result, known.id if result.alerts and known else None, "processed", now)
        return result
    if alarm:
        keyword = ""  # a disclosure is never taken for HELP, START or YES
    if (keyword in SMS_OPT_IN or keyword in SMS_OPT_IN_IF_OUT) and _opted_out(session, result, message):
        opt_in_address(session, message.channel, message.sender, now=now)
        result.sender_opted_out = False
        result.outcome = "opted_in"
        _queue(session, result, message, [Part(engine.text("opted_in"))], None)
        _finish(session, result, None, "processed", now)
        return result
    if message.channel == "telegram" and _opted_out(session, result, message):
        # A chat that blocked the bot is writing again: it has unblocked us.
        opt_in_address(session, "telegram", message.sender, now=now)
        result.sender_opted_out = False
        early = None  # its invitations may have reopened: look again below
    if keyword in SMS_OPT_IN:
        keyword = "help"  # START from a number that never opted out: say what this is
    command = "" if alarm else _command(message)
    if keyword in SMS_HELP or command == "help":
        result.outcome = "help"
        _queue(session, result, message, [Part(engine.text("service_help", _language_of(session, message)))], None)
        _finish(session, result, None, "processed", now)
        return result
    if keyword in SMS_PRIVACY or command == "privacy":
        # Who sees the answers, in plain words; the conversation stays where it was.
        result.outcome = "privacy"
        _queue(session, result, message, [Part(engine.text("privacy_reply", _language_of(session, message)))],
               None)
        _finish(session, result, None, "processed", now)
        return result

    invitation = early or find_invitation(session, message, today=today)
    if invitation is None and not message.start_token:
        # Nothing open takes texts: a feedback survey waiting for its review answers for itself.
        latest = latest or _latest_invitation(session, message)
        if latest is not None and latest.status in OPEN_STATUSES and too_early(latest, today):
            invitation = latest
    if invitation is None:
        reply = "unknown_link" if message.start_token else "unknown_sender"
        result.outcome = "unmatched"
        # Safeguarding is never off: a child whose form is finished, who sent STOP, or who
        # writes from a number we do not know may still tell us something.
        if latest is None and not message.start_token:
            latest = _latest_invitation(session, message)
        if latest is not None:
            reply = "already_complete" if latest.status == "completed" else "form_closed"
        parts = _screen_stray(session, result, message, latest, found, now, duty=True)
        if parts:
            # The caring reply alone, even after STOP: a direct answer to someone who just wrote.
            _queue(session, result, message, parts, latest, direct=True)
        else:
            _queue(session, result, message, [Part(engine.text(reply, latest.language if latest else "en"))],
                   latest if result.alerts else None)
        _finish(session, result, latest.id if result.alerts and latest else None, "unmatched", now)
        return result

    result.invitation_id = invitation.id
    form = form_of(invitation)
    respondent = respondent_for(invitation)
    if invitation.status not in OPEN_STATUSES:
        result.outcome = "closed"
        key = "already_complete" if invitation.status == "completed" else "form_closed"
        found = screen_text(words, _screen_language(invitation)) if words.strip() else _NOTHING
        parts = _screen_stray(session, result, message, invitation, found, now, duty=True)
        _queue(session, result, message, parts or [Part(engine.text(key, respondent.language))], invitation,
               direct=bool(parts))
        _finish(session, result, invitation.id, "processed", now)
        return result
    if early is None and words.strip():
        # Found after the first look (a deep link, a chat that unblocked us): read in its language.
        found = screen_text(words, _screen_language(invitation))
    if too_early(invitation, today):
        # A deep link to a feedback survey before its review: it does not open yet (the
        # rule the lookup applies to texts). The words are still read.
        result.outcome = "not_yet"
        parts = _screen_stray(session, result, message, invitation, found, now, duty=True)
        _queue(session, result, message, parts or [Part(_reply_text("feedback_not_yet", invitation))], invitation,
               direct=bool(parts))
        _finish(session, result, invitation.id, "processed", now)
        return result

    old_state = engine.ConversationState.from_dict(invitation.state) if invitation.state else None
    calling = engine.call_for_help(words) and message.callback is None
    if old_state is None or old_state.status == "new" or message.start_token:
        turn = engine.start(form, respondent, old_state)
        result.outcome = "started"
        typed = None
        # The first message is screened too: a child may open with a disclosure.
        opening = None if message.start_token or message.callback is not None else message.text
    elif calling:
        # "help me", "I need help": a call for help, never a wrong answer to the question.
        turn = engine.Turn(state=old_state.copy(), language=engine.conversation_language(form, respondent))
        typed, opening = message.text, None
        result.outcome = "help_call"
    else:
        typed = message.text
        state_in = old_state
        if message.callback is not None:
            typed = _callback_text(form, respondent, old_state.current, message.callback)
            if old_state.paused:  # a button of the question still waiting answers it
                state_in = old_state.copy()
                state_in.paused = False
        turn = engine.reply(form, respondent, state_in, typed or "")
        result.outcome = "answered"
        opening = None

    skipped_before = set(old_state.skipped) if old_state else set()
    newly_skipped = [k for k in turn.state.skipped if k not in skipped_before]
    free_text_recorded = any(
        q.type == "text" and q.key in turn.recorded for q in form.questions
    )
    raw = None if free_text_recorded else (typed or opening or None)
    screened: dict[str, Any] = {}
    if words.strip():
        # An answer the engine understood as a choice or a command was read: it needs no
        # person for being in another language ("not screened" is for words nobody read).
        # A call for help raises its own alert below.
        understood = calling or turn.command is not None or (bool(turn.recorded) and not free_text_recorded)
        reading = replace(found, not_screened=False) if understood and found.not_screened else found
        screened[words] = screened[words.strip()] = reading
    if message.callback is not None and typed:
        screened[typed] = _NOTHING  # a button's value is ours, not the child's words
    saved = save_answers(
        session, invitation, turn.recorded, channel=message.channel if message.channel != "sim" else "sms",
        skipped=newly_skipped, cleared=turn.cleared, finished=turn.complete,
        raw_text=raw, raw_question=old_state.current if old_state else None, now=now,
        stored=stored_answers_early if invitation is early else None, write_later=True,
        screened=screened, inbound_message_id=inbound_id,
    )
    alerts = list(saved.alerts)
    if calling and not any(a.kind == "disclosure" for a in alerts):
        alerts.append(raise_for_screening(session, invitation, HELP_CALL,
                                          question_key=old_state.current if old_state else None,
                                          excerpt=message.text, now=now, channel=message.channel,
                                          inbound_message_id=inbound_id))
    if turn.command != "stop":
        # Writing back is opening the form, as following the web link is.
        set_status(session, invitation, "opened", now=now, detail=f"replied on {message.channel}")
    if turn.command == "stop":
        set_status(session, invitation, "declined", now=now, detail=f"stopped on {message.channel}")
    result.recorded = list(turn.recorded)
    result.alerts = len(alerts)
    _notify_now(session, result, message, alerts)
    result.complete = turn.complete
    state = turn.state
    if helpline_on_alert and any(a.kind == "disclosure" for a in alerts):
        # The caring reply, alone: no re-ask, no "form closed", no next question straight
        # after it. The form waits for the child to write again.
        parts = [Part(engine.text("safeguarding_reply", respondent.language))]
        if result.outcome == "started":
            state = None  # nothing was asked yet: their next message opens the form as usual
        elif turn.state.status == "asking":
            # An answer the engine could not read stays unanswered (no attempt counted).
            state = (turn.state if turn.recorded or turn.command else old_state).copy()
            state.paused = True
        result.outcome = "disclosure"
    else:
        if turn.command == "help":
            # The question's help, then the helplines: "help" may mean more than the question.
            turn.messages.append(engine.text("help_now", turn.language))
        parts = render_parts(turn, _render_channel(message, invitation), respondent.language)
    # The answer and the conversation's new state are stored with the replies (one statement on PostgreSQL).
    if state is not None:
        _queue(session, result, message, parts, invitation, writes=(state.to_dict(), now, saved.unwritten))
    else:
        for row in saved.unwritten:
            write_answer(session, row)
        _queue(session, result, message, parts, invitation)
    _finish(session, result, invitation.id, "processed", now)
    log.info("inbound %s on %s: %s, %d answer(s), %d alert(s)", inbound_id, message.channel,
             result.outcome, len(result.recorded), result.alerts)
    return result


# A reading of nothing (no words, or a button's own value).
_NOTHING = Screening(flagged=False)
# "help me", "I need help": what a call for help raises, whatever the screen read in it.
HELP_CALL = Screening(flagged=True, reasons=["asked for help"], categories=["feels_unsafe"], score=0.7)


def _reply_text(key: str, invitation: Invitation | None) -> str:
    """A catalogue reply in the sender's language, with their review's date where it names one."""
    language = (invitation.language if invitation is not None else None) or "en"
    review_date = invitation.review.review_date if invitation is not None and invitation.review else None
    spoken = engine.written_date(review_date, language, year=False) if review_date else ""
    return engine.text(key, language, review_date=spoken)


def _screen_language(invitation: Invitation | None) -> str | None:
    """The language to screen a sender's words in: their form's (None: unknown, read as English and Welsh)."""
    return (invitation.language or "en") if invitation is not None else None


def _senders_invitation(session: Session, message: Inbound) -> Invitation | None:
    """The sender's open invitation, else their latest in any status (for a message that answers nothing)."""
    return find_invitation(session, message) or _latest_invitation(session, message)


def _language_of(session: Session, message: Inbound) -> str:
    """The language of the sender's form (English when we do not know them)."""
    invitation = None if message.start_token else _senders_invitation(session, message)
    return (invitation.language if invitation is not None else None) or "en"


def _latest_invitation(session: Session, message: Inbound) -> Invitation | None:
    """The sender's most recent invitation in any status (for screening a message nothing expects)."""
    column = Invitation.contact if message.channel == "sms" else Invitation.telegram_chat_id
    return session.scalar(select(Invitation).where(column == message.sender)
                          .order_by(Invitation.sent_at.desc().nulls_last(), Invitation.id.desc()).limit(1))


def _screen_stray(session: Session, result: Dispatched, message: Inbound, invitation: Invitation | None,
                  found: Screening, now: datetime, *, duty: bool) -> list[Part]:
    """Alert on a message that answers no question (an edit, a closed form, an unknown or
    opted-out sender) when the screen calls for it; the caring reply when it may be a disclosure.

    ``invitation`` is the sender's (open, else latest in any status), None when they match
    none: then the alert has no review and goes to the duty safeguarding contact, as it
    does too with ``duty`` (the sender has no open form, so the IRO may not be looking).
    """
    if not (message.text or "").strip():
        return []
    if engine.call_for_help(message.text) and not found.flagged:
        found = replace(HELP_CALL, not_screened=found.not_screened)
    if not found.needs_person:
        return []
    if invitation is None and message.channel == "sim":
        return []  # a rehearsal from nowhere: no child, no duty contact to page
    alert = raise_for_screening(session, invitation, found, question_key=None, excerpt=message.text, now=now,
                                channel=message.channel, inbound_message_id=result.inbound_id,
                                duty=duty and message.channel != "sim")
    if alert is None:
        return []
    result.alerts += 1
    _notify_now(session, result, message, [alert])
    if invitation is not None:
        result.invitation_id = invitation.id
    if alert.kind != "disclosure":
        return []  # read by a person; the sender gets the usual answer
    result.outcome = "disclosure"
    if invitation is None:
        return [Part(engine.text("safeguarding_reply_unknown", "en"))]
    return [Part(engine.text("safeguarding_reply", invitation.language or "en"))]


def _notify_now(session: Session, result: Dispatched, message: Inbound, alerts: list[Any]) -> None:
    """Send the IRO's alert email and SMS with the replies, not at the worker's next round."""
    if message.channel == "sim" or not alerts:
        return  # a rehearsal never pages an IRO (web.simulator cancels them)
    result.outbox_ids.extend(notice_ids(session, alerts))


def _queue(session: Session, result: Dispatched, message: Inbound, parts: list[Part],
           invitation: Invitation | None, *,
           writes: tuple[dict[str, Any], datetime, list[dict[str, Any]]] | None = None,
           direct: bool = False) -> None:
    """Put the replies in the outbox (one statement), leased to this process when it sends them itself;
    with ``writes`` (the conversation's new state, when, the answer rows not yet written) store those too.

    ``direct``: the caring reply to a possible disclosure, sent back to the person who just
    wrote even if they opted out (leased, so the claim's opt-out check does not cancel it).
    """
    channel = _reply_channel(message)
    first = len(result.parts)  # the parts are numbered across the message's replies
    result.parts.extend(parts)
    if not parts and writes is None:
        return
    # An opted-out address is left to the claim, which cancels what it must not send.
    lease = result.lease if parts and result.lease and (direct or not _opted_out(session, result, message)) \
        else None
    rows = []
    for index, part in enumerate(parts, start=first):
        payload: dict[str, Any] | None = None
        if part.choices or part.question_key:
            payload = {"choices": [{"value": v, "label": label, **({"emoji": e} if e else {})}
                                   for v, label, e in part.choices],
                       "question_key": part.question_key, "type": part.question_type}
        rows.append(outbox_row(
            channel=channel, to=message.sender, body=part.text,
            dedupe_key=f"reply:{message.channel}:{result.inbound_id}:{index}",
            purpose="reply", invitation_id=invitation.id if invitation else None, payload=payload, lease=lease,
            # The simulator shows replies on its page: kept as a transcript, never sent.
            status="simulated" if channel == "sim" else "queued"))
    if writes is not None and invitation is not None:
        state, at, answers = writes
        queued = save_state_and_queue(session, invitation, state, at, rows, answers)
    else:
        queued = enqueue_many(session, rows)
    for row in rows:
        outbox_id = queued.get(row["dedupe_key"])
        if outbox_id is None or channel == "sim":
            continue
        if lease is not None:
            result.leased.append(leased_item(outbox_id, channel, message.sender, row["body"], row["payload"]))
        else:
            result.outbox_ids.append(outbox_id)


_FINISH = (update(InboundMessage.__table__).where(InboundMessage.id == bindparam("inbound"))
           .values(invitation_id=bindparam("invitation"), status=bindparam("outcome"), processed_at=bindparam("at")))


def _finish(session: Session, result: Dispatched, invitation_id: int | None, status: str, now: datetime) -> None:
    """Record what became of the inbound message (unless it was stored that way already)."""
    if (invitation_id, status) == result.stored:
        return
    session.connection().execute(_FINISH, {"inbound": result.inbound_id, "invitation": invitation_id,
                                           "outcome": status, "at": now})
