"""Staff dashboard pages: overview, my reviews, review detail, participation, alerts, users."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from storage.models import Alert, AuditEvent, Review, Staff
from tests.conftest import csrf_token_from
from tests.web.dashboard_data import PASSWORD, add_answers, add_invitation, add_review, build_world


@pytest.fixture
def world(app):  # noqa: ANN001, ANN201
    with app.extensions["db"].session() as session:
        return build_world(session)


def login(client, email: str, password: str = PASSWORD) -> None:  # noqa: ANN001
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"email": email, "password": password, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]


def assert_csp_clean(html: str) -> None:
    """No inline script or style: the CSP would block them."""
    assert "<script" not in html.lower() or re.search(r"<script(?![^>]*\bsrc=)", html, re.I) is None
    assert not re.search(r"\sstyle\s*=", html, re.I)
    assert not re.search(r"\son[a-z]+\s*=", html, re.I)


def test_iro_overview_shows_only_their_alerts(client, world) -> None:  # noqa: ANN001
    login(client, world.emails["iro_a"])
    html = client.get("/dashboard/").get_data(as_text=True)
    assert "Review R-A1" in html and "R-B1" not in html
    assert "1 safeguarding alert not yet closed" in html
    assert "Carer" in html  # return rates by respondent
    assert_csp_clean(html)


def test_manager_overview_shows_every_alert(client, world) -> None:  # noqa: ANN001
    login(client, world.emails["manager"])
    html = client.get("/dashboard/").get_data(as_text=True)
    assert "Review R-A1" in html and "Review R-B1" in html
    assert "2 safeguarding alerts not yet closed" in html
    # 2 carer forms and 2 child invitations were sent; the two carers answered.
    assert re.search(r"Return rate</p><p class=\"figure\">50%", html)
    assert "n = 4" in html


def test_my_reviews_lists_only_own_reviews(client, world) -> None:  # noqa: ANN001
    login(client, world.emails["iro_b"])
    html = client.get("/dashboard/reviews").get_data(as_text=True)
    assert "My reviews" in html
    assert "R-B1" in html and "R-A1" not in html
    assert "1 of 2" in html  # consultation forms back
    assert_csp_clean(html)


def test_review_detail_shows_answers_links_history_and_is_audited(app, client, world) -> None:  # noqa: ANN001
    app.config["HYS"].TELEGRAM_BOT_USERNAME = "HysTestBot"
    login(client, world.emails["iro_a"])
    review_id = world.reviews["R-A1"]
    response = client.get(f"/dashboard/reviews/{review_id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    with app.extensions["db"].session() as session:
        review = session.get(Review, review_id)
        child = next(i for i in review.invitations if i.role == "child")
        carer = next(i for i in review.invitations if i.role == "carer")
        child_token = child.token
        carer_token = carer.token
    # Question text from the form file and the answers given.
    assert "Settled well (C-ALPHA)" in html
    assert "8 out of 10" in html
    # Hand-over links for the invitation still open; none for the completed one.
    assert f"https://t.me/HysTestBot?start={child_token}" in html
    assert f"https://hys.example.test/f/{child_token}" in html
    assert carer_token not in html
    assert html.count('<img class="qr" src="data:image/svg+xml') == 1  # for the open invitation only
    assert "sent" in html and "<time" in html
    assert_csp_clean(html)
    with app.extensions["db"].session() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "view_answers")).all()
        assert [(e.staff_id, e.object_id) for e in events] == [(world.iro_a, str(review_id))]
        assert events[0].detail == {"invitations": [carer.id]}


def _past_review(app, world) -> int:  # noqa: ANN001
    with app.extensions["db"].session() as session:
        iro = session.get(Staff, world.iro_a)
        review = add_review(session, "R-A0", iro, child_ref="C-ALPHA", review_date=date.today() - timedelta(days=3))
        invitation = add_invitation(session, review, "child", channel="sms", status="completed",
                                    contact="+447400100009")
        add_answers(session, invitation, {"talk_about": ["school", "family"]})
        return review.id


def test_participation_is_recorded_with_csrf_and_checked(app, client, world) -> None:  # noqa: ANN001
    review_id = _past_review(app, world)
    login(client, world.emails["iro_a"])
    page = client.get(f"/dashboard/reviews/{review_id}").get_data(as_text=True)
    token = csrf_token_from(page)
    url = f"/dashboard/reviews/{review_id}/participation"
    good = {"participation_code": "PN1", "attended": "yes", "chaired": "co_chair",
            "seen_before_review": "yes", "csrf_token": token}
    assert client.post(url, data={k: v for k, v in good.items() if k != "csrf_token"}).status_code == 400
    bad = client.post(url, data={**good, "participation_code": "PN6"})
    assert bad.status_code == 400
    assert "PN6 means the child did not attend" in bad.get_data(as_text=True)
    with app.extensions["db"].session() as session:
        assert session.get(Review, review_id).participation_code is None
    response = client.post(url, data=good)
    assert response.status_code == 302
    with app.extensions["db"].session() as session:
        review = session.get(Review, review_id)
        assert (review.participation_code, review.attended, review.chaired, review.seen_before_review) == \
            ("PN1", True, "co_chair", True)
        assert review.participation_recorded_by == world.iro_a
        assert session.scalar(select(AuditEvent).where(AuditEvent.action == "participation_recorded")) is not None
    assert "Recorded: <strong>PN1</strong>" in client.get(f"/dashboard/reviews/{review_id}").get_data(as_text=True)


def test_participation_refused_before_the_review(app, client, world) -> None:  # noqa: ANN001
    login(client, world.emails["iro_a"])
    review_id = world.reviews["R-A1"]  # next week
    html = client.get(f"/dashboard/reviews/{review_id}").get_data(as_text=True)
    response = client.post(f"/dashboard/reviews/{review_id}/participation", data={
        "participation_code": "PN1", "attended": "yes", "chaired": "none", "seen_before_review": "no",
        "csrf_token": csrf_token_from(html)})
    assert response.status_code == 400
    assert "once the review has taken place" in response.get_data(as_text=True)


def test_alert_pages_acknowledge_action_close(app, client, world) -> None:  # noqa: ANN001
    login(client, world.emails["iro_a"])
    alert_id = world.alerts["R-A1"]
    html = client.get("/dashboard/alerts/").get_data(as_text=True)
    assert f"Alert {alert_id}" in html and f"Alert {world.alerts['R-B1']}" not in html
    page = client.get(f"/dashboard/alerts/{alert_id}").get_data(as_text=True)
    assert "secret words for C-ALPHA" in page
    assert_csp_clean(page)
    token = csrf_token_from(page)
    base = f"/dashboard/alerts/{alert_id}"
    assert client.post(f"{base}/close", data={"csrf_token": token}).status_code == 400  # no action yet
    assert client.post(f"{base}/acknowledge", data={"csrf_token": token}).status_code == 302
    empty = client.post(f"{base}/action", data={"csrf_token": token, "action": "  "})
    assert empty.status_code == 400 and "cannot be empty" in empty.get_data(as_text=True)
    assert client.post(f"{base}/action", data={"csrf_token": token, "action": "Called the social worker"}
                       ).status_code == 302
    assert client.post(f"{base}/close", data={"csrf_token": token}).status_code == 302
    with app.extensions["db"].session() as session:
        alert = session.get(Alert, alert_id)
        assert alert.status == "closed" and alert.closed_by == world.iro_a
        assert alert.action.endswith("IRO_A: Called the social worker")
        actions = [e.action for e in session.scalars(
            select(AuditEvent).where(AuditEvent.object_type == "alert", AuditEvent.object_id == str(alert_id))
            .order_by(AuditEvent.id))]
        assert actions == ["alert_raised", "view_alert", "alert_acknowledged", "alert_action", "alert_closed"]
    closed = client.get("/dashboard/alerts/?status=closed").get_data(as_text=True)
    assert f"Alert {alert_id}" in closed


def test_alert_words_are_for_the_iro_and_managers_only(client, world) -> None:  # noqa: ANN001
    alert_id = world.alerts["R-B1"]
    login(client, world.emails["manager"])
    assert "secret words for C-BRAVO" in client.get(f"/dashboard/alerts/{alert_id}").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token_from(client.get("/dashboard/").get_data(as_text=True))})
    login(client, world.emails["admin"])
    page = client.get(f"/dashboard/alerts/{alert_id}").get_data(as_text=True)
    assert "Safeguarding alert" in page and "secret words" not in page
    assert "IRO and to managers only" in page


def test_users_page_add_reset_deactivate(app, client, world) -> None:  # noqa: ANN001
    login(client, world.emails["admin"])
    page = client.get("/dashboard/users").get_data(as_text=True)
    assert "iro-a@council.example" in page
    assert_csp_clean(page)
    token = csrf_token_from(page)
    short = client.post("/dashboard/users", data={"csrf_token": token, "email": "new-iro@council.example",
                                                  "role": "iro", "password": "short"})
    assert short.status_code == 400 and "at least 10 characters" in short.get_data(as_text=True)
    added = client.post("/dashboard/users", data={"csrf_token": token, "email": "New-IRO@council.example",
                                                  "role": "iro", "password": "a-long-password-1"})
    assert added.status_code == 302
    duplicate = client.post("/dashboard/users", data={"csrf_token": token, "email": "new-iro@council.example",
                                                      "role": "admin", "password": "a-long-password-1"})
    assert duplicate.status_code == 400
    with app.extensions["db"].session() as session:
        new = session.scalar(select(Staff).where(Staff.email == "new-iro@council.example"))
        assert new.role == "iro"
    reset = client.post(f"/dashboard/users/{new.id}/password", data={"csrf_token": token})
    temporary = re.search(r"<code>([^<]+)</code>", reset.get_data(as_text=True)).group(1)
    other = app.test_client()
    login(other, "new-iro@council.example", temporary)
    assert other.get("/dashboard/").status_code == 200
    assert client.post(f"/dashboard/users/{new.id}/active", data={"csrf_token": token, "active": "0"}
                       ).status_code == 302
    # A deactivated account's open session stops working at once.
    assert other.get("/dashboard/").status_code == 302
    # An admin cannot lock themself out.
    client.post(f"/dashboard/users/{world.admin}/active", data={"csrf_token": token, "active": "0"})
    with app.extensions["db"].session() as session:
        assert session.get(Staff, world.admin).active is True
        actions = {e.action for e in session.scalars(select(AuditEvent).where(AuditEvent.staff_id == world.admin))}
        assert {"staff_added", "staff_password_reset", "staff_deactivated"} <= actions


def test_users_page_is_admin_only(client, world) -> None:  # noqa: ANN001
    login(client, world.emails["manager"])
    assert client.get("/dashboard/users").status_code == 403
    html = client.get("/dashboard/").get_data(as_text=True)
    assert 'href="/dashboard/users"' not in html and 'href="/dashboard/figures"' in html
