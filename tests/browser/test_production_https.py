"""Run it as a council runs it: HTTPS, production mode, PostgreSQL, any hour of the day (issue 17).

The deployment follows the README's "Running it for a council": a fresh PostgreSQL
database migrated by ``haveyoursay db upgrade`` with ``ENV=production``, accounts made
with ``haveyoursay staff add``, the schedule imported with ``haveyoursay reviews import``,
gunicorn (2 workers) on plain HTTP behind a TLS-terminating proxy with ``PROXY_HOPS=1``
(tests/deploy/production.py), ``haveyoursay worker --interval 1`` as its own process, the
real twilio client against the fake Twilio and email to the fake SMTP server. Chromium
then works through the real pages over HTTPS:

1. a manager logs in and sees the dashboard;
2. a carer opens the link of the invitation email and sends the whole form;
3. a child texts a disclosure (a Twilio-signed webhook over HTTPS), the IRO's alert email
   arrives, and the IRO logs in from its link and acknowledges the alert on the page;
4. a copy of the manager's session cookie stops working once the manager logs out.

Every response carries HSTS and ``Referrer-Policy: same-origin`` and every cookie is
Secure. Nothing asserted depends on the hour: the invitations go out with ``haveyoursay
send --now`` at the moment they were due, and what follows (a reply to a child who has
just written, an alert to staff) goes at any hour.

Lives with the browser tests so that it shares their one Chromium (a second Playwright
cannot start in the same process while theirs runs) and their skip rule. It always runs
on PostgreSQL, the production engine; in ``make test``'s SQLite pass
(``HYS_TEST_DATABASE=sqlite``) it is skipped, because the PostgreSQL pass runs it.
"""

from __future__ import annotations

import os
import re
import secrets
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from storage.models import Alert, Answer, InboundMessage, Invitation, OutboxMessage, Staff, utcnow
from tests.conftest import PG_ADMIN_URL
from tests.deploy.production import Production, council_deployment, wait_for
from tests.fakes.smtp_fake import SMTPFake
from tests.fakes.twilio_fake import TwilioFake, inbound_sms_form, new_sid, sign, status_form

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.skipif(os.environ.get("HYS_TEST_DATABASE", "").lower() == "sqlite",
                       reason="a PostgreSQL deployment test: make test runs it in its PostgreSQL pass "
                              "(HYS_TEST_DATABASE=postgresql, or unset)"),
]

TWILIO_NUMBER = "+447400123456"
CHILD_PHONE = "+447400100011"
CARER_EMAIL = "carer.prod@example.org"
MANAGER = "manager@council.example"
IRO = "iro@council.example"
REVIEW_REF = "R-PROD-1"
DISCLOSURE = "my foster dad hits me when im naughty"
# The carer's whole form (carer_before at a CLA review: everything but the Pathway Plan question).
CARER_CHOICES = {"home_score": "8", "school_score": "6", "health_score": "9", "health_checks_done": "yes",
                 "contact_going": "mixed", "delegated_authority": "not_sure", "support_enough": "yes"}
CARER_WORDS = {
    "contact_comment": "Saturday visits with mum are usually good; phone calls are harder.",
    "going_well": "Settled well, doing homework every night and joined the football club.",
    "worries": "Sometimes finds the journey to school long.",
    "child_views": "Wants to stay at this school and to see their brother more often.",
    "training_support": "A course on supporting teenagers online would help.",
    "anything_else": "Thank you for asking.",
}


def _moment_invitations_were_due(now: datetime) -> tuple[date, datetime]:
    """A review date whose invitations fell due at or before ``now`` and whose first reminder is still ahead.

    (review date, the moment the invitations were due). ``send --now`` at that moment
    sends them as the worker would have; the worker, on the real clock, then has no
    schedule step due, whatever the hour, so nothing it does depends on the time of day.
    """
    from surveys.schedule import ScheduleRules, plan

    rules = ScheduleRules()  # the defaults, which the deployment's settings leave alone
    today = now.astimezone(rules.zone).date()
    for ahead in range(1, 60):
        review_date = today + timedelta(days=ahead)
        steps = {step.name: step.due_at for step in plan(review_date, "consultation", rules)}
        if steps["invite"] <= now < steps["reminder_1"]:
            return review_date, steps["invite"]
    raise AssertionError(f"no review date suits {now}")


def _new_context(browser, phone: bool = False):  # noqa: ANN001, ANN202
    """A fresh browser context that trusts the self-signed certificate and refuses requests leaving 127.0.0.1."""
    context = browser.new_context(viewport={"width": 320, "height": 640} if phone else {"width": 1280, "height": 900},
                                  locale="en-GB", service_workers="block", ignore_https_errors=True)
    context.external_requests = []  # type: ignore[attr-defined]

    def guard(route) -> None:  # noqa: ANN001
        if urlsplit(route.request.url).hostname == "127.0.0.1" or route.request.url.startswith(("data:", "about:")):
            route.continue_()
        else:
            context.external_requests.append(route.request.url)  # type: ignore[attr-defined]
            route.abort()

    context.route("**/*", guard)
    context.seen = []  # type: ignore[attr-defined]  # every response, to check its headers
    context.on("response", lambda response: context.seen.append(response))  # type: ignore[attr-defined]
    return context


def _check_headers(context, base_url: str) -> int:  # noqa: ANN001
    """Every response from the app carried HSTS and same-origin referrers; how many there were."""
    count = 0
    for response in context.seen:
        if not response.url.startswith(base_url + "/"):
            continue
        headers = response.all_headers()
        where = f"{response.request.method} {urlsplit(response.url).path} ({response.status})"
        assert headers.get("strict-transport-security", "").startswith("max-age="), where
        assert headers.get("referrer-policy") == "same-origin", where
        count += 1
    context.seen.clear()
    return count


def _login(page, production: Production, email: str, password: str, path: str = "/login"):  # noqa: ANN001, ANN202
    """Log in through the real form; the response to the POST (its Set-Cookie is checked by callers)."""
    page.goto(production(path))
    assert urlsplit(page.url).path == "/login", page.url
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    with page.expect_response(lambda r: r.request.method == "POST" and urlsplit(r.url).path == "/login") as posted:
        with page.expect_navigation():
            page.click("form button[type=submit]")
    return posted.value


def _assert_secure_cookies(context, login_response) -> list[dict]:  # noqa: ANN001
    cookies = context.cookies()
    assert cookies, "the login set no cookie"
    for cookie in cookies:
        assert cookie["secure"] and cookie["httpOnly"], cookie["name"]
    set_cookie = login_response.all_headers().get("set-cookie", "")
    assert "Secure" in set_cookie and "HttpOnly" in set_cookie, "the login's Set-Cookie is not Secure and HttpOnly"
    return cookies


@pytest.fixture
def open_context(browser):  # noqa: ANN001, ANN201
    """Open browser contexts (``open_context(phone=True)``); all are closed after the test, pass or fail."""
    contexts = []

    def make(phone: bool = False):  # noqa: ANN202
        contexts.append(_new_context(browser, phone))
        return contexts[-1]

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def fakes():  # noqa: ANN201
    """The fake Twilio and SMTP servers the deployment's processes talk to."""
    twilio, smtp = TwilioFake().start(), SMTPFake().start()
    try:
        yield twilio, smtp
    finally:
        twilio.stop()
        smtp.stop()


@pytest.fixture
def production(tmp_path: Path, fakes) -> Production:  # noqa: ANN001
    """The deployment, torn down after; its processes' last lines are printed (shown on failure)."""
    twilio, smtp = fakes
    settings = {
        "TWILIO_ACCOUNT_SID": twilio.account_sid,
        "TWILIO_AUTH_TOKEN": twilio.auth_token,
        "TWILIO_MESSAGING_SERVICE_SID": new_sid("MG"),
        "TWILIO_API_BASE_URL": twilio.api_base_url,
        "SMTP_HOST": smtp.host,
        "SMTP_PORT": str(smtp.port),
        "MAIL_FROM": "haveyoursay@council.example",
    }
    with council_deployment(tmp_path, admin_url=PG_ADMIN_URL, settings=settings) as deployment:
        try:
            yield deployment
        finally:
            deployment.stop_all()
            # pytest shows a fixture's output only when the test fails.
            print(deployment.tails())
            print(f"TLS proxy: {deployment.proxy.upstream_errors} request(s) found gunicorn unreachable")


def test_a_council_deployment_over_https(production: Production, fakes, open_context, tmp_path: Path) -> None:  # noqa: ANN001
    twilio, smtp = fakes
    now = utcnow()  # the real clock, which the worker reads too
    review_day, invitations_due = _moment_invitations_were_due(now)
    manager_password, iro_password = secrets.token_urlsafe(16), secrets.token_urlsafe(16)

    # --- set up as the README says, each step a subprocess in production mode
    upgraded = production.cli("db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert upgraded.stdout.startswith("database at head: postgresql+psycopg://"), upgraded.stdout
    for email, role, password in ((MANAGER, "manager", manager_password), (IRO, "iro", iro_password)):
        added = production.cli("staff", "add", email, "--role", role, "--password", password)
        assert (added.returncode, added.stdout.strip()) == (0, f"{email}: {role}"), added.stderr
    schedule = tmp_path / "schedule.csv"
    day = review_day.isoformat()
    schedule.write_text(
        "review_ref,child_ref,child_age,review_type,review_date,iro_email,role,channel,contact,language\n"
        f"{REVIEW_REF},C-PROD-1,14,CLA,{day},{IRO},child,sms,{CHILD_PHONE},en\n"
        f"{REVIEW_REF},C-PROD-1,14,CLA,{day},{IRO},carer,web,{CARER_EMAIL},en\n", encoding="utf-8")
    imported = production.cli("reviews", "import", str(schedule))
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.startswith("2 rows: 1 reviews created"), imported.stdout
    # The invitations go out as they did when due (a catch-up run), so nothing hangs on the hour.
    sent = production.cli("send", "--now", invitations_due.isoformat())
    assert sent.returncode == 0, sent.stderr
    assert "queued 2" in sent.stdout and "sent 2" in sent.stdout, sent.stdout

    production.start_gunicorn(workers=2)
    production.start_worker(interval=1)
    production.wait_until_serving("/readyz")  # the database answers and is at the migrations' head

    engine = create_engine(production.database_url)
    try:
        with Session(engine) as session:
            iro_id = session.scalar(select(Staff.id).where(Staff.email == IRO))
            child, carer = (session.scalar(select(Invitation).where(Invitation.role == role,
                                                                    Invitation.phase == "consultation"))
                            for role in ("child", "carer"))
            assert child.status == "sent" and carer.status == "sent"
            child_id, carer_id = child.id, carer.id
        assert [m["To"] for m in twilio.sent()] == [CHILD_PHONE]  # the child's invitation text, by REST

        # --- 1. a manager logs in and sees the dashboard
        manager = open_context()
        page = manager.new_page()
        page.set_default_timeout(15_000)
        login_response = _login(page, production, MANAGER, manager_password)
        assert login_response.status == 302, page.inner_text("main")[:300]  # 400: the form was refused
        assert urlsplit(page.url).path == "/dashboard/"
        assert page.locator("h1").inner_text() == "Overview"
        assert f"Log out ({MANAGER})" in page.inner_text("header")
        cookies = _assert_secure_cookies(manager, login_response)
        assert _check_headers(manager, production.base_url) >= 3  # login page, its POST, the dashboard

        # --- 2. the carer opens the link in the invitation email and sends the whole form
        [invite] = wait_for(lambda: [m for m in smtp.messages if m.rcpt_tos == [CARER_EMAIL]], "the carer's email")
        links = re.findall(r"https://\S+/f/[A-Za-z0-9_-]+", invite.part("text/plain") or "")
        assert links and links[0].startswith(production.base_url + "/f/"), links
        carer_context = open_context(phone=True)
        form = carer_context.new_page()
        form.set_default_timeout(15_000)
        form.goto(links[0])
        with form.expect_navigation():
            form.get_by_role("link", name="Start").click()
        assert form.url.endswith("/form"), form.url
        assert form.locator("textarea[name=independence]").count() == 0  # a Pathway Plan question
        for key, value in CARER_CHOICES.items():
            form.locator(f"input[name={key}][value='{value}']").click()
        for key, words in CARER_WORDS.items():
            form.fill(f"textarea[name={key}]", words)
        with form.expect_navigation():
            form.get_by_role("button", name="Send my answers").click()
        assert form.url.endswith("/thanks"), (form.url, form.inner_text("main")[:300])
        assert _check_headers(carer_context, production.base_url) >= 4
        assert carer_context.external_requests == []  # type: ignore[attr-defined]
        with Session(engine) as session:
            stored = {a.question_key: a for a in session.scalars(select(Answer).where(Answer.invitation_id == carer_id))}
            assert {k: stored[k].value for k in CARER_CHOICES} == CARER_CHOICES
            assert {k: stored[k].value_num for k in ("home_score", "school_score", "health_score")} == \
                {"home_score": 8, "school_score": 6, "health_score": 9}
            assert {k: stored[k].free_text for k in CARER_WORDS} == CARER_WORDS
            assert {a.channel for a in stored.values()} == {"web"} and "independence" not in stored
            invitation = session.get(Invitation, carer_id)
            assert (invitation.status, invitation.received) == ("completed", True)
            assert session.scalar(select(func.count()).select_from(Alert)) == 0

        # --- 3. the child texts a disclosure; the IRO is emailed and acknowledges it on the page
        webhook = production("/webhooks/twilio/sms")
        text = inbound_sms_form(CHILD_PHONE, DISCLOSURE, to=TWILIO_NUMBER, account_sid=twilio.account_sid)
        # Signed over the address gunicorn itself serves, not the public one Twilio uses: refused.
        forged = requests.post(webhook, data=text, verify=str(production.cert), timeout=30, headers={
            "X-Twilio-Signature": sign(twilio.auth_token, f"http://127.0.0.1:{production.app_port}/webhooks/twilio/sms",
                                       text)})
        assert forged.status_code == 403
        with Session(engine) as session:
            assert session.scalar(select(func.count()).select_from(InboundMessage)) == 0
        answered = requests.post(webhook, data=text, verify=str(production.cert), timeout=30,
                                 headers={"X-Twilio-Signature": sign(twilio.auth_token, webhook, text)})
        assert answered.status_code == 200, answered.text[:300]
        assert answered.headers["Content-Type"].startswith("application/xml")
        assert answered.headers["Strict-Transport-Security"].startswith("max-age=")
        assert answered.headers["Referrer-Policy"] == "same-origin"
        assert "0800 1111" in answered.text  # the child is told where to get help now
        # Twilio's part: it sends the TwiML replies and reports them, signed, to their action URLs.
        for sid, action in twilio.accept_twiml(answered.content, text):
            assert action and action.startswith(production.base_url + "/webhooks/twilio/status?o="), action
            report = status_form(sid, "sent", to=CHILD_PHONE, from_=TWILIO_NUMBER, account_sid=twilio.account_sid)
            reported = requests.post(action, data=report, verify=str(production.cert), timeout=30,
                                     headers={"X-Twilio-Signature": sign(twilio.auth_token, action, report)})
            assert reported.status_code == 204, reported.text[:300]
        with Session(engine) as session:
            alert = session.scalar(select(Alert))
            assert alert is not None and alert.invitation_id == child_id and alert.status == "open"
            alert_id = alert.id
            replies = session.scalars(select(OutboxMessage.status).where(OutboxMessage.purpose == "reply")).all()
            assert replies and set(replies) == {"sent"}, replies
        [notice] = wait_for(lambda: [m for m in smtp.messages if m.rcpt_tos == [IRO]], "the IRO's alert email")
        assert notice.message["Subject"] == f"Safeguarding alert: review {REVIEW_REF}"
        notice_text = notice.part("text/plain") or ""
        alert_link = production(f"/dashboard/alerts/{alert_id}")
        assert alert_link in notice_text, notice_text
        assert "hits" not in notice_text  # the email names the review, never the child's words

        def alert_notices() -> list[tuple[str, str, str]]:
            with Session(engine) as session:
                return [tuple(row) for row in session.execute(
                    select(OutboxMessage.channel, OutboxMessage.to, OutboxMessage.status)
                    .where(OutboxMessage.purpose == "alert"))]

        # The mail server has it a moment before the sender marks the row sent.
        wait_for(lambda: [n[2] for n in alert_notices()] == ["sent"], "the alert email's outbox row to be sent")
        assert alert_notices() == [("email", IRO, "sent")]

        iro = open_context()
        alert_page = iro.new_page()
        alert_page.set_default_timeout(15_000)
        alert_page.goto(alert_link)  # not logged in: the login page, then back to the alert
        iro_login = _login(alert_page, production, IRO, iro_password, path=urlsplit(alert_link).path)
        assert iro_login.status == 302, alert_page.inner_text("main")[:300]
        assert alert_page.url == alert_link, alert_page.url
        assert alert_page.locator("h1").inner_text() == f"Safeguarding alert {alert_id}"
        assert alert_page.locator("blockquote.excerpt").inner_text().strip() == DISCLOSURE
        with alert_page.expect_navigation():
            alert_page.get_by_role("button", name="Acknowledge: I am dealing with this").click()
        assert "Alert acknowledged." in alert_page.inner_text("main")
        _assert_secure_cookies(iro, iro_login)
        assert _check_headers(iro, production.base_url) >= 5
        with Session(engine) as session:
            alert = session.get(Alert, alert_id)
            assert (alert.status, alert.acknowledged_by) == ("acknowledged", iro_id)
            assert alert.acknowledged_at is not None

        # --- 4. a copied session cookie stops working once its owner logs out
        copied = "; ".join(f"{c['name']}={c['value']}" for c in cookies)

        def dashboard_with_copy() -> requests.Response:
            return requests.get(production("/dashboard/"), headers={"Cookie": copied}, verify=str(production.cert),
                                timeout=30, allow_redirects=False)

        before = dashboard_with_copy()
        assert before.status_code == 200  # the copy works while the session lasts
        with page.expect_navigation():
            page.get_by_role("button", name=f"Log out ({MANAGER})").click()
        assert urlsplit(page.url).path == "/login" and "You have logged out." in page.inner_text("main")
        page.goto(production("/dashboard/"))
        assert urlsplit(page.url).path == "/login"
        after = dashboard_with_copy()
        assert after.status_code == 302 and urlsplit(after.headers["Location"]).path == "/login", \
            f"a copy of the session cookie still opens the dashboard after logout ({after.status_code})"
        assert _check_headers(manager, production.base_url) >= 3

        # Message bodies and answers never reach the logs of any process.
        logs = production.log_text()
        for words in (DISCLOSURE, *CARER_WORDS.values()):
            assert words not in logs
        for name in ("gunicorn", "worker"):
            assert production.processes[name].poll() is None, f"{name} stopped"
        assert "Traceback" not in logs
    finally:
        engine.dispose()
