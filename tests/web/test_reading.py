"""The "to read" pages through the Flask test client with real logins, and a child texting by SMS."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from storage.models import Alert, Answer, AuditEvent, Invitation, Staff, utcnow
from storage.responses import save_answers
from storage.staff import add_staff
from surveys.forms import get_form
from tests.bot._helpers import make_invitation
from tests.conftest import csrf_token_from
from tests.fakes.twilio_fake import inbound_sms_form
from tests.web.dashboard_data import PASSWORD, add_invitation, add_review
from tests.web.test_dashboard import assert_csp_clean

SMS_PATH = "/webhooks/twilio/sms"
PHONE = "+447400100321"
WORDS = "I want to see my little brother at weekends"


def login(client, email: str) -> str:  # noqa: ANN001
    """Log in through the real form; the CSRF token of the session."""
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return csrf_token_from(client.get("/dashboard/").get_data(as_text=True))


def _people(app) -> dict[str, int]:  # noqa: ANN001
    with app.extensions["db"].session() as session:
        ids = {name: add_staff(session, f"{name.replace('_', '-')}@council.example", role, PASSWORD,
                               display_name=name.upper()).id
               for name, role in (("iro_a", "iro"), ("iro_b", "iro"), ("manager", "manager"), ("admin", "admin"))}
    return ids


def _today():  # noqa: ANN202
    from zoneinfo import ZoneInfo

    return utcnow().astimezone(ZoneInfo("Europe/London")).date()


def _child_text(app, people, words: str, *, ref: str, review_in_days: int, iro: str = "iro_a",  # noqa: ANN001
                answered_days_ago: int = 1, simulated: bool = False) -> int:
    """A child's free-text answer to a review ``review_in_days`` from today; the answer's id."""
    review_date = _today() + timedelta(days=review_in_days)
    answered = utcnow() - timedelta(days=answered_days_ago)
    with app.extensions["db"].session() as session:
        review = add_review(session, ref, session.get(Staff, people[iro]), child_ref=f"C-{ref}",
                            review_date=review_date)
        review.simulated = simulated
        invitation = add_invitation(session, review, "child", channel="web", contact=f"{ref}@example.test")
        key = next(q.key for q in get_form(invitation.form_id).questions if q.type == "text" and q.show_if is None)
        save_answers(session, invitation, {key: words}, channel="web", now=answered)
        session.commit()
        return session.scalar(select(Answer.id).where(Answer.invitation_id == invitation.id))


def _mark(client, token: str, html: str, answer_id: int):  # noqa: ANN001, ANN202
    """Post the page's own "Mark as read" form for one answer."""
    import re

    match = re.search(rf'action="/dashboard/to-read/{answer_id}/read">.*?name="seen" value="([^"]+)"', html, re.S)
    assert match, f"no mark-read form for answer {answer_id}"
    return client.post(f"/dashboard/to-read/{answer_id}/read", data={"csrf_token": token, "seen": match.group(1)})


# --- a child texting ---------------------------------------------------------------------

def test_an_sms_childs_words_reach_their_iros_list_and_no_one_elses(channel_app, twilio_post) -> None:  # noqa: ANN001
    people = _people(channel_app)
    with channel_app.extensions["db"].session() as session:
        invitation = make_invitation(session, form_id="child_before", age=13, contact=PHONE)
        invitation.review.iro_id = people["iro_a"]
        invitation.review.iro_email = "iro-a@council.example"
        invitation.review.review_date = _today() + timedelta(days=9)
        invitation_id, ref = invitation.id, invitation.review.review_ref
        session.commit()
    questions = {q.key: q for q in get_form("child_before").questions}
    twilio_post(SMS_PATH, inbound_sms_form(PHONE, "Hi"))
    for _ in range(40):  # answer plainly until the conversation asks for the child's own words
        with channel_app.extensions["db"].session() as session:
            current = session.get(Invitation, invitation_id).state["current"]
        question = questions[current]
        if question.type == "text":
            break
        reply = {"yes_no": "yes", "scale": "5", "feelings": "happy"}.get(question.type, "1")
        assert twilio_post(SMS_PATH, inbound_sms_form(PHONE, reply)).status_code == 200
    else:
        raise AssertionError("the form never asked for free text")
    assert twilio_post(SMS_PATH, inbound_sms_form(PHONE, WORDS)).status_code == 200
    with channel_app.extensions["db"].session() as session:
        answer = session.scalar(select(Answer).where(Answer.invitation_id == invitation_id,
                                                     Answer.question_key == question.key))
        assert (answer.free_text, answer.channel, answer.read_at) == (WORDS, "sms", None)

    mine = channel_app.test_client()
    login(mine, "iro-a@council.example")
    html = mine.get("/dashboard/to-read").get_data(as_text=True)
    assert WORDS in html and question.text["en"] in html and ref in html
    assert f"/dashboard/to-read/{answer.id}/read" in html
    assert_csp_clean(html)
    overview = mine.get("/dashboard/").get_data(as_text=True)
    assert "<strong>1</strong> to read" in overview
    assert '1<span class="visually-hidden"> unread</span>' in overview  # beside "To read" in the navigation

    theirs = channel_app.test_client()
    login(theirs, "iro-b@council.example")
    html = theirs.get("/dashboard/to-read").get_data(as_text=True)
    assert WORDS not in html and ref not in html and "Nothing to read" in html
    assert "<strong>0</strong> to read" in theirs.get("/dashboard/").get_data(as_text=True)


# --- marking read ------------------------------------------------------------------------

def test_marking_read_removes_it_and_writes_the_audit_event(app, client) -> None:  # noqa: ANN001
    people = _people(app)
    answer_id = _child_text(app, people, WORDS, ref="R-M1", review_in_days=9)
    token = login(client, "iro-a@council.example")
    html = client.get("/dashboard/to-read").get_data(as_text=True)
    assert WORDS in html
    with app.extensions["db"].session() as session:
        viewed = session.scalars(select(AuditEvent).where(AuditEvent.action == "view_to_read")).all()
        assert [(e.staff_id, e.detail["answers"]) for e in viewed] == [(people["iro_a"], [answer_id])]
    # Without the CSRF token nothing happens.
    assert client.post(f"/dashboard/to-read/{answer_id}/read", data={"seen": "x"}).status_code == 400
    response = _mark(client, token, html, answer_id)
    assert response.status_code == 303 and response.headers["Location"].endswith("/dashboard/to-read")
    page = client.get("/dashboard/to-read").get_data(as_text=True)
    assert "Marked as read." in page and WORDS not in page and "Nothing to read" in page
    assert WORDS in client.get("/dashboard/to-read?show=read").get_data(as_text=True)
    with app.extensions["db"].session() as session:
        answer = session.get(Answer, answer_id)
        assert answer.read_by == people["iro_a"] and answer.read_at is not None
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "answer_read")).all()
        assert [(e.staff_id, e.object_type, e.object_id) for e in events] == [
            (people["iro_a"], "answer", str(answer_id))]
        assert WORDS not in str(events[0].detail)


def test_changed_words_come_back_unread(app, client) -> None:  # noqa: ANN001
    people = _people(app)
    answer_id = _child_text(app, people, WORDS, ref="R-C1", review_in_days=9)
    token = login(client, "iro-a@council.example")
    stale = client.get("/dashboard/to-read").get_data(as_text=True)
    assert _mark(client, token, stale, answer_id).status_code == 303
    with app.extensions["db"].session() as session:
        answer = session.get(Answer, answer_id)
        invitation = session.get(Invitation, answer.invitation_id)
        save_answers(session, invitation, {answer.question_key: "Now I want to live with my nan"}, channel="web",
                     now=utcnow())
        session.commit()
    html = client.get("/dashboard/to-read").get_data(as_text=True)
    assert "Now I want to live with my nan" in html and "changed since it was read" in html
    # The form from before the change does not mark the new words read.
    response = _mark(client, token, stale, answer_id)
    assert response.status_code == 303
    assert "Not marked read: these words changed" in client.get("/dashboard/to-read").get_data(as_text=True)
    with app.extensions["db"].session() as session:
        answer = session.get(Answer, answer_id)
        assert answer.read_at < answer.answered_at
    assert _mark(client, token, html, answer_id).status_code == 303
    assert "Nothing to read" in client.get("/dashboard/to-read").get_data(as_text=True)


def test_another_iro_cannot_mark_or_see_it_and_a_manager_cannot_mark_it(app) -> None:  # noqa: ANN001
    people = _people(app)
    answer_id = _child_text(app, people, WORDS, ref="R-X1", review_in_days=9)
    with app.extensions["db"].session() as session:
        seen = session.get(Answer, answer_id).answered_at.isoformat()
    for who, status in (("iro-b", 404), ("manager", 303), ("admin", 303)):
        client = app.test_client()
        token = login(client, f"{who}@council.example")
        response = client.post(f"/dashboard/to-read/{answer_id}/read", data={"csrf_token": token, "seen": seen})
        assert response.status_code == status, who
        assert WORDS not in response.get_data(as_text=True)
        if who == "iro-b":
            assert WORDS not in client.get("/dashboard/to-read").get_data(as_text=True)
    with app.extensions["db"].session() as session:
        assert session.get(Answer, answer_id).read_at is None
        assert session.scalars(select(AuditEvent).where(AuditEvent.action == "answer_read")).all() == []
    # A post that does not say which words were shown is refused, even for the child's IRO.
    client = app.test_client()
    token = login(client, "iro-a@council.example")
    assert client.post(f"/dashboard/to-read/{answer_id}/read", data={"csrf_token": token}).status_code == 400
    assert client.get("/dashboard/to-read/overdue").status_code == 403


# --- managers ----------------------------------------------------------------------------

def test_manager_sees_overdue_counts_and_items_without_the_words(app, client) -> None:  # noqa: ANN001
    people = _people(app)
    late_id = _child_text(app, people, "words for a review that has been", ref="R-PAST", review_in_days=-10,
                          answered_days_ago=15)
    _child_text(app, people, "words for a review still to come", ref="R-SOON", review_in_days=10)
    _child_text(app, people, "words of iro b's child", ref="R-B", review_in_days=12, iro="iro_b")
    _child_text(app, people, "a staff rehearsal", ref="SIM-1", review_in_days=-10,
                answered_days_ago=15, simulated=True)
    login(client, "manager@council.example")
    assert client.get("/dashboard/to-read").headers["Location"].endswith("/dashboard/to-read/overdue")
    html = client.get("/dashboard/to-read/overdue").get_data(as_text=True)
    assert "R-PAST" in html and "R-SOON" not in html.split("<h2>Overdue</h2>")[1]
    for words in ("words for a review", "iro b&#39;s child", "rehearsal"):
        assert words not in html
    assert "SIM-1" not in html
    # Per IRO: unread, overdue, read or purged.
    assert '<th scope="row">IRO_A</th><td class="num">2</td><td class="num"><span class="tag danger">1</span>' in html
    assert '<th scope="row">IRO_B</th><td class="num">1</td><td class="num">0</td>' in html
    assert "10 days overdue" in html
    assert_csp_clean(html)
    overview = client.get("/dashboard/").get_data(as_text=True)
    assert "<strong>3</strong> not yet read by their IRO" in overview and "1 overdue" in overview
    # The IRO sees the same item flagged overdue, with the words.
    iro = app.test_client()
    login(iro, "iro-a@council.example")
    page = iro.get("/dashboard/to-read").get_data(as_text=True)
    assert "words for a review that has been" in page and "1 overdue" in page and "rehearsal" not in page
    assert page.index("R-SOON") < page.index("R-PAST")  # newest review first
    assert f"answer-{late_id}" in page


def test_nothing_overdue_before_the_review(app, client) -> None:  # noqa: ANN001
    people = _people(app)
    _child_text(app, people, "early words", ref="R-E", review_in_days=1, answered_days_ago=20)
    login(client, "manager@council.example")
    html = client.get("/dashboard/to-read/overdue").get_data(as_text=True)
    assert "Nothing is overdue." in html and "R-E" not in html
    assert '<th scope="row">IRO_A</th><td class="num">1</td><td class="num">0</td>' in html


# --- alerts ------------------------------------------------------------------------------

def test_an_alerted_answer_is_linked_and_stays_unread_after_the_alert_closes(app, client) -> None:  # noqa: ANN001
    people = _people(app)
    answer_id = _child_text(app, people, "my dad hits me when he is drunk", ref="R-AL", review_in_days=9)
    with app.extensions["db"].session() as session:
        alert_id = session.scalars(select(Alert.id)).one()
    token = login(client, "iro-a@council.example")
    html = client.get("/dashboard/to-read").get_data(as_text=True)
    assert "alerted" in html and f'href="/dashboard/alerts/{alert_id}"' in html and "on this answer (open)" in html
    base = f"/dashboard/alerts/{alert_id}"
    assert client.post(f"{base}/action", data={"csrf_token": token, "action": "Rang the social worker"}
                       ).status_code == 302
    assert client.post(f"{base}/close", data={"csrf_token": token}).status_code == 302
    with app.extensions["db"].session() as session:
        assert session.get(Alert, alert_id).status == "closed"
        assert session.get(Answer, answer_id).read_at is None
    html = client.get("/dashboard/to-read").get_data(as_text=True)
    assert "my dad hits me" in html and "on this answer (closed)" in html


def test_adults_words_are_not_in_the_list(app, client) -> None:  # noqa: ANN001
    people = _people(app)
    with app.extensions["db"].session() as session:
        review = add_review(session, "R-AD", session.get(Staff, people["iro_a"]), child_ref="C-AD")
        invitation = add_invitation(session, review, "carer", form_id="carer_before", contact="c@example.test")
        key = next(q.key for q in get_form("carer_before").questions if q.type == "text" and q.show_if is None)
        save_answers(session, invitation, {key: "The carer's own view"}, channel="web")
        session.commit()
    login(client, "iro-a@council.example")
    html = client.get("/dashboard/to-read").get_data(as_text=True)
    assert "carer&#39;s own view" not in html and "Nothing to read" in html
