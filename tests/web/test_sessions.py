"""Staff sessions held on the server: logout, password resets and deactivation end every copy of the cookie."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from storage.models import Staff, StaffSession, utcnow
from tests.conftest import csrf_token_from

PASSWORD = "correct-horse-battery"
_FLASK_KEYS = ("csrf_token", "_permanent", "_flashes")  # Flask-WTF's and Flask's own, not the login's


def _cookie(client) -> str:  # noqa: ANN001
    cookie = client.get_cookie("session")
    assert cookie is not None, "no session cookie"
    return cookie.value


def _with_cookie(app, value: str):  # noqa: ANN001, ANN202
    """A new browser holding a copy of someone's session cookie."""
    other = app.test_client()
    other.set_cookie("session", value)
    return other


def _is_login_redirect(response) -> bool:  # noqa: ANN001
    return response.status_code == 302 and "/login" in response.headers["Location"]


def _rows(app, staff_id: int) -> list[StaffSession]:  # noqa: ANN001
    with app.extensions["db"].session() as session:
        return list(session.scalars(select(StaffSession).where(StaffSession.staff_id == staff_id)))


def _shift(app, staff_id: int, *, seen: timedelta = timedelta(0), created: timedelta = timedelta(0)) -> None:  # noqa: ANN001
    """Move a staff member's sessions into the past (as if that long had gone by)."""
    with app.extensions["db"].session() as session:
        for row in session.scalars(select(StaffSession).where(StaffSession.staff_id == staff_id)):
            row.last_seen_at -= seen
            row.created_at -= created


def _login(app, client, email: str, password: str = PASSWORD):  # noqa: ANN001, ANN202
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def _logout(client) -> None:  # noqa: ANN001
    token = csrf_token_from(client.get("/dashboard/").get_data(as_text=True))
    response = client.post("/logout", data={"csrf_token": token})
    assert _is_login_redirect(response)


def test_a_cookie_copied_before_logout_stops_working(app, client, staff_login):
    staff_id = staff_login("manager")
    copied = _cookie(client)
    assert _with_cookie(app, copied).get("/dashboard/").status_code == 200
    assert len(_rows(app, staff_id)) == 1
    _logout(client)
    assert _is_login_redirect(_with_cookie(app, copied).get("/dashboard/"))
    assert _is_login_redirect(client.get("/dashboard/"))
    assert _rows(app, staff_id) == []


def test_the_cookie_holds_a_random_token_and_the_server_only_its_hash(app, client, staff_login):
    import hashlib

    staff_id = staff_login("iro")
    with client.session_transaction() as session:
        values = {key: value for key, value in session.items() if key not in _FLASK_KEYS}
    assert "staff_id" not in values and len(values) == 1, values  # no account id to forge or replay
    token = next(iter(values.values()))
    assert isinstance(token, str) and len(token) >= 40
    (row,) = _rows(app, staff_id)
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest() != token


def test_an_admin_password_reset_ends_the_accounts_sessions(app, client, staff_login):
    staff_id = staff_login("iro")
    copied = _cookie(client)
    admin = app.test_client()
    with app.extensions["db"].session() as session:
        from storage.staff import add_staff

        add_staff(session, "boss@council.example", "admin", PASSWORD)
    assert _login(app, admin, "boss@council.example").status_code == 302
    token = csrf_token_from(admin.get("/dashboard/users").get_data(as_text=True))
    reset = admin.post(f"/dashboard/users/{staff_id}/password", data={"csrf_token": token})
    assert reset.status_code == 200
    assert _is_login_redirect(client.get("/dashboard/"))
    assert _is_login_redirect(_with_cookie(app, copied).get("/dashboard/"))
    assert _rows(app, staff_id) == []
    assert admin.get("/dashboard/").status_code == 200  # the admin's own session is untouched


def test_an_admin_resetting_their_own_password_keeps_only_the_session_in_use(app, client, staff_login):
    admin_id = staff_login("admin")
    elsewhere = app.test_client()  # the same admin on another computer
    with app.extensions["db"].session() as session:
        email = session.get(Staff, admin_id).email
    assert _login(app, elsewhere, email).status_code == 302
    assert len(_rows(app, admin_id)) == 2
    token = csrf_token_from(client.get("/dashboard/users").get_data(as_text=True))
    assert client.post(f"/dashboard/users/{admin_id}/password", data={"csrf_token": token}).status_code == 200
    assert client.get("/dashboard/").status_code == 200
    assert _is_login_redirect(elsewhere.get("/dashboard/"))
    assert len(_rows(app, admin_id)) == 1


def test_deactivating_an_account_ends_its_sessions(app, client, staff_login):
    staff_id = staff_login("iro")
    admin = app.test_client()
    with app.extensions["db"].session() as session:
        from storage.staff import add_staff

        add_staff(session, "boss@council.example", "admin", PASSWORD)
    assert _login(app, admin, "boss@council.example").status_code == 302
    token = csrf_token_from(admin.get("/dashboard/users").get_data(as_text=True))
    response = admin.post(f"/dashboard/users/{staff_id}/active", data={"active": "0", "csrf_token": token})
    assert response.status_code == 302
    assert _rows(app, staff_id) == []
    assert _is_login_redirect(client.get("/dashboard/"))


def test_staff_add_with_a_new_password_ends_the_accounts_sessions(app, client, staff_login):
    staff_id = staff_login("manager")
    with app.extensions["db"].session() as session:
        email = session.get(Staff, staff_id).email
    result = app.test_cli_runner().invoke(args=["staff", "add", email, "--role", "manager",
                                                "--password", "a-brand-new-password"])
    assert result.exit_code == 0, result.output
    assert _is_login_redirect(client.get("/dashboard/"))
    # Changing only the role (no password) leaves a session alone.
    assert _login(app, client, email, "a-brand-new-password").status_code == 302
    result = app.test_cli_runner().invoke(args=["staff", "add", email, "--role", "iro"])
    assert result.exit_code == 0, result.output
    assert client.get("/dashboard/").status_code == 200


def test_session_expires_after_inactivity_and_slides_while_used(app, client, staff_login):
    staff_id = staff_login("manager")
    minutes = app.config["HYS"].SESSION_MINUTES
    _shift(app, staff_id, seen=timedelta(minutes=minutes - 1))  # used a minute before it would expire
    assert client.get("/dashboard/").status_code == 200  # ... and that use renews it
    (row,) = _rows(app, staff_id)
    assert utcnow() - row.last_seen_at < timedelta(minutes=1)
    _shift(app, staff_id, seen=timedelta(minutes=minutes, seconds=1))
    assert _is_login_redirect(client.get("/dashboard/"))
    assert _rows(app, staff_id) == []  # the expired row is gone, not just ignored
    with client.session_transaction() as session:
        assert [key for key in session if key not in _FLASK_KEYS] == []


def test_session_ends_at_its_absolute_lifetime_however_busy(app, client, staff_login):
    staff_id = staff_login("manager")
    hours = app.config["HYS"].SESSION_MAX_HOURS
    assert hours == 12
    _shift(app, staff_id, created=timedelta(hours=hours) - timedelta(minutes=1))
    assert client.get("/dashboard/").status_code == 200  # in use all day, still inside the limit
    _shift(app, staff_id, created=timedelta(minutes=1, seconds=1))
    assert _is_login_redirect(client.get("/dashboard/"))
    assert _rows(app, staff_id) == []


def test_the_absolute_lifetime_is_a_setting(app, client, staff_login):
    app.config["HYS"] = dataclasses.replace(app.config["HYS"], SESSION_MAX_HOURS=1)
    staff_id = staff_login("manager")
    _shift(app, staff_id, created=timedelta(minutes=61))
    assert _is_login_redirect(client.get("/dashboard/"))


def test_logging_in_again_rotates_the_session(app, client, staff_login):
    staff_id = staff_login("manager", email="twice@council.example")
    before = _cookie(client)
    (first,) = _rows(app, staff_id)
    assert _login(app, client, "twice@council.example").status_code == 302
    (second,) = _rows(app, staff_id)
    assert second.token_hash != first.token_hash
    assert _is_login_redirect(_with_cookie(app, before).get("/dashboard/"))
    assert client.get("/dashboard/").status_code == 200


def test_logging_in_prunes_expired_sessions(app, client, staff_login):
    from storage.staff import add_staff

    with app.extensions["db"].session() as session:
        other = add_staff(session, "left-open@council.example", "iro", PASSWORD)
        long_ago = utcnow() - timedelta(days=3)
        for n in range(3):
            session.add(StaffSession(staff_id=other.id, token_hash=f"{n:064d}", created_at=long_ago,
                                     last_seen_at=long_ago))
        session.add(StaffSession(staff_id=other.id, token_hash="f" * 64))  # in use now
    staff_login("manager")
    with app.extensions["db"].session() as session:
        left = session.scalars(select(StaffSession.token_hash).where(StaffSession.staff_id == other.id)).all()
    assert left == ["f" * 64]


# --- the storage functions, with "now" given -----------------------------------------

T0 = datetime(2026, 11, 22, 23, 30, tzinfo=UTC)  # a Sunday, late


@pytest.fixture
def account(db):  # noqa: ANN001, ANN201
    from storage.staff import add_staff

    with db.session() as session:
        return add_staff(session, "clock@council.example", "iro", PASSWORD).id


def _lookup(db, token: str, now: datetime):  # noqa: ANN001, ANN202
    from storage.staff import staff_for_session

    with db.session() as session:
        staff = staff_for_session(session, token, idle=timedelta(minutes=30), max_age=timedelta(hours=12), now=now)
        return None if staff is None else staff.id


def _start(db, staff_id: int, now: datetime) -> str:  # noqa: ANN001
    from storage.staff import start_session

    with db.session() as session:
        return start_session(session, session.get(Staff, staff_id), idle=timedelta(minutes=30),
                             max_age=timedelta(hours=12), now=now)


def _seen(db) -> datetime:  # noqa: ANN001
    with db.session() as session:
        return session.scalar(select(StaffSession.last_seen_at))


def test_last_seen_is_written_at_most_once_a_minute(db, account):
    token = _start(db, account, T0)
    assert _lookup(db, token, T0 + timedelta(seconds=59)) == account
    assert _seen(db) == T0  # not written: under a minute since the last write
    assert _lookup(db, token, T0 + timedelta(seconds=61)) == account
    assert _seen(db) == T0 + timedelta(seconds=61)


def test_idle_and_absolute_limits_at_their_edges(db, account):
    token = _start(db, account, T0)
    assert _lookup(db, token, T0 + timedelta(minutes=30)) == account  # exactly at the limit: still open
    assert _lookup(db, token, T0 + timedelta(minutes=60, seconds=1)) is None  # idle 30 min 1 s since then
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(StaffSession)) == 0
    token = _start(db, account, T0)
    moment = T0
    while moment < T0 + timedelta(hours=12) - timedelta(minutes=20):
        moment += timedelta(minutes=20)
        assert _lookup(db, token, moment) == account, moment
    assert _lookup(db, token, T0 + timedelta(hours=12, seconds=1)) is None


def test_a_wrong_or_odd_token_finds_nothing(db, account):
    _start(db, account, T0)
    for token in ("", "x", "A" * 5000, None, 42, ["list"]):
        assert _lookup(db, token, T0) is None


def test_a_session_of_an_inactive_account_finds_nothing(db, account):
    token = _start(db, account, T0)
    with db.session() as session:
        session.get(Staff, account).active = False  # even without set_active (a direct edit)
    assert _lookup(db, token, T0) is None


def test_prune_removes_only_expired_rows(db, account):
    from storage.staff import prune_sessions

    fresh = _start(db, account, T0)
    _start(db, account, T0 - timedelta(minutes=31))  # idle too long
    _start(db, account, T0 - timedelta(hours=13))  # too old
    with db.session() as session:
        assert prune_sessions(session, idle=timedelta(minutes=30), max_age=timedelta(hours=12), now=T0) == 2
    assert _lookup(db, fresh, T0) == account


def test_no_session_data_in_the_cookie_but_the_token(app, client, staff_login):
    """The Flask cookie is signed, not encrypted: it must not carry the email or role."""
    staff_login("manager", email="private@council.example")
    value = _cookie(client)
    import base64
    import zlib

    payload = value.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    text = (zlib.decompress(raw) if value.startswith(".") else raw).decode()
    assert "private@" not in text and "manager" not in text and not re.search(r'"staff_id"', text)
