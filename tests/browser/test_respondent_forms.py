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


def fits_phone(page, name: str) -> None:  # noqa: ANN001
    """At 320 px: nothing scrolls sideways and every control is a big tap target (44 px)."""
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 320, f"{name}: the page is {width} px wide"
    small = page.evaluate(
        "() => [...document.querySelectorAll('.r-option label, .r-button, .r-back, .r-link-button, textarea')]"
        ".filter(e => e.offsetParent !== null).map(e => { const r = e.getBoundingClientRect();"
        " return [e.textContent.trim().slice(0, 30), Math.round(r.width), Math.round(r.height)]; })"
        ".filter(([, w, h]) => w < 44 || h < 44)")
    assert small == [], f"{name}: tap targets smaller than 44 x 44 px: {small}"


def check_page(page, name: str, shot: str | None = None) -> None:  # noqa: ANN001
    """axe at WCAG 2.2 AA, the phone-width checks and (when named) a screenshot artefact."""
    axe_check(page, name)
    fits_phone(page, name)
    if shot:
        screenshot(page, shot)


def _key_of(page) -> str:  # noqa: ANN001
    match = re.search(r"/q/([a-z0-9_]+)", page.url)
    assert match, page.url
    return match.group(1)


def _answer_child_question(page, plan: dict) -> str:  # noqa: ANN001
    """Answer the question on screen from the plan by tapping its buttons (or skip it)."""
    key = _key_of(page)
    value = plan.get(key)
    if value is None:
        with page.expect_navigation():
            page.get_by_role("button", name="Skip this question").click()
    else:
        if page.locator(f"textarea[name={key}]").count():
            page.fill(f"textarea[name={key}]", value)
        else:
            for item in value if isinstance(value, list) else [value]:
                # The input lies over its big label: a tap lands on the input itself.
                page.locator(f"input[name={key}][value='{item}']").click()
                assert page.locator(f"input[name={key}][value='{item}']").is_checked()
        with page.expect_navigation():
            page.locator("button[name=action][value=next]").click()
    return key


def test_child_fills_in_the_form_closes_the_page_and_carries_on(live_server, new_page):
    invitation_id, token = make_invitation(live_server.db, "child_before", "child", age=11,
                                           review_date=date(2026, 12, 8))
    page = new_page(phone=True)
    page.goto(live_server(f"/f/{token}"))
    assert page.locator("h1").first.inner_text() == "Have your say before your review"
    assert "Childline" in page.inner_text("footer")
    check_page(page, "intro", "respondent-320-intro")
    with page.expect_navigation():
        page.get_by_role("link", name="Start").click()
    assert page.locator(".r-progress").inner_text().startswith("Question 1 of ")
    check_page(page, "question (multi)", "respondent-320-question-multi")

    # Next with nothing chosen on a required question: the error page.
    with page.expect_navigation():
        page.locator("button[name=action][value=next]").click()
    assert page.get_by_role("alert").count() == 1
    assert "Please answer this question" in page.inner_text(".r-error-summary")
    check_page(page, "question with an error", "respondent-320-error")

    asked = []
    for _ in range(4):
        asked.append(_answer_child_question(page, CHILD_PLAN))
    assert asked == ["talk_about", "talk_about_other", "feeling", "safe_home_score"]
    assert _key_of(page) == "enjoy_school_score"
    check_page(page, "question (scale)", "respondent-320-question-scale")
    # The scale is a row of numbers (two rows of five on a small phone) with words at the ends.
    boxes = [page.locator(f"label[for=f-enjoy_school_score-{n}]").bounding_box() for n in range(1, 11)]
    assert [round(b["y"]) for b in boxes[:5]] == [round(boxes[0]["y"])] * 5
    assert [b["x"] for b in boxes[:5]] == sorted(b["x"] for b in boxes[:5])
    assert page.locator(".r-scale-ends").inner_text().split("\n") == ["1 = Not at all", "10 = Love it"]
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
    with page.expect_navigation():
        page.get_by_role("link", name="Back").click()
    assert _key_of(page) == "safe_home_score"
    assert page.locator("input[name=safe_home_score][value='8']").is_checked()
    with page.expect_navigation():
        page.locator("button[name=action][value=next]").click()

    seen_feelings = False
    for _ in range(40):
        if "/q/" not in page.url:
            break
        if _key_of(page) == "bullied":
            check_page(page, "question (yes/no)", "respondent-320-question-yes-no")
        if _key_of(page) == "school_going":
            check_page(page, "question (single)", "respondent-320-question-single")
        if page.locator(".r-feelings").count():
            seen_feelings = True
        if _key_of(page) == "family_to_see":
            check_page(page, "question (text)", "respondent-320-question-text")
        _answer_child_question(page, CHILD_PLAN)
    assert not seen_feelings  # feelings was answered before closing the page
    assert page.url.endswith(f"/f/{token}/thanks")
    assert page.locator("h1").inner_text() == "Thank you"
    check_page(page, "thanks", "respondent-320-thanks")
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
    check_page(page, "already sent", "respondent-320-already-sent")


def test_safeguarding_reply_page(live_server, phone_page):
    invitation_id, token = make_invitation(live_server.db, "child_before", "child", age=14)
    phone_page.goto(live_server(f"/f/{token}/q/talk_about"))
    phone_page.locator("#f-talk_about-2").click()
    with phone_page.expect_navigation():
        phone_page.locator("button[name=action][value=next]").click()
    assert phone_page.locator(".r-feelings").count() == 1
    check_page(phone_page, "question (feelings)", "respondent-320-question-feelings")
    # Feelings are emoji buttons: an emoji and a word on each.
    assert phone_page.locator(".r-feelings .r-emoji").count() == 6
    assert phone_page.locator("label[for=f-feeling-4]").inner_text().split() == ["\U0001F628", "Scared"]
    phone_page.locator("input[name=feeling][value=scared]").click()
    with phone_page.expect_navigation():
        phone_page.locator("button[name=action][value=next]").click()
    assert phone_page.url.endswith(f"/f/{token}/help")
    text = phone_page.inner_text("main")
    assert "0800 1111" in text and "999" in text
    check_page(phone_page, "safeguarding reply", "respondent-320-safeguarding")
    with phone_page.expect_navigation():
        phone_page.get_by_role("link", name="Carry on").click()
    assert _key_of(phone_page) == "safe_home_score"
    with live_server.db.session() as session:
        assert session.scalars(select(Alert.question_key)).all() == ["feeling"]


def test_carer_fills_in_the_one_page_form(live_server, phone_page):
    invitation_id, token = make_invitation(live_server.db, "carer_before", "carer", age=9)
    phone_page.goto(live_server(f"/f/{token}"))
    check_page(phone_page, "adult intro", "respondent-320-adult-intro")
    with phone_page.expect_navigation():
        phone_page.get_by_role("link", name="Start").click()
    assert phone_page.url.endswith(f"/f/{token}/form")
    check_page(phone_page, "adult one-page form", "respondent-320-adult-form")
    # Send with the required questions empty: errors, the rest is kept.
    phone_page.locator("input[name=health_checks_done][value=yes]").click()
    with phone_page.expect_navigation():
        phone_page.get_by_role("button", name="Send my answers").click()
    assert phone_page.locator(".r-error-summary li").count() == 2
    assert phone_page.locator("input[name=health_checks_done][value=yes]").is_checked()
    check_page(phone_page, "adult form with errors", "respondent-320-adult-error")
    phone_page.locator("input[name=home_score][value='7']").click()
    phone_page.fill("textarea[name=going_well]", "Settled well, doing homework every night.")
    phone_page.locator("input[name=support_enough][value=no]").click()
    with phone_page.expect_navigation():
        phone_page.get_by_role("button", name="Send my answers").click()
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
    check_page(phone_page, "expired", "respondent-320-expired")
    response = phone_page.goto(live_server("/f/NoSuchTokenAtAll0123456789abcdef"))
    assert response.status == 404
    assert "could not find" in phone_page.locator("h1").inner_text()
    check_page(phone_page, "not found", "respondent-320-not-found")
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
    with page.expect_navigation():
        page.get_by_role("button", name="Save the paper answers").click()
    assert "counts as received" in page.inner_text("main")
    stored = _stored(live_server, invitation_id)
    assert {k: (r.value, r.channel) for k, r in stored.items()} == {"talk_about": ("school", "paper"),
                                                                   "feel_safe": ("yes", "paper")}


def _page_without_javascript(browser):  # noqa: ANN001, ANN202
    """A phone-sized page with JavaScript switched off, refusing requests that leave 127.0.0.1."""
    from urllib.parse import urlsplit

    context = browser.new_context(viewport={"width": 320, "height": 640}, locale="en-GB",
                                  java_script_enabled=False, service_workers="block")
    external: list[str] = []

    def guard(route) -> None:  # noqa: ANN001
        if urlsplit(route.request.url).hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            external.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    page.set_default_timeout(10_000)
    return context, page, external


def test_both_forms_work_with_javascript_switched_off(live_server, browser):
    context, page, external = _page_without_javascript(browser)
    try:
        # Proof that scripts really do not run in this page.
        page.route(live_server("/__probe"), lambda route: route.fulfill(
            content_type="text/html", body="<title>before</title><script>document.title = 'ran'</script>"))
        page.goto(live_server("/__probe"))
        assert page.title() == "before"

        child_id, child = make_invitation(live_server.db, "child_before", "child", age=11)
        page.goto(live_server(f"/f/{child}"))
        with page.expect_navigation():
            page.get_by_role("link", name="Start").click()
        with page.expect_navigation():  # nothing chosen: the server says so
            page.locator("button[name=action][value=next]").click()
        assert "Please answer this question" in page.inner_text(".r-error-summary")
        page.locator("input[name=talk_about][value=home]").click()
        page.locator("input[name=talk_about][value=friends_hobbies]").click()
        with page.expect_navigation():
            page.locator("button[name=action][value=next]").click()
        assert _key_of(page) == "feeling"
        page.locator("input[name=feeling][value=happy]").click()
        with page.expect_navigation():
            page.locator("button[name=action][value=next]").click()
        page.locator("input[name=safe_home_score][value='10']").click()
        with page.expect_navigation():
            page.locator("button[name=action][value=next]").click()
        with page.expect_navigation():
            page.get_by_role("button", name="Skip this question").click()
        assert _key_of(page) == "see_family_score"
        with page.expect_navigation():
            page.get_by_role("link", name="Back").click()
        assert _key_of(page) == "enjoy_school_score"
        stored = _stored(live_server, child_id)
        assert {k: (r.value, r.skipped) for k, r in stored.items()} == {
            "talk_about": ("home;friends_hobbies", False), "feeling": ("happy", False),
            "safe_home_score": ("10", False), "enjoy_school_score": (None, True)}

        carer_id, carer = make_invitation(live_server.db, "carer_before", "carer", age=9)
        page.goto(live_server(f"/f/{carer}"))
        with page.expect_navigation():
            page.get_by_role("link", name="Start").click()
        page.locator("input[name=home_score][value='6']").click()
        page.fill("textarea[name=going_well]", "Football on Saturdays.")
        with page.expect_navigation():
            page.get_by_role("button", name="Save and finish later").click()
        assert page.locator("h1").inner_text() == "Your answers are saved"
        page.goto(live_server(f"/f/{carer}"))  # the same link carries on
        assert page.locator("input[name=home_score][value='6']").is_checked()
        page.locator("input[name=delegated_authority][value=not_sure]").click()
        with page.expect_navigation():
            page.get_by_role("button", name="Send my answers").click()
        assert page.url.endswith(f"/f/{carer}/thanks")
        stored = _stored(live_server, carer_id)
        assert stored["home_score"].value_num == 6 and stored["delegated_authority"].value == "not_sure"
        assert stored["going_well"].free_text == "Football on Saturdays."
        assert external == []
    finally:
        context.close()


def test_a_carer_saves_closes_the_page_and_finishes_later(live_server, new_page):
    invitation_id, token = make_invitation(live_server.db, "carer_before", "carer", age=9)
    page = new_page(phone=True)
    page.goto(live_server(f"/f/{token}"))
    with page.expect_navigation():
        page.get_by_role("link", name="Start").click()
    page.locator("input[name=home_score][value='8']").click()
    page.locator("input[name=contact_going][value=mixed]").click()
    page.fill("textarea[name=worries]", "Sleep has been poor since the move.")
    with page.expect_navigation():
        page.get_by_role("button", name="Save and finish later").click()
    assert page.url.endswith(f"/f/{token}/saved")
    check_page(page, "saved for later", "respondent-320-saved")
    page.context.close()

    stored = _stored(live_server, invitation_id)
    assert stored["home_score"].value_num == 8 and stored["contact_going"].value == "mixed"
    with live_server.db.session() as session:
        assert session.get(Invitation, invitation_id).status != "completed"

    page = new_page(phone=True)
    page.goto(live_server(f"/f/{token}"))
    assert page.url.endswith(f"/f/{token}/form?resumed=1")
    assert "Welcome back" in page.inner_text("main")
    assert page.locator("input[name=home_score][value='8']").is_checked()
    assert page.locator("input[name=contact_going][value=mixed]").is_checked()
    assert page.input_value("textarea[name=worries]") == "Sleep has been poor since the move."
    check_page(page, "adult form, resumed", "respondent-320-adult-resumed")
    page.fill("textarea[name=worries]", "")  # taken back
    page.fill("textarea[name=going_well]", "Made a friend at school.")
    with page.expect_navigation():
        page.get_by_role("button", name="Send my answers").click()
    assert page.url.endswith(f"/f/{token}/thanks")
    check_page(page, "adult thanks", "respondent-320-adult-thanks")
    assert page.external_requests == []
    stored = _stored(live_server, invitation_id)
    assert set(stored) == {"home_score", "contact_going", "going_well"}
    assert stored["going_well"].free_text == "Made a friend at school."
    with live_server.db.session() as session:
        invitation = session.get(Invitation, invitation_id)
        assert invitation.status == "completed" and invitation.received is True


def test_a_child_switches_the_form_to_welsh(live_server, phone_page):
    invitation_id, token = make_invitation(live_server.db, "child_before", "child", age=11)
    phone_page.goto(live_server(f"/f/{token}"))
    with phone_page.expect_navigation():
        phone_page.get_by_role("button", name="Cymraeg").click()
    assert phone_page.locator("html").get_attribute("lang") == "cy"
    assert phone_page.locator("h1").inner_text() == "Dweud dy ddweud cyn dy adolygiad"
    assert "Pwy sy'n darllen eich atebion" in phone_page.inner_text("main")
    check_page(phone_page, "Welsh intro", "respondent-320-welsh-intro")
    with phone_page.expect_navigation():
        phone_page.get_by_role("link", name="Dechrau").click()
    assert phone_page.locator(".r-progress").inner_text().startswith("Cwestiwn 1 o ")
    with phone_page.expect_navigation():
        phone_page.get_by_role("button", name="Nesaf").click()
    assert "Mae problem" in phone_page.inner_text(".r-error-summary")
    check_page(phone_page, "Welsh question with an error", "respondent-320-welsh-error")
    phone_page.locator("input[name=talk_about][value=school]").click()
    with phone_page.expect_navigation():
        phone_page.get_by_role("button", name="Nesaf").click()
    assert _key_of(phone_page) == "feeling"
    labels = phone_page.locator(".r-feelings label").all_inner_texts()
    assert [label.split()[-1] for label in labels] == ["Hapus", "Trist", "Dig", "Ofnus", "drysu", "poeni"]
    check_page(phone_page, "Welsh feelings", "respondent-320-welsh-feelings")
    # Back to English on the same screen.
    with phone_page.expect_navigation():
        phone_page.get_by_role("button", name="English").click()
    assert _key_of(phone_page) == "feeling"
    assert phone_page.locator("html").get_attribute("lang") == "en"
    assert "How are you feeling" in phone_page.locator("h1").inner_text()
    assert phone_page.external_requests == []
    assert _stored(live_server, invitation_id)["talk_about"].value == "school"


def test_token_guessing_gets_a_kind_wait_page(live_server, phone_page):
    live_server.app.config["FORM_TOKEN_GUESS_LIMIT"] = 2
    _, token = make_invitation(live_server.db, "child_before", "child")
    for n in range(2):
        assert phone_page.goto(live_server(f"/f/Guess{n:020d}")).status == 404
    response = phone_page.goto(live_server(f"/f/{token}"))
    assert response.status == 429
    assert phone_page.locator("h1").inner_text() == "Please wait a few minutes"
    check_page(phone_page, "rate limited", "respondent-320-rate-limited")
    assert phone_page.external_requests == []


def test_half_in_the_browser_half_by_sms_ends_complete_with_each_answer_once(live_server, new_page, twilio_fake):
    """The child answers three questions on the web page, closes it and texts the rest."""
    import requests

    from bot.channels import close_all
    from tests.fakes.twilio_fake import inbound_sms_form, new_sid, sign

    phone = "+447400900900"
    hys = live_server.app.config["HYS"]
    hys.TWILIO_ACCOUNT_SID, hys.TWILIO_AUTH_TOKEN = twilio_fake.account_sid, twilio_fake.auth_token
    hys.TWILIO_MESSAGING_SERVICE_SID, hys.TWILIO_API_BASE_URL = new_sid("MG"), twilio_fake.api_base_url
    invitation_id, token = make_invitation(live_server.db, "child_before", "child", age=11, channel="sms",
                                           contact=phone)
    page = new_page(phone=True)
    page.goto(live_server(f"/f/{token}"))
    with page.expect_navigation():
        page.get_by_role("link", name="Start").click()
    for _ in range(3):
        _answer_child_question(page, {"talk_about": ["family"], "feeling": ["confused"], "safe_home_score": "7"})
    page.context.close()

    replies = {"scale": "8", "single": "1", "multi": "1", "text": "SKIP"}
    texted: list[str] = []
    try:
        for _ in range(30):
            with live_server.db.session() as session:
                current = (session.get(Invitation, invitation_id).state or {}).get("current")
            if current is None:
                break
            texted.append(current)
            from surveys.forms import get_form
            question = next(q for q in get_form("child_before").questions if q.key == current)
            body = {"bullied": "no"}.get(current) or replies.get(question.type, "yes")
            form = inbound_sms_form(phone, body)
            url = live_server("/webhooks/twilio/sms")
            response = requests.post(url, data=form, timeout=30,
                                     headers={"X-Twilio-Signature": sign(twilio_fake.auth_token, url, form)})
            assert response.status_code == 200, response.text
            twilio_fake.accept_twiml(response.content, form)  # Twilio sends the replies in the answer
        from bot.sender import background
        background.drain()
    finally:
        close_all()
    assert texted[0] == "enjoy_school_score" and texted[-1] == "feel_safe"
    assert twilio_fake.sent(phone)  # the next questions went back by text

    stored = _stored(live_server, invitation_id)
    with live_server.db.session() as session:
        rows = session.scalars(select(Answer).where(Answer.invitation_id == invitation_id)).all()
        invitation = session.get(Invitation, invitation_id)
        assert invitation.status == "completed" and invitation.received is True
    assert len(rows) == len(stored)  # one row per question: nothing stored twice
    assert {k for k, r in stored.items() if r.channel == "web"} == {"talk_about", "feeling", "safe_home_score"}
    assert {k for k, r in stored.items() if r.channel == "sms"} == set(texted)
    assert stored["feeling"].value == "confused" and stored["feel_safe"].value == "yes"
    page = new_page(phone=True)
    assert page.goto(live_server(f"/f/{token}")).status == 410  # the link knows it was sent


def test_adult_safeguarding_reply_and_the_note_for_a_carer_helping_a_young_child(live_server, new_page):
    carer_id, carer = make_invitation(live_server.db, "carer_before", "carer", age=9)
    page = new_page(phone=True)
    page.goto(live_server(f"/f/{carer}/form"))
    page.fill("textarea[name=worries]", "He told me his dad hits him when he visits and he is scared to go.")
    with page.expect_navigation():
        page.get_by_role("button", name="Save and finish later").click()
    assert page.url.endswith(f"/f/{carer}/help")
    text = page.inner_text("main")
    assert "999" in text and "0808 800 5000" in text and "Childline" not in page.content()
    check_page(page, "adult safeguarding reply", "respondent-320-adult-safeguarding")
    with live_server.db.session() as session:
        assert session.scalars(select(Alert.question_key).where(Alert.invitation_id == carer_id)).all() == ["worries"]

    child_id, child = make_invitation(live_server.db, "child_before", "child", age=6)
    with live_server.db.session() as session:
        session.get(Invitation, child_id).via_carer = True
        session.commit()
    page.goto(live_server(f"/f/{child}"))
    assert "For the adult helping" in page.inner_text("main")
    check_page(page, "intro with a note for the adult helping", "respondent-320-intro-via-carer")
    with page.expect_navigation():
        page.get_by_role("link", name="Start").click()
    # An under-8 gets the simple wording.
    assert page.locator("h1").inner_text() == "What do you want to talk about at your meeting? Pick as many as you like."
    check_page(page, "question for an under-8", "respondent-320-question-under-8")
    assert page.external_requests == []
