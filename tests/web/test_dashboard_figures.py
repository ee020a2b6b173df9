"""The figures page: any period, filters, return-rate / % yes / participation tables and charts."""

from __future__ import annotations

import base64
import re
from datetime import date

import pytest

from storage.models import Review, Staff
from storage.staff import add_staff
from tests.web.dashboard_data import PASSWORD, add_answers, add_invitation, add_review
from tests.web.test_dashboard import assert_csp_clean, login


@pytest.fixture
def figures_world(app):  # noqa: ANN001, ANN201
    """2025/26: five CLA children for IRO A in Q1, one for IRO B in Q2; carers asked too."""
    ids = {}
    with app.extensions["db"].session() as session:
        add_staff(session, "manager@council.example", "manager", PASSWORD)
        iro_a = add_staff(session, "iro-a@council.example", "iro", PASSWORD, display_name="IRO A")
        iro_b = add_staff(session, "iro-b@council.example", "iro", PASSWORD, display_name="IRO B")
        ids["iro_a"], ids["iro_b"] = iro_a.id, iro_b.id
        plan = [(iro_a, date(2025, 5, 10 + n), n) for n in range(5)] + [(iro_b, date(2025, 8, 20), 5)]
        for iro, when, n in plan:
            review = add_review(session, f"R-{n}", iro, child_ref=f"C-{n}", review_date=when)
            child = add_invitation(session, review, "child", channel="sms", status="sent",
                                   contact=f"+4474001000{n:02d}")
            add_invitation(session, review, "carer", channel="web", status="sent", form_id="carer_before",
                           contact=f"carer{n}@example.test")
            if n < 5:  # five children answer; four of them have someone to talk to
                add_answers(session, child, {"talk_about": ["school"],
                                             "someone_to_talk_to": "yes" if n < 4 else "no"})
            review.participation_code = "PN1" if n % 2 == 0 else "PN6"
            review.attended = n % 2 == 0
            review.seen_before_review = n != 1  # Q1: 4 of 5 seen; Q2: 1 of 1
    return ids


def test_figures_for_a_reporting_year(client, figures_world) -> None:  # noqa: ANN001
    login(client, "manager@council.example")
    response = client.get("/dashboard/figures?period=year&year=2025")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Figures: 2025/26" in html
    assert "partly answered counts as sent but not received" in html
    # Cheshire East's layout: sent CLA / PP / total, received CLA / PP / total, rate.
    child_row = re.search(r"<th scope=\"row\">Child / young person</th>(.*?)</tr>", html, re.S).group(1)
    assert re.findall(r"<td class=\"num\">([^<]*)</td>", child_row) == ["6", "0", "6", "5", "0", "5", "83%"]
    carer_row = re.search(r"<th scope=\"row\">Carer</th>(.*?)</tr>", html, re.S).group(1)
    assert re.findall(r"<td class=\"num\">([^<]*)</td>", carer_row) == ["6", "0", "6", "0", "0", "0", "0%"]
    # % yes with its n.
    question = re.search(r"<th scope=\"row\">[^<]*</th><td class=\"num\">80%</td><td class=\"num\">5</td>", html)
    assert question, "the % yes row (4 of 5) with n = 5"
    # York's participation table: 3 x PN1, 3 x PN6 of 6.
    assert re.search(r"<th scope=\"row\">PN1</th><td>[^<]+</td><td class=\"num\">3</td><td class=\"num\">50%</td>", html)
    assert re.search(r"<th scope=\"row\">PN6</th><td>[^<]+</td><td class=\"num\">3</td><td class=\"num\">50%</td>", html)
    assert "(n = 6)" in html
    # York's 'seen before the review' by quarter: seen, not seen, n, %.
    assert re.search(r"<th scope=\"row\">2025/26 Q1</th><td class=\"num\">4</td><td class=\"num\">1</td>"
                     r"<td class=\"num\">5</td><td class=\"num\">80%</td>", html)
    # Quarters and the server-drawn charts (SVG images, no scripts).
    assert "2025/26 Q1" in html and "2025/26 Q2" in html
    charts = re.findall(r'<img class="chart" src="data:image/svg\+xml;base64,([^"]+)" alt="[^"]+"', html)
    assert len(charts) == 3
    svg = base64.b64decode(charts[0]).decode()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and "<script" not in svg
    assert_csp_clean(html)


def test_figures_filtered_by_iro_and_quarter(client, figures_world) -> None:  # noqa: ANN001
    login(client, "manager@council.example")
    html = client.get(f"/dashboard/figures?period=year&year=2025&iro={figures_world['iro_b']}"
                      ).get_data(as_text=True)
    child_row = re.search(r"<th scope=\"row\">Child / young person</th>(.*?)</tr>", html, re.S).group(1)
    assert re.findall(r"<td class=\"num\">([^<]*)</td>", child_row) == ["1", "0", "1", "0", "0", "0", "suppressed"]
    assert "<img class=\"chart\"" not in html.split("Participation in reviews")[0]  # small groups not drawn
    html = client.get("/dashboard/figures?period=quarter&year=2025&quarter=Q2").get_data(as_text=True)
    assert "Figures: Q2 2025/26" in html
    child_row = re.search(r"<th scope=\"row\">Child / young person</th>(.*?)</tr>", html, re.S).group(1)
    assert re.findall(r"<td class=\"num\">([^<]*)</td>", child_row)[2] == "1"
    html = client.get("/dashboard/figures?period=custom&from=2025-05-10&to=2025-05-11&role=carer"
                      ).get_data(as_text=True)
    assert "Child / young person</th><td" not in html
    carer_row = re.search(r"<th scope=\"row\">Carer</th>(.*?)</tr>", html, re.S).group(1)
    assert re.findall(r"<td class=\"num\">([^<]*)</td>", carer_row)[2] == "2"


@pytest.mark.parametrize("query, message", [
    ("period=custom&from=2025-06-01&to=2025-05-01", "must not be before"),
    ("period=custom&from=yesterday&to=2025-05-01", "YYYY-MM-DD"),
    ("period=quarter&year=2025&quarter=Q7", "Q1, Q2, Q3 or Q4"),
    ("period=year&year=twenty", "a number"),
    ("role=wizard", "Choose a role"),
    ("iro=99999999999999999999", "Choose an IRO"),  # beyond PostgreSQL's integer: was a 500
    ("iro=-1", "Choose an IRO"),
    ("iro=1e3", "Choose an IRO"),
])
def test_bad_periods_get_a_reason_not_a_500(client, figures_world, query, message) -> None:  # noqa: ANN001
    login(client, "manager@council.example")
    response = client.get(f"/dashboard/figures?{query}")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_figures_are_for_managers_and_admins(app, client, figures_world) -> None:  # noqa: ANN001
    login(client, "iro-a@council.example")
    assert client.get("/dashboard/figures").status_code == 403
    with app.extensions["db"].session() as session:
        assert session.query(Review).count() == 6 and session.get(Staff, figures_world["iro_a"]).role == "iro"


def test_downloads_with_an_impossible_iro_are_empty_not_a_500(client, figures_world) -> None:  # noqa: ANN001
    login(client, "manager@council.example")
    response = client.get("/dashboard/figures/download.json?iro=99999999999999999999")
    assert response.status_code == 200
    assert response.get_json()["return_rates"] == []
