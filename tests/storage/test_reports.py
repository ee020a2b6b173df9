"""build_report: return rates, % yes, distributions, scales, PN codes, quotes, quarters, filters."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import event, select

from storage.reports import build_report
from tests.storage.report_data import APPROVED_QUOTE, HIDDEN_TEXTS, PERIOD, seed_year


@pytest.fixture
def year(db):  # noqa: ANN001
    with db.session() as session:
        seeded = seed_year(session)
    return seeded


def _rates(rows):
    return {(r["role"], r["review_type"], r["phase"]): (r["sent"], r["received"], r["rate"]) for r in rows}


def _question(report, survey, key):
    return next(q for q in report["questions"] if q["survey"] == survey and q["key"] == key)


def test_return_rates_per_role_and_review_type(db, year):  # noqa: ANN001
    with db.session() as session:
        report = build_report(session, *PERIOD)
    assert report["period"] == {"from": "2025-04-01", "to": "2026-03-31"}
    assert _rates(report["return_rates"]) == {
        ("child", "CLA", "feedback"): (10, 8, 0.8),  # R11's pending invitation was never sent
        ("carer", "CLA", "feedback"): (7, 4, 0.5714),  # includes R11's paper form
        ("care_leaver", "PP", "feedback"): (1, 0, 0.0),
    }
    suppressed = {(r["role"], r["review_type"]): r["suppressed"] for r in report["return_rates"]}
    assert suppressed == {("child", "CLA"): False, ("carer", "CLA"): False, ("care_leaver", "PP"): True}
    assert _rates(report["previous_year"]["return_rates"]) == {("child", "CLA", "feedback"): (1, 1, 1.0)}
    assert report["previous_year"]["period"] == {"from": "2024-04-01", "to": "2025-03-31"}


def test_yes_percentages_round_half_up_and_keep_not_sure_in_the_base(db, year):  # noqa: ANN001
    with db.session() as session:
        report = build_report(session, *PERIOD)
    know = _question(report, "child_after", "know_iro")
    assert know["counts"] == {"yes": 7, "no": 2, "not_sure": 1}
    assert (know["n"], know["yes_pct"], know["not_sure_pct"], know["suppressed"]) == (10, 70, 10, False)
    q1 = next(q for q in report["by_quarter"] if q["quarter"] == "2025/26 Q1")
    know_q1 = next(q for q in q1["questions"] if q["key"] == "know_iro" and q["survey"] == "child_after")
    # 5 of 8 is 62.5% and 1 of 8 is 12.5%: printed 63 and 13, as the councils round.
    assert (know_q1["n"], know_q1["yes_pct"], know_q1["no_pct"], know_q1["not_sure_pct"]) == (8, 63, 25, 13)
    spoke = _question(report, "child_after", "spoke_before")
    assert (spoke["n"], spoke["yes_pct"]) == (8, 88)  # 7 of 8 = 87.5
    carer = _question(report, "carer_after", "spoke_iro")
    assert (carer["n"], carer["yes_pct"], carer["suppressed"]) == (4, 75, True)


def test_distributions_scales_and_quarters(db, year):  # noqa: ANN001
    with db.session() as session:
        report = build_report(session, *PERIOD)
    how = _question(report, "child_after", "how_attended")
    assert how["n"] == 8
    assert how["distribution"] == {"in_person": 3, "video": 3, "phone": 2, "saw_iro_before": 0,
                                   "views_shared": 0, "did_not_take_part": 0}
    assert how["pct"]["in_person"] == 38 and how["pct"]["phone"] == 25  # 37.5 -> 38
    rate = _question(report, "child_after", "rate_meeting")
    assert rate["histogram"] == {"1": 0, "2": 1, "3": 1, "4": 1, "5": 2}
    assert (rate["n"], rate["mean"], rate["median"]) == (5, 3.8, 4)
    assert [q["quarter"] for q in report["by_quarter"]] == ["2025/26 Q1", "2025/26 Q2", "2025/26 Q3", "2025/26 Q4"]
    q3 = report["by_quarter"][2]
    assert _rates(q3["return_rates"]) == {("child", "CLA", "feedback"): (2, 2, 1.0),
                                          ("carer", "CLA", "feedback"): (1, 0, 0.0)}
    know_q3 = next(q for q in q3["questions"] if q["key"] == "know_iro")
    assert (know_q3["n"], know_q3["yes_pct"], know_q3["suppressed"]) == (2, 100, True)
    assert report["by_quarter"][3]["return_rates"] == [] and report["by_quarter"][3]["questions"] == []
    assert [q["you_said_we_did"]["count"] for q in report["by_quarter"]] == [2, 0, 1, 0]
    assert report["you_said_we_did"] == {"count": 3}


def test_you_said_we_did_counts_children_told_once_each(db, year):  # noqa: ANN001
    from storage.models import Review, YouSaidWeDid

    with db.session() as session:
        told = session.scalar(select(YouSaidWeDid).where(YouSaidWeDid.sent_at.is_not(None)).limit(1))
        # A second message to the same child, and one that could not be sent, add nobody.
        session.add(YouSaidWeDid(review_id=told.review_id, text="And we fixed the bus", sent_at=told.sent_at))
        untold = session.scalar(select(Review.id).where(Review.id.not_in(
            select(YouSaidWeDid.review_id)), Review.review_date.between(*PERIOD)).limit(1))
        session.add(YouSaidWeDid(review_id=untold, text="No channel to send it on", sent_at=None))
        session.flush()
        assert build_report(session, *PERIOD)["you_said_we_did"] == {"count": 3}


def test_participation_codes(db, year):  # noqa: ANN001
    with db.session() as session:
        report = build_report(session, *PERIOD)
    part = report["participation"]
    assert part["n"] == 8 and part["suppressed"] is False
    assert {code: (v["count"], v["pct"]) for code, v in part["codes"].items() if v["count"]} == {
        "PN0": (1, 13), "PN1": (4, 50), "PN6": (2, 25), "PN7": (1, 13)}
    assert part["codes"]["PN3"] == {"label": "Attends, views given non-verbally", "count": 0, "pct": 0}
    assert part["attended"] == {"count": 4, "n": 8, "pct": 50}
    assert (part["chaired"]["count"], part["co_chaired"]["count"], part["chaired"]["pct"]) == (1, 1, 13)
    assert report["by_quarter"][0]["participation"]["n"] == 8
    assert report["by_quarter"][2]["participation"]["n"] == 0


def test_only_approved_quotes_from_big_enough_groups(db, year):  # noqa: ANN001
    with db.session() as session:
        report = build_report(session, *PERIOD)
    assert [(q["text"], q["role"], q["age"], q["survey"]) for q in report["quotes"]] == [
        (APPROVED_QUOTE, "child", 10, "child_after")]
    assert report["by_quarter"][0]["quotes"] == report["quotes"]
    text = str(report)
    for hidden in HIDDEN_TEXTS:
        assert hidden not in text


def test_filters_by_iro_review_type_and_role(db, year):  # noqa: ANN001
    with db.session() as session:
        mine = build_report(session, *PERIOD, iro_id=year.iro_a)
        pathway = build_report(session, *PERIOD, review_type="PP")
        carers = build_report(session, *PERIOD, role="carer")
    assert _rates(mine["return_rates"]) == {("child", "CLA", "feedback"): (8, 6, 0.75),
                                            ("carer", "CLA", "feedback"): (6, 4, 0.6667),
                                            ("care_leaver", "PP", "feedback"): (1, 0, 0.0)}
    assert _question(mine, "child_after", "know_iro")["yes_pct"] == 63
    assert _rates(pathway["return_rates"]) == {("care_leaver", "PP", "feedback"): (1, 0, 0.0)}
    assert pathway["questions"] == [] and pathway["participation"]["n"] == 0
    assert {r["role"] for r in carers["return_rates"]} == {"carer"}
    assert {q["survey"] for q in carers["questions"]} == {"carer_after"}
    assert carers["quotes"] == []  # the carer quote's group is under 5


def test_empty_period_and_bad_period(db):  # noqa: ANN001
    with db.session() as session:
        report = build_report(session, date(2030, 1, 1), date(2030, 1, 31))
        assert report["return_rates"] == [] and report["questions"] == [] and report["quotes"] == []
        assert report["participation"]["n"] == 0 and report["participation"]["suppressed"] is True
        assert [q["quarter"] for q in report["by_quarter"]] == ["2029/30 Q4"]
        with pytest.raises(ValueError):
            build_report(session, date(2030, 2, 1), date(2030, 1, 31))


def _statements_of_the_report(db) -> list[str]:  # noqa: ANN001
    """Every SQL statement one build_report over PERIOD sends."""
    statements: list[str] = []

    def count(conn, cursor, statement, *args):  # noqa: ANN001
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        with db.session() as session:
            build_report(session, *PERIOD)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return statements


def test_grouped_queries_only(db, year):  # noqa: ANN001
    """The report runs a fixed handful of GROUP BY queries, not one per review or answer."""
    statements = _statements_of_the_report(db)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) <= 8
    answer_query = next(s for s in selects if "answers" in s)
    assert "GROUP BY" in answer_query.upper()


def test_simulated_reviews_never_count(db, year):  # noqa: ANN001
    from storage.models import Review
    from storage.responses import save_answers
    from tests.storage.report_data import make_invitation, make_review

    with db.session() as session:
        before = build_report(session, *PERIOD)
        review = make_review(session, "SIM1", review_date=date(2025, 5, 20), iro_id=year.iro_a)
        review.simulated = True
        child = make_invitation(session, review, "child", phase="feedback", contact="+447400199999")
        save_answers(session, child, {"know_iro": "yes", "spoke_before": "yes", "how_attended": "phone"},
                     channel="web", finished=True)
        review.participation_code = "PN1"
    with db.session() as session:
        assert session.get(Review, review.id).simulated is True
        after = build_report(session, *PERIOD)
    assert after == before


def test_one_pass_over_answers_and_invitations(db, year):  # noqa: ANN001
    """Answers and invitations are each read once (last year's return rates in the same pass)."""
    statements = _statements_of_the_report(db)
    assert len([s for s in statements if "FROM answers" in s]) == 1
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT") and "FROM invitations" in s
                and "sum(" in s.lower()]) == 1


def test_a_long_custom_period_and_an_impossible_iro_id(db, year):  # noqa: ANN001
    """Two centuries (800 quarters, read in slices) give each quarter the same figures as one year does."""
    with db.session() as session:
        one_year = build_report(session, *PERIOD)
        long = build_report(session, date(1950, 1, 1), date(2149, 12, 31))
        nobody = build_report(session, *PERIOD, iro_id=10**30)
    assert len(long["by_quarter"]) == 800
    blocks = {q["quarter"]: q for q in long["by_quarter"]}
    for quarter in one_year["by_quarter"]:
        assert blocks[quarter["quarter"]]["questions"] == quarter["questions"], quarter["quarter"]
    know = [q for block in long["by_quarter"] for q in block["questions"]
            if (q["survey"], q["key"]) == ("child_after", "know_iro")]
    assert sum(q["n"] for q in know) == _question(long, "child_after", "know_iro")["n"] > _question(
        one_year, "child_after", "know_iro")["n"]  # last year's answers are in the long period too
    assert nobody["return_rates"] == [] and nobody["questions"] == [] and nobody["filters"]["iro_id"] == 10**30
