"""Published tables recreated from answers sent through the real entry points.

A small year of feedback forms is answered the ways respondents answer them: children by
SMS (signed Twilio webhooks, replies going out through the real twilio client to the fake)
and by Telegram (the webhook with its secret header, the real python-telegram-bot client),
carers on the web form (/f/<token>/form), and returned paper forms keyed in by a manager
(/dashboard/paper/<id>). The IRO records each review's participation code on the review
page. Then the report (the JSON API, the printed tables and ``haveyoursay report``) must
show exactly the figures counted by hand below, as whole-number percentages.
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from storage.models import Invitation, Review, Staff
from storage.staff import new_api_token
from surveys.forms import get_form
from surveys.report_tables import (
    SUPPRESSED,
    participation_table,
    return_rate_quarter_table,
    return_rate_table,
    yes_quarter_table,
    yes_table,
)
from tests.conftest import csrf_token_from
from tests.fakes.fixtures import random_chat_id
from tests.fakes.telegram_fake import message_update, start_update
from tests.fakes.twilio_fake import inbound_sms_form
from tests.web.dashboard_data import PASSWORD, add_invitation, add_review

PERIOD = "from=2025-04-01&to=2026-03-31"

# What each child says on child_after (SMS or Telegram); other questions get DEFAULTS.
CHILDREN = {
    # ref: (review date, channel, answers)
    "R1": (date(2025, 5, 12), "sms", {"know_iro": "yes", "spoke_before": "yes", "understand_role": "yes",
                                      "how_attended": "1", "rate_meeting": "4"}),
    "R2": (date(2025, 6, 30), "sms", {"know_iro": "not sure", "spoke_before": "no", "wanted_to_speak": "yes",
                                      "understand_role": "no", "how_attended": "2", "rate_meeting": "3"}),
    "R3": (date(2025, 10, 1), "sms", {"know_iro": "yes", "spoke_before": "yes", "understand_role": "yes",
                                      "how_attended": "1", "rate_meeting": "5"}),
    "R4": (date(2025, 11, 3), "telegram", {"know_iro": "no", "spoke_before": "yes", "understand_role": "yes",
                                           "how_attended": "3", "rate_meeting": "4"}),
    "R5": (date(2025, 12, 31), "telegram", {"know_iro": "yes", "spoke_before": "no", "wanted_to_speak": "no",
                                            "understand_role": "yes", "how_attended": "1",
                                            "rate_meeting": "5"}),
    "R6": (date(2025, 12, 1), "sms", None),  # sent, never answered
}
# Care leavers (Pathway Plan reviews) on care_leaver_after.
CARE_LEAVERS = {
    "P1": (date(2026, 1, 15), "sms", {"attended": "yes", "att_how": "1"}),
    "P2": (date(2026, 3, 31), "sms", None),
}
# Carers on carer_after: the web form or a paper form keyed in; None = never returned.
CARERS = {
    "R1": ("web", {"spoke_iro": "yes", "understand_role": "yes", "understand_recommendations": "yes"}),
    "R2": ("web", {"spoke_iro": "yes", "understand_role": "no", "understand_recommendations": "yes"}),
    "R3": ("paper", {"spoke_iro": "yes", "understand_role": "no", "understand_recommendations": "no"}),
    "R4": ("paper", {"spoke_iro": "no", "understand_role": "yes"}),
    "R5": ("web", None),
}
# The IRO's record after each review: (PN code, attended, chaired, seen before).
PARTICIPATION = {
    "R1": ("PN1", "yes", "chair", "yes"), "R2": ("PN1", "yes", "none", "yes"),
    "R3": ("PN1", "yes", "co_chair", "yes"), "R4": ("PN1", "yes", "none", "yes"),
    "R5": ("PN1", "yes", "none", "no"), "R6": ("PN6", "no", "none", "yes"),
    "P1": ("PN6", "no", "none", "yes"), "P2": ("PN7", "no", "none", "unknown"),
}
DEFAULTS = {"yes_no": "yes", "single": "1", "multi": "1", "scale": "3", "text": "It was fine",
            "feelings": "happy"}


@pytest.fixture
def year(channel_app):  # noqa: ANN001, ANN201
    """Staff, reviews and sent invitations (as the importer and sender leave them)."""
    from storage.staff import add_staff

    ids: dict = {"children": {}, "carers": {}, "reviews": {}, "phones": {}, "tokens": {}}
    with channel_app.extensions["db"].session() as session:
        iro = add_staff(session, "iro@council.example", "iro", PASSWORD)
        add_staff(session, "manager@council.example", "manager", PASSWORD)
        ids["token"] = new_api_token(session, "manager@council.example")
        sent = datetime(2025, 4, 1, 9, 0, tzinfo=UTC)
        for number, (ref, (day, channel, _)) in enumerate({**CHILDREN, **CARE_LEAVERS}.items()):
            pathway = ref.startswith("P")
            review = add_review(session, ref, iro, child_ref=f"C-{ref}", age=17 if pathway else 12,
                                review_type="PP" if pathway else "CLA", review_date=day)
            ids["reviews"][ref] = review.id
            phone = f"+4474001{number:05d}"
            child = add_invitation(session, review, "care_leaver" if pathway else "child", channel=channel,
                                   phase="feedback", form_id="care_leaver_after" if pathway else "child_after",
                                   contact=phone if channel == "sms" else None, status="sent", now=sent)
            ids["children"][ref], ids["phones"][ref], ids["tokens"][ref] = child.id, phone, child.token
        for ref, (channel, _) in CARERS.items():
            review = session.get(Review, ids["reviews"][ref])
            carer = add_invitation(session, review, "carer", channel=channel, phase="feedback",
                                   form_id="carer_after", contact="carer@example.test" if channel == "web" else None,
                                   status="sent", now=sent)
            ids["carers"][ref], ids["tokens"][f"{ref}:carer"] = carer.id, carer.token
        # Last year (one paper form, returned) and a review after the period: neither may count.
        for ref, day in (("OLD", date(2024, 6, 10)), ("NEXT", date(2026, 4, 1))):
            review = add_review(session, ref, iro, child_ref=f"C-{ref}", review_date=day)
            ids["reviews"][ref] = review.id
            carer = add_invitation(session, review, "carer", channel="paper", phase="feedback",
                                   form_id="carer_after", status="sent", now=sent)
            ids["carers"][ref] = carer.id
        session.commit()
    return ids


def _invitation(app, invitation_id: int) -> Invitation:  # noqa: ANN001
    with app.extensions["db"].session() as session:
        return session.get(Invitation, invitation_id)


def _reply(form_id: str, key: str, plan: dict[str, str]) -> str:
    if key in plan:
        return plan[key]
    question = next(q for q in get_form(form_id).questions if q.key == key)
    return DEFAULTS[question.type]


def _walk(app, invitation_id: int, form_id: str, plan: dict[str, str], send) -> None:  # noqa: ANN001
    """Answer the conversation question by question until the form is completed."""
    for _ in range(60):
        invitation = _invitation(app, invitation_id)
        if invitation.status == "completed":
            return
        key = (invitation.state or {}).get("current")
        assert key is not None, f"the conversation stopped before the end ({invitation.status})"
        send(_reply(form_id, key, plan))
    raise AssertionError("the conversation did not end")


def _login(client, email: str) -> str:  # noqa: ANN001
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    assert client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token}).status_code == 302
    return csrf_token_from(client.get("/dashboard/").get_data(as_text=True))


def _answer_everything(channel_app, channel_client, twilio_post, telegram_post, year) -> None:  # noqa: ANN001
    # Children and care leavers: SMS and Telegram conversations.
    for ref, (_, channel, plan) in {**CHILDREN, **CARE_LEAVERS}.items():
        if plan is None:
            continue
        invitation_id = year["children"][ref]
        form_id = _invitation(channel_app, invitation_id).form_id
        if channel == "sms":
            phone = year["phones"][ref]

            def send(body: str, phone: str = phone) -> None:
                assert twilio_post("/webhooks/twilio/sms", inbound_sms_form(phone, body)).status_code == 200

            send("Hi")
        else:
            chat_id = random_chat_id()

            def send(body: str, chat_id: int = chat_id) -> None:
                assert telegram_post(message_update(chat_id, body)).status_code == 200

            assert telegram_post(start_update(chat_id, year["tokens"][ref])).status_code == 200
        _walk(channel_app, invitation_id, form_id, plan, send)
    # Carers on the web form (one page).
    for ref, (channel, plan) in CARERS.items():
        if channel != "web" or plan is None:
            continue
        url = f"/f/{year['tokens'][f'{ref}:carer']}/form"
        page = channel_client.get(url)
        assert page.status_code == 200
        response = channel_client.post(url, data={"csrf_token": csrf_token_from(page.get_data(as_text=True)),
                                                  "action": "send", **plan})
        assert response.status_code in (200, 302), response.get_data(as_text=True)[:500]
        assert _invitation(channel_app, year["carers"][ref]).received
    # Paper forms keyed in by a manager (also last year's and next year's).
    _login(channel_client, "manager@council.example")
    paper = {ref: plan for ref, (channel, plan) in CARERS.items() if channel == "paper" and plan}
    paper.update({"OLD": {"spoke_iro": "yes"}, "NEXT": {"spoke_iro": "no", "understand_role": "no"}})
    for ref, plan in paper.items():
        url = f"/dashboard/paper/{year['carers'][ref]}"
        page = channel_client.get(url)
        response = channel_client.post(url, data={"csrf_token": csrf_token_from(page.get_data(as_text=True)),
                                                  **plan})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        assert _invitation(channel_app, year["carers"][ref]).received
    channel_client.post("/logout", data={"csrf_token": csrf_token_from(
        channel_client.get("/dashboard/").get_data(as_text=True))})
    # The IRO records how each child took part, on the review page.
    token = _login(channel_client, "iro@council.example")
    for ref, (code, attended, chaired, seen) in PARTICIPATION.items():
        response = channel_client.post(f"/dashboard/reviews/{year['reviews'][ref]}/participation", data={
            "csrf_token": token, "participation_code": code, "attended": attended, "chaired": chaired,
            "seen_before_review": seen})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]


def _question(report: dict, survey: str, key: str) -> dict:
    return next(q for q in report["questions"] if q["survey"] == survey and q["key"] == key)


def _row(table, *start) -> list:  # noqa: ANN001
    return next(r for r in table.rows if r[: len(start)] == list(start))


def test_published_tables_from_answers_through_every_entry_point(channel_app, channel_client, twilio_post,
                                                                 telegram_post, year, tmp_path):
    _answer_everything(channel_app, channel_client, twilio_post, telegram_post, year)
    with channel_app.extensions["db"].session() as session:
        received = {inv.id: inv.received for inv in session.scalars(select(Invitation))}
        channels = {inv.id: inv.channel for inv in session.scalars(select(Invitation))}
        assert session.scalar(select(Staff.id).where(Staff.email == "iro@council.example"))
    assert [ref for ref in CHILDREN if received[year["children"][ref]]] == ["R1", "R2", "R3", "R4", "R5"]
    assert {channels[year["children"][ref]] for ref in ("R4", "R5")} == {"telegram"}

    response = channel_client.get(f"/api/v1/report?{PERIOD}", headers={"Authorization": f"Bearer {year['token']}"})
    assert response.status_code == 200
    report = response.get_json()

    # Return rates per role and review type (Cheshire East's "forms sent and received").
    rates = {(r["phase"], r["role"], r["review_type"]): (r["sent"], r["received"], r["rate"])
             for r in report["return_rates"]}
    assert rates == {("feedback", "child", "CLA"): (6, 5, 0.8333), ("feedback", "carer", "CLA"): (5, 4, 0.8),
                     ("feedback", "care_leaver", "PP"): (2, 1, 0.5)}
    table = return_rate_table(report)
    assert _row(table, "Feedback (after the review)", "Child / young person", "CLA") == [
        "Feedback (after the review)", "Child / young person", "CLA", 6, 5, 83, 0, 0, SUPPRESSED]
    assert _row(table, "Feedback (after the review)", "Foster / residential carer", "CLA") == [
        "Feedback (after the review)", "Foster / residential carer", "CLA", 5, 4, 80, 1, 1, SUPPRESSED]
    assert _row(table, "Feedback (after the review)", "Care leaver", "Pathway Plan")[3:6] == [2, 1, SUPPRESSED]
    assert _row(table, "Feedback (after the review)", "All respondents", "Subtotal")[3:6] == [13, 10, 77]
    by_quarter = return_rate_quarter_table(report)
    assert _row(by_quarter, "2025/26 Q1", "Feedback (after the review)", "Child / young person")[4:] == [
        2, 2, SUPPRESSED]
    assert _row(by_quarter, "2025/26 Q3", "Feedback (after the review)", "Child / young person")[4:] == [
        4, 3, SUPPRESSED]

    # % said yes per question, "not sure" kept in the base.
    know = _question(report, "child_after", "know_iro")
    assert (know["n"], know["counts"], know["yes_pct"], know["no_pct"], know["not_sure_pct"]) == (
        5, {"yes": 3, "no": 1, "not_sure": 1}, 60, 20, 20)
    assert (_question(report, "child_after", "spoke_before")["yes_pct"],
            _question(report, "child_after", "understand_role")["yes_pct"]) == (60, 80)
    wanted = _question(report, "child_after", "wanted_to_speak")
    assert (wanted["n"], wanted["yes_pct"]) == (2, 50) and wanted["suppressed"]
    spoke = _question(report, "carer_after", "spoke_iro")
    assert (spoke["n"], spoke["yes_pct"], spoke["no_pct"]) == (4, 75, 25)
    recs = _question(report, "carer_after", "understand_recommendations")
    assert (recs["n"], recs["yes_pct"], recs["no_pct"]) == (3, 67, 33)
    yes = yes_table(report)
    assert _row(yes, "child_after", know["text"]) == ["child_after", know["text"], 5, 60, 20, 20]
    assert _row(yes, "carer_after", recs["text"]) == ["carer_after", recs["text"], "<5", SUPPRESSED, SUPPRESSED,
                                                      SUPPRESSED]
    assert _row(yes_quarter_table(report), "child_after", know["text"])[-1] == 60
    attended = _question(report, "child_after", "how_attended")
    assert (attended["n"], attended["distribution"]["in_person"], attended["pct"]["in_person"],
            attended["pct"]["video"], attended["pct"]["phone"]) == (5, 3, 60, 20, 20)
    scale = _question(report, "child_after", "rate_meeting")
    assert (scale["n"], scale["mean"], scale["median"]) == (5, 4.2, 4)

    # Participation (York's table): 5 of 8 is 62.5% -> 63, 1 of 8 is 12.5% -> 13, half up.
    part = report["participation"]
    assert part["n"] == 8
    assert {code: (c["count"], c["pct"]) for code, c in part["codes"].items() if c["count"]} == {
        "PN1": (5, 63), "PN6": (2, 25), "PN7": (1, 13)}
    assert (part["attended"]["pct"], part["chaired"]["pct"], part["co_chaired"]["pct"],
            part["seen_before_review"]) == (63, 13, 13, {"count": 6, "n": 7, "pct": 86})
    ptable = participation_table(report)
    assert _row(ptable, "PN1")[2:4] == [5, 63] and _row(ptable, "PN7")[2:4] == [1, 13]
    assert _row(ptable, "", "Seen by the IRO before")[2:4] == [6, 86]
    assert all(isinstance(cell, int) for r in ptable.rows for cell in r[3:4] if cell not in (None, SUPPRESSED))

    # The command line prints the same figures.
    out = tmp_path / "report.json"
    result = channel_app.test_cli_runner().invoke(args=["report", "--from", "2025-04-01", "--to", "2026-03-31",
                                                        "--format", "json", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text(encoding="utf-8"))["return_rates"] == report["return_rates"]
    csv_out = tmp_path / "report.csv"
    result = channel_app.test_cli_runner().invoke(args=["report", "--from", "2025-04-01", "--to", "2026-03-31",
                                                        "--format", "csv", "-o", str(csv_out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(csv_out.read_text(encoding="utf-8").splitlines()))
    assert ["Feedback (after the review)", "Child / young person", "CLA", "6", "5", "83", "0", "0",
            SUPPRESSED] in rows
    assert any(r[:4] == ["PN1", "Attends and speaks for him/herself", "5", "63"] for r in rows)
