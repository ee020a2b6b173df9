"""The channel simulator in headless Chromium: plain form posts, buttons, no CSP breaks, WCAG AA."""

from __future__ import annotations

import pytest

from storage.staff import add_staff
from tests.browser.conftest import axe_check, login, screenshot

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-battery"


def test_telegram_rehearsal_with_buttons_on_a_phone(live_server, phone_page) -> None:  # noqa: ANN001
    with live_server.db.session() as session:
        add_staff(session, "iro.sim@council.example", "iro", PASSWORD)
    page = phone_page
    csp_errors: list[str] = []
    page.on("console", lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None)
    login(page, live_server, "iro.sim@council.example", PASSWORD)
    page.click("nav[aria-label=Staff] >> text=Simulator")
    page.select_option("#form_id", "child_after")
    page.fill("#age", "11")
    page.check("#channel-telegram")
    axe_check(page, "simulator start")
    page.click("text=Start the conversation")
    assert "/dashboard/simulator/" in page.url
    page.locator("button[name=callback]:not([disabled])", has_text="Yes").first.click()
    page.wait_for_load_state()
    assert page.locator(".sim-from-respondent").all_inner_texts()[-1].strip().endswith("Yes")
    page.fill("#text", "not sure really")
    page.click("form.stack button[type=submit]")
    page.wait_for_load_state()
    assert page.locator(".sim-from-respondent").all_inner_texts()[-1].strip().endswith("not sure really")
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    axe_check(page, "simulator conversation")
    screenshot(page, "simulator-telegram-320")
    assert csp_errors == [] and page.external_requests == []
