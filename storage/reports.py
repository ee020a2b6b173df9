"""The annual-report figures, counted by GROUP BY queries in the database.

``build_report`` runs a handful of grouped queries (return rates, answers, participation,
"you said, we did", quotes) over the reviews held in a period and hands the grouped counts
to ``surveys.report`` for the percentages, rates, means and medians. No query returns one
row per answer, so memory stays flat however many answers there are; the rows returned
grow only with questions x answer options x quarters.

Which reviews count: those whose ``review_date`` falls in the period (both ends included),
optionally only one review type or one IRO's reviews; simulated reviews never count.

- **Sent**: an invitation counts as sent once it left "pending" or has a ``sent_at``; a
  paper invitation counts as sent when it is created (it is printed and posted or handed
  over with the review papers, as Cheshire East's admin team counted its forms); an
  invitation that was answered always counts as sent (so received never exceeds sent).
- **Received**: ``Invitation.received`` (the form's required questions are answered).
- **Questions**: every answer that was given (skipped questions are not counted), whether
  or not the respondent finished the whole form.
- **Quotes**: only quotes a person approved; a quote from a group (form and role) of fewer
  than the small-number threshold of received forms is held back unless a manager
  recorded a reason to show it (the same rule as the quotes screen).

How it stays fast (bench/report.py times it on a national-scale year in PostgreSQL): one
grouped query per table. Invitations are read once for this year's and last year's return
rates together (unless the period is longer than a year, so that the two overlap). Answers
are read once, grouped on plain columns (form, question, value) with a filtered (running)
count per quarter rather than a worked-out quarter as a GROUP BY key: PostgreSQL can then see
how few groups there are and runs it as a parallel scan with partial aggregation, like
the plain GROUP BY a person would write (grouped on a computed quarter, it expects a group
per row and runs on one core, about twice as slow). Migration 0002 adds covering indexes
(``ix_answers_report``, ``ix_invitations_report``) so a narrow report (one IRO, one
quarter) is answered from indexes alone. On PostgreSQL the report's transaction turns JIT
compilation off: for these short grouped queries compiling costs more than it saves.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, or_, select, text
from sqlalchemy.orm import Session

from storage.models import Answer, Invitation, Review, YouSaidWeDid
from storage.quotes import published_quotes
from storage.reviews import counted_reviews
from surveys.report import (
    DEFAULT_REPORT,
    SMALL_NUMBER,
    Quarter,
    previous_year,
    quarters_between,
    summarise_participation,
    summarise_question,
    summarise_return_rate,
)
from surveys.schema import FEELINGS, FormDefinition

ROLE_ORDER = ("child", "care_leaver", "parent", "carer", "health", "education", "guardian")
PHASE_ORDER = ("consultation", "feedback")
TYPE_ORDER = ("CLA", "PP")


def _quarter_of(quarters: list[Quarter]) -> ColumnElement[int]:
    """A SQL expression numbering each review's quarter 0..n-1 (portable: plain date compares)."""
    if len(quarters) <= 1:
        return literal(0)
    whens = [(Review.review_date <= q.end, index) for index, q in enumerate(quarters[:-1])]
    return case(*whens, else_=len(quarters) - 1)


# Printed with every report, so a reader knows what "received" means.
COUNTING_NOTE = ("A form counts as received when every required question it showed was answered, on any "
                 "channel or on paper. A form only partly answered counts as sent but not received; its "
                 "answers still count in the per-question figures. Skipped questions are not counted.")

SENT = or_(Invitation.status != "pending", Invitation.sent_at.is_not(None), Invitation.channel == "paper",
           Invitation.received.is_(True))
PREVIOUS = -1  # the "quarter" number of last year's reviews in the return-rate query
QUARTERS_PER_PASS = 44  # eleven years' quarters (the API allows ten) in one pass over the answers


def _return_rate_counts(session: Session, date_from: date, date_to: date, quarters: list[Quarter],
                        previous: tuple[date, date], filters: list[ColumnElement[bool]],
                        role: str | None) -> list[tuple[int, str, str, str, int, int]]:
    """Sent and received per (quarter, role, review type, phase), with last year in the same pass.

    Last year's reviews come back with quarter ``PREVIOUS``. When the period is longer than a
    year, so that last year overlaps it, last year is counted by a second query.
    """
    conditions = list(filters)
    if role:
        conditions.append(Invitation.role == role)
    current = and_(Review.review_date >= date_from, Review.review_date <= date_to)
    last = and_(Review.review_date >= previous[0], Review.review_date <= previous[1])

    def run(period: ColumnElement[int], where: ColumnElement[bool]) -> list[tuple[int, str, str, str, int, int]]:
        q = period.label("q")
        stmt = (select(q, Invitation.role, Review.review_type, Invitation.phase,
                       func.sum(case((SENT, 1), else_=0)),
                       func.sum(case((Invitation.received.is_(True), 1), else_=0)))
                .select_from(Invitation).join(Review, Invitation.review_id == Review.id)
                .where(where, *conditions)
                .group_by(q, Invitation.role, Review.review_type, Invitation.phase))
        return [(int(r[0]), r[1], r[2], r[3], int(r[4] or 0), int(r[5] or 0)) for r in session.execute(stmt)]

    if previous[1] < date_from:
        period = case((Review.review_date < date_from, PREVIOUS), else_=_quarter_of(quarters))
        return run(period, or_(current, last))
    return run(_quarter_of(quarters), current) + run(literal(PREVIOUS), last)


def _order(value: str, order: tuple[str, ...]) -> tuple[int, str]:
    return (order.index(value) if value in order else len(order), value)


def _rate_rows(counts: Mapping[tuple[str, str, str], tuple[int, int]]) -> list[dict]:
    rows = []
    for (role, review_type, phase), (sent, received) in sorted(
            counts.items(), key=lambda kv: (_order(kv[0][2], PHASE_ORDER), _order(kv[0][0], ROLE_ORDER),
                                            _order(kv[0][1], TYPE_ORDER))):
        rows.append({"role": role, "review_type": review_type, "phase": phase,
                     **summarise_return_rate(sent, received)})
    return rows


def _answer_counts(session: Session, scope: list, role: str | None, quarters: list[Quarter],
                   form_ids: list[str]):
    """Answers counted per (form, question, value), a count column per quarter, in one pass.

    The quarter is not a GROUP BY key but a filtered count per quarter: grouped on plain
    columns only, PostgreSQL can estimate how few groups there are (questions x options)
    and run the query as a parallel scan with partial aggregation, like the plain GROUP BY
    a person would write; grouped on a worked-out quarter it cannot, and runs it on one
    core. Rows: (form_id, question_key, value, value_num, running count to the end of quarter
    0, 1, ..., the last being the whole period).
    """
    conditions = [*scope, Invitation.form_id.in_(form_ids), Answer.skipped.is_(False)]
    if role:
        conditions.append(Invitation.role == role)
    # Running counts (reviews up to the end of each quarter), one date compare each; the
    # last is every answer in scope. ``_group_answers`` takes the differences.
    counts = [*(func.count().filter(Review.review_date <= q.end) for q in quarters[:-1]), func.count()]
    stmt = (select(Invitation.form_id, Answer.question_key, Answer.value, Answer.value_num, *counts)
            .select_from(Answer).join(Invitation, Answer.invitation_id == Invitation.id)
            .join(Review, Invitation.review_id == Review.id)
            .where(*conditions)
            .group_by(Invitation.form_id, Answer.question_key, Answer.value, Answer.value_num))
    return session.execute(stmt)


def _question_rows(forms: Mapping[str, FormDefinition],
                   grouped: Mapping[tuple[str, str], dict[str, Any]]) -> list[dict]:
    """Rows for every reportable question with answers, in form and question order."""
    rows = []
    for form_id, form in forms.items():
        for question in form.questions:
            kind = question.report or DEFAULT_REPORT.get(question.type)
            if kind in (None, "none") or (form_id, question.key) not in grouped:
                continue
            counts = grouped[(form_id, question.key)]
            options: list[str] = []
            scale = None
            n = None
            if kind == "distribution":
                if question.type == "feelings":
                    options = list(FEELINGS)
                elif question.type == "yes_no":
                    options = ["yes", "no", "not_sure"] if question.not_sure else ["yes", "no"]
                else:
                    options = [o.key for o in question.options or []]
                n = counts["_n"]
            elif kind == "scale":
                spec = question.scale
                scale = (spec.min, spec.max) if spec else (1, 10)
            summary = summarise_question(kind, {k: v for k, v in counts.items() if k != "_n"}, n=n,
                                         options=options, scale=scale)
            rows.append({"survey": form_id, "key": question.key, "text": question.text.get("en", ""),
                         "type": question.type, "report": kind, **summary})
    return rows


def _group_answers(forms: Mapping[str, FormDefinition], rows, first_quarter: int = 0,
                   out: dict[int, dict[tuple[str, str], dict[str, int]]] | None = None,
                   ) -> dict[int, dict[tuple[str, str], dict[str, int]]]:
    """Fold grouped answer rows (form, question, value, number, running counts) into per-quarter counts.

    A multi or feelings answer is stored as "a;b": it counts once towards n and once for
    each option picked.
    """
    types = {(f.id, q.key): (q.type, q.report or DEFAULT_REPORT.get(q.type))
             for f in forms.values() for q in f.questions}
    out = defaultdict(dict) if out is None else out
    for form_id, key, value, value_num, *running in rows:
        known = types.get((form_id, key))
        if known is None or known[1] in (None, "none"):
            continue
        qtype, kind = known
        for quarter, (upto, before) in enumerate(zip(running, [0, *running[:-1]], strict=True)):
            count = int(upto) - int(before)
            if count:
                _add_answer(out[first_quarter + quarter].setdefault((form_id, key), defaultdict(int)), qtype, kind, value,
                            value_num, int(count))
    return out


def _add_answer(counts: dict[str, int], qtype: str, kind: str, value: str | None, value_num: int | None,
                count: int) -> None:
    """Count ``count`` answers of one value towards one question's counts."""
    counts["_n"] += count
    if kind == "scale" or qtype == "scale":
        if value_num is not None:
            counts[str(value_num)] += count
    elif qtype in ("multi", "feelings"):
        for item in {v for v in (value or "").split(";") if v}:
            counts[item] += count
    elif qtype == "text":
        counts["answered"] += count
    elif value is not None:
        counts[value] += count


def _participation(session: Session, scope: list, quarter: ColumnElement[int]) -> dict[int, dict]:
    q = quarter.label("q")
    stmt = (select(q, Review.participation_code, Review.attended, Review.chaired, Review.seen_before_review,
                   func.count())
            .where(*scope)
            .group_by(q, Review.participation_code, Review.attended, Review.chaired, Review.seen_before_review))
    raw: dict[int, dict[str, Any]] = defaultdict(lambda: {"codes": defaultdict(int), "att": [0, 0], "seen": [0, 0],
                                                          "chair": 0, "co": 0, "chair_n": 0})
    for quarter_no, code, attended, chaired, seen, count in session.execute(stmt):
        block = raw[int(quarter_no)]
        if code:
            block["codes"][code] += count
        if attended is not None:
            block["att"][1] += count
            block["att"][0] += count if attended else 0
        if seen is not None:
            block["seen"][1] += count
            block["seen"][0] += count if seen else 0
        if chaired:
            block["chair_n"] += count
            block["chair"] += count if chaired == "chair" else 0
            block["co"] += count if chaired == "co_chair" else 0
    return raw


def _participation_summary(block: dict | None) -> dict:
    block = block or {"codes": {}, "att": [0, 0], "seen": [0, 0], "chair": 0, "co": 0, "chair_n": 0}
    return summarise_participation(block["codes"], attended=tuple(block["att"]), chaired=block["chair"],
                                   co_chaired=block["co"], chair_n=block["chair_n"],
                                   seen_before=tuple(block["seen"]))


def _merge_participation(blocks: list[dict]) -> dict:
    total = {"codes": defaultdict(int), "att": [0, 0], "seen": [0, 0], "chair": 0, "co": 0, "chair_n": 0}
    for block in blocks:
        for code, count in block["codes"].items():
            total["codes"][code] += count
        for key in ("att", "seen"):
            total[key][0] += block[key][0]
            total[key][1] += block[key][1]
        for key in ("chair", "co", "chair_n"):
            total[key] += block[key]
    return total


def _you_said_we_did(session: Session, scope: list, quarter: ColumnElement[int]) -> dict[int, int]:
    q = quarter.label("q")
    # Children told what was done: one per review however many messages, and only if one went out.
    stmt = (select(q, func.count(func.distinct(YouSaidWeDid.review_id))).select_from(YouSaidWeDid)
            .join(Review, YouSaidWeDid.review_id == Review.id)
            .where(*scope, YouSaidWeDid.sent_at.is_not(None)).group_by(q))
    return {int(quarter_no): int(count) for quarter_no, count in session.execute(stmt)}


def _quotes(session: Session, date_from: date, date_to: date, *, role: str | None, review_type: str | None,
            iro_id: int | None, quarters: list[Quarter]) -> list[tuple[int, dict]]:
    """Approved quotes by ``storage.quotes.published_quotes`` (the one rule), each with its quarter index."""
    out = []
    for quote in published_quotes(session, date_from, date_to, min_group=SMALL_NUMBER, iro_id=iro_id,
                                  review_type=review_type, role=role):
        index = next((i for i, q in enumerate(quarters) if quote.review_date <= q.end), len(quarters) - 1)
        out.append((index, quote.as_dict()))
    return out


def build_report(session: Session, date_from: date, date_to: date, *, role: str | None = None,
                 review_type: str | None = None, iro_id: int | None = None,
                 forms: Mapping[str, FormDefinition] | None = None) -> dict[str, Any]:
    """The report for reviews held from ``date_from`` to ``date_to`` (both included).

    ``forms`` (form id -> definition) defaults to the shipped forms; it names and orders the
    questions and says how each is reported. The result is plain JSON-ready data: the
    whole-period blocks, the same blocks per financial quarter, and last year's return rates.
    """
    if date_from > date_to:
        raise ValueError("the period starts after it ends")
    if forms is None:
        from surveys.forms import all_forms

        forms = all_forms()
    quarters = quarters_between(date_from, date_to)
    wanted_iro = iro_id
    if iro_id is not None and not 0 < iro_id < 2**31:
        iro_id = 0  # an id no account can have (a number from a query string) matches no review, not an error
    filters = counted_reviews(review_type, iro_id)
    scope = [Review.review_date >= date_from, Review.review_date <= date_to, *filters]
    quarter = _quarter_of(quarters)
    if session.get_bind().dialect.name == "postgresql":
        # A report is a handful of short grouped queries: compiling them (JIT) costs more
        # than it saves once a national year's plan crosses PostgreSQL's JIT cost thresholds.
        session.execute(text("SET LOCAL jit = off"))

    # Return rates, per quarter and for the whole period, and last year's in the same pass.
    prev_from, prev_to = previous_year(date_from, date_to)
    rate_counts: dict[int, dict[tuple[str, str, str], tuple[int, int]]] = defaultdict(dict)
    totals: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    prev_counts: dict[tuple[str, str, str], tuple[int, int]] = {}
    for q, r, rt, phase, sent, received in _return_rate_counts(session, date_from, date_to, quarters,
                                                               (prev_from, prev_to), filters, role):
        if q == PREVIOUS:
            prev_counts[(r, rt, phase)] = (sent, received)
            continue
        rate_counts[q][(r, rt, phase)] = (sent, received)
        totals[(r, rt, phase)][0] += sent
        totals[(r, rt, phase)][1] += received

    # Answers, grouped by form and question in the database, with a count per quarter.
    form_ids = list(forms)
    per_quarter: dict[int, dict[tuple[str, str], dict[str, int]]] = defaultdict(dict)
    for first in range(0, len(quarters) if form_ids else 0, QUARTERS_PER_PASS):
        # A long custom period is read in slices of years, so a query never grows too wide.
        chunk = quarters[first:first + QUARTERS_PER_PASS]
        chunk_scope = [Review.review_date >= chunk[0].start, Review.review_date <= chunk[-1].end, *filters]
        _group_answers(forms, _answer_counts(session, chunk_scope, role, chunk, form_ids), first, per_quarter)
    whole: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for grouped in per_quarter.values():
        for key, counts in grouped.items():
            for value, count in counts.items():
                whole[key][value] += count

    participation = _participation(session, scope, quarter)
    yswd = _you_said_we_did(session, scope, quarter)
    quotes = _quotes(session, date_from, date_to, role=role, review_type=review_type, iro_id=iro_id,
                     quarters=quarters)

    by_quarter = []
    for index, q in enumerate(quarters):
        by_quarter.append({
            **q.as_dict(),
            "return_rates": _rate_rows(rate_counts.get(index, {})),
            "questions": _question_rows(forms, per_quarter.get(index, {})),
            "participation": _participation_summary(participation.get(index)),
            "quotes": [quote for i, quote in quotes if i == index],
            "you_said_we_did": {"count": yswd.get(index, 0)},
        })

    return {
        "period": {"from": date_from.isoformat(), "to": date_to.isoformat()},
        "filters": {"role": role, "review_type": review_type, "iro_id": wanted_iro},
        "small_number_threshold": SMALL_NUMBER,
        "counting": COUNTING_NOTE,
        "return_rates": _rate_rows({k: (v[0], v[1]) for k, v in totals.items()}),
        "questions": _question_rows(forms, whole),
        "participation": _participation_summary(_merge_participation(list(participation.values()))),
        "quotes": [quote for _, quote in quotes],
        "you_said_we_did": {"count": sum(yswd.values())},
        "by_quarter": by_quarter,
        "previous_year": {"period": {"from": prev_from.isoformat(), "to": prev_to.isoformat()},
                          "return_rates": _rate_rows(prev_counts)},
    }

