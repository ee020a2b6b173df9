"""Staff pages: secure cookies, headers and CSP on every page, throttling, redirects, secrets, CLI safety.

Server-side sessions (logout, timeouts) are tested in test_sessions.py.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import re
import stat
import threading
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from argon2 import PasswordHasher
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from config import Config, ConfigError
from tests.conftest import csrf_token_from
from tests.web.dashboard_data import PASSWORD, build_world
from web.security import CSP

ROOT = Path(__file__).resolve().parents[2]


def _production_app(config: Config, tmp_path: Path, monkeypatch, **changes):  # noqa: ANN001, ANN202
    from web import create_app

    monkeypatch.setenv("HAVEYOURSAY_INSTANCE", str(tmp_path / "prod-instance"))
    return create_app(dataclasses.replace(config, ENV="production", SECRET_KEY="a-long-random-production-secret",
                                          **changes))


@pytest.mark.parametrize("public_url", ["https://hys.council.example", "http://10.0.0.5:8000"])
def test_production_session_cookie_is_secure_httponly_and_samesite(config, tmp_path, monkeypatch, public_url):
    app = _production_app(config, tmp_path, monkeypatch, PUBLIC_BASE_URL=public_url)
    try:
        response = app.test_client().get("/login", base_url="https://hys.council.example")
        cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
        flags = {part.strip().split("=")[0].lower(): part.strip() for part in cookie.split(";")[1:]}
        assert "secure" in flags and "httponly" in flags, cookie
        assert flags["samesite"].lower() == "samesite=lax"
    finally:
        app.extensions["db"].dispose()


def test_production_refuses_example_or_missing_secrets(config):
    base = dataclasses.replace(config, ENV="production")
    for secret in ("", "dev-only-not-secret", "short", "change-me-to-a-long-random-string"):
        with pytest.raises(ConfigError, match="SECRET_KEY"):
            dataclasses.replace(base, SECRET_KEY=secret).check()
    with pytest.raises(ConfigError, match="TELEGRAM_WEBHOOK_SECRET"):
        dataclasses.replace(base, SECRET_KEY="x" * 32, TELEGRAM_BOT_TOKEN="1:abc").check()
    dataclasses.replace(base, SECRET_KEY="x" * 32).check()


def test_secrets_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-the-environment-0123456789")
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "token-from-env")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:from-env")
    monkeypatch.setenv("SMTP_PASSWORD", "smtp-from-env")
    config = Config.from_env()
    assert (config.SECRET_KEY, config.TWILIO_AUTH_TOKEN, config.TELEGRAM_BOT_TOKEN, config.SMTP_PASSWORD) == (
        "from-the-environment-0123456789", "token-from-env", "123:from-env", "smtp-from-env")
    # Nothing secret-looking is written into the code or the example settings.
    patterns = [re.compile(p) for p in (r"\b\d{8,10}:[A-Za-z0-9_-]{35}\b",  # a Telegram bot token
                                        r"(?i)auth_token\s*=\s*['\"][0-9a-f]{32}['\"]",  # a Twilio auth token
                                        r"(?i)secret_key\s*=\s*['\"][^'\"]{16,}['\"]")]
    found = []
    for folder in ("config", "web", "bot", "storage", "surveys"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in (".py", ".env", ".yaml", ".html", ".js") and path.is_file():
                text = path.read_text(encoding="utf-8", errors="replace")
                found += [f"{path.relative_to(ROOT)}: {m.group(0)[:20]}" for p in patterns for m in p.finditer(text)]
    assert found == []
    example = (ROOT / "config" / "example.env").read_text()
    assert re.search(r"^TWILIO_AUTH_TOKEN=$", example, re.M) and re.search(r"^TELEGRAM_BOT_TOKEN=$", example, re.M)


def test_lockout_holds_for_a_fresh_client_and_unknown_emails_look_the_same(app, client):
    from storage.staff import add_staff

    with app.extensions["db"].session() as session:
        add_staff(session, "locked@council.example", "iro", "right-password-1")

    def attempt(http, email: str, password: str):  # noqa: ANN001, ANN202
        token = csrf_token_from(http.get("/login").get_data(as_text=True))
        return http.post("/login", data={"email": email, "password": password, "csrf_token": token})

    unknown = attempt(client, "nobody@council.example", "wrong")
    wrong = attempt(client, "locked@council.example", "wrong")
    assert unknown.status_code == wrong.status_code == 401
    def page(response) -> str:  # noqa: ANN001
        html = response.get_data(as_text=True).replace("locked@", "nobody@")
        return re.sub(r'name="csrf_token" value="[^"]+"', "", html)

    assert page(unknown) == page(wrong)  # the answer does not tell which accounts exist
    for _ in range(app.config["HYS"].LOGIN_MAX_FAILURES - 1):
        attempt(client, "locked@council.example", "wrong")
    fresh = app.test_client()  # no cookies: a new browser, or an attacker's script
    response = attempt(fresh, "locked@council.example", "right-password-1")
    assert response.status_code == 401 and "locked" in response.get_data(as_text=True)


def test_one_address_trying_many_accounts_is_throttled_and_others_are_not(app, client):
    from storage.staff import add_staff

    app.config["HYS"] = dataclasses.replace(app.config["HYS"], LOGIN_IP_MAX_FAILURES=6)
    with app.extensions["db"].session() as session:
        add_staff(session, "real@council.example", "manager", "right-password-1")

    def attempt(http, email: str, password: str, address: str = "127.0.0.1"):  # noqa: ANN001, ANN202
        token = csrf_token_from(http.get("/login", environ_base={"REMOTE_ADDR": address}).get_data(as_text=True))
        return http.post("/login", data={"email": email, "password": password, "csrf_token": token},
                         environ_base={"REMOTE_ADDR": address})

    # Spraying: one wrong password for each of six accounts, none of them locked by itself.
    for n in range(6):
        assert attempt(client, f"guess{n}@council.example", "Password1").status_code == 401
    blocked = attempt(client, "real@council.example", "right-password-1")
    assert blocked.status_code == 429 and "Too many failed attempts from here" in blocked.get_data(as_text=True)
    # The account itself is not locked: the same person from another address gets in.
    other = app.test_client()
    assert attempt(other, "real@council.example", "right-password-1", "10.9.8.7").status_code == 302
    with app.extensions["db"].session() as session:
        from storage.models import AuditEvent

        assert session.scalar(select(AuditEvent.action).where(AuditEvent.action == "login_throttled"))


class _Inline(HTMLParser):
    """Inline script, inline event handlers, inline styles and javascript: URLs in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "script":
            self._in_script = "src" not in names
        if tag == "style":
            self.problems.append("<style> element")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>")
            if name == "style":
                self.problems.append(f"<{tag} style=...>")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith("javascript:"):
                self.problems.append(f"<{tag} {name}=javascript:...>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.problems.append("inline <script>")


def _staff_pages(app, world) -> list[str]:  # noqa: ANN001
    """Every staff GET page without arguments, plus the pages of one review and one alert."""
    pages = {"/login", "/privacy"}
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and not rule.arguments and rule.rule.startswith("/dashboard"):
            pages.add(rule.rule)
    pages |= {f"/dashboard/reviews/{world.reviews['R-A1']}", f"/dashboard/alerts/{world.alerts['R-A1']}"}
    return sorted(pages)


def test_every_staff_page_sends_the_security_headers_and_no_inline_script(app, client):
    with app.extensions["db"].session() as session:
        world = build_world(session)
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    assert client.post("/login", data={"email": world.emails["admin"], "password": PASSWORD,
                                       "csrf_token": token}).status_code == 302
    assert "unsafe-inline" not in CSP and "unsafe-eval" not in CSP and "script-src 'self'" in CSP
    checked = []
    for path in _staff_pages(app, world):
        response = client.get(path)
        assert response.status_code in (200, 302), (path, response.status_code)
        headers = response.headers
        assert headers["Content-Security-Policy"] == CSP, path
        assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "DENY", path
        assert headers["Referrer-Policy"] == "same-origin", path
        if path.startswith(("/dashboard", "/login")):
            assert "no-store" in headers.get("Cache-Control", ""), path
        if response.status_code == 200 and response.mimetype == "text/html":
            parser = _Inline()
            parser.feed(response.get_data(as_text=True))
            assert parser.problems == [], (path, parser.problems)
            checked.append(path)
    assert len(checked) >= 8, checked


def test_hsts_behind_a_tls_proxy(client):
    response = client.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "max-age=" in response.headers["Strict-Transport-Security"]


# --- login: the same work for every email, an atomic failure count, safe redirects -------


class CountingHasher(PasswordHasher):
    """The real argon2 hasher, counting its verifications (threads may share it)."""

    def __init__(self) -> None:
        super().__init__()
        self.verified: list[str] = []  # the hash each verification was against
        self._lock = threading.Lock()

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:  # noqa: A002 - argon2's own name
        with self._lock:
            self.verified.append(hash if isinstance(hash, str) else hash.decode())
        return super().verify(hash, password)


@pytest.fixture
def hasher(monkeypatch) -> CountingHasher:  # noqa: ANN001
    import storage.staff

    counting = CountingHasher()
    monkeypatch.setattr(storage.staff, "_hasher", counting)
    return counting


@pytest.fixture
def quick_hasher(monkeypatch) -> CountingHasher:  # noqa: ANN001
    """Real argon2 at its lowest cost, for tests of what happens after a login (not of hashing)."""
    import storage.staff

    quick = CountingHasher()
    PasswordHasher.__init__(quick, time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(storage.staff, "_hasher", quick)
    monkeypatch.setattr(storage.staff, "_dummy_hash", lambda: quick.hash("dummy"))
    return quick


def _attempt(http, email: str, password: str, next_path: str | None = None):  # noqa: ANN001, ANN202
    token = csrf_token_from(http.get("/login").get_data(as_text=True))
    return http.post("/login", query_string={"next": next_path} if next_path is not None else None,
                     data={"email": email, "password": password, "csrf_token": token})


def test_unknown_inactive_and_locked_accounts_cost_one_argon2_verification_like_known_ones(app, hasher):
    from storage.models import utcnow
    from storage.staff import add_staff

    with app.extensions["db"].session() as session:
        known_hash = add_staff(session, "known@council.example", "iro", "right-password-1").password_hash
        add_staff(session, "gone@council.example", "iro", "right-password-1").active = False
        add_staff(session, "nopass@council.example", "iro", None)
        locked = add_staff(session, "locked@council.example", "iro", "right-password-1")
        locked.locked_until = utcnow() + timedelta(minutes=10)
    parameters = known_hash.rsplit("$", 2)[0]  # $argon2id$v=19$m=...,t=...,p=...
    for email, password, status in (("nobody@council.example", "wrong-password", 401),
                                    ("known@council.example", "wrong-password", 401),
                                    ("gone@council.example", "right-password-1", 401),
                                    ("nopass@council.example", "", 401),
                                    ("locked@council.example", "right-password-1", 401),
                                    ("known@council.example", "right-password-1", 302)):
        before = len(hasher.verified)
        assert _attempt(app.test_client(), email, password).status_code == status, email
        done = hasher.verified[before:]
        assert len(done) == 1, (email, len(done))
        assert done[0].rsplit("$", 2)[0] == parameters, email  # the same argon2 work, whichever hash
        if email != "known@council.example":
            assert done[0] != known_hash


def _guess_at_once(app, emails: list[str], password: str = "wrong-password") -> list[int]:  # noqa: ANN001
    """POST one login per email, all at the same moment, each from its own client; the statuses."""
    app.config["WTF_CSRF_ENABLED"] = False  # what is tested is the counting, not the form token
    barrier = threading.Barrier(len(emails))
    statuses: list[int] = []
    failures: list[BaseException] = []

    def guess(email: str) -> None:
        http = app.test_client()
        try:
            barrier.wait(timeout=30)
            statuses.append(http.post("/login", data={"email": email, "password": password}).status_code)
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=guess, args=(email,)) for email in emails]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures
    return statuses


def test_forty_concurrent_wrong_guesses_check_the_password_at_most_max_failures_times(app, hasher):
    from storage.models import AuditEvent, Staff
    from storage.staff import add_staff

    app.config["HYS"] = dataclasses.replace(app.config["HYS"], LOGIN_IP_MAX_FAILURES=1000)
    limit = app.config["HYS"].LOGIN_MAX_FAILURES
    with app.extensions["db"].session() as session:
        target_hash = add_staff(session, "target@council.example", "manager", "right-password-1").password_hash
    statuses = _guess_at_once(app, ["target@council.example"] * 40)
    assert sorted(set(statuses)) == [401] and len(statuses) == 40
    checked = [h for h in hasher.verified if h == target_hash]
    assert 1 <= len(checked) <= limit, len(checked)
    assert len(hasher.verified) == 40  # the others ran the dummy: a locked account answers as slowly
    with app.extensions["db"].session() as session:
        failed = session.scalar(select(func.count()).select_from(AuditEvent)
                                .where(AuditEvent.action == "login_failed"))
        assert failed == len(checked) <= limit
        assert session.scalar(select(Staff.locked_until).where(Staff.email == "target@council.example"))
    app.config["WTF_CSRF_ENABLED"] = True
    response = _attempt(app.test_client(), "target@council.example", "right-password-1")
    assert response.status_code == 401 and "locked" in response.get_data(as_text=True)


def test_forty_concurrent_guesses_from_one_address_are_held_to_its_limit(app, hasher):
    from storage.models import LoginAttempt

    app.config["HYS"] = dataclasses.replace(app.config["HYS"], LOGIN_IP_MAX_FAILURES=6)
    statuses = _guess_at_once(app, [f"spray{n}@council.example" for n in range(40)])
    assert statuses.count(401) <= 6 and statuses.count(401) + statuses.count(429) == 40
    assert len(hasher.verified) == statuses.count(401)
    with app.extensions["db"].session() as session:
        assert session.scalar(select(func.count()).select_from(LoginAttempt)) == statuses.count(401)


def _browser_host(location: str, base: str = "http://localhost/login") -> str | None:
    """The host a browser goes to for a Location header (the WHATWG URL rules that matter here)."""
    cleaned = location.strip("".join(map(chr, range(0x21))))  # leading and trailing C0 controls and spaces
    cleaned = re.sub(r"[\t\n\r]", "", cleaned)  # tabs and new lines anywhere
    cleaned = cleaned.replace("\\", "/")  # a backslash is a slash in http(s) URLs
    return urlsplit(urljoin(base, cleaned)).hostname


_PIECES = ["/", "//", "\\", "\t", "\n", "\r", " ", "\x00", "\x0b", "\x1f", "\x7f", "\u200b", "\u3000", "\u2028",
           "\uff0f", "%09", "%2F", "%5C", "evil.example", "@", ":", "http:", "https://", "javascript:", ".", "..",
           "?", "#", "dashboard", "reviews"]
NEXTS = st.one_of(st.text(max_size=30), st.lists(st.sampled_from(_PIECES), max_size=8).map("".join))


def test_the_reported_redirect_goes_to_the_dashboard(app, client, quick_hasher):
    from storage.staff import add_staff

    with app.extensions["db"].session() as session:
        add_staff(session, "next@council.example", "manager", "right-password-1")
    for raw in ("/%09/evil.example", "/%0A/evil.example", "/%5Cevil.example", "%5C%5Cevil.example",
                "//evil.example", "https://evil.example/", "/%20/evil.example", "%20//evil.example"):
        token = csrf_token_from(client.get("/login").get_data(as_text=True))
        response = client.post(f"/login?next={raw}", data={"email": "next@council.example",
                                                           "password": "right-password-1", "csrf_token": token})
        assert response.status_code == 302 and response.headers["Location"] == "/dashboard/", raw


def test_a_next_path_on_this_site_is_kept(app, client, quick_hasher):
    from storage.staff import add_staff

    with app.extensions["db"].session() as session:
        add_staff(session, "next@council.example", "manager", "right-password-1")
    response = _attempt(client, "next@council.example", "right-password-1", "/dashboard/reviews?iro=3&page=2")
    assert response.headers["Location"] == "/dashboard/reviews?iro=3&page=2"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(target=NEXTS)
@example(target="/\t/evil.example")
@example(target="/\n/evil.example")
@example(target="/\\evil.example")
def test_after_login_the_browser_stays_on_this_site_whatever_next_says(app, client, quick_hasher, target):
    from storage.models import Staff
    from storage.staff import add_staff
    from web.auth import safe_next

    with app.extensions["db"].session() as session:
        if session.scalar(select(func.count()).select_from(Staff)) == 0:
            add_staff(session, "next@council.example", "manager", "right-password-1")
    response = _attempt(client, "next@council.example", "right-password-1", target)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert _browser_host(location) == "localhost", (target, location)
    if safe_next(target) is None:
        assert location == "/dashboard/", (target, location)


@settings(max_examples=500, deadline=None)
@given(target=NEXTS)
def test_safe_next_only_passes_single_slash_paths_without_controls(target):
    from web.auth import safe_next

    kept = safe_next(target)
    if kept is not None:
        assert kept == target and target.startswith("/") and not target.startswith("//")
        assert "\\" not in target and not any(ch in target for ch in "\t\n\r \x00")
        assert _browser_host(target) == "localhost"


# --- the console: demo refuses production, a child's export is private -------------------


def test_demo_refuses_to_run_in_production(config, tmp_path, monkeypatch):
    from storage.models import Staff

    app = _production_app(config, tmp_path, monkeypatch)
    try:
        result = app.test_cli_runner().invoke(args=["demo", "--no-serve"])
        assert result.exit_code != 0
        assert "ENV=production" in result.output and "demo-manager-pass" not in result.output
        with app.extensions["db"].session() as session:
            assert session.scalar(select(func.count()).select_from(Staff)) == 0
    finally:
        app.extensions["db"].dispose()


def test_demo_refuses_a_database_with_real_staff(app, quick_hasher):
    from storage.models import Staff
    from storage.staff import add_staff

    with app.extensions["db"].session() as session:
        add_staff(session, "real.manager@council.example", "manager", "right-password-1")
    result = app.test_cli_runner().invoke(args=["demo", "--no-serve"])
    assert result.exit_code != 0 and "not demo accounts" in result.output
    with app.extensions["db"].session() as session:
        assert session.scalars(select(Staff.email)).all() == ["real.manager@council.example"]
    # A database holding only the demo's own accounts is a demo database: the demo runs again.
    from storage.demo import DEMO_LOGINS

    with app.extensions["db"].session() as session:
        session.execute(Staff.__table__.delete())
        for email, password, role in DEMO_LOGINS:
            add_staff(session, email, role, password)
    again = app.test_cli_runner().invoke(args=["demo", "--no-serve"])
    assert again.exit_code == 0, again.output


@pytest.fixture
def child_in_db(app):  # noqa: ANN001, ANN201
    from tests.web.dashboard_data import add_review

    with app.extensions["db"].session() as session:
        from storage.staff import add_staff

        add_review(session, "R-EXPORT", add_staff(session, "iro.export@council.example", "iro", None),
                   child_ref="C-EXPORT")
    return "C-EXPORT"


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_child_export_file_is_readable_by_its_owner_only(app, child_in_db, tmp_path, fmt):
    old = os.umask(0o022)  # the usual umask, which leaves new files world-readable
    tmp_path = tmp_path / "exports"
    tmp_path.mkdir()
    try:
        fresh = tmp_path / f"new.{fmt}"
        result = app.test_cli_runner().invoke(args=["child", "export", child_in_db, "--format", fmt,
                                                    "-o", str(fresh)])
        assert result.exit_code == 0, result.output
        assert stat.S_IMODE(fresh.stat().st_mode) == 0o600
        assert "C-EXPORT" in fresh.read_text()
        existing = tmp_path / f"old.{fmt}"
        existing.write_text("an older export")
        existing.chmod(0o644)
        result = app.test_cli_runner().invoke(args=["child", "export", child_in_db, "--format", fmt,
                                                    "-o", str(existing)])
        assert result.exit_code == 0, result.output
        assert stat.S_IMODE(existing.stat().st_mode) == 0o600 and "C-EXPORT" in existing.read_text()
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted([fresh.name, existing.name])
    finally:
        os.umask(old)


def test_child_export_to_a_folder_that_is_not_there_is_a_clear_error(app, child_in_db, tmp_path):
    result = app.test_cli_runner().invoke(args=["child", "export", child_in_db, "-o",
                                                str(tmp_path / "missing" / "x.json")])
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "missing" in result.output


# --- a refused CSRF check leaves one log line ------------------------------------------


def test_a_refused_referer_is_logged_once_without_the_token_or_the_form(app, caplog):
    https = app.test_client()
    page = https.get("/login", base_url="https://localhost").get_data(as_text=True)
    token = csrf_token_from(page)
    with caplog.at_level(logging.INFO):
        response = https.post("/login", base_url="https://localhost",  # no Referer: the strict check refuses
                              data={"email": "someone@council.example", "password": "secret-words-1",
                                    "csrf_token": token})
    assert response.status_code == 400 and "This form has expired" in response.get_data(as_text=True)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1, [r.getMessage() for r in caplog.records]
    line = warnings[0].getMessage()
    assert "referrer header is missing" in line and "POST" in line and "/login" in line
    everything = "\n".join(r.getMessage() for r in caplog.records)
    assert token not in everything and "secret-words-1" not in everything and "someone@" not in everything


def test_a_missing_token_is_logged_with_the_route_not_a_respondents_path(app, caplog):
    with caplog.at_level(logging.WARNING):
        response = app.test_client().post("/f/secret-respondent-token/form", data={"answer": "my own words"})
    assert response.status_code == 400
    (line,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "CSRF token is missing" in line and "/f/<" in line
    assert "secret-respondent-token" not in line and "my own words" not in line
