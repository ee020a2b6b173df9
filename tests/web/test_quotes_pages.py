"""The quote approval page and the "you said, we did" form, by role."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from storage.models import OutboxMessage, Quote
from storage.responses import form_of, save_answers
from storage.staff import add_staff
from tests.conftest import csrf_token_from
from tests.storage.helpers import first_quotable, make_invitation, make_review


def _review_with_comment(app, ref: str, comment: str, iro_id: int | None = None):
    with app.extensions["db"].session() as session:
        review = make_review(session, ref, iro_id=iro_id, review_date=date.today())
        invitation = make_invitation(session, review, "child", contact="+447400123400")
        text = first_quotable(form_of(invitation))
        save_answers(session, invitation, {text.key: comment}, channel="sms")
        return review.id


def test_manager_approves_an_edited_quote(app, client, staff_login):
    _review_with_comment(app, "W1", "call me on 07400 123456, I like my carers")
    staff_login("manager")
    page = client.get("/dashboard/quotes")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "I like my carers" in html and "07400 123456" not in html
    with app.extensions["db"].session() as session:
        quote_id = session.scalar(select(Quote.id))
    response = client.post(f"/dashboard/quotes/{quote_id}", data={
        "csrf_token": csrf_token_from(html), "action": "approve", "text": "I like my carers"})
    assert response.status_code == 303
    with app.extensions["db"].session() as session:
        quote = session.get(Quote, quote_id)
        assert quote.status == "approved" and quote.edited_text == "I like my carers"
    approved = client.get("/dashboard/quotes?status=approved").get_data(as_text=True)
    assert "I like my carers" in approved


def test_quote_post_without_csrf_is_refused(app, client, staff_login):
    _review_with_comment(app, "W2", "my school is good")
    staff_login("manager")
    client.get("/dashboard/quotes")  # makes the candidate
    with app.extensions["db"].session() as session:
        quote_id = session.scalar(select(Quote.id))
    response = client.post(f"/dashboard/quotes/{quote_id}", data={"action": "approve"})
    assert response.status_code == 400
    with app.extensions["db"].session() as session:
        assert session.get(Quote, quote_id).status == "candidate"


def test_iro_cannot_open_quotes_and_only_writes_to_own_children(app, client, staff_login):
    iro_id = staff_login("iro")
    with app.extensions["db"].session() as session:
        other = add_staff(session, "other.iro@council.example", "iro", None).id
    own = _review_with_comment(app, "W3", "hello", iro_id=iro_id)
    theirs = _review_with_comment(app, "W4", "hello", iro_id=other)
    assert client.get("/dashboard/quotes").status_code == 403
    assert client.get(f"/dashboard/reviews/{theirs}/you-said-we-did").status_code == 404
    review_page = client.get(f"/dashboard/reviews/{own}").get_data(as_text=True)
    assert f'href="/dashboard/reviews/{own}/you-said-we-did"' in review_page  # reached from the review page
    page = client.get(f"/dashboard/reviews/{own}/you-said-we-did")
    assert page.status_code == 200
    token = csrf_token_from(page.get_data(as_text=True))
    empty = client.post(f"/dashboard/reviews/{own}/you-said-we-did", data={"csrf_token": token, "message": " "})
    assert empty.status_code == 400 and "write what was done" in empty.get_data(as_text=True)
    sent = client.post(f"/dashboard/reviews/{own}/you-said-we-did",
                       data={"csrf_token": token, "message": "Your contact with your nan is now weekly."})
    assert sent.status_code == 303
    with app.extensions["db"].session() as session:
        message = session.scalar(select(OutboxMessage).where(OutboxMessage.purpose == "you_said_we_did"))
        assert message is not None and "weekly" in message.body


def test_privacy_page_is_public_and_names_childline(client):
    page = client.get("/privacy")
    assert page.status_code == 200 and "0800 1111" in page.get_data(as_text=True)


def test_free_text_is_raw_only_for_the_childs_iro_and_redacted_for_managers(app, client, staff_login):
    iro_id = staff_login("iro")
    comment = "Okafor rang me on 07400 123456 and I like my carers"
    with app.extensions["db"].session() as session:
        review = make_review(session, "W5", iro_id=iro_id, review_date=date.today())
        review.iro_email = "jane.okafor@council.example"
        invitation = make_invitation(session, review, "child", contact="+447400123401")
        save_answers(session, invitation, {first_quotable(form_of(invitation)).key: comment}, channel="sms")
        review_id = review.id
    own = client.get(f"/dashboard/reviews/{review_id}").get_data(as_text=True)
    assert comment in own  # the child's own IRO reads the words as written
    for role in ("manager", "admin"):
        staff_login(role)
        page = client.get(f"/dashboard/reviews/{review_id}")
        html = page.get_data(as_text=True)
        assert page.status_code == 200
        assert "I like my carers" in html
        assert "07400 123456" not in html and "Okafor" not in html and comment not in html
    staff_login("iro")  # another IRO: not their child, not even redacted
    assert client.get(f"/dashboard/reviews/{review_id}").status_code == 404


def test_opening_the_quotes_list_is_audited(app, client, staff_login):
    from storage.models import AuditEvent

    _review_with_comment(app, "W6", "the bus to school is always late")
    manager_id = staff_login("manager")
    assert "always late" in client.get("/dashboard/quotes").get_data(as_text=True)
    with app.extensions["db"].session() as session:
        [event] = session.scalars(select(AuditEvent).where(AuditEvent.staff_id == manager_id,
                                                           AuditEvent.action == "view_quotes")).all()
        quote_id = session.scalar(select(Quote.id))
        assert event.detail == {"status": "candidate", "quotes": [quote_id]}


def test_the_quotes_page_shows_each_quotes_group_in_its_reporting_year(app, client, staff_login):
    from storage.models import Invitation

    _review_with_comment(app, "G1", "my IRO listens to me")
    _review_with_comment(app, "G2", "the meeting was too long")
    with app.extensions["db"].session() as session:
        for invitation in session.scalars(select(Invitation)):
            invitation.received = True  # two children answered the same form this year
    staff_login("manager")
    html = client.get("/dashboard/quotes").get_data(as_text=True)
    assert html.count("Group of 2: held back from reports unless allowed.") == 2


def test_a_candidate_names_its_form_and_question_in_words(app, client, staff_login):
    """The manager deciding reads what the child was asked, not the form's keys."""
    from html import unescape

    from surveys.forms import get_form

    _review_with_comment(app, "W9", "my IRO helps with my family")
    staff_login("manager")
    html = unescape(client.get("/dashboard/quotes").get_data(as_text=True))
    with app.extensions["db"].session() as session:
        quote = session.scalar(select(Quote))
    form = get_form(quote.form_id)
    asked = next(q for q in form.questions if q.key == quote.question_key)
    assert asked.text["en"] in html and form.title["en"] in html
    assert "about family contact" in html and "my IRO helps with my family" in html
