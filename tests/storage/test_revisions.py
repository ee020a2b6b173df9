"""Replaced answers are kept (storage.revisions), then purged, exported and erased with the child's data."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from sqlalchemy import func, select

from storage.models import AnswerRevision, Invitation
from storage.privacy import erase_child, export_as_csv, purge, subject_access_export
from storage.responses import form_of, save_answers
from storage.revisions import keep_replaced, revisions_of
from storage.staff import add_staff
from tests.storage.helpers import first_question, make_invitation, make_review

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
OLD_WORDS = "the words I typed on my phone"


def _utc(moment: datetime) -> datetime:
    """A stored moment as an aware datetime (SQLite gives it back naive, in UTC)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _answered(session, ref: str, review_date: date, words: str = OLD_WORDS):  # noqa: ANN001, ANN202
    review = make_review(session, ref, review_date=review_date)
    invitation = make_invitation(session, review, "child", channel="paper", contact=None)
    form = form_of(invitation)
    yes_no, text = first_question(form, "yes_no"), first_question(form, "text")
    save_answers(session, invitation, {yes_no.key: "yes", text.key: words}, channel="web",
                 now=datetime.combine(review_date, datetime.min.time(), tzinfo=UTC))
    return invitation, yes_no.key, text.key


def test_only_answers_that_change_are_kept_with_who_when_and_how(db):
    with db.session() as session:
        staff = add_staff(session, "manager.rev@council.example", "manager")
        invitation, yes_key, text_key = _answered(session, "REV1", date(2026, 10, 1))
        unanswered = next(q.key for q in form_of(invitation).questions
                          if q.type == "yes_no" and q.key != yes_key and q.show_if is None)
        # yes_no keyed the same but through paper: its channel changes, so it is kept too;
        # a question never answered before has nothing to keep.
        kept = keep_replaced(session, invitation, {yes_key: "yes", text_key: "keyed words", unanswered: "no"},
                             channel="paper", staff_id=staff.id, now=NOW)
        assert kept == 2
        save_answers(session, invitation, {yes_key: "yes", text_key: "keyed words", unanswered: "no"},
                     channel="paper", now=NOW)
        # The same again, now stored from paper: nothing changes, nothing more is kept.
        assert keep_replaced(session, invitation, {yes_key: "yes", text_key: "keyed words"},
                             channel="paper", staff_id=staff.id, now=NOW) == 0
        rows = revisions_of(session, invitation.id)
        assert [(r.question_key, r.value, r.free_text, r.channel, r.replaced_via, r.replaced_by) for r in rows] == [
            (yes_key, "yes", None, "web", "paper", staff.id), (text_key, None, OLD_WORDS, "web", "paper", staff.id)]
        assert {_utc(r.replaced_at) for r in rows} == {NOW}
        assert all(_utc(r.answered_at) == datetime(2026, 10, 1, tzinfo=UTC) for r in rows)


def test_purge_clears_revision_text_on_the_free_text_schedule(db):
    with db.session() as session:
        old, _, old_text = _answered(session, "REVOLD", date(2025, 1, 1), "old words to forget")
        recent, _, recent_text = _answered(session, "REVNEW", date(2026, 11, 1), "recent words to keep")
        keep_replaced(session, old, {old_text: "x"}, channel="paper", staff_id=None, now=NOW)
        keep_replaced(session, recent, {recent_text: "y"}, channel="paper", staff_id=None, now=NOW)
    with db.session() as session:
        dry = purge(session, contact_days=90, free_text_days=365, now=NOW, dry_run=True)
        assert dry.counts["free-text answer revisions"] == 1
        assert session.scalar(select(func.count()).select_from(AnswerRevision)
                              .where(AnswerRevision.free_text.is_not(None))) == 2  # a dry run changes nothing
        done = purge(session, contact_days=90, free_text_days=365, now=NOW)
        assert done.counts["free-text answer revisions"] == 1
    with db.session() as session:
        texts = dict(session.execute(select(AnswerRevision.invitation_id, AnswerRevision.free_text)).all())
        assert texts == {old.id: None, recent.id: "recent words to keep"}
        # The row stays (who replaced what, when), only the words go; a second run finds nothing.
        assert session.scalar(select(func.count()).select_from(AnswerRevision)) == 2
        assert purge(session, contact_days=90, free_text_days=365, now=NOW).counts[
            "free-text answer revisions"] == 0


def test_a_childs_export_holds_their_revisions_and_erasure_removes_them(db):
    with db.session() as session:
        mine, _, my_text = _answered(session, "REVA", date(2026, 10, 1), "=HYPERLINK(\"http://x\",\"mine\")")
        other, _, other_text = _answered(session, "REVB", date(2026, 10, 1), "someone else's words")
        keep_replaced(session, mine, {my_text: "a"}, channel="paper", staff_id=None, now=NOW)
        keep_replaced(session, other, {other_text: "b"}, channel="paper", staff_id=None, now=NOW)
    with db.session() as session:
        export = subject_access_export(session, "C-REVA")
    [revision] = export["tables"]["answer_revisions"]
    assert revision["invitation_id"] == mine.id and revision["free_text"].startswith("=HYPERLINK")
    assert "someone else's words" not in json.dumps(export)
    csv_text = export_as_csv(export)
    assert "answer_revisions" in csv_text and "'=HYPERLINK" in csv_text
    with db.session() as session:
        counts = erase_child(session, "C-REVA")
        assert counts["answer_revisions"] == 1
    with db.session() as session:
        assert [r.invitation_id for r in session.scalars(select(AnswerRevision))] == [other.id]
        assert session.get(Invitation, mine.id) is None
