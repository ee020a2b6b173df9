"""Turn the report (``storage.reports.build_report``'s dict) into the tables an annual report prints.

Pure: the CSV, XLSX and DOCX writers in ``web.exports`` lay these tables out; they hold
no figures of their own. Percentages are whole numbers; a figure from fewer than
``SMALL_NUMBER`` respondents is printed as "suppressed" and its count as "<5", so no
export ever shows a small group's answers.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from surveys.report import PN_CODES, SMALL_NUMBER, pct

Cell = str | int | float | None

SUPPRESSED = "suppressed"
SMALL = f"<{SMALL_NUMBER}"

ROLE_LABELS = {"child": "Child / young person", "care_leaver": "Care leaver", "parent": "Parent",
               "carer": "Foster / residential carer", "health": "Health", "education": "Education",
               "guardian": "Children's guardian"}
# How a quote is signed: a child or care leaver by age, an adult by role only.
ATTRIBUTION = {"carer": "foster carer", "parent": "parent", "health": "health professional",
               "education": "education professional", "guardian": "children's guardian",
               "care_leaver": "care leaver", "child": "young person"}
PHASE_LABELS = {"consultation": "Consultation (before the review)", "feedback": "Feedback (after the review)"}
TYPE_LABELS = {"CLA": "CLA", "PP": "Pathway Plan"}


@dataclass
class Table:
    """One printed table: a short name (sheet name), a title, column headings and rows."""

    name: str
    title: str
    columns: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    note: str | None = None


def role_label(role: str) -> str:
    return ROLE_LABELS.get(role, role.replace("_", " ").capitalize())


def attribution(role: str, age: int | None) -> str:
    """How a quote is signed: "(14)" for a child, "(foster carer)" for an adult."""
    if role in ("child", "care_leaver") and age is not None:
        return f"({age})"
    return f"({ATTRIBUTION.get(role, role.replace('_', ' '))})"


def _n(n: int, is_suppressed: bool) -> Cell:
    return SMALL if is_suppressed else n


def _fig(value: Cell, is_suppressed: bool) -> Cell:
    return SUPPRESSED if is_suppressed else value


def _rate_pct(sent: int, received: int) -> Cell:
    if sent < SMALL_NUMBER:
        return SUPPRESSED
    return pct(received, sent)


def return_rate_table(report: dict[str, Any]) -> Table:
    """Cheshire East's Table 4: forms sent and received per respondent, against last year."""
    table = Table("Return rates", "Consultation and feedback forms sent and received",
                  ["Phase", "Respondent", "Review type", "Sent", "Received", "Return rate %",
                   "Last year sent", "Last year received", "Last year return rate %"],
                  note=f"Return rate = received / sent; shown as '{SUPPRESSED}' where fewer than "
                       f"{SMALL_NUMBER} forms were sent.")
    previous = {(r["phase"], r["role"], r["review_type"]): (r["sent"], r["received"])
                for r in report["previous_year"]["return_rates"]}
    current = {(r["phase"], r["role"], r["review_type"]): (r["sent"], r["received"]) for r in report["return_rates"]}
    keys = list(current) + [k for k in previous if k not in current]
    by_phase: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for phase, role, review_type in keys:
        by_phase[phase].append((role, review_type))

    def row(phase: str, who: str, review_type: str, now: tuple[int, int], before: tuple[int, int]) -> list[Cell]:
        return [PHASE_LABELS.get(phase, phase), who, review_type, now[0], now[1], _rate_pct(*now),
                before[0], before[1], _rate_pct(*before)]

    for phase in sorted(by_phase, key=lambda p: (p != "consultation", p)):
        totals_now, totals_before = [0, 0], [0, 0]
        roles: dict[str, list[str]] = defaultdict(list)
        for role, review_type in by_phase[phase]:
            roles[role].append(review_type)
        for role, types in roles.items():
            role_now, role_before = [0, 0], [0, 0]
            for review_type in sorted(types):
                now = current.get((phase, role, review_type), (0, 0))
                before = previous.get((phase, role, review_type), (0, 0))
                table.rows.append(row(phase, role_label(role), TYPE_LABELS.get(review_type, review_type), now,
                                      before))
                for acc, value in ((role_now, now), (role_before, before), (totals_now, now),
                                   (totals_before, before)):
                    acc[0] += value[0]
                    acc[1] += value[1]
            if len(types) > 1:
                table.rows.append(row(phase, role_label(role), "Total", tuple(role_now), tuple(role_before)))
        table.rows.append(row(phase, "All respondents", "Subtotal", tuple(totals_now), tuple(totals_before)))
    return table


def return_rate_quarter_table(report: dict[str, Any]) -> Table:
    """Return rates per financial quarter."""
    table = Table("Return rates by quarter", "Forms sent and received by quarter",
                  ["Quarter", "Phase", "Respondent", "Review type", "Sent", "Received", "Return rate %"])
    for quarter in report["by_quarter"]:
        for r in quarter["return_rates"]:
            table.rows.append([quarter["quarter"], PHASE_LABELS.get(r["phase"], r["phase"]), role_label(r["role"]),
                               TYPE_LABELS.get(r["review_type"], r["review_type"]), r["sent"], r["received"],
                               _rate_pct(r["sent"], r["received"])])
    return table


def yes_table(report: dict[str, Any]) -> Table:
    """Worcestershire's "% said yes" per question."""
    table = Table("Yes-no questions", "Yes / no questions: % said yes",
                  ["Survey", "Question", "Answered", "% said yes", "% said no", "% not sure"],
                  note="Percentages are of everyone who answered, 'not sure' included.")
    for q in report["questions"]:
        if q["report"] != "yes_pct":
            continue
        s = q["suppressed"]
        table.rows.append([q["survey"], q["text"], _n(q["n"], s), _fig(q["yes_pct"], s), _fig(q["no_pct"], s),
                           _fig(q["not_sure_pct"], s)])
    return table


def yes_quarter_table(report: dict[str, Any]) -> Table:
    """% said yes per question and quarter (York's quarterly tables)."""
    labels = [q["quarter"] for q in report["by_quarter"]]
    table = Table("Yes by quarter", "% said yes by quarter", ["Survey", "Question", *labels, "Year"])
    per_quarter = {(q["survey"], q["key"], quarter["quarter"]): q
                   for quarter in report["by_quarter"] for q in quarter["questions"] if q["report"] == "yes_pct"}
    for q in report["questions"]:
        if q["report"] != "yes_pct":
            continue
        cells: list[Cell] = []
        for label in labels:
            found = per_quarter.get((q["survey"], q["key"], label))
            cells.append(None if found is None else _fig(found["yes_pct"], found["suppressed"]))
        table.rows.append([q["survey"], q["text"], *cells, _fig(q["yes_pct"], q["suppressed"])])
    return table


def distribution_table(report: dict[str, Any]) -> Table:
    """Choice questions (e.g. Manchester's and Worcestershire's "how did you attend")."""
    table = Table("Choices", "Choice questions: how many picked each answer",
                  ["Survey", "Question", "Answered", "Answer", "Count", "%"],
                  note="Where more than one answer could be picked, percentages add up to more than 100.")
    for q in report["questions"]:
        if q["report"] != "distribution":
            continue
        s = q["suppressed"]
        for option, count in q["distribution"].items():
            table.rows.append([q["survey"], q["text"], _n(q["n"], s), option, _fig(count, s),
                               _fig(q["pct"][option], s)])
    return table


def scale_table(report: dict[str, Any]) -> Table:
    """Scored questions ("I feel safe", 1 to 10): mean, median and how many gave each score."""
    table = Table("Scores", "Scored questions", ["Survey", "Question", "Answered", "Mean", "Median", "Scores"])
    for q in report["questions"]:
        if q["report"] != "scale":
            continue
        s = q["suppressed"]
        scores = "; ".join(f"{k}: {v}" for k, v in q["histogram"].items())
        table.rows.append([q["survey"], q["text"], _n(q["n"], s), _fig(q["mean"], s), _fig(q["median"], s),
                           _fig(scores, s)])
    return table


def participation_table(report: dict[str, Any]) -> Table:
    """York's participation table: PN codes with % for the period and each quarter."""
    labels = [q["quarter"] for q in report["by_quarter"]]
    table = Table("Participation", "How children took part in their reviews (PN codes)",
                  ["Code", "How the child took part", "Count", "%", *[f"{label} %" for label in labels]])
    whole = report["participation"]
    quarters = [q["participation"] for q in report["by_quarter"]]
    for code, label in PN_CODES.items():
        entry = whole["codes"][code]
        table.rows.append([code, label, _n(entry["count"], whole["suppressed"]),
                           _fig(entry["pct"], whole["suppressed"]),
                           *[_fig(q["codes"][code]["pct"], q["suppressed"]) for q in quarters]])
    table.rows.append(["Total", "Reviews with a code recorded", _n(whole["n"], whole["suppressed"]),
                       _fig(100 if whole["n"] else None, whole["suppressed"]),
                       *[_fig(100 if q["n"] else None, q["suppressed"]) for q in quarters]])
    for key, label in (("attended", "Attended the review"), ("chaired", "Chaired the review"),
                       ("co_chaired", "Co-chaired the review"), ("seen_before_review", "Seen by the IRO before")):
        entry = whole[key]
        small = entry["n"] < SMALL_NUMBER
        table.rows.append(["", label, _n(entry["count"], small), _fig(entry["pct"], small),
                           *[_fig(q[key]["pct"], q[key]["n"] < SMALL_NUMBER) for q in quarters]])
    return table


def quotes_table(report: dict[str, Any]) -> Table:
    """Approved quotes, attributed by role and age only."""
    table = Table("Quotes", "In their own words", ["Quote", "Said by", "Survey"],
                  note="Only quotes approved by a manager, redacted and attributed by role and age.")
    for quote in report["quotes"]:
        table.rows.append([quote["text"], attribution(quote["role"], quote["age"]), quote["survey"]])
    return table


def you_said_table(report: dict[str, Any]) -> Table:
    """How many "you said, we did" replies went back to children."""
    table = Table("You said we did", "You said, we did: replies to children", ["Period", "Replies"])
    for quarter in report["by_quarter"]:
        table.rows.append([quarter["quarter"], quarter["you_said_we_did"]["count"]])
    table.rows.append(["Whole period", report["you_said_we_did"]["count"]])
    return table


def report_tables(report: dict[str, Any]) -> list[Table]:
    """Every table of the annual report, in the order a report prints them."""
    return [return_rate_table(report), return_rate_quarter_table(report), yes_table(report),
            yes_quarter_table(report), distribution_table(report), scale_table(report),
            participation_table(report), quotes_table(report), you_said_table(report)]


def period_label(report: dict[str, Any]) -> str:
    """The period in words for titles ("2025-04-01 to 2026-03-31")."""
    return f"{report['period']['from']} to {report['period']['to']}"
