"""A control character in a schedule value is refused by ``haveyoursay reviews import`` and the upload page.

Before, a quoted line break inside review_ref was imported, and every alert email about
that review then failed (its subject could not hold the line break). Now the row is
refused with its line and column, and nothing from the file is stored.
"""

from __future__ import annotations

import pytest

import tests.web.test_schedule_errors as base
from storage.models import Review

CASES = {
    "quoted line break in review_ref": (
        '"R-NEW\nX",C-NEW,12,CLA,2027-02-01,iro@council.example,child,sms,07400 200001,en\n',
        ["line 3, column review_ref: review_ref holds a control character (a line break)"]),
    "NUL in child_ref": (
        base.row().replace("C-R-NEW", "C-R\x00NEW"),
        ["line 3, column child_ref: child_ref holds a control character (a NUL character)"]),
    "tab inside iro_email": (
        base.row().replace("iro@council.example", '"iro@coun\tcil.example"'),
        ["line 3, column iro_email: iro_email holds a control character (a tab)"]),
    "line separator in contact and a bidi override in both refs": (
        base.row("R-\u202eWEN", contact="07400\u2028200001"),
        ["line 3, column review_ref: review_ref holds a control character (a bidirectional text control, U+202E)",
         "line 3, column child_ref: child_ref holds a control character (a bidirectional text control, U+202E)",
         "line 3, column contact: contact holds a control character (a line break)"]),
    "C1 control in language": (
        base.row(language="e\x85n"),
        ["line 3, column language: language holds a control character (a line break)"]),
}


@pytest.fixture
def stored(app) -> tuple:  # noqa: ANN001
    """A good schedule already imported (as in test_schedule_errors); returns what is stored."""
    result = app.test_cli_runner().invoke(args=["reviews", "import", str(base.PAYLOADS / "cycle.csv")])
    assert result.exit_code == 0, result.output
    return base._snapshot(app)


@pytest.mark.parametrize("case", list(CASES))
def test_the_row_is_refused_on_the_cli_and_the_page_and_nothing_is_stored(case, app, client, staff_login, stored,
                                                                          tmp_path):
    bad_row, expected = CASES[case]
    data = (base.HEADER + base.MOVED + bad_row).encode("utf-8")
    path = tmp_path / "schedule.csv"
    path.write_bytes(data)

    assert base._cli_errors(app, path) == expected
    assert base._snapshot(app) == stored

    staff_login("manager")
    response = base._upload(client, data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f"{len(expected)} problem(s) found in schedule.csv; nothing was imported." in page
    assert base._page_errors(page) == expected
    assert base._snapshot(app) == stored
    with app.extensions["db"].session() as session:
        refs = [r.review_ref for r in session.query(Review)]
    assert not [ref for ref in refs if not ref.isprintable()]
