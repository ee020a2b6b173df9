"""A manager approves one quote and rejects another in headless Chromium (320 px), then
downloads every export from the figures page and the files hold the approved quote only."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.browser.conftest import axe_check, login, screenshot

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-battery"
MANAGER = "quotes.manager@council.example"
TO_APPROVE = "I want to see my nan every week"
EDITED = "I want to see my nan every week please"
FIGURES = "/dashboard/figures?period=year&year=2025"


@pytest.fixture
def year(live_server):  # noqa: ANN001, ANN201
    from storage.models import Invitation, Quote
    from storage.staff import add_staff
    from tests.storage.report_data import HIDDEN_TEXTS, seed_year

    with live_server.db.session() as session:
        seeded = seed_year(session)
        add_staff(session, MANAGER, "manager", PASSWORD)
        child = session.scalar(select(Invitation).where(Invitation.review_id == seeded.reviews["R2"],
                                                        Invitation.role == "child"))
        quote = Quote(invitation_id=child.id, form_id="child_after", question_key="iro_comment", role="child",
                      age=11, redacted_text=TO_APPROVE, themes="family_contact", status="candidate")
        session.add(quote)
        session.flush()
        to_reject = session.scalar(select(Quote.id).where(Quote.redacted_text == HIDDEN_TEXTS[0]))
        return {"approve": quote.id, "reject": to_reject, "hidden": HIDDEN_TEXTS}


def _fits_width(page) -> bool:  # noqa: ANN001
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def _text_of(fmt: str, path: Path) -> str:
    """Everything a reader of the file would see, as text."""
    if fmt == "json":
        report = json.loads(path.read_text(encoding="utf-8"))
        return "\n".join(q["text"] for q in report["quotes"]) + "\n" + path.read_text(encoding="utf-8")
    if fmt == "csv":
        with path.open(newline="", encoding="utf-8") as stream:
            return "\n".join(" | ".join(row) for row in csv.reader(stream))
    if fmt == "xlsx":
        from openpyxl import load_workbook

        workbook = load_workbook(path)
        return "\n".join(str(c) for sheet in workbook for row in sheet.iter_rows(values_only=True) for c in row
                         if c is not None)
    from docx import Document

    document = Document(str(path))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def test_manager_approves_a_quote_and_downloads_each_export(live_server, year, phone_page, tmp_path):  # noqa: ANN001
    page = phone_page
    login(page, live_server, MANAGER, PASSWORD)
    page.goto(live_server("/dashboard/quotes"))
    main = page.inner_text("main")
    assert "Quotes" in main
    assert page.input_value(f"#text{year['approve']}") == TO_APPROVE
    assert page.input_value(f"#text{year['reject']}") == year["hidden"][0]
    assert _fits_width(page)
    axe_check(page, "quotes to approve (320 px)")
    screenshot(page, "quotes-candidates-320")

    # Edit the redaction and approve; reject the other one.
    page.fill(f"#text{year['approve']}", EDITED)
    page.click(f"section[aria-labelledby=q{year['approve']}] button[value=approve]")
    assert "Quote approved." in page.inner_text("main")
    page.click(f"section[aria-labelledby=q{year['reject']}] button[value=reject]")
    assert "Quote rejected." in page.inner_text("main")
    page.goto(live_server("/dashboard/quotes?status=approved"))
    assert page.input_value(f"#text{year['approve']}") == EDITED
    axe_check(page, "approved quotes (320 px)")

    page.goto(live_server(FIGURES))
    assert EDITED in page.inner_text("main") and year["hidden"][0] not in page.inner_text("main")
    axe_check(page, "figures with download buttons (320 px)")
    screenshot(page, "figures-downloads-320")
    links = page.locator("section.downloads a")
    assert links.count() == 4
    texts: dict[str, str] = {}
    for index in range(links.count()):
        with page.expect_download() as info:
            links.nth(index).click()
        download = info.value
        name = download.suggested_filename
        assert name.startswith("haveyoursay-report-2025-04-01-to-2026-03-31.")
        fmt = name.rsplit(".", 1)[1]
        path = tmp_path / name
        download.save_as(path)
        texts[fmt] = _text_of(fmt, path)
    assert set(texts) == {"json", "csv", "xlsx", "docx"}
    for fmt, text in texts.items():
        assert EDITED in text, fmt
        for hidden in year["hidden"]:  # rejected, a candidate, an approved one from a group under 5
            assert hidden not in text, (fmt, hidden)
    assert "\u201cI want to see my nan every week please\u201d (11)" in texts["docx"]
    assert "Contact with family" in texts["docx"]
    assert page.external_requests == []


def test_iro_sends_you_said_we_did_from_the_review_page(live_server, phone_page):  # noqa: ANN001
    from datetime import date

    from storage.models import OutboxMessage, YouSaidWeDid
    from storage.staff import add_staff
    from tests.storage.helpers import make_invitation, make_review

    with live_server.db.session() as session:
        iro = add_staff(session, "yswd.iro@council.example", "iro", PASSWORD)
        review = make_review(session, "YSWD-1", iro_id=iro.id, review_date=date(2026, 1, 5))
        make_invitation(session, review, "child", contact="+447400777001")
        review_id = review.id
    page = phone_page
    login(page, live_server, "yswd.iro@council.example", PASSWORD)
    page.goto(live_server(f"/dashboard/reviews/{review_id}"))
    page.click("text=Tell the young person what was done about what they said")
    page.click("button:text('Save and send')")  # empty: a clear message, nothing saved
    assert "write what was done" in page.inner_text("main")
    assert page.get_attribute("#message", "aria-invalid") == "true"
    axe_check(page, "you said, we did with an error (320 px)")
    page.fill("#message", "You asked for more time with your brother: it is now every Saturday.")
    page.click("button:text('Save and send')")
    main = page.inner_text("main")
    assert "Saved." in main and "every Saturday" in main and "(queued to send)" in main
    assert _fits_width(page)
    axe_check(page, "you said, we did sent (320 px)")
    screenshot(page, "you-said-we-did-320")
    with live_server.db.session() as session:
        [message] = session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "you_said_we_did")).all()
        assert message.to == "+447400777001" and "every Saturday" in message.body
        assert session.scalar(select(YouSaidWeDid.review_id)) == review_id
