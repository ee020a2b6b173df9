"""No feedback survey accepts an answer before its review date, on any path.

The post-review survey asks "how did your review go?": before the review has happened it
neither opens nor takes answers, by SMS, Telegram, the web link, paper key-in or the
simulator, and a child with a consultation open who texts is in the consultation. The
review date is the council's (Europe/London), from the one clock. Through the real
webhooks (signed Twilio posts, Telegram's secret header) with the real clients sending
to the fakes.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from bot.base import InboundMessage as Inbound
from bot.dispatcher import dispatch
from storage.models import Answer, Invitation
from surveys import engine
from surveys.forms import get_form
from tests.bot._helpers import local_today, make_invitation
from tests.conftest import csrf_token_from
from tests.fakes.fixtures import random_chat_id
from tests.fakes.telegram_fake import message_update, start_update
from tests.fakes.twilio_fake import inbound_sms_form
from tests.web import respondent_data
from tests.web.test_webhooks_conversation import _answer_for

PHONE = "+447400100321"
SMS_PATH = "/webhooks/twilio/sms"


def _answers(app, invitation_id: int) -> int:
    with app.extensions["db"].session() as session:
        return session.scalar(select(func.count()).select_from(Answer).where(Answer.invitation_id == invitation_id))


def _invite(app, **kwargs) -> tuple[int, str]:
    with app.extensions["db"].session() as session:
        invitation = make_invitation(session, **kwargs)
        session.commit()
        return invitation.id, invitation.token


def _not_yet_text(day: date) -> str:
    days = engine.text("date_days").split(",")
    months = engine.text("date_months").split(",")
    return engine.text("feedback_not_yet", review_date=f"{days[day.weekday()]} {day.day} {months[day.month - 1]}")


def test_sms_before_the_review_goes_to_the_open_consultation(channel_app, twilio_post, twilio_fake):
    """Both forms open, the feedback invitation even sent early: the text is the consultation's."""
    review_day = local_today() + timedelta(days=6)
    before_id, _ = _invite(channel_app, form_id="child_before", contact=PHONE, review_date=review_day)
    after_id, _ = _invite(channel_app, form_id="child_after", contact=PHONE, review_date=review_day)
    twilio_post(SMS_PATH, inbound_sms_form(PHONE, "Hi"))
    body = twilio_fake.sent(PHONE)[0]["Body"]
    assert get_form("child_before").intro["en"].strip()[:30] in body
    assert "How did it go" not in " ".join(m["Body"] for m in twilio_fake.sent(PHONE))
    with channel_app.extensions["db"].session() as session:
        current = session.get(Invitation, before_id).state["current"]
    question = next(q for q in get_form("child_before").questions if q.key == current)
    twilio_post(SMS_PATH, inbound_sms_form(PHONE, _answer_for(question)))
    assert _answers(channel_app, before_id) == 1
    assert _answers(channel_app, after_id) == 0


def test_no_feedback_survey_accepts_an_answer_before_its_review_date_by_sms(channel_app, twilio_post,
                                                                              twilio_fake):
    review_day = local_today() + timedelta(days=6)
    invitation_id, _ = _invite(channel_app, form_id="child_after", contact=PHONE, review_date=review_day)
    for text in ("Hi", "yes", "It was good"):
        twilio_post(SMS_PATH, inbound_sms_form(PHONE, text))
        assert twilio_fake.sent(PHONE)[-1]["Body"] == _not_yet_text(review_day)
    assert _answers(channel_app, invitation_id) == 0
    with channel_app.extensions["db"].session() as session:
        invitation = session.get(Invitation, invitation_id)
        assert invitation.state is None and invitation.status == "sent"


def test_no_feedback_survey_accepts_an_answer_before_its_review_date_on_telegram(channel_app, telegram_post,
                                                                                   telegram_fake):
    review_day = local_today() + timedelta(days=1)
    invitation_id, token = _invite(channel_app, form_id="child_after", channel="telegram", contact=None,
                                   review_date=review_day)
    chat_id = random_chat_id()
    assert telegram_post(start_update(chat_id, token)).status_code == 200
    assert telegram_fake.calls("sendMessage")[-1]["text"] == _not_yet_text(review_day)
    assert telegram_post(message_update(chat_id, "yes")).status_code == 200
    assert telegram_fake.calls("sendMessage")[-1]["text"] == _not_yet_text(review_day)
    assert not any("reply_markup" in m for m in telegram_fake.calls("sendMessage"))  # no question was asked
    assert _answers(channel_app, invitation_id) == 0


def test_a_disclosure_before_the_review_still_reaches_a_person(channel_app, twilio_post, twilio_fake):
    from storage.models import Alert

    review_day = local_today() + timedelta(days=6)
    invitation_id, _ = _invite(channel_app, form_id="child_after", contact=PHONE, review_date=review_day)
    twilio_post(SMS_PATH, inbound_sms_form(PHONE, "my dad hits me and I am scared to go home"))
    assert twilio_fake.sent(PHONE)[-1]["Body"] == engine.text("safeguarding_reply")
    with channel_app.extensions["db"].session() as session:
        assert session.scalars(select(Alert.invitation_id)).all() == [invitation_id]


def test_no_feedback_survey_accepts_an_answer_before_its_review_date_on_the_web(app, client):
    db = app.extensions["db"]
    review_day = local_today() + timedelta(days=3)
    invitation_id, token = respondent_data.make_invitation(db, "child_after", "child", review_date=review_day)
    page = client.get(f"/f/{token}")
    assert page.status_code == 403
    html = page.get_data(as_text=True)
    assert engine.text("web_not_yet_title") in html
    assert respondent_data_long_date(review_day) in html
    first = get_form("child_after").questions[0].key
    assert client.get(f"/f/{token}/q/{first}").status_code == 403
    posted = client.post(f"/f/{token}/q/{first}", data={first: "yes", "action": "next"})
    assert posted.status_code in (400, 403)  # refused (CSRF or not yet), never saved
    assert _answers(app, invitation_id) == 0
    with db.session() as session:
        assert session.get(Invitation, invitation_id).status == "sent"  # not even opened
    # On the review's own date it opens.
    _, today_token = respondent_data.make_invitation(db, "child_after", "child", review_date=local_today())
    assert client.get(f"/f/{today_token}").status_code == 200


def respondent_data_long_date(day: date) -> str:
    from web.respondent import long_date

    return long_date(day, "en")


def test_no_feedback_survey_accepts_an_answer_before_its_review_date_on_paper(app, client, staff_login):
    db = app.extensions["db"]
    review_day = local_today() + timedelta(days=3)
    invitation_id, _ = respondent_data.make_invitation(db, "carer_after", "carer", channel="paper",
                                                       review_date=review_day)
    staff_login("manager")
    listing = client.get("/dashboard/paper/").get_data(as_text=True)
    page = client.get(f"/dashboard/paper/{invitation_id}")
    assert page.status_code == 409
    assert "not open yet" in page.get_data(as_text=True)
    data = {q.key: "yes" for q in get_form("carer_after").questions if q.type == "yes_no"}
    posted = client.post(f"/dashboard/paper/{invitation_id}", data={"csrf_token": csrf_token_from(listing), **data})
    assert posted.status_code == 409
    assert _answers(app, invitation_id) == 0
    # The letter can still be printed ahead of time.
    assert client.get(f"/dashboard/paper/{invitation_id}/letter").status_code == 200


def test_no_feedback_survey_accepts_an_answer_before_its_review_date_in_the_simulator(app, client, staff_login):
    staff_login("iro")
    review_day = local_today() + timedelta(days=6)
    page = client.get("/dashboard/simulator/").get_data(as_text=True)
    response = client.post("/dashboard/simulator/", data={
        "form_id": "child_after", "role": "child", "age": "12", "review_type": "CLA", "channel": "sms",
        "review_date": review_day.isoformat(), "csrf_token": csrf_token_from(page)})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    invitation_id = int(re.search(r"/(\d+)$", response.headers["Location"]).group(1))
    url = f"/dashboard/simulator/{invitation_id}"
    page = client.get(url).get_data(as_text=True)
    assert _not_yet_text(review_day).replace("'", "&#39;") in page
    client.post(url, data={"csrf_token": csrf_token_from(page), "text": "yes"})
    page = client.get(url).get_data(as_text=True)
    assert page.count(_not_yet_text(review_day).replace("'", "&#39;")) == 2
    assert _answers(app, invitation_id) == 0
    bad = client.post("/dashboard/simulator/", data={
        "form_id": "child_after", "role": "child", "age": "12", "review_type": "CLA", "channel": "sms",
        "review_date": "next week", "csrf_token": csrf_token_from(page)})
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.get_data(as_text=True)


def test_the_review_date_is_the_councils_not_utc(db):
    """23:30 UTC on 1 June is 00:30 on 2 June in London: a review on 2 June has happened (begun)."""
    with db.session() as session:
        invitation = make_invitation(session, form_id="child_after", contact=PHONE, review_date=date(2026, 6, 2))
        invitation_id = invitation.id
        session.commit()
    late = datetime(2026, 6, 1, 22, 30, tzinfo=UTC)  # 23:30 in London: still the day before
    with db.session() as session:
        result = dispatch(session, Inbound(channel="sms", provider_id="SM-tz-1", sender=PHONE, text="Hi"), now=late)
        session.commit()
        assert result.outcome == "not_yet"
    after_midnight = datetime(2026, 6, 1, 23, 30, tzinfo=UTC)
    with db.session() as session:
        result = dispatch(session, Inbound(channel="sms", provider_id="SM-tz-2", sender=PHONE, text="Hi"),
                          now=after_midnight, timezone="Europe/London")
        session.commit()
        assert result.outcome == "started" and result.invitation_id == invitation_id
