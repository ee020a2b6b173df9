"""Record answers from any channel once, keep the invitation's status, screen for harm.

SMS, Telegram, the web form and paper keying all store answers through ``save_answers``,
so an answer is stored once per question whatever mix of channels a respondent uses,
and every answer passes the safeguarding screen.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, delete, func, select, text, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from storage.alerts import raise_alert, raise_for_screening, screen_text
from storage.lifecycle import set_status
from storage.models import Alert, Answer, Invitation, Quote, utcnow
from storage.outbox import enqueue_many, enqueue_many_statement
from storage.upsert import insert_ignore, upsert
from surveys.engine import Respondent, answer_signals, is_received
from surveys.forms import get_form
from surveys.safeguarding import Screening
from surveys.schema import FormDefinition, Question

AnswerValue = str | int | list[str]


def respondent_for(invitation: Invitation) -> Respondent:
    """The engine's view of who is answering (role, review type, age, language)."""
    review = invitation.review
    return Respondent(role=invitation.role, review_type=review.review_type, age=review.child_age,
                      language=invitation.language or "en")


def form_of(invitation: Invitation) -> FormDefinition:
    """The form this invitation asks."""
    return get_form(invitation.form_id)


def to_columns(question: Question, value: AnswerValue) -> dict[str, Any]:
    """How a canonical answer value is stored (text, number or joined keys)."""
    if question.type == "text":
        return {"value": None, "value_num": None, "free_text": str(value)}
    if question.type == "scale":
        return {"value": str(int(value)), "value_num": int(value), "free_text": None}
    if question.type in ("multi", "feelings"):
        items = [value] if isinstance(value, str) else list(value)
        return {"value": ";".join(items), "value_num": None, "free_text": None}
    return {"value": str(value), "value_num": None, "free_text": None}


def from_row(question: Question | None, row: Answer) -> AnswerValue | None:
    """The canonical value of a stored answer (None for a skipped question)."""
    if row.skipped:
        return None
    if question is not None and question.type == "text":
        return row.free_text
    if question is not None and question.type == "scale":
        return row.value_num
    if question is not None and question.type in ("multi", "feelings"):
        return [v for v in (row.value or "").split(";") if v]
    return row.value


@dataclass(frozen=True)
class StoredAnswer:
    """One stored answer as a query over invitations reads it alongside (``stored_answers_column``)."""

    id: int
    question_key: str
    value: str | None
    value_num: int | None
    free_text: str | None
    skipped: bool


def stored_answers_column(dialect: str) -> Any:
    """An invitation's stored answers as one JSON array: a column for a query over invitations.

    The conversation reads them with the invitation it locks, so that saving an answer
    needs no second query to know what is stored (``save_answers(stored=...)``): a round
    trip on every text message cost more than the aggregate.
    """
    columns = (Answer.id, Answer.question_key, Answer.value, Answer.value_num, Answer.free_text, Answer.skipped)
    array = (func.json_agg(func.json_build_array(*columns)) if dialect == "postgresql"
             else func.json_group_array(func.json_array(*columns)))
    return select(array).where(Answer.invitation_id == Invitation.id).correlate(Invitation).scalar_subquery()


def stored_answers(value: Any) -> list[StoredAnswer]:
    """The answers in a ``stored_answers_column`` value (PostgreSQL gives NULL for none, SQLite "[]")."""
    rows = json.loads(value) if isinstance(value, str | bytes) else (value or [])
    return [StoredAnswer(int(r[0]), str(r[1]), r[2], None if r[3] is None else int(r[3]), r[4], bool(r[5]))
            for r in rows]


_STORED_ANSWERS = select(Answer.question_key, Answer.value, Answer.value_num, Answer.free_text, Answer.skipped
                         ).where(Answer.invitation_id == bindparam("invitation"))


def answers_of(session: Session, invitation: Invitation) -> dict[str, AnswerValue]:
    """Every answered (not skipped) question of an invitation, as canonical values."""
    questions = {q.key: q for q in form_of(invitation).questions}
    # On the connection, after a flush (cheap when clean): the ORM's execute path costs
    # more than this query, and it gains nothing from it.
    session.flush()
    return _values(questions, session.connection().execute(_STORED_ANSWERS, {"invitation": invitation.id}).all())


def _values(questions: Mapping[str, Question], rows: Iterable[Any]) -> dict[str, AnswerValue]:
    """The canonical values of answer rows, by question (skipped questions left out)."""
    values = {row.question_key: from_row(questions.get(row.question_key), row) for row in rows}
    return {k: v for k, v in values.items() if v is not None}


_SAVE_STATE = (update(Invitation.__table__).where(Invitation.id == bindparam("invitation"))
               .values(state=bindparam("new_state"), updated_at=bindparam("at")))


def save_state(session: Session, invitation: Invitation, state: dict[str, Any], now: datetime) -> None:
    """Store an invitation's conversation state, written straight away.

    One UPDATE built once, not the ORM's flush: the conversation writes it on every
    message, and the unit of work cost more than the statement (measured). The object is
    given the value as committed, so a later flush does not write it again.
    """
    session.connection().execute(_SAVE_STATE, {"invitation": invitation.id, "new_state": state, "at": now})
    set_committed_value(invitation, "state", state)
    set_committed_value(invitation, "updated_at", now)


def _typed_text(sql: str, table: Any, params: dict[str, str]) -> Any:
    """``sql`` with each ``:param`` typed as its ``table`` column (``params``: param -> column)."""
    return text(sql).bindparams(*(bindparam(name, type_=table.c[column].type) for name, column in params.items()))


@lru_cache(maxsize=2)
def _turn_writes(with_answer: bool) -> Any:
    """The outbox INSERT with the state's UPDATE, and the answer's upsert, riding on it as WITHs (PostgreSQL).

    The WITH parts are text because SQLAlchemy would take the INSERT's row keys that name
    their tables' columns too (status, channel ...) for more of their SET clauses.
    """
    invitations, answers = Invitation.__table__, Answer.__table__
    statement = enqueue_many_statement("postgresql")
    if with_answer:
        columns = (*ANSWER_KEY, *ANSWER_UPDATED)
        statement = statement.add_cte(_typed_text(
            f"INSERT INTO answers ({', '.join(columns)}) VALUES ({', '.join(f':answer_{c}' for c in columns)}) "
            f"ON CONFLICT ({', '.join(ANSWER_KEY)}) DO UPDATE SET "
            + ", ".join(f"{c} = EXCLUDED.{c}" for c in ANSWER_UPDATED),
            answers, {f"answer_{c}": c for c in columns}).columns().cte("saved_answer"))
    return statement.add_cte(_typed_text(
        "UPDATE invitations SET state = :state_now, updated_at = :state_at WHERE id = :state_of",
        invitations, {"state_now": "state", "state_at": "updated_at", "state_of": "id"}).columns().cte("saved_state"))


def save_state_and_queue(session: Session, invitation: Invitation, state: dict[str, Any], now: datetime,
                         replies: list[dict[str, Any]], answers: Sequence[Mapping[str, Any]] = ()
                         ) -> dict[str, int]:
    """Store the turn's answers (``Saved.unwritten``) and the conversation state, and queue the
    replies the turn made (``outbox_row`` rows); the ids of the rows that were new, by dedupe key.

    On PostgreSQL one statement (the answer's upsert and the state's UPDATE are WITHs on
    the INSERT): a conversation does all three on almost every text message, and each
    round trip cost more than its statement. Elsewhere (SQLite, in process, has no round
    trip to save), or with more than one answer, one statement each.
    """
    if not replies or len(answers) > 1 or session.get_bind().dialect.name != "postgresql":
        for row in answers:
            write_answer(session, row)
        save_state(session, invitation, state, now)
        return enqueue_many(session, replies)
    extra = {"state_now": state, "state_at": now, "state_of": invitation.id,
             **{f"answer_{column}": value for row in answers for column, value in row.items()}}
    rows = session.connection().execute(_turn_writes(bool(answers)), [{**row, **extra} for row in replies])
    queued = {key: outbox_id for key, outbox_id in rows}
    set_committed_value(invitation, "state", state)
    set_committed_value(invitation, "updated_at", now)
    return queued


@dataclass
class Saved:
    """What ``save_answers`` did."""

    recorded: list[str] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    received: bool = False
    status: str = "pending"
    # Answer rows not yet written (``save_answers(write_later=True)``): for ``save_state_and_queue``.
    unwritten: list[dict[str, Any]] = field(default_factory=list)


ANSWER_KEY = ("invitation_id", "question_key")
ANSWER_UPDATED = ("value", "value_num", "free_text", "skipped", "channel", "answered_at")


def write_answer(session: Session, row: Mapping[str, Any]) -> None:
    """Store one answer row (``save_answers`` builds them): inserted, or the question's answer updated."""
    upsert(session, Answer, row, ANSWER_KEY, ANSWER_UPDATED)


def _quotes_made_stale(session: Session, invitation: Invitation, questions: Mapping[str, Question],
                       answers: Mapping[str, AnswerValue], cleared: Iterable[str],
                       stored: Sequence[StoredAnswer] | None) -> list[int]:
    """Ids of free-text answers whose words this save changes or removes."""
    cleared = [k for k in cleared if k not in answers]
    keys = [k for k in (*answers, *cleared) if k in questions and questions[k].type == "text"]
    if not keys:
        return []
    rows: Sequence[Any] = [row for row in stored if row.question_key in keys] if stored is not None else \
        session.execute(select(Answer.id, Answer.question_key, Answer.free_text).where(
            Answer.invitation_id == invitation.id, Answer.question_key.in_(keys))).all()
    return [row.id for row in rows
            if row.question_key in cleared or str(answers.get(row.question_key)) != (row.free_text or "")]


def _answers_after(questions: Mapping[str, Question], stored: Sequence[StoredAnswer],
                   answers: Mapping[str, AnswerValue], cleared: Iterable[str]) -> dict[str, AnswerValue]:
    """What ``answers_of`` reads after a save, worked out from the answers stored before it.

    Exact while nothing else writes the invitation's answers in between: the caller read
    ``stored`` in this transaction with the invitation row locked.
    """
    rows = {row.question_key: row for row in stored}
    for key, value in answers.items():
        columns = to_columns(questions[key], value)
        rows[key] = StoredAnswer(0, key, columns["value"], columns["value_num"], columns["free_text"], False)
    for key in cleared:
        rows.pop(key, None)
    return _values(questions, rows.values())


def save_answers(session: Session, invitation: Invitation, answers: Mapping[str, AnswerValue], *,
                 channel: str, skipped: Iterable[str] = (), cleared: Iterable[str] = (),
                 finished: bool = False, raw_text: str | None = None, raw_question: str | None = None,
                 now: datetime | None = None, stored: Sequence[StoredAnswer] | None = None,
                 write_later: bool = False, screened: Mapping[str, Screening] | None = None,
                 inbound_message_id: int | None = None) -> Saved:
    """Store answers (one row per question, updated on change), update status, raise alerts.

    ``raw_text`` is what the respondent typed when it was not itself stored as a free-text
    answer (a reply to a yes/no question, an unparsed reply): it is screened too, because a
    child may answer any question with a disclosure. ``stored``: the invitation's answers
    as read in this transaction with its row locked (``stored_answers_column``), which
    spares reading them again; with it, ``write_later`` leaves the answers' rows to the
    caller (``Saved.unwritten``), who writes them with the turn's other writes
    (``save_state_and_queue``) before anything reads them. ``screened``: texts the caller
    screened already (text -> ``storage.alerts.screen_text``), not screened twice.
    Every text is screened in the invitation's language (Welsh forms in Welsh and English).
    """
    now = now or utcnow()
    cleared = list(cleared)
    form = form_of(invitation)
    questions = {q.key: q for q in form.questions}
    result = Saved()
    screened_texts: set[str] = set()
    stale_quotes = _quotes_made_stale(session, invitation, questions, answers, cleared, stored)
    for key, value in answers.items():
        question = questions.get(key)
        if question is None:
            raise KeyError(f"form {form.id} has no question {key!r}")
        row = {"invitation_id": invitation.id, "question_key": key, "skipped": False, "channel": channel,
               "answered_at": now, **to_columns(question, value)}
        if write_later and stored is not None:
            result.unwritten.append(row)
        else:
            write_answer(session, row)
        result.recorded.append(key)
        if question.type == "text":
            screened_texts.add(str(value))
            result.alerts.extend(_screen_text(session, invitation, key, str(value), now, channel, screened,
                                              inbound_message_id))
        elif answer_signals(question, value):
            result.alerts.append(raise_alert(session, invitation, question_key=key,
                                             reason=f"answer to {key} signals danger", categories="answer_signal",
                                             excerpt=None, now=now, channel=channel,
                                             inbound_message_id=inbound_message_id))
    for key in skipped:
        if key in questions:
            insert_ignore(session, Answer, {"invitation_id": invitation.id, "question_key": key, "skipped": True,
                                            "channel": channel, "answered_at": now}, ["invitation_id", "question_key"])
    if stale_quotes:
        # A child who changes or takes back their words takes back the quote made of them too.
        session.execute(delete(Quote).where(Quote.answer_id.in_(stale_quotes)))
    cleared = [k for k in cleared if k not in answers]
    if cleared:
        session.execute(delete(Answer).where(Answer.invitation_id == invitation.id, Answer.question_key.in_(cleared)))
    if raw_text and raw_text.strip() and raw_text not in screened_texts:
        result.alerts.extend(_screen_text(session, invitation, raw_question, raw_text, now, channel, screened,
                                          inbound_message_id))
    if stored is not None:
        current = _answers_after(questions, stored, answers, cleared)
    else:
        session.flush()
        current = answers_of(session, invitation)
    result.received = is_received(form, respondent_for(invitation), current)
    if invitation.received != result.received:
        invitation.received = result.received  # set only on a change: setting it at all costs a flush
    if current or skipped:
        set_status(session, invitation, "opened", now=now)
    if finished:
        set_status(session, invitation, "completed", now=now)
    elif current:
        set_status(session, invitation, "partial", now=now)
    result.status = invitation.status
    return result


def _screen_text(session: Session, invitation: Invitation, question_key: str | None, text: str,
                 now: datetime, channel: str | None = None, screened: Mapping[str, Screening] | None = None,
                 inbound_message_id: int | None = None) -> list[Alert]:
    """Screen one text (unless the caller did) and raise the alert it calls for."""
    found = screened.get(text) if screened else None
    if found is None:
        found = screen_text(text, invitation.language)
    alert = raise_for_screening(session, invitation, found, question_key=question_key, excerpt=text, now=now,
                                channel=channel, inbound_message_id=inbound_message_id)
    return [alert] if alert is not None else []


def screen_unsaved(session: Session, invitation: Invitation, texts: Mapping[str | None, str], *, channel: str,
                   now: datetime | None = None) -> list[Alert]:
    """Screen words that are not being stored as answers (too long, not applying, refused):
    a child's words are read whether or not they fit the form. One alert per question and
    words: an open alert for the same words is not raised again when the page is sent again.
    """
    now = now or utcnow()
    questions = {q.key: q for q in form_of(invitation).questions}
    alerts: list[Alert] = []
    for key, words in texts.items():
        if not isinstance(words, str) or not words.strip():
            continue
        found = screen_text(words, invitation.language)
        free_text = key not in questions or questions[key].type == "text"
        if not (found.flagged or (found.not_screened and free_text)):
            continue  # an option key in another language needs no reading
        again = session.scalar(select(Alert.id).where(Alert.invitation_id == invitation.id, Alert.excerpt == words,
                                                      Alert.status != "closed").limit(1))
        if again is not None:
            continue
        alert = raise_for_screening(session, invitation, found, question_key=key, excerpt=words, now=now,
                                    channel=channel)
        if alert is not None:
            alerts.append(alert)
    return alerts
