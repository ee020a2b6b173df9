"""An IRO reads a child's words and marks them read, in headless Chromium (with axe checks)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from storage.models import Answer, AuditEvent, Staff, utcnow
from storage.responses import save_answers
from surveys.forms import get_form
from tests.browser.conftest import axe_check, login, screenshot
from tests.web.dashboard_data import PASSWORD, add_invitation, add_review, build_world

pytestmark = pytest.mark.browser

WORDS = "Can I have my guitar lessons again please"


@pytest.fixture
def world(live_server):  # noqa: ANN001, ANN201
    with live_server.db.session() as session:
        world = build_world(session)
        review = add_review(session, "R-A2", session.get(Staff, world.iro_a), child_ref="C-ALPHA",
                            review_date=(utcnow() + timedelta(days=9)).date())
        invitation = add_invitation(session, review, "child", channel="sms", contact="+447400100077")
        key = next(q.key for q in get_form(invitation.form_id).questions if q.type == "text" and q.show_if is None)
        save_answers(session, invitation, {key: WORDS}, channel="sms", now=utcnow() - timedelta(hours=2))
        session.commit()
        world.invitations["R-A2:child"] = invitation.id
        return world


def test_iro_marks_a_childs_words_read(live_server, world, new_page) -> None:  # noqa: ANN001
    page = new_page(phone=True)
    login(page, live_server, world.emails["iro_a"], PASSWORD)
    link = page.locator("nav[aria-label=Staff] a", has_text="To read")
    assert " ".join(link.inner_text().split()) == "To read 1 unread"  # "unread" for screen readers only
    link.click()
    page.wait_for_url("**/dashboard/to-read")
    main = page.inner_text("main")
    assert WORDS in main and "R-A2" in main and "Due by" in main
    axe_check(page, "IRO to-read list")
    screenshot(page, "dashboard-iro-to-read-320")

    page.get_by_role("button", name="Mark as read").click()
    page.wait_for_selector("text=Marked as read.")
    main = page.inner_text("main")
    assert WORDS not in main and "Nothing to read" in main
    assert page.locator("nav[aria-label=Staff] a", has_text="To read").inner_text().strip() == "To read"
    axe_check(page, "IRO to-read list, all read")
    with live_server.db.session() as session:
        answer = session.scalar(select(Answer).where(Answer.invitation_id == world.invitations["R-A2:child"],
                                                     Answer.free_text == WORDS))
        assert answer.read_by == world.iro_a and answer.read_at is not None
        assert session.scalar(select(AuditEvent.object_id).where(AuditEvent.action == "answer_read")) == str(answer.id)
    assert page.external_requests == []
