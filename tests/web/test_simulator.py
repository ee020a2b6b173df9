"""The staff channel simulator: same dispatcher, channel "sim", nothing sent."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from storage.models import Alert, Answer, Invitation, OutboxMessage, Review
from surveys.forms import get_form
from tests.conftest import csrf_token_from


def _start(client, **fields):
    page = client.get("/dashboard/simulator/").get_data(as_text=True)
    data = {"form_id": "child_after", "role": "child", "age": "12", "review_type": "CLA", "channel": "sms",
            "csrf_token": csrf_token_from(page), **fields}
    return client.post("/dashboard/simulator/", data=data)


def _invitation_id(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return int(re.search(r"/dashboard/simulator/(\d+)$", response.headers["Location"]).group(1))


def _say(client, invitation_id: int, **fields):
    page = client.get(f"/dashboard/simulator/{invitation_id}").get_data(as_text=True)
    response = client.post(f"/dashboard/simulator/{invitation_id}", data={"csrf_token": csrf_token_from(page),
                                                                          **fields})
    assert response.status_code == 302
    return client.get(f"/dashboard/simulator/{invitation_id}").get_data(as_text=True)


def test_simulator_needs_a_login(client):
    response = client.get("/dashboard/simulator/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_sms_simulation_shows_numbered_text_and_sends_nothing(app, client, staff_login):
    staff_login("iro")
    index = client.get("/dashboard/simulator/").get_data(as_text=True)
    assert 'href="/dashboard/simulator/"' in index  # in the dashboard navigation
    assert "child_before" in index and "child_after" in index
    invitation_id = _invitation_id(_start(client))
    page = client.get(f"/dashboard/simulator/{invitation_id}").get_data(as_text=True)
    form = get_form("child_after")
    assert form.intro["en"].strip()[:30] in page
    assert re.search(r"1\s+Yes", page)  # SMS shows choices as numbers
    assert 'name="callback"' not in page
    assert 'style="' not in page and "<script" not in page  # the CSP allows neither

    page = _say(client, invitation_id, text="yes")
    assert "yes" in page
    with app.extensions["db"].session() as session:
        invitation = session.get(Invitation, invitation_id)
        assert invitation.review.simulated and invitation.review.review_ref.startswith("SIM-")
        assert session.scalar(select(func.count()).select_from(Answer)
                              .where(Answer.invitation_id == invitation_id)) == 1
        statuses = set(session.scalars(select(OutboxMessage.status).where(OutboxMessage.channel == "sim")))
        assert statuses == {"simulated"}
        assert session.scalar(select(func.count()).select_from(OutboxMessage)
                              .where(OutboxMessage.channel != "sim")) == 0


def test_telegram_simulation_shows_buttons_that_answer(app, client, staff_login):
    staff_login("manager")
    invitation_id = _invitation_id(_start(client, channel="telegram"))
    page = client.get(f"/dashboard/simulator/{invitation_id}").get_data(as_text=True)
    buttons = re.findall(r'<button type="submit" name="callback" value="([^"]+)"', page)
    first = get_form("child_after").questions[0]
    assert f"a:{first.key}:yes" in buttons
    page = _say(client, invitation_id, callback=f"a:{first.key}:yes")
    with app.extensions["db"].session() as session:
        assert session.scalar(select(Answer.value).where(Answer.invitation_id == invitation_id,
                                                         Answer.question_key == first.key)) == "yes"
    assert "Yes" in page


def test_disclosure_in_a_simulation_notifies_no_one(app, client, staff_login):
    staff_login("iro")
    invitation_id = _invitation_id(_start(client))
    page = _say(client, invitation_id, text="my dad hits me when he is drunk and I am scared to go home")
    assert "0800 1111" in page  # the child would be told where to get help
    assert "no one was notified" in page
    with app.extensions["db"].session() as session:
        alert = session.scalars(select(Alert)).one()
        assert alert.status == "closed"
        assert session.scalar(select(func.count()).select_from(OutboxMessage)
                              .where(OutboxMessage.status == "queued")) == 0


def test_bad_choices_are_named(client, staff_login):
    staff_login("iro")
    response = _start(client, form_id="nope", age="200", channel="fax")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Choose a form." in page and "Enter an age from 0 to 25." in page and "Choose SMS or Telegram." in page


def test_an_iro_cannot_open_another_staff_members_simulation(app, client, staff_login):
    staff_login("iro")
    invitation_id = _invitation_id(_start(client))
    client.post("/logout", data={"csrf_token": csrf_token_from(client.get("/dashboard/simulator/")
                                                                .get_data(as_text=True))})
    staff_login("iro")
    assert client.get(f"/dashboard/simulator/{invitation_id}").status_code == 404
    with app.extensions["db"].session() as session:
        assert session.scalar(select(func.count()).select_from(Review).where(Review.simulated.is_(True))) == 1


def test_a_form_is_rehearsed_only_as_those_it_is_written_for(app, client, staff_login):
    """A care leaver's Pathway Plan form asked of a parent, or at a CLA review, is refused by name."""
    staff_login("iro")
    with app.extensions["db"].session() as session:
        before = session.scalar(select(func.count(Invitation.id)))
    page = client.get("/dashboard/simulator/").get_data(as_text=True)
    assert re.search(r'<option value="child_before"\s+selected', page)  # the usual rehearsal, chosen already
    wrong_role = _start(client, form_id="care_leaver_after", role="parent", review_type="PP")
    wrong_review = _start(client, form_id="care_leaver_after", role="care_leaver", review_type="CLA")
    assert wrong_role.status_code == wrong_review.status_code == 400
    title = get_form("care_leaver_after").title["en"]
    assert f"“{title}” is for a care leaver or a child: choose one of those." in wrong_role.get_data(as_text=True)
    assert f"“{title}” is sent for Pathway Plan reviews only." in wrong_review.get_data(as_text=True)
    assert re.search(r'<option value="care_leaver_after"\s+selected', wrong_role.get_data(as_text=True))
    with app.extensions["db"].session() as session:
        assert session.scalar(select(func.count(Invitation.id))) == before
    _invitation_id(_start(client, form_id="care_leaver_after", role="care_leaver", review_type="PP", age="18"))


def test_a_rehearsal_is_neither_listed_nor_counted_among_reviews(app, client, staff_login):
    """The dashboard's reviews and return rates leave simulations out; the simulator lists them."""
    staff_login("manager")

    def overview() -> tuple[str, str]:
        pages = (client.get("/dashboard/").get_data(as_text=True),
                 client.get("/dashboard/reviews").get_data(as_text=True),
                 client.get("/dashboard/alerts/?status=all").get_data(as_text=True))
        return tuple(re.sub(r'name="csrf_token" value="[^"]*"', "", page) for page in pages)

    before = overview()
    invitation_id = _invitation_id(_start(client, form_id="child_before"))
    for reply in ("1", "happy", "9", "someone at home hits me"):
        _say(client, invitation_id, text=reply)
    with app.extensions["db"].session() as session:
        invitation = session.get(Invitation, invitation_id)
        ref, status = invitation.review.review_ref, invitation.status
    assert status == "partial"  # answered, so a leak would show in the figures
    with app.extensions["db"].session() as session:
        assert session.scalar(select(func.count()).select_from(Alert)
                              .where(Alert.invitation_id == invitation_id)) == 1  # and in the alerts
    assert overview() == before
    assert ref not in before[1]
    assert ref in client.get("/dashboard/simulator/").get_data(as_text=True)
