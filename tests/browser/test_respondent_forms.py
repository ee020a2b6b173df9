"""The respondent web form in real headless Chromium at phone width (320 px).

A child fills in child_before one question a screen, closes the page half way and
carries on from the same link; a carer fills in carer_before on one page. Every page
type (intro, question, error, safeguarding reply, thanks, closed, not found) passes
axe at WCAG 2.2 AA and is screenshotted to test-artifacts/. No page asks for anything
outside 127.0.0.1.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from storage.models import Alert, Answer, Invitation
from tests.browser.conftest import axe_check, screenshot
from tests.web.respondent_data import make_invitation

pytestmark = pytest.mark.browser

# What the child answers, by question key (anything not listed is skipped).
CHILD_PLAN = {
    "talk_about": ["school", "other"],
    "talk_about_other": "My football team",
    "feeling": ["happy", "worried"],
    "safe_home_score": "8",
    "enjoy_school_score": "6",
    "family_to_see": "My nan and my brother",
    "school_going": "ok",
    "bullied": "no",
    "feel_safe": "yes",
}


def _stored(server, invitation_id: int) -> dict[str, Answer]:  # noqa: ANN001
    with server.db.session() as session:
        rows = session.scalars(select(Answer).where(Answer.invitation_id == invitation_id)).all()
        return {row.question_key: row for row in rows}


def _key_of(page) -> str:  # noqa: ANN001
    match = re.search(r"/q/([a-z0-9_]+)", page.url)
    assert match, page.url
    return match.group(1)


def _answer_child_question(page, plan: dict) -> str:  # noqa: ANN001
    """Answer the question on screen from the plan by tapping its buttons (or skip it)."""
    key = _key_of(page)
    value = plan.get(key)
    if value is None:
        page.get_by_role("button", name="Skip this question").click()
    else:
        if page.locator(f"textarea[name={key}]").count():
            page.fill(f"textarea[name={key}]", value)
        else:
            for item in value if isinstance(value, list) else [value]:
                # The input lies over its big label: a tap lands on the input itself.
                page.locator(f"input[name={key}][value='{item}']").click()
                assert page.locator(f"input[name={key}][value='{item}']").is_checked()
        page.locator("button[name=action][value=next]").click()
    page.wait_for_load_state()
    return key


def test_child_fills_in_the_form_closes_the_page_and_carries_on(live_server, new_page):
    invitation_id, token = make_invitation(live_server.db, "child_before", "child", age=11,
                                           review_date=date(2026, 12, 8))
    page = new_page(phone=True)
    page.goto(live_server(f"/f/{token}"))
    assert page.locator("h1").first.inner_text() == "Have your say before your review"
    assert "Childline" in page.inner_text("footer")
    axe_check(page, "intro")
    screenshot(page, "respondent-320-intro")
    page.get_by_role("link", name="Start").click()
    page.wait_for_load_state()
    assert page.locator(".r-progress").inner_text().startswith("Question 1 of ")
    axe_check(page, "question (multi)")
    screenshot(page, "respondent-320-question-multi")

    # Next with nothing chosen on a required question: the error page.
    page.locator("button[name=action][value=next]").click()
    page.wait_for_load_state()
    assert page.get_by_role("alert").count() == 1
    assert "Please answer this question" in page.inner_text(".r-error-summary")
    axe_check(page, "question with an error")
    screenshot(page, "respondent-320-error")

    asked = []
    for _ in range(4):
        asked.append(_answer_child_question(page, CHILD_PLAN))
    assert asked == ["talk_about", "talk_about_other", "feeling", "safe_home_score"]
    assert _key_of(page) == "enjoy_school_score"
    axe_check(page, "question (scale)")
    screenshot(page, "respondent-320-question-scale")
    page.context.close()  # the child closes the page half way

    stored = _stored(live_server, invitation_id)
    assert stored["talk_about"].value == "school;other"
    assert stored["talk_about_other"].free_text == "My football team"
    assert stored["feeling"].value == "happy;worried"
    assert stored["safe_home_score"].value_num == 8

    page = new_page(phone=True)
    page.goto(live_server(f"/f/{token}"))
    assert _key_of(page) == "enjoy_school_score"  # the first unanswered question
    assert "Welcome back" in page.inner_text("main")
    assert re.match(r"Question 5 of \d+", page.locator(".r-progress").inner_text())
    # Back shows what was already answered.
    page.get_by_role("link", name="Back").click()
    page.wait_for_load_state()
    assert _key_of(page) == "safe_home_score"
    assert page.locator("input[name=safe_home_score][value='8']").is_checked()
    page.locator("button[name=action][value=next]").click()
    page.wait_for_load_state()

    seen_feelings = False
    for _ in range(40):
        if "/q/" not in page.url:
            break
        if _key_of(page) == "bullied":
            axe_check(page, "question (yes/no)")
        if page.locator(".r-feelings").count():
            seen_feelings = True
        if _key_of(page) == "family_to_see":
            axe_check(page, "question (text)")
            screenshot(page, "respondent-320-question-text")
        _answer_child_question(page, CHILD_PLAN)
    assert not seen_feelings  # feelings was answered before closing the page
    assert page.url.endswith(f"/f/{token}/thanks")
    assert page.locator("h1").inner_text() == "Thank you"
    axe_check(page, "thanks")
    screenshot(page, "respondent-320-thanks")
    assert page.external_requests == []

    stored = _stored(live_server, invitation_id)
    for key, value in CHILD_PLAN.items():
        row = stored[key]
        got = row.free_text if row.free_text is not None else row.value
        assert got == (";".join(value) if isinstance(value, list) else value), key
        assert row.channel == "web" and not row.skipped
    assert stored["meeting_where"].skipped is True
    with live_server.db.session() as session:
        invitation = session.get(Invitation, invitation_id)
        assert invitation.status == "completed" and invitation.received is True
        assert session.scalars(select(Alert)).all() == []

    page.goto(live_server(f"/f/{token}"))  # the link again: already sent
    assert "already sent" in page.locator("h1").inner_text()
    axe_check(page, "already sent")


def test_safeguarding_reply_page(live_server, phone_page):
    invitation_id, token = make_invitation(live_server.db, "child_before", "child", age=14)
    phone_page.goto(live_server(f"/f/{token}/q/talk_about"))
    phone_page.locator("#f-talk_about-2").click()
    phone_page.locator("button[name=action][value=next]").click()
    phone_page.wait_for_load_state()
    assert phone_page.locator(".r-feelings").count() == 1
    axe_check(phone_page, "question (feelings)")
    screenshot(phone_page, "respondent-320-question-feelings")
    phone_page.locator("input[name=feeling][value=scared]").click()
    phone_page.locator("button[name=action][value=next]").click()
    phone_page.wait_for_load_state()
    assert phone_page.url.endswith(f"/f/{token}/help")
    text = phone_page.inner_text("main")
    assert "0800 1111" in text and "999" in text
    axe_check(phone_page, "safeguarding reply")
    screenshot(phone_page, "respondent-320-safeguarding")
    phone_page.get_by_role("link", name="Carry on").click()
    phone_page.wait_for_load_state()
    assert _key_of(phone_page) == "safe_home_score"
    with live_server.db.session() as session:
        assert session.scalars(select(Alert.question_key)).all() == ["feeling"]


def test_carer_fills_in_the_one_page_form(live_server, phone_page):
    invitation_id, token = make_invitation(live_server.db, "carer_before", "carer", age=9)
    phone_page.goto(live_server(f"/f/{token}"))
    axe_check(phone_page, "adult intro")
    phone_page.get_by_role("link", name="Start").click()
    phone_page.wait_for_load_state()
    assert phone_page.url.endswith(f"/f/{token}/form")
    axe_check(phone_page, "adult one-page form")
    screenshot(phone_page, "respondent-320-adult-form")
    # Send with the required questions empty: errors, the rest is kept.
    phone_page.locator("input[name=health_checks_done][value=yes]").click()
    phone_page.get_by_role("button", name="Send my answers").click()
    phone_page.wait_for_load_state()
    assert phone_page.locator(".r-error-summary li").count() == 2
    assert phone_page.locator("input[name=health_checks_done][value=yes]").is_checked()
    axe_check(phone_page, "adult form with errors")
    screenshot(phone_page, "respondent-320-adult-error")
    phone_page.locator("input[name=home_score][value='7']").click()
    phone_page.fill("textarea[name=going_well]", "Settled well, doing homework every night.")
    phone_page.locator("input[name=support_enough][value=no]").click()
    phone_page.get_by_role("button", name="Send my answers").click()
    phone_page.wait_for_load_state()
    assert phone_page.url.endswith(f"/f/{token}/thanks")
    assert phone_page.external_requests == []
    stored = _stored(live_server, invitation_id)
    assert stored["home_score"].value_num == 7
    assert stored["going_well"].free_text == "Settled well, doing homework every night."
    assert stored["health_checks_done"].value == "yes" and stored["support_enough"].value == "no"
    assert {row.channel for row in stored.values()} == {"web"}
    with live_server.db.session() as session:
        invitation = session.get(Invitation, invitation_id)
        assert invitation.status == "completed" and invitation.received is True


def test_closed_and_unknown_links_are_kind_pages(live_server, phone_page):
    _, token = make_invitation(live_server.db, "child_before", "child", status="expired")
    response = phone_page.goto(live_server(f"/f/{token}"))
    assert response.status == 410
    assert "closed" in phone_page.locator("h1").inner_text()
    axe_check(phone_page, "expired")
    screenshot(phone_page, "respondent-320-expired")
    response = phone_page.goto(live_server("/f/NoSuchTokenAtAll0123456789abcdef"))
    assert response.status == 404
    assert "could not find" in phone_page.locator("h1").inner_text()
    axe_check(phone_page, "not found")
    screenshot(phone_page, "respondent-320-not-found")
    assert phone_page.external_requests == []


def test_axe_check_catches_violations(phone_page):
    """The checker itself: a page with an unlabelled field must fail it."""
    phone_page.set_content('<html lang="en"><title>x</title><main><input type="text"></main></html>')
    with pytest.raises(AssertionError, match="label"):
        axe_check(phone_page, "deliberately broken")


def test_paper_letter_and_keying_screen(live_server, page):
    from storage.staff import add_staff
    from tests.browser.conftest import login

    live_server.app.config["HYS"].TELEGRAM_BOT_USERNAME = "HaveYourSayTestBot"
    invitation_id, token = make_invitation(live_server.db, "child_before", "child", age=11, channel="paper")
    with live_server.db.session() as session:
        add_staff(session, "manager@council.example", "manager", "correct-horse-battery")
    login(page, live_server, "manager@council.example", "correct-horse-battery")
    page.goto(live_server(f"/dashboard/paper/{invitation_id}/letter"))
    assert page.locator("svg.qr").count() == 2
    assert f"{live_server.url}/f/{token}" in page.inner_text("main")
    assert f"https://t.me/HaveYourSayTestBot?start={token}" in page.inner_text("main")
    axe_check(page, "paper letter")
    screenshot(page, "paper-letter")
    page.emulate_media(media="print")
    assert not page.locator(".staff-bar").is_visible()  # staff links are not printed
    page.emulate_media(media="screen")
    page.goto(live_server(f"/dashboard/paper/{invitation_id}"))
    page.locator("input[name=talk_about][value=school]").check()
    page.locator("input[name=feel_safe][value=yes]").check()
    axe_check(page, "paper keying screen")
    screenshot(page, "paper-key-in")
    page.get_by_role("button", name="Save the paper answers").click()
    page.wait_for_load_state()
    assert "counts as received" in page.inner_text("main")
    stored = _stored(live_server, invitation_id)
    assert {k: (r.value, r.channel) for k, r in stored.items()} == {"talk_about": ("school", "paper"),
                                                                   "feel_safe": ("yes", "paper")}
