"""What admin, manager and IRO each see on the dashboard, in headless Chromium."""

from __future__ import annotations

import pytest

from tests.browser.conftest import axe_check, login, screenshot
from tests.web.dashboard_data import PASSWORD, build_world

pytestmark = pytest.mark.browser


@pytest.fixture
def world(live_server):  # noqa: ANN001, ANN201
    with live_server.db.session() as session:
        return build_world(session)


def nav_labels(page) -> list[str]:  # noqa: ANN001
    return [label.strip() for label in page.locator("nav[aria-label=Staff] a").all_inner_texts()]


def fits_width(page) -> bool:  # noqa: ANN001
    """No horizontal scrolling of the page itself (wide tables scroll inside their box).

    Measured only once the page has loaded with its stylesheet applied: measured while a
    navigation is still under way, an unstyled table is wider than a phone, and the check
    would depend on how busy the machine is.
    """
    page.wait_for_load_state("load")
    page.wait_for_function("() => document.readyState === 'complete' && document.styleSheets.length > 0 && "
                           "[...document.styleSheets].every(sheet => { try { return sheet.cssRules.length > 0 } "
                           "catch (e) { return true } })")
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def too_wide(page) -> list[str]:  # noqa: ANN001
    """The elements that stick out past the right edge (for the message when ``fits_width`` fails)."""
    return page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(el => el.getBoundingClientRect().right > window.innerWidth + 0.5)
        .filter(el => !el.closest('.table-scroll, [role=region]'))
        .slice(0, 5).map(el => el.tagName + (el.id ? '#' + el.id : '') + ' ' +
                         Math.round(el.getBoundingClientRect().right) + 'px')""")


def test_iro_sees_only_their_children(live_server, world, new_page) -> None:  # noqa: ANN001
    page = new_page(phone=True)
    login(page, live_server, world.emails["iro_a"], PASSWORD)
    assert page.url.endswith("/dashboard/")
    assert nav_labels(page)[:3] == ["Overview", "Alerts", "My reviews"]
    assert "Figures" not in nav_labels(page) and "Users" not in nav_labels(page)
    body = page.inner_text("main")
    assert "R-A1" in body and "R-B1" not in body
    assert fits_width(page)
    axe_check(page, "IRO overview")
    screenshot(page, "dashboard-iro-overview-320")

    page.click("text=My reviews")
    page.wait_for_url("**/dashboard/reviews")  # a click only starts a navigation: wait for the new page
    assert "R-A1" in page.inner_text("main") and "R-B1" not in page.inner_text("main")
    page.click("a:text('R-A1')")
    page.wait_for_url(f"**/dashboard/reviews/{world.reviews['R-A1']}")
    main = page.inner_text("main")
    assert "Settled well (C-ALPHA)" in main and "Links to hand over" in main
    assert fits_width(page)
    axe_check(page, "IRO review detail")
    screenshot(page, "dashboard-iro-review-320")

    # Changing the id in the address bar shows nothing of the other IRO's child.
    response = page.goto(live_server(f"/dashboard/reviews/{world.reviews['R-B1']}"))
    assert response.status == 404
    assert "C-BRAVO" not in page.content()
    response = page.goto(live_server(f"/dashboard/alerts/{world.alerts['R-B1']}"))
    assert response.status == 404
    assert page.external_requests == []


def test_iro_acknowledges_and_closes_an_alert(live_server, world, page) -> None:  # noqa: ANN001
    login(page, live_server, world.emails["iro_a"], PASSWORD)
    page.click("a:text('Review R-A1')")
    page.wait_for_url(f"**/dashboard/alerts/{world.alerts['R-A1']}")
    assert "secret words for C-ALPHA" in page.inner_text("main")
    page.click("text=Acknowledge: I am dealing with this")
    page.wait_for_selector("text=Alert acknowledged.")
    assert "Alert acknowledged." in page.inner_text("main")
    page.fill("textarea[name=action]", "Rang the social worker; visit booked for today.")
    page.click("text=Record action")
    page.wait_for_selector("text=Action recorded.")
    page.click("text=Close the alert")
    page.wait_for_selector("text=Alert closed.")
    main = page.inner_text("main")
    assert "Alert closed." in main and "Rang the social worker" in main
    axe_check(page, "closed alert")
    screenshot(page, "dashboard-iro-alert-closed")


def test_manager_sees_all_and_the_figures(live_server, world, page) -> None:  # noqa: ANN001
    login(page, live_server, world.emails["manager"], PASSWORD)
    labels = nav_labels(page)
    assert {"Overview", "Alerts", "Reviews", "Figures"} <= set(labels) and "Users" not in labels
    body = page.inner_text("main")
    assert "Review R-A1" in body and "Review R-B1" in body
    screenshot(page, "dashboard-manager-overview")
    page.click("nav >> text=Figures")
    page.wait_for_url("**/dashboard/figures")
    assert page.locator("h1").inner_text().startswith("Figures:")
    assert page.locator("table caption", has_text="participating in their review").count() == 1
    axe_check(page, "manager figures")
    screenshot(page, "dashboard-manager-figures")
    response = page.goto(live_server("/dashboard/users"))
    assert response.status == 403


def test_figures_and_alerts_fit_a_phone(live_server, world, new_page) -> None:  # noqa: ANN001
    page = new_page(phone=True)
    login(page, live_server, world.emails["manager"], PASSWORD)
    for path in ("/dashboard/figures", "/dashboard/alerts/", f"/dashboard/alerts/{world.alerts['R-B1']}",
                 "/dashboard/reviews"):
        assert page.goto(live_server(path)).status == 200
        assert fits_width(page), path
        axe_check(page, path)
    screenshot(page, "dashboard-manager-alert-320")


def test_admin_sees_the_users_page(live_server, world, new_page) -> None:  # noqa: ANN001
    page = new_page(phone=True)
    login(page, live_server, world.emails["admin"], PASSWORD)
    assert "Users" in nav_labels(page)
    page.click("nav >> text=Users")
    page.wait_for_url("**/dashboard/users")  # the click only starts the navigation
    table = page.inner_text("table")
    for email in world.emails.values():
        assert email in table
    assert fits_width(page), too_wide(page)
    axe_check(page, "admin users")
    screenshot(page, "dashboard-admin-users-320")
    page.fill("#email", "new-iro@council.example")
    page.fill("#password", "a-long-password-1")
    page.select_option("#role", "iro")
    page.click("text=Add account")
    page.wait_for_selector("text=Account new-iro@council.example added (iro).")
    assert "Account new-iro@council.example added (iro)." in page.inner_text("main")
