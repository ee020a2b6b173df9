"""The paper pages open only open paper invitations, and a key-in keeps what it replaces.

A manager keys in returned paper forms at /dashboard/paper/<invitation id>. Before this
guard the page opened any invitation: a child's web answers were shown there unredacted
and could be overwritten, with no trace of the child's own words.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from storage.models import Answer, AnswerRevision, AuditEvent, Invitation
from storage.responses import save_answers
from tests.conftest import csrf_token_from
from tests.web.respondent_data import make_invitation

CHILD_WORDS = "MY OWN WEB WORDS about home"
CARER_WEB_WORDS = "CARER WEB WORDS typed on the phone"
ANSWERED_AT = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)


def _html(response) -> str:  # noqa: ANN001
    return response.get_data(as_text=True)


def _answer(db, invitation_id: int, answers: dict, channel: str) -> None:  # noqa: ANN001
    with db.session() as session:
        invitation = session.get(Invitation, invitation_id, with_for_update=True)
        save_answers(session, invitation, answers, channel=channel, now=ANSWERED_AT)


def _answers(db, invitation_id: int) -> dict[str, tuple]:  # noqa: ANN001
    with db.session() as session:
        return {r.question_key: (r.value, r.free_text, r.channel) for r in session.scalars(
            select(Answer).where(Answer.invitation_id == invitation_id))}


def _token(client) -> str:  # noqa: ANN001
    return csrf_token_from(_html(client.get("/dashboard/paper/")))


def test_a_web_invitation_is_refused_and_its_answers_are_never_shown(app, client, staff_login):
    db = app.extensions["db"]
    invitation_id, _ = make_invitation(db, "child_before", "child", age=13, channel="web")
    _answer(db, invitation_id, {"talk_about": ["school"], "wishes": CHILD_WORDS, "feel_safe": "yes"}, "web")
    before = _answers(db, invitation_id)
    staff_login("manager")

    page = client.get(f"/dashboard/paper/{invitation_id}")
    assert page.status_code == 404
    html = _html(page)
    assert "Not a paper form" in html and "its channel is web" in html
    assert CHILD_WORDS not in html and 'name="wishes"' not in html  # no form, no answers
    letter = client.get(f"/dashboard/paper/{invitation_id}/letter")
    assert letter.status_code == 404 and CHILD_WORDS not in _html(letter)

    overwrite = client.post(f"/dashboard/paper/{invitation_id}", data={
        "csrf_token": _token(client), "talk_about": ["home"], "wishes": "keyed over the child", "feel_safe": "no"})
    assert overwrite.status_code == 404 and CHILD_WORDS not in _html(overwrite)
    assert _answers(db, invitation_id) == before  # the child's words are untouched
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(AnswerRevision)) == 0
        # Nothing was viewed or keyed: no audit entry says otherwise.
        assert not session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action.in_(("view_answers", "paper_keyed", "paper_letter"))))


@pytest.mark.parametrize("status", ["completed", "expired", "declined", "opted_out"])
def test_a_closed_paper_invitation_is_refused(app, client, staff_login, status):
    db = app.extensions["db"]
    invitation_id, _ = make_invitation(db, "carer_after", "carer", channel="paper")
    _answer(db, invitation_id, {"spoke_iro": "yes", "comment": CARER_WEB_WORDS}, "paper")
    with db.session() as session:
        session.get(Invitation, invitation_id).status = status
    before = _answers(db, invitation_id)
    staff_login("manager")

    page = client.get(f"/dashboard/paper/{invitation_id}")
    assert page.status_code == 409
    html = _html(page)
    assert "This paper form is closed" in html and status.replace("_", " ") in html
    assert CARER_WEB_WORDS not in html
    assert client.get(f"/dashboard/paper/{invitation_id}/letter").status_code == 409
    response = client.post(f"/dashboard/paper/{invitation_id}", data={
        "csrf_token": _token(client), "spoke_iro": "no", "comment": "keyed after the close"})
    assert response.status_code == 409
    assert _answers(db, invitation_id) == before


def test_an_unknown_form_number_is_a_404_page(app, client, staff_login):
    staff_login("admin")
    response = client.get("/dashboard/paper/987654")
    assert response.status_code == 404 and "There is no paper form number 987654." in _html(response)


def test_a_second_key_in_keeps_the_first_in_answer_revisions(app, client, staff_login):
    db = app.extensions["db"]
    invitation_id, _ = make_invitation(db, "carer_after", "carer", channel="paper")
    manager = staff_login("manager")

    # First key-in: the required question was missed, so the form stays open.
    page = client.get(f"/dashboard/paper/{invitation_id}")
    first = client.post(f"/dashboard/paper/{invitation_id}", data={
        "csrf_token": csrf_token_from(_html(page)), "understand_role": "yes", "comment": "Frist keying, typo"})
    assert first.status_code == 302
    with db.session() as session:
        invitation = session.get(Invitation, invitation_id)
        assert invitation.received is False and invitation.status == "partial"
    assert "the form stays open to key in the rest" in _html(client.get("/dashboard/paper/"))

    # Second key-in corrects the comment and adds the missing answer; the page shows the first.
    page = client.get(f"/dashboard/paper/{invitation_id}")
    assert page.status_code == 200 and "Frist keying, typo" in _html(page)
    second = client.post(f"/dashboard/paper/{invitation_id}", data={
        "csrf_token": csrf_token_from(_html(page)), "understand_role": "yes", "spoke_iro": "yes",
        "comment": "First keying, corrected"})
    assert second.status_code == 302
    assert _answers(db, invitation_id)["comment"] == (None, "First keying, corrected", "paper")
    with db.session() as session:
        invitation = session.get(Invitation, invitation_id)
        assert invitation.received is True and invitation.status == "completed"
        revisions = session.scalars(select(AnswerRevision).where(
            AnswerRevision.invitation_id == invitation_id)).all()
        # Only what changed is kept: understand_role was keyed the same again.
        assert [(r.question_key, r.free_text, r.channel, r.replaced_via, r.replaced_by) for r in revisions] == [
            ("comment", "Frist keying, typo", "paper", "paper", manager)]
        assert revisions[0].answered_at is not None and revisions[0].replaced_at is not None
        keyed = session.scalars(select(AuditEvent).where(AuditEvent.action == "paper_keyed")
                                .order_by(AuditEvent.id)).all()
        assert [e.detail["replaced"] for e in keyed] == [0, 1]
        assert all("keying" not in str(e.detail) for e in keyed)  # counts only, no words
    assert "1 earlier answer(s) replaced" in _html(client.get("/dashboard/paper/"))
    # Now complete, the form is closed to keying.
    assert client.get(f"/dashboard/paper/{invitation_id}").status_code == 409


def test_answers_given_on_the_web_are_hidden_on_the_key_in_page_and_kept_when_replaced(app, client, staff_login):
    """The letter offers the web form too: what the carer typed there is not the paper's to show,
    and a paper answer to the same question keeps the web answer in the history."""
    db = app.extensions["db"]
    invitation_id, _ = make_invitation(db, "carer_after", "carer", channel="paper")
    _answer(db, invitation_id, {"understand_role": "no", "comment": CARER_WEB_WORDS}, "web")
    staff_login("manager")

    page = client.get(f"/dashboard/paper/{invitation_id}")
    html = _html(page)
    assert page.status_code == 200
    assert CARER_WEB_WORDS not in html
    assert "2 question(s) were answered on another channel" in html
    assert "checked" not in html  # no web answer pre-filled
    with db.session() as session:
        viewed = session.scalar(select(AuditEvent).where(AuditEvent.action == "view_answers"))
        assert viewed.detail["answers"] == 0

    response = client.post(f"/dashboard/paper/{invitation_id}", data={
        "csrf_token": csrf_token_from(html), "spoke_iro": "yes", "comment": "Paper words"})
    assert response.status_code == 302
    stored = _answers(db, invitation_id)
    assert stored["comment"] == (None, "Paper words", "paper")
    assert stored["understand_role"] == ("no", None, "web")  # not keyed on paper: left alone
    with db.session() as session:
        [revision] = session.scalars(select(AnswerRevision)).all()
        assert (revision.question_key, revision.free_text, revision.channel, revision.replaced_via) == (
            "comment", CARER_WEB_WORDS, "web", "paper")
        answered = revision.answered_at
        assert (answered if answered.tzinfo else answered.replace(tzinfo=UTC)) == ANSWERED_AT
