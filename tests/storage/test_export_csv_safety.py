"""The subject access CSV (``storage.privacy.export_as_csv``) never holds a cell a spreadsheet would run."""

from __future__ import annotations

import csv
import io

from hypothesis import given
from hypothesis import strategies as st

from storage.privacy import export_as_csv
from surveys.spreadsheet_safety import starts_formula

RISKY = st.builds(lambda head, tail: head + tail, st.sampled_from(list("=+-@\t\r\n") + [" ="]), st.text(max_size=30))


@given(words=st.text(max_size=40) | RISKY, ref=st.text(max_size=12) | RISKY)
def test_every_text_cell_is_safe_and_numbers_stay_numbers(words, ref):
    export = {"tables": {"reviews": [{"id": 1, "review_ref": ref}],
                         "answers": [{"id": 7, "free_text": words, "value_num": -3, "skipped": False}],
                         "quotes": [{"id": 2, "redacted_text": words, "sentiment": -0.5,
                                     "themes": {"note": words}}]}}
    rows = list(csv.reader(io.StringIO(export_as_csv(export), newline="")))
    values = {(r[0], r[2]): r[3] for r in rows[1:]}
    assert values[("answers", "value_num")] == "-3" and values[("quotes", "sentiment")] == "-0.5"
    for row in rows:
        for cell in row:
            assert cell in ("-3", "-0.5") or not starts_formula(cell), repr(cell)
    assert values[("answers", "free_text")] in (words, "'" + words)
