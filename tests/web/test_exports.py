"""``haveyoursay report``: JSON (same as the API), CSV, XLSX and DOCX with the right figures."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from storage.staff import new_api_token
from tests.storage.report_data import APPROVED_QUOTE, EXCERPT, HIDDEN_TEXTS, seed_year

ARGS = ["report", "--from", "2025-04-01", "--to", "2026-03-31"]


@pytest.fixture
def seeded(app):  # noqa: ANN001
    with app.extensions["db"].session() as session:
        year = seed_year(session)
        token = new_api_token(session, "manager@council.example")
    return year, token


def _run(app, *args: str):  # noqa: ANN001
    result = app.test_cli_runner().invoke(args=[*ARGS, *args])
    return result


def _export(app, tmp_path: Path, fmt: str) -> Path:  # noqa: ANN001
    out = tmp_path / f"report.{fmt}"
    result = _run(app, "--format", fmt, "-o", str(out))
    assert result.exit_code == 0, result.output
    assert out.exists() and out.stat().st_size > 0
    return out


def _csv_tables(path: Path) -> dict[str, list[list[str]]]:
    tables: dict[str, list[list[str]]] = {}
    current = None
    with path.open(newline="", encoding="utf-8") as stream:
        for row in csv.reader(stream):
            if row[:1] == ["table"]:
                current = tables.setdefault(row[1], [])
            elif row and current is not None and row[0] != "note":
                current.append(row)
    return tables


def _assert_no_hidden_text(text: str) -> None:
    for hidden in (*HIDDEN_TEXTS, EXCERPT):
        assert hidden not in text


def test_json_export_is_the_api_document(app, client, seeded, tmp_path):  # noqa: ANN001
    _, token = seeded
    out = _export(app, tmp_path, "json")
    exported = json.loads(out.read_text(encoding="utf-8"))
    api = client.get("/api/v1/report?from=2025-04-01&to=2026-03-31",
                     headers={"Authorization": f"Bearer {token}"}).get_json()
    assert exported == api
    _assert_no_hidden_text(out.read_text(encoding="utf-8"))


def test_csv_export_opens_with_the_csv_module(app, seeded, tmp_path):  # noqa: ANN001
    out = _export(app, tmp_path, "csv")
    tables = _csv_tables(out)
    rates = tables["Consultation and feedback forms sent and received"]
    assert rates[0][:6] == ["Phase", "Respondent", "Review type", "Sent", "Received", "Return rate %"]
    child = next(r for r in rates if r[1] == "Child / young person" and r[2] == "CLA")
    assert child[3:9] == ["10", "8", "80", "1", "1", "suppressed"]  # last year: one form sent
    subtotal = next(r for r in rates if r[1] == "All respondents")
    assert subtotal[3:6] == ["18", "12", "67"]  # 10 + 7 + 1 sent, 8 + 4 received
    care_leaver = next(r for r in rates if r[1] == "Care leaver")
    assert care_leaver[5] == "suppressed"  # one form sent
    yes = {r[1]: r for r in tables["Yes / no questions: % said yes"]}
    assert yes["Do you know who your IRO is?"][2:6] == ["10", "70", "20", "10"]
    carer = next(r for r in tables["Yes / no questions: % said yes"] if r[0] == "carer_after")
    assert carer[2:4] == ["<5", "suppressed"]
    by_quarter = {r[1]: r for r in tables["% said yes by quarter"] if r[0] == "child_after"}
    assert by_quarter["Do you know who your IRO is?"][2:] == ["63", "", "suppressed", "", "70"]
    part = {r[0]: r for r in tables["How children took part in their reviews (PN codes)"]}
    assert part["PN1"][2:4] == ["4", "50"] and part["PN7"][2:4] == ["1", "13"]
    quotes = tables["In their own words"]
    assert quotes[1:] == [[APPROVED_QUOTE, "(10)", "child_after"]]
    _assert_no_hidden_text(out.read_text(encoding="utf-8"))


def test_xlsx_export_has_one_sheet_per_table(app, seeded, tmp_path):  # noqa: ANN001
    from openpyxl import load_workbook

    workbook = load_workbook(_export(app, tmp_path, "xlsx"))
    assert workbook.sheetnames == ["Return rates", "Return rates by quarter", "Yes-no questions", "Yes by quarter",
                                   "Choices", "Scores", "Participation", "Quotes", "You said we did"]
    rates = [list(r) for r in workbook["Return rates"].iter_rows(min_row=5, values_only=True)]
    child = next(r for r in rates if r[1] == "Child / young person" and r[2] == "CLA")
    assert child[3:6] == [10, 8, 80]
    choices = [list(r) for r in workbook["Choices"].iter_rows(min_row=5, values_only=True)]
    in_person = next(r for r in choices if r[0] == "child_after" and r[3] == "in_person")
    assert in_person[2] == 8 and in_person[4:6] == [3, 38]
    scores = [list(r) for r in workbook["Scores"].iter_rows(min_row=5, values_only=True)]
    rate_meeting = next(r for r in scores if r[0] == "child_after")
    assert rate_meeting[2:5] == [5, 3.8, 4]
    text = " ".join(str(c) for sheet in workbook for row in sheet.iter_rows(values_only=True) for c in row if c)
    assert APPROVED_QUOTE in text
    _assert_no_hidden_text(text)


def test_docx_export_holds_the_tables_and_charts(app, seeded, tmp_path):  # noqa: ANN001
    from docx import Document

    document = Document(str(_export(app, tmp_path, "docx")))
    assert any("partly answered counts as sent but not received" in p.text for p in document.paragraphs)
    tables = [[[cell.text for cell in row.cells] for row in table.rows] for table in document.tables]
    rates = next(t for t in tables if t[0][:4] == ["Phase", "Respondent", "Review type", "Sent"])
    child = next(r for r in rates if r[1] == "Child / young person" and r[2] == "CLA")
    assert child[3:6] == ["10", "8", "80"]
    yes = next(t for t in tables if t[0][:4] == ["Survey", "Question", "Answered", "% said yes"])
    assert next(r for r in yes if r[1] == "Do you know who your IRO is?")[2:4] == ["10", "70"]
    assert len(document.inline_shapes) >= 2  # return rates and % said yes charts
    text = "\n".join([p.text for p in document.paragraphs] + [c for t in tables for r in t for c in r])
    assert APPROVED_QUOTE in text
    _assert_no_hidden_text(text)


def test_cli_errors(app, seeded, tmp_path):  # noqa: ANN001
    result = app.test_cli_runner().invoke(args=["report", "--from", "2026-04-01", "--to", "2025-04-01"])
    assert result.exit_code != 0 and "--from must not be after --to" in result.output
    result = _run(app, "--format", "docx")
    assert result.exit_code != 0 and "-o FILE" in result.output
    result = app.test_cli_runner().invoke(args=["report", "--from", "2025-02-30", "--to", "2025-04-01"])
    assert result.exit_code != 0
    result = _run(app, "--format", "csv", "-o", str(tmp_path / "missing" / "x.csv"))
    assert result.exit_code != 0 and "cannot write" in result.output


def test_cli_iro_filter_takes_only_an_iro(app, seeded):  # noqa: ANN001
    year, _token = seeded
    listing = app.test_cli_runner().invoke(args=["staff", "list"])
    assert listing.exit_code == 0
    assert any(line.split() == [str(year.iro_a), "iro", "iro.a@council.example"]
               for line in listing.output.splitlines())
    mine = _run(app, "--iro-id", str(year.iro_a))
    assert mine.exit_code == 0, mine.output
    assert json.loads(mine.output)["filters"]["iro_id"] == year.iro_a
    for wrong in (str(year.manager), "999999"):  # a manager is not an IRO; nobody has that id
        result = _run(app, "--iro-id", wrong)
        assert result.exit_code != 0 and f"--iro-id {wrong}: no IRO has that staff id" in result.output


def test_json_to_standard_output(app, seeded):  # noqa: ANN001
    result = _run(app, "--role", "carer")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert {r["role"] for r in data["return_rates"]} == {"carer"}


def test_cli_on_a_database_never_upgraded(config, tmp_path, monkeypatch):  # noqa: ANN001
    from dataclasses import replace

    from web import create_app

    monkeypatch.setenv("HAVEYOURSAY_INSTANCE", str(tmp_path / "instance"))
    app = create_app(replace(config, DATABASE_URL=f"sqlite:///{tmp_path / 'empty.sqlite'}"))
    try:
        result = app.test_cli_runner().invoke(args=ARGS)
    finally:
        app.extensions["db"].dispose()
    assert result.exit_code != 0 and "db upgrade" in result.output


# --- suppression, themes and the dashboard's download buttons -------------------------

FIGURES = "/dashboard/figures?period=year&year=2025"


def _xlsx_rows(workbook, sheet: str) -> list[list]:  # noqa: ANN001
    return [list(r) for r in workbook[sheet].iter_rows(min_row=5, values_only=True)]


def _docx_tables(document) -> list[list[list[str]]]:  # noqa: ANN001
    return [[[cell.text for cell in row.cells] for row in table.rows] for table in document.tables]


def test_small_groups_are_suppressed_in_every_format(app, seeded, tmp_path):  # noqa: ANN001
    from docx import Document
    from openpyxl import load_workbook

    # carer_after was answered by 4 carers: its "% said yes" is suppressed and its n shown as "<5".
    report = json.loads(_export(app, tmp_path, "json").read_text(encoding="utf-8"))
    carer = next(q for q in report["questions"] if q["survey"] == "carer_after" and q["report"] == "yes_pct")
    assert carer["suppressed"] is True and carer["n"] == 4
    csv_yes = _csv_tables(_export(app, tmp_path, "csv"))["Yes / no questions: % said yes"]
    assert next(r for r in csv_yes if r[0] == "carer_after")[2:6] == ["<5", "suppressed", "suppressed", "suppressed"]
    workbook = load_workbook(_export(app, tmp_path, "xlsx"))
    xlsx_yes = next(r for r in _xlsx_rows(workbook, "Yes-no questions") if r[0] == "carer_after")
    assert xlsx_yes[2:6] == ["<5", "suppressed", "suppressed", "suppressed"]
    child_yes = next(r for r in _xlsx_rows(workbook, "Yes-no questions") if r[1] == "Do you know who your IRO is?")
    assert child_yes[2:4] == [10, 70]  # a big enough group is printed as numbers
    rates = _xlsx_rows(workbook, "Return rates")
    assert next(r for r in rates if r[1] == "Care leaver")[5] == "suppressed"
    document = Document(str(_export(app, tmp_path, "docx")))
    yes = next(t for t in _docx_tables(document) if t[0][:4] == ["Survey", "Question", "Answered", "% said yes"])
    assert next(r for r in yes if r[0] == "carer_after")[2:6] == ["<5", "suppressed", "suppressed", "suppressed"]
    docx_rates = next(t for t in _docx_tables(document) if t[0][:4] == ["Phase", "Respondent", "Review type", "Sent"])
    assert next(r for r in docx_rates if r[1] == "Care leaver")[5] == "suppressed"


def _themed_quotes(app, seeded) -> None:  # noqa: ANN001
    """Approve two themed child quotes and allow the small carer group's quote with a reason."""
    from sqlalchemy import select

    from storage.models import Invitation, Quote, Staff
    from storage.quotes import override_small_group

    year, _ = seeded
    with app.extensions["db"].session() as session:
        child = session.scalar(select(Invitation).where(Invitation.review_id == year.reviews["R2"],
                                                        Invitation.role == "child"))
        session.add_all([
            Quote(invitation_id=child.id, form_id="child_after", question_key="iro_comment", role="child", age=11,
                  redacted_text="I want to see my nan every week", themes="family_contact", status="approved"),
            Quote(invitation_id=child.id, form_id="child_after", question_key="iro_comment", role="child", age=11,
                  redacted_text="My school is much better now", themes="school;listened_to", status="approved"),
            Quote(invitation_id=child.id, form_id="child_after", question_key="iro_comment", role="child", age=11,
                  redacted_text="I want to see my nan every week", themes="family_contact", status="approved"),
        ])
        carer_quote = session.scalar(select(Quote).where(Quote.role == "carer"))
        manager = session.get(Staff, year.manager)
        override_small_group(session, carer_quote, manager, "Carer agreed; the point matters for the service")


def test_docx_is_a_chapter_with_quotes_grouped_by_theme(app, seeded, tmp_path):  # noqa: ANN001
    from docx import Document

    _themed_quotes(app, seeded)
    document = Document(str(_export(app, tmp_path, "docx")))
    lines = [(p.style.name, p.text) for p in document.paragraphs]
    texts = [text for _, text in lines]
    start = texts.index("In their own words")
    chapter = lines[start:texts.index("You said, we did: replies to children")]
    headings = [text for style, text in chapter if style == "Heading 2"]
    assert headings == ["Contact with family", "School and education", "Other things people said"]
    quotes = [text for style, text in chapter if style == "Quote"]
    assert quotes[0] == "\u201cI want to see my nan every week\u201d (11)"
    assert quotes[1] == "\u201cMy school is much better now\u201d (11)"
    # The small carer group's quote shows only because a manager overrode it, signed by role only.
    assert f"\u201c{HIDDEN_TEXTS[2]}\u201d (foster carer)" in quotes
    assert f"\u201c{APPROVED_QUOTE}\u201d (10)" in quotes
    # Children first under a theme; the same words with the same signature printed once.
    assert quotes.index(f"\u201c{APPROVED_QUOTE}\u201d (10)") < quotes.index(f"\u201c{HIDDEN_TEXTS[2]}\u201d (foster carer)")
    assert quotes.count("\u201cI want to see my nan every week\u201d (11)") == 1
    assert headings.index("School and education") < headings.index("Other things people said")
    assert any("You said, we did: 3 children were told" in text for text in texts)
    you_said = next(t for t in _docx_tables(document) if t[0] == ["Period", "Replies"])
    assert you_said[-1] == ["Whole period", "3"]
    assert len(document.inline_shapes) >= 3  # return rates, % said yes, participation
    full = "\n".join(texts + [c for t in _docx_tables(document) for r in t for c in r])
    for hidden in HIDDEN_TEXTS[:2]:
        assert hidden not in full


def test_dashboard_download_buttons_keep_the_filters(app, client, seeded, staff_login):  # noqa: ANN001
    import io
    import re
    from html import unescape

    from docx import Document
    from openpyxl import load_workbook

    staff_login("manager")
    page = client.get(FIGURES + "&role=child")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    links = {m.group(1): unescape(m.group(0)) for m in
             re.finditer(r'/dashboard/figures/download\.(\w+)\?[^"]*', html)}
    assert set(links) == {"csv", "xlsx", "docx", "json"}
    for link in links.values():
        assert "role=child" in link and "year=2025" in link and "period=year" in link
    # Figures page: the approved quote, never a candidate or rejected one.
    assert APPROVED_QUOTE in html and HIDDEN_TEXTS[0] not in html and HIDDEN_TEXTS[1] not in html
    # ... signed as every export signs it: role and age only.
    assert re.search(r"<blockquote>" + re.escape(APPROVED_QUOTE) + r'</blockquote><p class="muted">\(10\)</p>', html)

    downloads = {}
    for fmt, link in links.items():
        response = client.get(link)
        assert response.status_code == 200, (fmt, response.status_code)
        assert f"haveyoursay-report-2025-04-01-to-2026-03-31.{fmt}" in response.headers["Content-Disposition"]
        downloads[fmt] = response.data
    report = json.loads(downloads["json"])
    assert report["filters"]["role"] == "child" and {r["role"] for r in report["return_rates"]} == {"child"}
    assert [q["text"] for q in report["quotes"]] == [APPROVED_QUOTE]
    assert APPROVED_QUOTE in downloads["csv"].decode("utf-8")
    workbook = load_workbook(io.BytesIO(downloads["xlsx"]))
    child = next(r for r in _xlsx_rows(workbook, "Return rates") if r[1] == "Child / young person" and r[2] == "CLA")
    assert child[3:6] == [10, 8, 80]
    document = Document(io.BytesIO(downloads["docx"]))
    docx_text = "\n".join(p.text for p in document.paragraphs)
    assert APPROVED_QUOTE in docx_text
    for data in (downloads["json"], downloads["csv"], downloads["xlsx"], downloads["docx"]):
        for hidden in (*HIDDEN_TEXTS, EXCERPT):
            assert hidden.encode() not in data
    xlsx_text = " ".join(str(c) for s in workbook for r in s.iter_rows(values_only=True) for c in r if c)
    _assert_no_hidden_text(xlsx_text + docx_text)


def test_downloads_refuse_bad_filters_and_iros(app, client, seeded, staff_login):  # noqa: ANN001
    staff_login("manager")
    # Odd extra parameters on the figures page never break it nor leak into the download links.
    odd = client.get(FIGURES + "&fmt=pdf&_scheme=ftp&_anchor=x&role=child")
    html = odd.get_data(as_text=True)
    assert odd.status_code == 200 and "download.docx?" in html
    assert "_scheme" not in html and "fmt=pdf" not in html and "ftp" not in html
    bad = client.get("/dashboard/figures/download.csv?period=custom&from=2026-01-01&to=2025-01-01")
    assert bad.status_code == 400 and "must not be before" in bad.get_data(as_text=True)
    assert client.get("/dashboard/figures/download.csv?period=year&year=2025&role=alien").status_code == 400
    assert client.get("/dashboard/figures/download.pdf?period=year&year=2025").status_code == 404
    client.get("/logout")
    staff_login("iro")
    assert client.get("/dashboard/figures/download.csv?period=year&year=2025").status_code == 403


def test_cli_shows_progress_on_standard_error_only(app, seeded, tmp_path):  # noqa: ANN001
    from storage.reports import build_report
    from tests.storage.report_data import PERIOD
    from web.exports import export_report, export_steps

    result = _run(app, "--format", "docx", "-o", str(tmp_path / "r.docx"))
    assert result.exit_code == 0
    assert "Counting the figures" in result.stderr and "Writing the docx report" in result.stderr
    assert result.stdout == ""
    plain = _run(app, "--format", "json")  # a report on standard output gets no progress lines
    assert "Writing" not in plain.stderr and json.loads(plain.stdout)["period"]["from"] == "2025-04-01"
    with app.extensions["db"].session() as session:
        report = build_report(session, *PERIOD)
    for fmt in ("csv", "xlsx", "docx"):
        steps: list[str] = []
        export_report(report, fmt, tmp_path / f"p.{fmt}", progress=steps.append)
        assert len(steps) == export_steps(report, fmt) and "In their own words" in steps
    assert any(step.startswith("chart: ") for step in steps)  # the docx draws its charts as steps
