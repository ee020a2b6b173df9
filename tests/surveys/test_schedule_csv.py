"""Schedule CSV validation: normalised rows, and every bad row with its line, column and reason."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from surveys.schedule_csv import (
    COLUMNS,
    RowError,
    check_contact,
    normalise_phone,
    validate_schedule,
)

PAYLOADS = Path(__file__).parents[1] / "payloads" / "schedules"
HEADER = ",".join(COLUMNS) + "\n"


def _validate(text: str | bytes, **kwargs):  # noqa: ANN202
    data = text.encode("utf-8") if isinstance(text, str) else text
    return validate_schedule([data], **kwargs)


def test_valid_file_gives_normalised_rows():
    with open(PAYLOADS / "cycle.csv", "rb") as handle:
        result = validate_schedule(handle)
    assert result.ok, result.errors
    assert [(r.line, r.review_ref, r.role, r.channel, r.contact) for r in result.rows] == [
        (2, "R-XMAS", "child", "sms", "+447400100001"),
        (3, "R-XMAS", "carer", "email", "carer.one@example.org"),
        (4, "R-XMAS", "parent", "sms", "+447400100002"),
        (5, "R-XMAS", "health", "paper", ""),
        (6, "R-EASTER", "child", "web", ""),
        (7, "R-EASTER", "carer", "sms", "+447400100003"),
        (8, "R-MAY", "care_leaver", "telegram", "+447400100004"),
    ]
    assert result.rows[0].review_date == date(2026, 12, 29)
    assert result.rows[6].review_type == "PP" and result.rows[6].child_age == 19


def test_bad_file_reports_every_problem_with_line_and_column():
    with open(PAYLOADS / "bad.csv", "rb") as handle:
        result = validate_schedule(handle)
    assert result.errors == [
        RowError(3, "review_date", "'2026-02-30' is not a date (expected YYYY-MM-DD)"),
        RowError(4, "role", "unknown role 'teacher' (expected one of: child, care_leaver, parent, carer, "
                            "health, education, guardian)"),
        RowError(5, "contact", "invalid phone number '+44 7700 900123'"),
        RowError(6, None, "duplicate of line 2 (same review_ref, role and contact)"),
        RowError(7, "child_age", "'ten' is not a whole number (expected 0 to 25)"),
        RowError(7, "review_type", "unknown review_type 'XYZ' (expected CLA or PP)"),
        RowError(7, "iro_email", "invalid email address 'not-an-email'"),
        RowError(7, "channel", "unknown channel 'fax' (expected one of: sms, telegram, web, email, paper)"),
    ]
    assert not result.ok


def test_phone_numbers_are_normalised_to_e164_in_region_gb():
    for spelling in ("07400 100001", "(07400) 100-001", "+44 7400 100001", "447400100001", "0044 7400 100001"):
        assert normalise_phone(spelling, sms=True) == ("+447400100001", None), spelling
    assert normalise_phone("020 7946 0000")[0] == "+442079460000"
    number, reason = normalise_phone("020 7946 0000", sms=True)
    assert number is None and "landline" in reason
    assert normalise_phone("+44 7700 900123") == (None, "invalid phone number '+44 7700 900123'")
    # Ranges are remembered by their first seven digits: a valid neighbour does not let
    # the 07700 900 drama range through, however often either is seen.
    for _ in range(2):
        assert normalise_phone("07700 800123", sms=True) == ("+447700800123", None)
        assert normalise_phone("07700 900124") == (None, "invalid phone number '07700 900124'")
    assert normalise_phone("not a number")[0] is None
    assert check_contact("sms", "") == ("", "contact is empty (an sms invitation needs a mobile number)")
    assert check_contact("web", "") == ("", None)
    assert check_contact("telegram", "07400 100004") == ("+447400100004", None)


def test_file_level_errors():
    assert _validate(b"").errors == [RowError(None, None, "the file is empty")]
    assert _validate(HEADER).errors == [RowError(None, None, "the file has a header but no rows")]
    wrong = _validate("review,child\nR1,C1\n").errors
    assert [(e.line, e.reason.split(":")[0] + ":" + e.reason.split(":")[1]) for e in wrong] == [
        (1, "wrong header: missing columns"), (1, "wrong header: unexpected columns")]
    extra = _validate(HEADER.strip() + ",extra\n").errors
    assert extra == [RowError(1, None, "wrong header: unexpected column: 'extra' (expected exactly: "
                                       + ", ".join(COLUMNS) + ")")]
    bad_utf8 = HEADER.encode() + b"R1,C1,9,CLA,2026-12-29,iro@council.example,child,sms,07400 100001,\xff\n"
    errors = _validate(bad_utf8).errors
    assert len(errors) == 1 and errors[0].line == 2 and "not valid UTF-8" in errors[0].reason
    utf16 = _validate(HEADER.encode("utf-16")).errors
    assert utf16 == [RowError(1, None, "the file is UTF-16 text; save it as 'CSV UTF-8' and upload it again")]
    big = HEADER + "R1,C1,9,CLA,2026-12-29,iro@council.example,child,sms,07400 100001,en\n" * 200
    assert _validate(big, max_bytes=4096).errors == [RowError(None, None, "the file is larger than the "
                                                                          "4,096 bytes limit")]


def test_a_byte_order_mark_and_blank_lines_are_accepted():
    text = "\ufeff" + HEADER + "\nR1,C1,9,CLA,2026-12-29,IRO@Council.example,child,sms,07400 100001,\n\n"
    result = _validate(text)
    assert result.ok, result.errors
    assert result.rows[0].line == 3 and result.rows[0].language == "en"


def test_rows_of_one_review_must_agree():
    text = (HEADER + "R1,C1,9,CLA,2026-12-29,iro@council.example,child,sms,07400 100001,en\n"
            "R1,C1,9,CLA,2026-12-30,iro@council.example,carer,sms,07400 100002,en\n")
    errors = _validate(text).errors
    assert errors == [RowError(3, "review_date", "review 'R1' has review_date '2026-12-29' on line 2 but "
                                                 "'2026-12-30' here")]
