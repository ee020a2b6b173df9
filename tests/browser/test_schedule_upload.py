"""The schedule upload page in headless Chromium: a progress bar on a large file, then the result."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from storage.models import Review
from storage.staff import add_staff
from surveys.schedule_csv import COLUMNS
from tests.browser.conftest import axe_check, login

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-battery"


def _large_schedule(path, rows: int) -> None:  # noqa: ANN001
    """``rows`` good rows, then one bad one at the very end (so nothing may be stored)."""
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(",".join(COLUMNS) + "\n")
        for i in range(rows):
            handle.write(f"R{i:06d},C{i:06d},12,CLA,2027-03-01,iro@council.example,child,sms,"
                         f"07400 4{i % 100000:05d},en\n")
        handle.write("R-LAST,C-LAST,12,CLA,2027-02-30,iro@council.example,child,sms,07400 500000,en\n")


def test_a_large_upload_shows_its_progress_then_every_problem(live_server, new_page, tmp_path) -> None:  # noqa: ANN001
    with live_server.db.session() as session:
        add_staff(session, "manager@council.example", "manager", PASSWORD)
    big = tmp_path / "schedule.csv"
    rows = 30_000
    _large_schedule(big, rows)
    assert big.stat().st_size > 2 * 1024 * 1024

    page = new_page(phone=False)
    login(page, live_server, "manager@council.example", PASSWORD)
    page.goto(live_server("/dashboard/schedule/"))
    assert page.locator("#upload-progress").is_hidden()
    axe_check(page, "schedule upload")
    page.set_input_files("#schedule", str(big))
    page.click("#schedule-form button[type=submit]")

    # The bar shows, fills once the file is sent, and says the rows are being checked.
    page.wait_for_selector("#upload-progress[data-sent=yes]", timeout=60_000)
    assert page.eval_on_selector("#upload-progress", "bar => [bar.hidden, bar.value, bar.max]") == [False, 100, 100]
    assert page.locator("#schedule-form button[type=submit]").is_disabled()
    assert page.inner_text("#upload-status").startswith("File sent. Checking every row")

    # Then the server's answer replaces the page: the one bad row, and nothing stored.
    page.wait_for_selector(".error-summary", timeout=300_000)
    assert page.inner_text(".error-summary p").strip() == (
        "1 problem(s) found in schedule.csv; nothing was imported.")
    assert page.locator(".error-summary li").all_inner_texts() == [
        f"line {rows + 2}, column review_date: '2027-02-30' is not a date (expected YYYY-MM-DD)"]
    axe_check(page, "schedule upload with errors")
    with live_server.db.session() as session:
        assert session.scalar(select(func.count(Review.id))) == 0
