"""The paper channel: the printable letter with both QR codes, and keying in a returned form."""

from __future__ import annotations

import dataclasses
import re

import pytest
from sqlalchemy import select

from storage.models import Alert, Answer, AuditEvent, Invitation
from surveys import catalogue
from surveys.forms import get_form
from tests.conftest import csrf_token_from
from tests.web.respondent_data import make_invitation


@pytest.fixture
def config(config):  # noqa: ANN001, ANN201 - the shared config, with a Telegram bot name
    return dataclasses.replace(config, TELEGRAM_BOT_USERNAME="HaveYourSayTestBot")


def _html(response) -> str:  # noqa: ANN001
    return response.get_data(as_text=True)


def test_letter_has_review_date_both_links_as_qr_svg_and_the_questions(app, client, staff_login):
    invitation_id, token = make_invitation(app.extensions["db"], "child_before", "child", age=11, channel="paper")
    staff_login("manager")
    response = client.get(f"/dashboard/paper/{invitation_id}/letter")
    html = _html(response)
    assert response.status_code == 200
    assert "Your review is on Tuesday 8 December 2026." in html
    web = f"https://hys.example.test/f/{token}"
    telegram = f"https://t.me/HaveYourSayTestBot?start={token}"
    assert web in html and telegram in html
    svgs = re.findall(r"<svg [^>]*>", html)
    assert len(svgs) == 2 and all('role="img"' in s and "aria-label=" in s for s in svgs)
    assert f"<title>{catalogue.text('letter_qr_web')}</title>" in html
    assert html.count("<path") >= 2  # the codes are drawn inline: no image request
    assert "<img" not in html and "style=" not in html and "<script" not in html
    # The paper form's questions are printed, in this child's wording, numbered.
    form = get_form("child_before")
    assert "What would you like to talk about at your review?" in html
    assert html.count('class="paper-question"') >= len([q for q in form.questions if q.show_if is None])
    assert catalogue.text("letter_only_if", number=1) in html  # the follow-up to "something else"
    assert catalogue.text("privacy_notice").replace("'", "&#39;") in html
    with app.extensions["db"].session() as session:
        assert session.scalar(select(AuditEvent.action).where(AuditEvent.action == "paper_letter")) == "paper_letter"


def test_a_welsh_childs_letter_is_in_welsh(app, client, staff_login):
    invitation_id, _ = make_invitation(app.extensions["db"], "child_before", "child", age=11, channel="paper",
                                       language="cy")
    staff_login("manager")
    html = _html(client.get(f"/dashboard/paper/{invitation_id}/letter"))
    assert '<html lang="cy">' in html
    assert "Dyddiad eich adolygiad: Dydd Mawrth 8 Rhagfyr 2026." in html
    assert get_form("child_before").title["cy"] in html
    assert catalogue.text("letter_ways", "cy").replace("'", "&#39;") in html
    assert "Am beth hoffet ti siarad yn dy adolygiad?" in html
    assert 'class="paper-question" value="1" lang=' not in html  # every question is Welsh too
    # An English-only form for a Welsh speaker is printed in English, not half and half.
    adult_id, _ = make_invitation(app.extensions["db"], "carer_before", "carer", channel="paper", language="cy")
    html = _html(client.get(f"/dashboard/paper/{adult_id}/letter"))
    assert '<html lang="en">' in html and catalogue.text("letter_ways") in html


def test_letter_without_a_telegram_bot_offers_web_and_paper(app, client, staff_login):
    app.config["HYS"].TELEGRAM_BOT_USERNAME = None
    invitation_id, token = make_invitation(app.extensions["db"], "carer_before", "carer", channel="paper")
    staff_login("admin")
    html = _html(client.get(f"/dashboard/paper/{invitation_id}/letter"))
    assert f"/f/{token}" in html and "t.me" not in html
    assert len(re.findall(r"<svg ", html)) == 1
    html = html.replace("&#39;", "'")  # a carer's letter speaks to an adult about the child
    assert catalogue.text("letter_intro_before_adult", review_date="Tuesday 8 December 2026") in html
    assert catalogue.text("privacy_notice_adult") in html and "Childline" not in html


def test_paper_pages_are_for_managers_and_admins_only(app, client, staff_login):
    invitation_id, _ = make_invitation(app.extensions["db"], "carer_before", "carer", channel="paper")
    assert client.get(f"/dashboard/paper/{invitation_id}").status_code == 302  # login first
    staff_login("iro")
    assert client.get(f"/dashboard/paper/{invitation_id}").status_code == 403
    assert client.get(f"/dashboard/paper/{invitation_id}/letter").status_code == 403
    assert client.get("/dashboard/paper/").status_code == 403


def test_keyed_answers_are_stored_as_paper_and_count_as_received(app, client, staff_login):
    db = app.extensions["db"]
    invitation_id, _ = make_invitation(db, "carer_after", "carer", channel="paper")
    staff_login("manager")
    listing = _html(client.get("/dashboard/paper/"))
    assert f"/dashboard/paper/{invitation_id}/letter" in listing and "Paper forms" in listing
    page = client.get(f"/dashboard/paper/{invitation_id}")
    assert page.status_code == 200
    form = get_form("carer_after")
    data = {q.key: "yes" for q in form.questions if q.type == "yes_no"}
    data["notes_accurate"] = "no"
    response = client.post(f"/dashboard/paper/{invitation_id}", data={
        "csrf_token": csrf_token_from(_html(page)), **data, "comment": "Posted back\x00 by the carer."})
    assert response.status_code == 302
    with db.session() as session:
        invitation = session.get(Invitation, invitation_id)
        rows = session.scalars(select(Answer).where(Answer.invitation_id == invitation_id)).all()
        assert invitation.received is True and invitation.status == "completed"
        assert {r.question_key: r.value for r in rows if r.question_key != "comment"} == data
        assert {r.channel for r in rows} == {"paper"}
        # A stray NUL from a copy and paste is dropped (PostgreSQL would refuse the row).
        assert next(r.free_text for r in rows if r.question_key == "comment") == "Posted back by the carer."
        assert session.scalar(select(AuditEvent.action).where(AuditEvent.action == "paper_keyed"))
    flashed = _html(client.get("/dashboard/paper/"))
    assert "counts as received" in flashed


def test_keying_refuses_bad_values_without_csrf_and_screens_for_harm(app, client, staff_login):
    db = app.extensions["db"]
    invitation_id, _ = make_invitation(db, "child_before", "child", age=11, channel="paper")
    staff_login("manager")
    page = _html(client.get(f"/dashboard/paper/{invitation_id}"))
    assert client.post(f"/dashboard/paper/{invitation_id}", data={"feel_safe": "no"}).status_code == 400
    bad = client.post(f"/dashboard/paper/{invitation_id}", data={
        "csrf_token": csrf_token_from(page), "safe_home_score": "12", "talk_about": "school"})
    assert bad.status_code == 422
    assert "Please choose a number from 1 to 10." in _html(bad)
    with db.session() as session:
        assert session.scalars(select(Answer).where(Answer.invitation_id == invitation_id)).all() == []
    ok = client.post(f"/dashboard/paper/{invitation_id}", data={
        "csrf_token": csrf_token_from(page), "talk_about": ["school", "home"], "feel_safe": "no"})
    assert ok.status_code == 302
    with db.session() as session:
        invitation = session.get(Invitation, invitation_id)
        assert invitation.received is True
        alerts = session.scalars(select(Alert).where(Alert.invitation_id == invitation_id)).all()
        assert [a.question_key for a in alerts] == ["feel_safe"]
    assert "safeguarding alert" in _html(client.get("/dashboard/paper/"))


def test_the_list_puts_open_forms_first_soonest_review_first(app, client, staff_login, monkeypatch):
    """Open paper forms to print or key in come first, however long the history of closed ones."""
    from datetime import date

    from web import paper

    db = app.extensions["db"]
    old = [make_invitation(db, "carer_before", "carer", channel="paper", status="expired",
                           review_date=date(2025, 5, day))[0] for day in range(1, 5)]
    later, _ = make_invitation(db, "carer_before", "carer", channel="paper", review_date=date(2026, 12, 20))
    sooner, _ = make_invitation(db, "parent_before", "parent", channel="paper", review_date=date(2026, 12, 1))
    done, _ = make_invitation(db, "carer_after", "carer", channel="paper", status="completed",
                              review_date=date(2026, 11, 2))
    monkeypatch.setattr(paper, "PAGE_ROWS", 3)  # a short page, as 500 is to a big council
    staff_login("manager")

    def listed(url: str) -> list[int]:
        page = _html(client.get(url))
        return [int(n) for n in re.findall(r'<tr id="paper-(\d+)"', page)]

    assert listed("/dashboard/paper/") == [sooner, later]
    assert listed("/dashboard/paper/?show=closed") == [done, old[3], old[2]]
    # A closed form is listed, not offered to print or key in (those pages refuse it).
    closed = _html(client.get("/dashboard/paper/?show=closed"))
    assert f"/dashboard/paper/{done}" not in closed and "Closed: no longer printed or keyed in" in closed


def test_keying_in_waits_for_an_answer_in_flight_and_counts_it(app, client, staff_login):
    """Keying in locks the invitation first, as the web form and the conversation do: an answer
    being saved on another channel at that moment is waited for and counted in "received"."""
    from storage.responses import save_answers
    from tests.held_transaction import waits_for_held

    db = app.extensions["db"]
    invitation_id, _ = make_invitation(db, "carer_after", "carer", channel="paper")
    staff_login("manager")
    page = _html(client.get(f"/dashboard/paper/{invitation_id}"))
    form = get_form("carer_after")
    required = [q.key for q in form.questions if q.required]
    assert required, "carer_after has required questions"
    first, rest = required[0], {q.key: "yes" for q in form.questions if q.type == "yes_no" and q.key != required[0]}

    def web_answer_in_flight(session) -> None:  # noqa: ANN001
        invitation = session.get(Invitation, invitation_id, with_for_update=True)
        save_answers(session, invitation, {first: "yes"}, channel="web")

    def key_in() -> int:
        return client.post(f"/dashboard/paper/{invitation_id}",
                           data={"csrf_token": csrf_token_from(page), **rest}).status_code

    _, status, waited = waits_for_held(db, web_answer_in_flight, key_in)
    assert waited, "keying in did not wait for the answer in flight"
    assert status == 302
    with db.session() as session:
        invitation = session.get(Invitation, invitation_id)
        keys = set(session.scalars(select(Answer.question_key).where(Answer.invitation_id == invitation_id)))
        assert first in keys and set(rest) <= keys
        assert invitation.received is True and invitation.status == "completed"
