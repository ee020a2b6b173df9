"""One form answered partly on the web and partly by SMS ends complete, each answer stored once."""

from __future__ import annotations

from itertools import count

from sqlalchemy import func, select

from bot.dispatcher import Inbound, dispatch
from storage.models import Answer, Invitation
from storage.responses import form_of, respondent_for
from surveys import engine
from tests.conftest import csrf_token_from
from tests.held_transaction import waits_for_held
from tests.web.respondent_data import make_invitation

PHONE = "+447400123456"
_ids = count(1)


def _sms(app, text: str):  # noqa: ANN001, ANN202
    """An SMS reply from the respondent, through the real dispatcher."""
    with app.extensions["db"].session() as session:
        return dispatch(session, Inbound(channel="sms", provider_id=f"SM{next(_ids):032d}", sender=PHONE, text=text))


def _rows(app, invitation_id: int) -> list[Answer]:  # noqa: ANN001
    with app.extensions["db"].session() as session:
        return list(session.scalars(select(Answer).where(Answer.invitation_id == invitation_id)
                                    .order_by(Answer.question_key)).all())


def test_half_on_the_web_half_by_sms_ends_complete_with_each_answer_once(app, client):
    invitation_id, token = make_invitation(app.extensions["db"], "carer_after", "carer", channel="sms",
                                           contact=PHONE)
    page = client.get(f"/f/{token}/form").get_data(as_text=True)
    web_half = {"spoke_iro": "yes", "understand_role": "yes", "understand_recommendations": "no",
                "going_well_recognised": "yes"}
    response = client.post(f"/f/{token}/form", data={"csrf_token": csrf_token_from(page), "action": "save",
                                                     **web_half})
    assert response.status_code == 302
    with app.extensions["db"].session() as session:
        state = session.get(Invitation, invitation_id).state
    assert state["current"] == "supported_attend"  # where SMS carries on

    sms_half = {"supported_attend": "yes", "child_views_heard": "no", "share_views": "yes",
                "notes_accurate": "yes"}
    for key, text in sms_half.items():
        result = _sms(app, {"yes": "Yes", "no": "nope"}[text])
        assert result.recorded == [key], (key, result.outcome)
    result = _sms(app, "The IRO rang me before the review, which helped.")
    assert result.recorded == ["comment"] and result.complete

    rows = _rows(app, invitation_id)
    assert len(rows) == len({r.question_key for r in rows}) == 9  # each answer stored once
    assert {r.question_key: r.value for r in rows if r.question_key != "comment"} == {**web_half, **sms_half}
    assert {r.question_key for r in rows if r.channel == "web"} == set(web_half)
    assert {r.question_key for r in rows if r.channel == "sms"} == {*sms_half, "comment"}
    with app.extensions["db"].session() as session:
        invitation = session.get(Invitation, invitation_id)
        assert invitation.status == "completed" and invitation.received is True
    # The web link now says it was sent, and a late web post changes nothing.
    assert client.get(f"/f/{token}").status_code == 410
    late = client.post(f"/f/{token}/form", data={"csrf_token": csrf_token_from(page), "action": "send",
                                                 "spoke_iro": "no"})
    assert late.status_code == 410
    assert [r.value for r in _rows(app, invitation_id) if r.question_key == "spoke_iro"] == ["yes"]


def test_started_by_sms_the_web_link_carries_on_at_the_next_question(app, client):
    db = app.extensions["db"]
    invitation_id, token = make_invitation(db, "child_before", "child", age=11, channel="sms", contact=PHONE)
    with db.session() as session:
        invitation = session.get(Invitation, invitation_id)
        turn = engine.start(form_of(invitation), respondent_for(invitation))
        invitation.state = turn.state.to_dict()
    assert turn.prompt.key == "talk_about"
    assert _sms(app, "2").recorded == ["talk_about"]  # School
    assert _sms(app, "happy").recorded == ["feeling"]
    response = client.get(f"/f/{token}")
    assert response.headers["Location"].endswith(f"/f/{token}/q/safe_home_score?resumed=1")
    page = client.get(f"/f/{token}/q/safe_home_score").get_data(as_text=True)
    assert "Question 3 of" in page
    client.post(f"/f/{token}/q/safe_home_score", data={"csrf_token": csrf_token_from(page), "action": "next",
                                                       "safe_home_score": "9"})
    # ... and SMS carries on after the web answer.
    assert _sms(app, "7").recorded == ["enjoy_school_score"]
    with db.session() as session:
        counts = dict(session.execute(select(Answer.channel, func.count()).where(
            Answer.invitation_id == invitation_id).group_by(Answer.channel)).all())
    assert counts == {"sms": 3, "web": 1}


def test_the_same_question_answered_by_sms_and_then_on_an_open_web_page_is_stored_once(app, client):
    """The page was open at a question while the child texted its answer: the later answer wins."""
    db = app.extensions["db"]
    invitation_id, token = make_invitation(db, "child_before", "child", age=11, channel="sms", contact=PHONE)
    page = client.get(f"/f/{token}/q/talk_about").get_data(as_text=True)  # the page is open here
    with db.session() as session:
        invitation = session.get(Invitation, invitation_id)
        invitation.state = engine.start(form_of(invitation), respondent_for(invitation)).state.to_dict()
    assert _sms(app, "2").recorded == ["talk_about"]  # School, by text
    response = client.post(f"/f/{token}/q/talk_about", data={"csrf_token": csrf_token_from(page),
                                                             "action": "next", "talk_about": "home"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/f/{token}/q/feeling")
    rows = [r for r in _rows(app, invitation_id) if r.question_key == "talk_about"]
    assert [(r.value, r.channel) for r in rows] == [("home", "web")]
    # SMS carries on at the next question, not at the one answered twice.
    assert _sms(app, "happy").recorded == ["feeling"]
    assert len(_rows(app, invitation_id)) == 2


def test_web_save_while_an_sms_answer_is_stored_waits_and_carries_on_from_it(app, client):
    """The web save waits for the SMS answer's transaction, so its state counts that answer too.

    Without the wait (PostgreSQL, no row lock) the web save would read the answers from
    before the text and write back a state that asks the texted question again.
    """
    db = app.extensions["db"]
    invitation_id, token = make_invitation(db, "carer_after", "carer", channel="sms", contact=PHONE)
    assert _sms(app, "hi").outcome == "started"  # asks spoke_iro
    page = client.get(f"/f/{token}/form").get_data(as_text=True)

    def text_in_flight(session) -> object:  # noqa: ANN001
        return dispatch(session, Inbound(channel="sms", provider_id=f"SM{next(_ids):032d}", sender=PHONE, text="yes"))

    def web_save() -> int:
        return client.post(f"/f/{token}/form", data={
            "csrf_token": csrf_token_from(page), "action": "save", "understand_role": "yes"}).status_code

    _, status, waited = waits_for_held(db, text_in_flight, web_save)
    assert waited, "the web save did not wait for the SMS answer"
    assert status == 302
    assert {r.question_key: r.value for r in _rows(app, invitation_id)} == {"spoke_iro": "yes",
                                                                             "understand_role": "yes"}
    with db.session() as session:
        assert session.get(Invitation, invitation_id).state["current"] == "understand_recommendations"
