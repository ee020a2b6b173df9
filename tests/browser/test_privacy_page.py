"""The child-friendly privacy page in headless Chromium: phone width, WCAG AA, no CSP breaks."""

from __future__ import annotations

import pytest

from tests.browser.conftest import axe_check, screenshot

pytestmark = pytest.mark.browser


def test_privacy_page_on_a_phone(live_server, phone_page) -> None:  # noqa: ANN001
    page = phone_page
    csp_errors: list[str] = []
    page.on("console", lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None)
    response = page.goto(live_server("/privacy"))
    assert response is not None and response.status == 200
    page.wait_for_load_state("load")
    assert "0800 1111" in page.inner_text("body")
    assert page.locator("main li").count() >= 5
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    axe_check(page, "privacy page")
    screenshot(page, "privacy-320")
    assert csp_errors == [] and page.external_requests == []
