"""The "to read" list (storage.reading): what is an item, due dates, marking read, alerts, purge."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from storage.alert_workflow import close, record_action
from storage.models import Alert, Answer, AuditEvent, Review, Staff
from storage.privacy import purge
from storage.reading import (
    DUE_WORKING_DAYS,
    ReadingError,
    WordsChanged,
    counts_by_iro,
    counts_for,
    due_date,
    mark_read,
    overdue_items,
    to_read,
    unread_count,
)
from storage.responses import save_answers
from storage.staff import add_staff
from surveys.forms import get_form
from surveys.schedule import ScheduleRules
from tests.storage.helpers import first_question, make_invitation, make_review

RULES = ScheduleRules()  # Europe/London, bank holidays of England
REVIEW_DAY = date(2026, 12, 8)
# The child answers three weeks before the review, in the evening.
ANSWERED = datetime(2026, 11, 17, 19, 30, tzinfo=UTC)
WORDS = "I want to see my brother more often"
TEXT_KEY = first_question(get_form("child_before"), "text").key
QUESTION = next(q for q in get_form("child_before").questions if q.key == TEXT_KEY)


def _staff(session, name: str, role: str = "iro") -> Staff:  # noqa: ANN001
    return add_staff(session, f"{name}@council.example", role, "correct-horse-battery", display_name=name.upper())


@pytest.fixture
def people(db):  # noqa: ANN001, ANN201
    with db.session() as session:
        ids = {name: _staff(session, name, role).id
               for name, role in (("iro_a", "iro"), ("iro_b", "iro"), ("manager", "manager"))}
        session.commit()
    return ids


def _answer(session, people, words: str = WORDS, *, ref: str = "R-1", role: str = "child",  # noqa: ANN001
            iro: str = "iro_a", phase: str = "consultation", review_date: date = REVIEW_DAY,
            at: datetime = ANSWERED, simulated: bool = False, age: int = 14, key: str | None = None) -> Answer:
    """A child's free-text answer stored through save_answers, as every channel stores it."""
    review = session.scalar(select(Review).where(Review.review_ref == ref))
    if review is None:
        review = make_review(session, ref, review_date=review_date, iro_id=people[iro], age=age)
        review.simulated = simulated
    form_id = {"consultation": "child_before", "feedback": "child_after"}[phase]
    if role not in ("child", "care_leaver"):
        form_id = "carer_before" if phase == "consultation" else "carer_after"
    invitation = next((i for i in review.invitations if i.role == role and i.phase == phase), None) or \
        make_invitation(session, review, role, phase=phase, form_id=form_id, contact=f"+4474001{ref[-1]}0000")
    key = key or first_question(get_form(form_id), "text").key
    save_answers(session, invitation, {key: words}, channel="sms", now=at)
    session.flush()
    return session.scalar(select(Answer).where(Answer.invitation_id == invitation.id, Answer.question_key == key))


def test_a_childs_words_are_in_their_own_iros_list_only(db, people) -> None:  # noqa: ANN001
    with db.session() as session:
        answer = _answer(session, people)
        session.commit()
        mine = to_read(session, people["iro_a"], rules=RULES)
        assert [(i.answer_id, i.text, i.question, i.review_ref, i.review_date) for i in mine] == [
            (answer.id, WORDS, QUESTION.text["en"], "R-1", REVIEW_DAY)]
        assert mine[0].question != TEXT_KEY and mine[0].unread and not mine[0].alerted
        assert to_read(session, people["iro_b"], rules=RULES) == []
        assert unread_count(session, people["iro_a"]) == 1 and unread_count(session, people["iro_b"]) == 0


def test_the_question_is_worded_as_the_child_was_asked_it(db, people) -> None:  # noqa: ANN001
    form = get_form("child_before")
    question = next(q for q in form.questions if q.type == "text" and q.variants and "under_8" in q.variants
                    and q.show_if is None)
    with db.session() as session:
        _answer(session, people, ref="R-7", age=7, key=question.key)
        item = to_read(session, people["iro_a"], rules=RULES)[0]
    assert item.question == question.variants["under_8"]["en"] != question.text["en"]


def test_only_children_and_care_leavers_and_never_a_rehearsal(db, people) -> None:  # noqa: ANN001
    with db.session() as session:
        _answer(session, people, "Settled in well", ref="R-1", role="carer")
        _answer(session, people, "I don't like my room", ref="R-2", role="care_leaver")
        _answer(session, people, "rehearsal words", ref="R-3", simulated=True)
        session.commit()
        items = to_read(session, people["iro_a"], rules=RULES)
        assert [(i.review_ref, i.role, i.text) for i in items] == [("R-2", "care_leaver", "I don't like my room")]
        late = ANSWERED + timedelta(days=60)
        assert [i.review_ref for i in overdue_items(session, now=late, rules=RULES)] == ["R-2"]
        counts = counts_for(session, people["iro_a"], now=late, rules=RULES)
        assert (counts.unread, counts.overdue, counts.read, counts.purged) == (1, 1, 0, 0)


def test_newest_review_first(db, people) -> None:  # noqa: ANN001
    with db.session() as session:
        _answer(session, people, "older review", ref="R-1", review_date=date(2026, 12, 1))
        _answer(session, people, "newer review", ref="R-2", review_date=date(2026, 12, 15))
        _answer(session, people, "newest review", ref="R-3", review_date=date(2027, 1, 5))
        assert [i.text for i in to_read(session, people["iro_a"], rules=RULES)] == [
            "newest review", "newer review", "older review"]


def test_marking_read_sets_who_and_when_and_is_audited_with_ids_only(db, people) -> None:  # noqa: ANN001
    moment = ANSWERED + timedelta(days=2)
    with db.session() as session:
        answer_id = _answer(session, people).id
        session.commit()
        item = to_read(session, people["iro_a"], rules=RULES)[0]
        iro = session.get(Staff, people["iro_a"])
        assert mark_read(session, iro, answer_id, seen=item.answered_at, now=moment) is True
        session.commit()
        answer = session.get(Answer, answer_id)
        assert (answer.read_at, answer.read_by) == (moment, people["iro_a"])
        assert to_read(session, people["iro_a"], rules=RULES) == []
        assert [i.answer_id for i in to_read(session, people["iro_a"], rules=RULES, read=True)] == [answer_id]
        assert unread_count(session, people["iro_a"]) == 0
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "answer_read")).all()
        assert [(e.staff_id, e.object_type, e.object_id) for e in events] == [
            (people["iro_a"], "answer", str(answer_id))]
        assert WORDS not in str(events[0].detail) and set(events[0].detail) == {"invitation", "review"}
        # Marking it again changes nothing and is not logged twice.
        assert mark_read(session, iro, answer_id, seen=item.answered_at, now=moment + timedelta(hours=1)) is False
        session.commit()
        assert session.get(Answer, answer_id).read_at == moment
        assert len(session.scalars(select(AuditEvent).where(AuditEvent.action == "answer_read")).all()) == 1


def test_changed_words_are_unread_again(db, people) -> None:  # noqa: ANN001
    with db.session() as session:
        answer_id = _answer(session, people).id
        seen = session.get(Answer, answer_id).answered_at
        mark_read(session, session.get(Staff, people["iro_a"]), answer_id, seen=seen, now=ANSWERED + timedelta(hours=1))
        session.commit()
        assert to_read(session, people["iro_a"], rules=RULES) == []
        # The child changes their words by text a day later (the same upsert every channel uses).
        _answer(session, people, "Actually I want to move back home", at=ANSWERED + timedelta(days=1))
        session.commit()
        items = to_read(session, people["iro_a"], rules=RULES)
        assert [(i.answer_id, i.text, i.changed_since_read) for i in items] == [
            (answer_id, "Actually I want to move back home", True)]
        # A page opened before the change cannot mark the new words read.
        with pytest.raises(WordsChanged):
            mark_read(session, session.get(Staff, people["iro_a"]), answer_id, seen=seen,
                      now=ANSWERED + timedelta(days=2))
        session.rollback()
        assert session.get(Answer, answer_id).read_at == ANSWERED + timedelta(hours=1)
        assert mark_read(session, session.get(Staff, people["iro_a"]), answer_id, seen=items[0].answered_at,
                         now=ANSWERED + timedelta(days=2)) is True


def test_only_the_childs_own_iro_marks_read(db, people) -> None:  # noqa: ANN001
    with db.session() as session:
        answer = _answer(session, people)
        carer = _answer(session, people, "carer words", role="carer")
        session.commit()
        for who in ("iro_b", "manager"):
            with pytest.raises(ReadingError):
                mark_read(session, session.get(Staff, people[who]), answer.id, seen=answer.answered_at)
        with pytest.raises(ReadingError):  # not a child's words: not an item at all
            mark_read(session, session.get(Staff, people["iro_a"]), carer.id, seen=carer.answered_at)
        session.rollback()
        assert session.get(Answer, answer.id).read_at is None
        assert session.scalars(select(AuditEvent).where(AuditEvent.action == "answer_read")).all() == []


def test_consultation_is_due_by_the_review_and_overdue_only_after_it(db, people) -> None:  # noqa: ANN001
    with db.session() as session:
        answer_id = _answer(session, people).id
        session.commit()
        assert to_read(session, people["iro_a"], rules=RULES)[0].due == REVIEW_DAY
        day_before = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
        on_the_day = datetime(2026, 12, 8, 23, 30, tzinfo=UTC)
        day_after = datetime(2026, 12, 9, 0, 30, tzinfo=UTC)
        assert overdue_items(session, now=day_before, rules=RULES) == []
        assert overdue_items(session, now=on_the_day, rules=RULES) == []
        late = overdue_items(session, now=day_after, rules=RULES)
        assert [(i.answer_id, i.iro_id, i.text) for i in late] == [(answer_id, people["iro_a"], None)]
        rows = {c.iro_id: (c.unread, c.overdue) for c in counts_by_iro(session, now=day_after, rules=RULES)}
        assert rows == {people["iro_a"]: (1, 1)}
        assert {c.iro_id: c.overdue for c in counts_by_iro(session, now=day_before, rules=RULES)} == {
            people["iro_a"]: 0}
        # Once read it is no longer overdue.
        mark_read(session, session.get(Staff, people["iro_a"]), answer_id,
                  seen=session.get(Answer, answer_id).answered_at, now=day_after)
        assert overdue_items(session, now=day_after + timedelta(days=5), rules=RULES) == []


def test_feedback_is_due_five_working_days_after_it_came() -> None:
    # Thursday 24 December 2026: Christmas, the Boxing Day substitute (Mon 28) and New Year skipped.
    arrived = datetime(2026, 12, 24, 15, 0, tzinfo=UTC)
    assert DUE_WORKING_DAYS == 5
    assert due_date("feedback", date(2026, 12, 10), arrived, RULES) == date(2027, 1, 5)
    # A consultation answer that comes on or after the review day is due the same way.
    assert due_date("consultation", date(2026, 12, 24), arrived, RULES) == date(2027, 1, 5)
    assert due_date("consultation", date(2026, 12, 29), arrived, RULES) == date(2026, 12, 29)
    # The local date counts: 23:30 UTC on a summer Sunday is already Monday in London.
    assert due_date("feedback", date(2026, 6, 1), datetime(2026, 6, 7, 23, 30, tzinfo=UTC), RULES) == \
        date(2026, 6, 15)


def test_feedback_overdue_after_five_working_days(db, people) -> None:  # noqa: ANN001
    arrived = datetime(2026, 12, 10, 16, 0, tzinfo=UTC)  # Thursday, after a review on the 8th
    with db.session() as session:
        _answer(session, people, "My IRO listened to me", phase="feedback", at=arrived)
        session.commit()
        item = to_read(session, people["iro_a"], rules=RULES)[0]
        assert (item.phase, item.due) == ("feedback", date(2026, 12, 17))
        assert overdue_items(session, now=datetime(2026, 12, 17, 20, 0, tzinfo=UTC), rules=RULES) == []
        assert len(overdue_items(session, now=datetime(2026, 12, 18, 9, 0, tzinfo=UTC), rules=RULES)) == 1


def test_an_alerted_answer_is_marked_and_closing_the_alert_does_not_mark_it_read(db, people) -> None:  # noqa: ANN001
    with db.session() as session:
        answer_id = _answer(session, people, "my dad hits me when he is drunk").id
        session.commit()
        alert = session.scalars(select(Alert)).one()
        item = to_read(session, people["iro_a"], rules=RULES)[0]
        assert item.alerted and [(a.id, a.status) for a in item.alerts] == [(alert.id, "open")]
        iro = session.get(Staff, people["iro_a"])
        record_action(alert, iro, "Spoke to the social worker", now=ANSWERED + timedelta(hours=1))
        close(alert, iro, now=ANSWERED + timedelta(hours=2))
        session.commit()
        item = to_read(session, people["iro_a"], rules=RULES)[0]
        assert (item.answer_id, item.unread, item.alerted) == (answer_id, True, True)
        assert [a.status for a in item.alerts] == ["closed"]
        assert session.get(Answer, answer_id).read_at is None


def test_an_alert_on_another_question_is_linked_but_not_alerted(db, people) -> None:  # noqa: ANN001
    with db.session() as session:
        answer = _answer(session, people)
        invitation = answer.invitation
        yes_no = first_question(get_form("child_before"), "yes_no")
        # A disclosure typed as the reply to a yes/no question is screened as raw text.
        save_answers(session, invitation, {}, channel="sms", raw_text="he hits me", raw_question=yes_no.key,
                     now=ANSWERED)
        session.commit()
        item = to_read(session, people["iro_a"], rules=RULES)[0]
        assert [a.question_key for a in item.alerts] == [yes_no.key] and not item.alerted


def test_purged_words_drop_out_but_are_counted(db, people) -> None:  # noqa: ANN001
    with db.session() as session:
        old = _answer(session, people, "old words", ref="R-1", review_date=date(2026, 1, 10),
                      at=datetime(2026, 1, 2, 10, 0, tzinfo=UTC))
        _answer(session, people, "new words", ref="R-2")
        session.commit()
        seen = old.answered_at
        purge(session, contact_days=30, free_text_days=180, now=datetime(2026, 12, 4, 2, 0, tzinfo=UTC))
        session.commit()
        assert session.get(Answer, old.id).free_text is None
        assert [i.text for i in to_read(session, people["iro_a"], rules=RULES)] == ["new words"]
        assert [i.text for i in to_read(session, people["iro_a"], rules=RULES, read=True)] == []
        now = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)
        counts = counts_for(session, people["iro_a"], now=now, rules=RULES)
        assert (counts.unread, counts.overdue, counts.read, counts.purged, counts.read_or_purged) == (1, 0, 0, 1, 1)
        assert overdue_items(session, now=now, rules=RULES) == []
        with pytest.raises(WordsChanged):
            mark_read(session, session.get(Staff, people["iro_a"]), old.id, seen=seen, now=now)


def test_counts_per_iro_and_reviews_with_no_account(db, people) -> None:  # noqa: ANN001
    now = datetime(2026, 12, 20, 12, 0, tzinfo=UTC)
    with db.session() as session:
        _answer(session, people, "a1", ref="R-1", iro="iro_a")
        _answer(session, people, "b1", ref="R-2", iro="iro_b", review_date=date(2027, 1, 12))
        read = _answer(session, people, "b2", ref="R-3", iro="iro_b")
        mark_read(session, session.get(Staff, people["iro_b"]), read.id, seen=read.answered_at, now=ANSWERED)
        nobody = make_review(session, "R-4", review_date=REVIEW_DAY, iro_email="left@council.example")
        invitation = make_invitation(session, nobody, "child", form_id="child_before")
        save_answers(session, invitation, {TEXT_KEY: "no one chairs this"}, channel="web", now=ANSWERED)
        session.commit()
        rows = {c.iro_name: (c.unread, c.overdue, c.read_or_purged) for c in counts_by_iro(session, now=now,
                                                                                           rules=RULES)}
    assert rows == {"IRO_A": (1, 1, 0), "IRO_B": (1, 0, 1), "No IRO account (left@council.example)": (1, 1, 0)}


def test_words_stamped_later_than_now_are_never_marked_read(db, people) -> None:  # noqa: ANN001
    """A clock that is out errs towards unread: nothing is marked before the words were saved."""
    with db.session() as session:
        answer = _answer(session, people)
        session.commit()
        with pytest.raises(WordsChanged):
            mark_read(session, session.get(Staff, people["iro_a"]), answer.id, seen=answer.answered_at,
                      now=ANSWERED - timedelta(minutes=1))
        session.rollback()
        assert session.get(Answer, answer.id).read_at is None
        assert len(to_read(session, people["iro_a"], rules=RULES)) == 1
