"""Keep an answer as it was before it is replaced, so nobody's words are lost without a trace.

Keying in a paper form may replace answers already stored: a second key-in correcting
the first, or a question the respondent answered on the web form or by text before the
paper form came back. ``keep_replaced`` copies each stored answer that the new answers
would change into ``answer_revisions`` (who replaced it, when, through which channel),
in the caller's transaction and before the answers are written. An answer keyed again
unchanged (same value, same channel) is not copied: nothing of it is lost.

The revisions hold the same words as answers: ``storage.privacy`` purges their free text
on the answers' schedule and exports and erases them with the child's other records.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Answer, AnswerRevision, Invitation, utcnow
from storage.responses import AnswerValue, form_of, to_columns

_COMPARED = ("value", "value_num", "free_text", "skipped", "channel")


def keep_replaced(session: Session, invitation: Invitation, answers: Mapping[str, AnswerValue], *,
                  channel: str, staff_id: int | None, now: datetime | None = None) -> int:
    """Copy into ``answer_revisions`` every stored answer that ``answers`` (about to be saved
    through ``channel``) would change; the number copied.

    Call it with the invitation's row locked and before ``save_answers`` writes, so the
    copy is of the answer that is overwritten.
    """
    if not answers:
        return 0
    now = now or utcnow()
    questions = {q.key: q for q in form_of(invitation).questions}
    # Columns, not Answer objects: save_answers updates the rows with a Core upsert, and an
    # object left in the session would go on showing the old answer.
    stored = session.execute(select(Answer.question_key, Answer.value, Answer.value_num, Answer.free_text,
                                    Answer.skipped, Answer.channel, Answer.answered_at)
                             .where(Answer.invitation_id == invitation.id,
                                    Answer.question_key.in_(list(answers)))).all()
    kept = 0
    for row in stored:
        question = questions.get(row.question_key)
        if question is None:
            continue
        new = {**to_columns(question, answers[row.question_key]), "skipped": False, "channel": channel}
        if all(getattr(row, name) == new[name] for name in _COMPARED):
            continue
        session.add(AnswerRevision(
            invitation_id=invitation.id, question_key=row.question_key, value=row.value,
            value_num=row.value_num, free_text=row.free_text, skipped=row.skipped, channel=row.channel,
            answered_at=row.answered_at, replaced_at=now, replaced_by=staff_id, replaced_via=channel))
        kept += 1
    if kept:
        session.flush()
    return kept


def revisions_of(session: Session, invitation_id: int) -> list[AnswerRevision]:
    """An invitation's replaced answers, oldest first."""
    return list(session.scalars(select(AnswerRevision).where(AnswerRevision.invitation_id == invitation_id)
                                .order_by(AnswerRevision.id)))
