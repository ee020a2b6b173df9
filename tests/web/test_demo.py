"""The demo command: a realistic sample year that the dashboard, report and login work on."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import func, select

from storage.models import Alert, Invitation, Quote, Review, YouSaidWeDid
from storage.quotes import published_quotes
from storage.reports import build_report

TODAY = date(2026, 11, 23)


def test_demo_loads_a_sample_year_once_and_the_login_works(app, client):
    from storage.demo import DEMO_LOGINS, load_demo

    with app.extensions["db"].session() as session:
        summary = load_demo(session, app.config["HYS"], today=TODAY, reviews=60)
    assert summary["reviews"] == 60 and summary["invitations"] > 100
    assert summary["alerts"] >= 1 and summary["quotes_approved"] >= 1 and summary["you_said_we_did"] >= 1
    with app.extensions["db"].session() as session:
        again = load_demo(session, app.config["HYS"], today=TODAY, reviews=60)
        assert again["staff_created"] == 0 and again["reviews"] == 60
        assert session.scalar(select(func.count()).select_from(Review)) == 60
        statuses = set(session.scalars(select(Invitation.status).distinct()))
        assert {"sent", "completed", "expired"} <= statuses
        assert session.scalar(select(func.count()).select_from(Alert)) >= 1
        assert session.scalar(select(func.count()).select_from(YouSaidWeDid)) == summary["you_said_we_did"]
        # Nothing a child said about harm is approved for a report.
        assert all("hits me" not in q.redacted_text for q in session.scalars(
            select(Quote).where(Quote.status == "approved")))
        report = build_report(session, date(2025, 4, 1), TODAY)
        received = sum(row["received"] for row in report["return_rates"])
        sent = sum(row["sent"] for row in report["return_rates"])
        assert 0 < received < sent
        assert published_quotes(session, date(2025, 4, 1), TODAY, min_group=1)

    email, password, _ = DEMO_LOGINS[0]
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"email": email, "password": password, "csrf_token": token})
    assert response.status_code in (302, 303)
    assert client.get("/dashboard/").status_code == 200


def test_demo_command_without_serving_prints_the_links(app):
    result = app.test_cli_runner().invoke(args=["demo", "--no-serve", "--port", "5055"])
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:5055/login" in result.output
    assert "manager@demo.haveyoursay.test" in result.output
    assert re.search(r"A child's web form: http://127\.0\.0\.1:5055/f/\S+", result.output)


def test_demo_serves_at_the_printed_url_and_the_demo_login_works(tmp_path):
    """The README's first command, end to end: a real server process on embedded SQLite."""
    import os
    import socket
    import subprocess
    import sys
    import time

    import requests

    from storage.demo import DEMO_LOGINS

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "ENV")}
    env["HAVEYOURSAY_INSTANCE"] = str(tmp_path / "instance")
    server = subprocess.Popen([sys.executable, "-c", "from web.cli import main; main()", "demo", "--port", str(port)],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        login_url = None
        deadline = time.monotonic() + 120
        while login_url is None and time.monotonic() < deadline:
            line = server.stdout.readline()
            assert line or server.poll() is None, "demo exited before printing its URLs"
            match = re.search(r"Login:\s+(http://\S+)", line)
            login_url = match.group(1) if match else None
        assert login_url == f"http://127.0.0.1:{port}/login"
        http = requests.Session()
        page = None
        while time.monotonic() < deadline:
            try:
                page = http.get(login_url, timeout=5)
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        assert page is not None and page.status_code == 200
        email, password, _ = DEMO_LOGINS[0]
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        dashboard = http.post(login_url, data={"email": email, "password": password, "csrf_token": token},
                              timeout=10)
        assert dashboard.status_code == 200 and dashboard.url.endswith("/dashboard/")
        assert (tmp_path / "instance").exists()
        # A printed letter's web link names the port the demo serves on, not the default one.
        paper = http.get(f"http://127.0.0.1:{port}/dashboard/paper/", timeout=10).text
        letter = re.search(r'href="(/dashboard/paper/\d+/letter)"', paper)
        assert letter, "the demo has paper invitations with letters"
        assert f"http://127.0.0.1:{port}/f/" in http.get(f"http://127.0.0.1:{port}{letter.group(1)}", timeout=10).text
    finally:
        server.terminate()
        server.wait(timeout=10)
