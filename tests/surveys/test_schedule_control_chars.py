"""A control character in any value of a schedule row refuses the row, with its line, column and a plain reason."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from surveys.schedule_csv import COLUMNS, RowError, control_character, validate_schedule

HEADER = ",".join(COLUMNS) + "\n"
GOOD = {"review_ref": "R-NEW", "child_ref": "C-NEW", "child_age": "12", "review_type": "CLA",
        "review_date": "2027-02-01", "iro_email": "iro@council.example", "role": "child", "channel": "sms",
        "contact": "07400 200001", "language": "en"}
CONTROLS = ([chr(c) for c in range(0x20)] + [chr(c) for c in range(0x7F, 0xA0)]
            + ["\u2028", "\u2029", "\u061c", "\u200e", "\u200f"] + [chr(c) for c in range(0x202A, 0x202F)]
            + [chr(c) for c in range(0x2066, 0x206A)])


def _csv_value(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def _file(values: dict[str, str]) -> bytes:
    return (HEADER + ",".join(_csv_value(values[c]) for c in COLUMNS) + "\n").encode("utf-8")


def test_the_good_row_is_good():
    result = validate_schedule([_file(GOOD)])
    assert result.ok and len(result.rows) == 1


def test_a_quoted_line_break_in_review_ref_names_line_column_and_reason():
    result = validate_schedule([(HEADER + "R-1,C-1,12,CLA,2027-02-01,iro@council.example,child,sms,07400 200001,en\n"
                                 '"R-2\nX",C-2,12,CLA,2027-02-01,iro@council.example,child,sms,07400 200002,en\n'
                                 ).encode()])
    assert result.errors == [RowError(3, "review_ref", "review_ref holds a control character (a line break)")]


def test_each_kind_has_a_plain_name():
    assert control_character("a\nb") == "a line break"
    assert control_character("a\u2028b") == "a line break"
    assert control_character("a\tb") == "a tab"
    assert control_character("a\x00b") == "a NUL character"
    assert control_character("a\u202eb") == "a bidirectional text control, U+202E"
    assert control_character("a\x07b") == "U+0007"
    assert control_character("Ré-2 \ufeff ok \u00e9") is None  # not a control: kept


@given(column=st.sampled_from(COLUMNS), char=st.sampled_from(CONTROLS), at=st.integers(min_value=1, max_value=6))
def test_a_control_character_inside_any_value_refuses_the_row(column, char, at):
    value = GOOD[column]
    at = min(at, len(value) - 1)  # inside the value: a strip would not take it off
    result = validate_schedule([_file({**GOOD, column: value[:at] + char + value[at:]})])
    assert result.rows == []
    [error] = result.errors
    assert (error.line, error.column) == (2, column)
    assert error.reason == f"{column} holds a control character ({control_character(char)})"


@given(char=st.sampled_from(CONTROLS))
def test_every_column_with_one_is_reported(char):
    result = validate_schedule([_file({c: v[:1] + char + v[1:] for c, v in GOOD.items()})])
    assert [(e.line, e.column) for e in result.errors] == [(2, c) for c in COLUMNS] and result.rows == []
