"""The app factory, login, roles, error pages and security headers."""

import pytest

from config import Config, ConfigError
from tests.conftest import csrf_token_from


def test_production_refuses_missing_secret():
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        Config(ENV="production", DATABASE_URL="sqlite://").check()


def test_logged_out_visitor_gets_login_page(client):
    response = client.get("/dashboard/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_login_and_logout(client, staff_login):
    staff_login("manager")
    page = client.get("/dashboard/")
    assert page.status_code == 200
    assert "Overview" in page.get_data(as_text=True)
    token = csrf_token_from(page.get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/dashboard/").status_code == 302


def test_wrong_password_then_lockout(app, client):
    from storage.staff import add_staff

    with app.extensions["db"].session() as session:
        add_staff(session, "iro@council.example", "iro", "right-password-1")
    for _ in range(app.config["HYS"].LOGIN_MAX_FAILURES):
        token = csrf_token_from(client.get("/login").get_data(as_text=True))
        response = client.post("/login", data={"email": "iro@council.example", "password": "wrong", "csrf_token": token})
        assert response.status_code == 401
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"email": "iro@council.example", "password": "right-password-1",
                                           "csrf_token": token})
    assert response.status_code == 401
    assert "locked" in response.get_data(as_text=True)


def test_login_without_csrf_is_refused(client):
    response = client.post("/login", data={"email": "a@b.example", "password": "x"})
    assert response.status_code == 400


def test_security_headers_and_no_inline_script(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "<script>" not in response.get_data(as_text=True)


def test_unknown_page_is_kind_html_and_api_gets_json(client):
    page = client.get("/no-such-page")
    assert page.status_code == 404 and "could not find" in page.get_data(as_text=True)
    api = client.get("/api/v1/no-such-thing")
    assert api.status_code == 404 and api.get_json()["error"]["status"] == 404


def test_the_app_does_not_start_when_the_safeguarding_screen_cannot_load(config, monkeypatch):
    """A screen that cannot load is a loud startup error, never a server with fewer checks."""
    from surveys import safeguarding
    from web import create_app

    def broken() -> None:
        raise RuntimeError("safeguarding model file is missing")

    monkeypatch.setattr(safeguarding, "ensure_ready", broken)
    with pytest.raises(RuntimeError, match="safeguarding model"):
        create_app(config)
