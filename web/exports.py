"""Write the report as JSON, CSV, XLSX (one sheet per table) or DOCX (tables and charts).

The figures come from ``storage.reports.build_report`` and the tables from
``surveys.report_tables``; this module only lays them out. Charts are drawn with
matplotlib's Agg backend (no display needed) and embedded as PNG.
"""

from __future__ import annotations

import csv
import io
import json
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from surveys.report_tables import SUPPRESSED, Table, attribution, period_label, report_tables
from surveys.spreadsheet_safety import spreadsheet_cell, xml_text

FORMATS = ("json", "csv", "xlsx", "docx")
Progress = Callable[[str], None]  # called once per step done (a table written, a chart drawn)
BINARY_FORMATS = ("xlsx", "docx")


def to_json(report: dict[str, Any]) -> str:
    """The report as JSON text (the same document the API returns)."""
    return json.dumps(report, indent=2, ensure_ascii=False)


def write_csv(report: dict[str, Any], stream: IO[str], progress: Progress | None = None) -> None:
    """All tables in one CSV: each starts with a row ``["table", title]`` and its header row.

    Every text cell goes through ``spreadsheet_cell``: a quote that begins with "=" is
    written as text ("'=..."), never as a formula a spreadsheet would run.
    """
    raw = csv.writer(stream)

    def writerow(cells: list[Any]) -> None:
        raw.writerow([spreadsheet_cell(cell) for cell in cells])

    writerow(["report", period_label(report)])
    writerow([])
    for table in report_tables(report):
        writerow(["table", table.title])
        writerow(table.columns)
        for row in table.rows:
            writerow(["" if cell is None else cell for cell in row])
        if table.note:
            writerow(["note", table.note])
        writerow([])
        if progress:
            progress(table.title)


def write_xlsx(report: dict[str, Any], stream: IO[bytes], progress: Progress | None = None) -> None:
    """An Excel workbook with one sheet per table (numbers stored as numbers).

    Text is always a string cell, never a formula: ``spreadsheet_cell`` quotes text that
    begins with "=" (openpyxl would store it as a formula) and the like, and drops the
    control characters an XLSX file cannot hold.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    workbook.remove(workbook.active)
    bold = Font(bold=True)
    for table in report_tables(report):
        sheet = workbook.create_sheet(table.name[:31])

        def append(cells: list[Any], sheet=sheet) -> None:  # noqa: ANN001 - bound per sheet
            sheet.append([spreadsheet_cell(cell, xlsx=True) for cell in cells])

        append([table.title])
        sheet["A1"].font = Font(bold=True, size=13)
        append([period_label(report)])
        append([])
        append(table.columns)
        for cell in sheet[4]:
            cell.font = bold
        for row in table.rows:
            append(list(row))
        if table.note:
            append([])
            append([table.note])
        for index, column in enumerate(table.columns, start=1):
            width = max([len(str(column))] + [len(str(r[index - 1] or "")) for r in table.rows[:200]])
            sheet.column_dimensions[sheet.cell(row=4, column=index).column_letter].width = min(60, max(8, width + 2))
        sheet.freeze_panes = "A5"
        if progress:
            progress(table.title)
    workbook.save(stream)


def _chart_png(title: str, labels: list[str], values: list[float], xlabel: str) -> bytes:
    """A horizontal bar chart as PNG bytes."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    wrapped = [textwrap.fill(label, 40, max_lines=3, placeholder="...") for label in labels]
    height = max(2.0, 0.45 * sum(w.count("\n") + 1 for w in wrapped) + 1.0)
    figure, axes = plt.subplots(figsize=(7.5, height), dpi=110)
    try:
        axes.barh(range(len(labels)), values, color="#1d70b8")
        axes.set_yticks(range(len(labels)), labels=wrapped, fontsize=8)
        axes.invert_yaxis()
        axes.set_xlim(0, 100)
        axes.set_xlabel(xlabel)
        axes.set_title(title, fontsize=10)
        for index, value in enumerate(values):
            axes.text(value + 1, index, f"{value:.0f}%", va="center", fontsize=7)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        return buffer.getvalue()
    finally:
        plt.close(figure)


ChartSpec = tuple[str, str, list[str], list[float], str]  # (name, title, labels, values, axis label)


def chart_specs(report: dict[str, Any]) -> list[ChartSpec]:
    """What to chart (never a suppressed figure): return rates, % said yes per survey, participation."""
    specs: list[ChartSpec] = []
    rates = [(f"{r['role']} {r['review_type']} ({r['phase']})", r["rate"] * 100) for r in report["return_rates"]
             if not r["suppressed"] and r["rate"] is not None]
    if rates:
        specs.append(("Return rates", "Return rate by respondent", [r[0] for r in rates], [r[1] for r in rates],
                      "% of forms sent that came back"))
    surveys: dict[str, list[tuple[str, int]]] = {}
    for q in report["questions"]:
        if q["report"] == "yes_pct" and not q["suppressed"] and q["yes_pct"] is not None:
            surveys.setdefault(q["survey"], []).append((q["text"], q["yes_pct"]))
    for survey, rows in surveys.items():
        specs.append((f"% said yes: {survey}", f"% said yes: {survey}", [r[0] for r in rows], [r[1] for r in rows],
                      "% said yes"))
    participation = report.get("participation") or {}
    codes = [(code, entry["pct"]) for code, entry in (participation.get("codes") or {}).items()
             if entry.get("pct") is not None]
    if codes and not participation.get("suppressed"):
        specs.append(("Participation", "How children took part in their reviews (PN codes)",
                      [c[0] for c in codes], [c[1] for c in codes], "% of reviews with a code recorded"))
    return specs


def report_charts(report: dict[str, Any], progress: Progress | None = None) -> list[tuple[str, bytes]]:
    """Charts for the DOCX as (name, PNG bytes)."""
    charts = []
    for name, title, labels, values, axis in chart_specs(report):
        charts.append((name, _chart_png(title, labels, values, axis)))
        if progress:
            progress(f"chart: {name}")
    return charts


def _docx_table(document, table: Table) -> None:  # noqa: ANN001
    grid = document.add_table(rows=1, cols=len(table.columns))
    grid.style = "Table Grid"
    for cell, heading in zip(grid.rows[0].cells, table.columns, strict=True):
        cell.text = xml_text(str(heading))
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for row in table.rows:
        cells = grid.add_row().cells
        for cell, value in zip(cells, row, strict=True):
            cell.text = "" if value is None else xml_text(str(value))


THEME_TITLES = {"family_contact": "Contact with family", "school": "School and education",
                "meeting": "The review meeting", "iro": "My IRO", "placement": "Where I live",
                "listened_to": "Being listened to", "health": "Health", "future": "The future",
                "friends_activities": "Friends and things I do", "": "Other things people said"}


def quotes_by_theme(quotes: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """Approved quotes grouped under theme headings (a quote sits under its first theme)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for quote in quotes:
        theme = (quote.get("themes") or [""])[0]
        groups.setdefault(theme, []).append(quote)
    order = list(THEME_TITLES)
    return [(THEME_TITLES.get(theme, theme.replace("_", " ").capitalize()), groups[theme])
            for theme in sorted(groups, key=lambda t: (order.index(t) if t in order else len(order) - 1, t))]


def _docx_quotes(document, report: dict[str, Any]) -> None:  # noqa: ANN001
    """Approved quotes only (the report holds nothing else), under theme headings, signed "(14)"."""
    quotes = report["quotes"]
    if not quotes:
        document.add_paragraph("No approved quotes in this period.")
        return
    for title, group in quotes_by_theme(quotes):
        document.add_heading(title, level=2)
        printed: set[tuple[str, str]] = set()
        # Children and young people first, then the adults; the same words with the same signature once.
        for quote in sorted(group, key=lambda q: q["role"] not in ("child", "care_leaver")):
            signed = quote.get("attribution") or attribution(quote["role"], quote.get("age"))
            if (quote["text"], signed) in printed:
                continue
            printed.add((quote["text"], signed))
            document.add_paragraph(xml_text(f"\u201c{quote['text']}\u201d {signed}"), style="Quote")
    document.add_paragraph("Only quotes approved by a manager, redacted and attributed by role and age.")


def write_docx(report: dict[str, Any], stream: IO[bytes], progress: Progress | None = None) -> None:
    """A Word document: a heading and table per block, quotes, and charts as PNG images."""
    from docx import Document
    from docx.shared import Inches

    document = Document()
    document.add_heading("Have Your Say: annual report figures", level=0)
    document.add_paragraph(f"Reviews held from {period_label(report)}. Figures from fewer than "
                           f"{report['small_number_threshold']} people are shown as '{SUPPRESSED}'.")
    if report.get("counting"):
        document.add_paragraph(report["counting"])
    for table in report_tables(report):
        document.add_heading(table.title, level=1)
        if table.name == "Quotes":
            _docx_quotes(document, report)
            if progress:
                progress(table.title)
            continue
        if table.name == "You said we did":
            count = report["you_said_we_did"]["count"]
            document.add_paragraph(f"You said, we did: {count} "
                                   f"{'child was' if count == 1 else 'children were'} told what was done about "
                                   "what they said.")
        if table.rows:
            _docx_table(document, table)
        else:
            document.add_paragraph("Nothing in this period.")
        if table.note:
            document.add_paragraph(table.note)
        if progress:
            progress(table.title)
    charts = report_charts(report, progress)
    if charts:
        document.add_heading("Charts", level=1)
        for title, png in charts:
            document.add_paragraph(title)
            document.add_picture(io.BytesIO(png), width=Inches(6))
    document.save(stream)


def export_steps(report: dict[str, Any], fmt: str) -> int:
    """How many times ``export_report`` calls its ``progress`` for this report and format."""
    if fmt == "json":
        return 0
    tables = len(report_tables(report))
    return tables + (len(chart_specs(report)) if fmt == "docx" else 0)


def export_report(report: dict[str, Any], fmt: str, path: str | Path | None,
                  progress: Progress | None = None) -> None:
    """Write the report in ``fmt`` to ``path`` (or standard output for json / csv when None or "-").

    ``progress`` (optional) is called once per table written and chart drawn.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r} (expected one of: {', '.join(FORMATS)})")
    to_stdout = path in (None, "-")
    if to_stdout and fmt in BINARY_FORMATS:
        raise ValueError(f"{fmt} needs an output file (-o FILE)")
    if fmt in BINARY_FORMATS:
        with open(path, "wb") as stream:  # type: ignore[arg-type]
            (write_xlsx if fmt == "xlsx" else write_docx)(report, stream, progress)
        return
    if to_stdout:
        import sys

        stream = sys.stdout
        _write_text(report, fmt, stream, progress)
        return
    with open(path, "w", encoding="utf-8", newline="") as stream:  # type: ignore[arg-type]
        _write_text(report, fmt, stream, progress)


def _write_text(report: dict[str, Any], fmt: str, stream: IO[str], progress: Progress | None = None) -> None:
    if fmt == "json":
        stream.write(to_json(report))
        stream.write("\n")
    else:
        write_csv(report, stream, progress)


# --- downloads from the dashboard ------------------------------------------------------

MIMETYPES = {"json": "application/json", "csv": "text/csv; charset=utf-8",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


# The figures page's query parameters a download carries over.
FILTER_KEYS = ("period", "year", "quarter", "from", "to", "role", "review_type", "iro")


def render_export(report: dict[str, Any], fmt: str) -> bytes:
    """The report in ``fmt`` as bytes (what a download or the CLI writes)."""
    if fmt in BINARY_FORMATS:
        buffer = io.BytesIO()
        (write_xlsx if fmt == "xlsx" else write_docx)(report, buffer)
        return buffer.getvalue()
    text = io.StringIO(newline="")
    _write_text(report, fmt, text)
    return text.getvalue().encode("utf-8")


def init_app(app) -> None:  # noqa: ANN001
    """The dashboard's download buttons: the figures page's period and filters, in any format."""
    from flask import Blueprint, Response, request, url_for

    from storage.audit import record
    from storage.reports import build_report
    from web.auth import current_staff, login_required
    from web.dashboard import ROLE_LABELS, PeriodError, local_today, parse_period
    from web.database import get_session
    from web.errors import error_response

    bp = Blueprint("exports", __name__, url_prefix="/dashboard")

    def export_url(fmt: str, args) -> str:  # noqa: ANN001
        """The download link for the figures page's own filters (and nothing else from its query)."""
        return url_for("exports.download", fmt=fmt, **{k: v for k, v in args.items() if k in FILTER_KEYS})

    app.jinja_env.globals["export_url"] = export_url

    @bp.route("/figures/download.<fmt>")
    @login_required("admin", "manager")
    def download(fmt: str):
        """The figures page's report as a file, with the same period and filters as the page."""
        if fmt not in FORMATS:
            return error_response(404)
        args = request.args
        try:
            start, end, _label = parse_period(args, local_today())
        except PeriodError as exc:
            return error_response(400, str(exc))
        role = args.get("role") or None
        if role and role not in ROLE_LABELS:
            return error_response(400, "Choose a role from the list.")
        review_type = args.get("review_type") or None
        if review_type and review_type not in ("CLA", "PP"):
            return error_response(400, "Choose CLA or Pathway Plan reviews.")
        iro_id = None
        if args.get("iro"):
            try:
                iro_id = int(args["iro"])
            except ValueError:
                return error_response(400, "Choose an IRO from the list.")
        session = get_session()
        report = build_report(session, start, end, role=role, review_type=review_type, iro_id=iro_id)
        record(session, current_staff().id, "report_download", "report", None, format=fmt,
               date_from=start.isoformat(), date_to=end.isoformat(), role=role, review_type=review_type,
               iro_id=iro_id)
        session.commit()
        filename = f"haveyoursay-report-{start.isoformat()}-to-{end.isoformat()}.{fmt}"
        return Response(render_export(report, fmt), mimetype=MIMETYPES[fmt],
                        headers={"Content-Disposition": f'attachment; filename="{filename}"',
                                 "Cache-Control": "no-store"})

    app.register_blueprint(bp)
