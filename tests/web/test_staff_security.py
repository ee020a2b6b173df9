"""Staff pages: secure cookies, session timeout, headers and CSP on every page, throttling, secrets."""

from __future__ import annotations

import dataclasses
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlalchemy import select

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


def test_session_expires_after_inactivity_and_slides_while_used(app, client, staff_login):
    staff_login("manager")
    minutes = app.config["HYS"].SESSION_MINUTES
    with client.session_transaction() as session:
        session["issued"] -= (minutes - 1) * 60  # used a minute before it would expire
    assert client.get("/dashboard/").status_code == 200  # ... and that use renews it
    with client.session_transaction() as session:
        session["issued"] -= minutes * 60 + 1
    response = client.get("/dashboard/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    with client.session_transaction() as session:
        assert "staff_id" not in session


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
