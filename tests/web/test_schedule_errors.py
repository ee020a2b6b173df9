"""Malformed schedules: the same exact error list on the CLI and the upload page, and nothing stored.

Each case is imported twice, by ``haveyoursay reviews import FILE`` and by the
dashboard upload, into a database that already holds a good schedule: the error
lines must be exactly the expected ones, the command must fail, the page must say
so (never a 500), and the stored reviews and invitations must not change at all.
"""

from __future__ import annotations

import html
import io
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from storage.models import Invitation, Review
from surveys.schedule_csv import COLUMNS
from tests.conftest import BACKEND, csrf_token_from

PAYLOADS = Path(__file__).parents[1] / "payloads" / "schedules"
HEADER = ",".join(COLUMNS) + "\n"
ROLES = "child, care_leaver, parent, carer, health, education, guardian"


def row(ref: str = "R-NEW", *, age: str = "12", review_type: str = "CLA", day: str = "2027-02-01",
        role: str = "child", channel: str = "sms", contact: str = "07400 200001", language: str = "en") -> str:
    return f"{ref},C-{ref},{age},{review_type},{day},iro@council.example,{role},{channel},{contact},{language}\n"


# The good rows move R-XMAS (stored by the fixture) to a new date: a file with any bad
# row must not move it.
MOVED = row("R-XMAS", day="2027-01-12", contact="07400 100001").replace("C-R-XMAS", "C-001")
BAD_UTF8 = (HEADER + MOVED).encode() + b"R-NEW,C-NEW,12,CLA,2027-02-01,iro@council.example,child,sms," \
    + b"07400 200001,\xff\xfe\n"
BAD_UTF8_OFFSET = len((HEADER + MOVED).encode()) + len(b"R-NEW,C-NEW,12,CLA,2027-02-01,iro@council.example,"
                                                       b"child,sms,07400 200001,")

CASES = {
    "wrong header": (
        (HEADER.replace("review_date", "date") + MOVED).encode(),
        ["line 1: wrong header: missing column: review_date",
         "line 1: wrong header: unexpected column: 'date' (expected exactly: " + ", ".join(COLUMNS) + ")"],
    ),
    "columns separated by semicolons": (
        (HEADER.replace(",", ";") + MOVED.replace(",", ";")).encode(),
        ["line 1: the columns are separated by ';', not commas; save the file as 'CSV UTF-8 (comma delimited)'"],
    ),
    "bad date": (
        (HEADER + MOVED + row(day="2027-02-30") + row("R-TWO", day="01/02/2027")).encode(),
        ["line 3, column review_date: '2027-02-30' is not a date (expected YYYY-MM-DD)",
         "line 4, column review_date: '01/02/2027' is not a date (expected YYYY-MM-DD)"],
    ),
    "unknown role": (
        (HEADER + MOVED + row(role="teacher")).encode(),
        [f"line 3, column role: unknown role 'teacher' (expected one of: {ROLES})"],
    ),
    "bad phone": (
        (HEADER + MOVED + row(contact="07400 2000") + row("R-TWO", contact="+44 7700 900123")
         + row("R-THREE", contact="020 7946 0000")).encode(),
        ["line 3, column contact: invalid phone number '07400 2000'",
         "line 4, column contact: invalid phone number '+44 7700 900123'",
         "line 5, column contact: '020 7946 0000' is a landline number; sms needs a mobile number"],
    ),
    "duplicate row": (
        # The same person twice, the second time with the number spelt another way.
        (HEADER + MOVED + row() + row(contact="+44 7400 200001")).encode(),
        ["line 4: duplicate of line 3 (same review_ref, role and contact)"],
    ),
    "invalid UTF-8": (
        BAD_UTF8,
        [f"line 3: not valid UTF-8: byte 0xff at byte offset {BAD_UTF8_OFFSET} of the file (byte "
         f"{BAD_UTF8_OFFSET - len((HEADER + MOVED).encode()) + 1} of line 3); save the file as 'CSV UTF-8' "
         "and upload it again"],
    ),
    "UTF-16 (Excel's 'Unicode text')": (
        (HEADER + MOVED).encode("utf-16"),
        ["line 1: the file is UTF-16 text; save it as 'CSV UTF-8' and upload it again"],
    ),
    "empty file": (b"", ["the file is empty"]),
    "only blank lines": (b"\n\n  \n", ["the file is empty"]),
    "header only": (HEADER.encode(), ["the file has a header but no rows"]),
    "several problems in one file": (
        (HEADER + MOVED + row(age="ten", review_type="XYZ", channel="fax") + row("R-TWO", language="xx")
         + row("R-THREE", role="care_leaver", age="14")).encode(),
        ["line 3, column child_age: 'ten' is not a whole number (expected 0 to 25)",
         "line 3, column review_type: unknown review_type 'XYZ' (expected CLA or PP)",
         "line 3, column channel: unknown channel 'fax' (expected one of: sms, telegram, web, email, paper)",
         "line 4, column language: unknown language 'xx' (expected a two-letter ISO 639-1 code such as en or cy)",
         "line 5, column role: role care_leaver needs review_type PP (care leavers have pathway plan reviews)",
         "line 5, column child_age: age 14 is too young for a care leaver (care leavers are 16 or over)"],
    ),
}


def _snapshot(app) -> tuple:  # noqa: ANN001
    with app.extensions["db"].session() as session:
        reviews = sorted(session.execute(select(Review.review_ref, Review.review_date, Review.updated_at)).all())
        invitations = sorted(session.execute(select(Invitation.id, Invitation.token, Invitation.channel,
                                                    Invitation.updated_at)).all())
        return reviews, invitations


@pytest.fixture
def stored(app) -> tuple:  # noqa: ANN001
    """A good schedule already imported; returns what is stored."""
    result = app.test_cli_runner().invoke(args=["reviews", "import", str(PAYLOADS / "cycle.csv")])
    assert result.exit_code == 0, result.output
    before = _snapshot(app)
    assert len(before[0]) == 3 and len(before[1]) == 13
    return before


def _cli_errors(app, path: Path) -> list[str]:  # noqa: ANN001
    result = app.test_cli_runner().invoke(args=["reviews", "import", str(path)])
    assert result.exit_code == 1, result.output
    assert result.stderr.rstrip().endswith("nothing was imported")
    return [line.removeprefix("error: ") for line in result.stderr.splitlines() if line.startswith("error: ")]


def _upload(client, data: bytes, name: str = "schedule.csv"):  # noqa: ANN001, ANN202
    token = csrf_token_from(client.get("/dashboard/schedule/").get_data(as_text=True))
    return client.post("/dashboard/schedule/", data={"csrf_token": token, "schedule": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def _page_errors(page: str) -> list[str]:
    summary = re.search(r'<div class="error-summary" role="alert">(.*?)</div>', page, re.S)
    assert summary, page[:3000]
    return [html.unescape(item) for item in re.findall(r"<li>(.*?)</li>", summary.group(1), re.S)]


@pytest.mark.parametrize("case", list(CASES))
def test_a_malformed_file_gets_the_exact_errors_on_the_cli_and_the_page_and_stores_nothing(
        case, app, client, staff_login, stored, tmp_path):
    data, expected = CASES[case]
    path = tmp_path / "schedule.csv"
    path.write_bytes(data)

    errors = _cli_errors(app, path)
    assert errors == expected
    assert _snapshot(app) == stored

    staff_login("manager")
    response = _upload(client, data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f"{len(expected)} problem(s) found in schedule.csv; nothing was imported." in page
    assert _page_errors(page) == expected
    assert _snapshot(app) == stored


def test_the_good_rows_of_those_files_do_import(app, stored, tmp_path):
    # The rows the cases share are good: the errors above come from the bad rows alone.
    path = tmp_path / "good.csv"
    path.write_bytes((HEADER + MOVED + row()).encode())
    result = app.test_cli_runner().invoke(args=["reviews", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "2 rows: 1 reviews created, 1 updated (1 rescheduled)" in result.stdout
    assert _snapshot(app) != stored


def _fifty_mb_file(path: Path) -> int:
    """A real (not sparse) schedule of valid rows just over 50 MB; its size."""
    line = row("R-BIG").encode()
    block = b"".join(row(f"R{i:06d}", contact=f"07400 3{i % 100000:05d}").encode() for i in range(10_000))
    with open(path, "wb") as handle:
        handle.write(HEADER.encode())
        while handle.tell() <= 50 * 1024 * 1024:
            handle.write(block)
        handle.write(line)
        return handle.tell()


def test_a_50_mb_file_is_refused_whole_on_the_cli_and_the_page(app, client, staff_login, stored, tmp_path):
    big = tmp_path / "national.csv"
    size = _fifty_mb_file(big)
    assert size > 50 * 1024 * 1024

    assert _cli_errors(app, big) == [f"the file is {size / 1048576:.1f} MB, larger than the 50 MB limit; "
                                     "split it and import the parts"]
    assert _snapshot(app) == stored

    staff_login("admin")
    response = _upload(client, big.read_bytes(), "national.csv")
    page = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "That file is larger than the 50 MB limit. Split it into smaller files and upload each one." in page
    assert 'name="schedule"' in page  # the form is there to try again
    assert _snapshot(app) == stored


def test_odd_uploads_get_a_message_not_a_500(app, client, staff_login, stored):
    staff_login("manager")
    token = csrf_token_from(client.get("/dashboard/schedule/").get_data(as_text=True))
    no_file = client.post("/dashboard/schedule/", data={"csrf_token": token})
    assert no_file.status_code == 400 and "Choose a CSV file to upload." in no_file.get_data(as_text=True)
    png = _upload(client, b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "photo.png")
    assert png.status_code == 422
    [error] = _page_errors(png.get_data(as_text=True))
    assert error.startswith("line 1: not valid UTF-8: byte 0x89 at byte offset 0 of the file")
    assert _snapshot(app) == stored


@pytest.mark.skipif(not BACKEND.startswith("postgres"),
                    reason="concurrent writers conflict on PostgreSQL; SQLite serialises them (BEGIN IMMEDIATE)")
def test_an_import_that_loses_a_race_says_so_and_stores_nothing(app, client, staff_login):
    """Another import stores R-XMAS while this upload is saving it: a clear 409, never a 500."""
    import threading
    import time
    from datetime import date

    from sqlalchemy import create_engine, func, insert, text

    staff_login("manager")
    token = csrf_token_from(client.get("/dashboard/schedule/").get_data(as_text=True))
    engine = create_engine(app.config["SQLALCHEMY_URL"])
    other = engine.connect()
    transaction = other.begin()
    other.execute(insert(Review).values(review_ref="R-XMAS", child_ref="C-001", child_age=12, review_type="CLA",
                                        review_date=date(2026, 12, 29), iro_email="iro.one@council.example"))
    responses = []
    upload = threading.Thread(target=lambda: responses.append(client.post(
        "/dashboard/schedule/", content_type="multipart/form-data",
        data={"csrf_token": token, "schedule": (io.BytesIO((PAYLOADS / "cycle.csv").read_bytes()), "cycle.csv")})))
    try:
        upload.start()
        # Wait (no timing assertion) until the upload's INSERT of R-XMAS waits on the other transaction.
        deadline = time.monotonic() + 120
        with engine.connect() as watcher:
            while not watcher.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                          "AND wait_event_type = 'Lock'")):
                assert time.monotonic() < deadline and upload.is_alive(), "the upload never waited on the lock"
                time.sleep(0.05)
        transaction.commit()
    finally:
        if transaction.is_active:
            transaction.rollback()
        other.close()
        upload.join(120)
        engine.dispose()
    [response] = responses
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert ("Another import was saving the same reviews at the same time, so nothing from cycle.csv was "
            "imported. Upload it again in a minute: rows that are already stored are not imported twice.") in page
    with app.extensions["db"].session() as session:
        assert session.scalars(select(Review.review_ref)).all() == ["R-XMAS"]
        assert session.scalar(select(func.count(Invitation.id))) == 0
    again = _upload(client, (PAYLOADS / "cycle.csv").read_bytes(), "cycle.csv")
    assert again.status_code == 200 and "Invitations created: 13" in again.get_data(as_text=True)
