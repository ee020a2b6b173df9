"""Staff login: argon2 passwords, expiring sessions, throttling, roles and API tokens."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.urls import iri_to_uri

from config import Config
from storage.audit import record
from storage.models import Staff, utcnow
from storage.staff import (
    attempt_login,
    end_session,
    hash_password,
    needs_rehash,
    staff_for_session,
    staff_for_token,
    start_session,
)
from storage.throttle import forgive, reserve_attempt
from web.database import get_session
from web.errors import error_response

bp = Blueprint("auth", __name__)

# The one thing the (signed, not encrypted) cookie holds about a login: a random token
# naming a row in staff_sessions. Logging out deletes the row, so a copy of the cookie
# stops working too.
SESSION_KEY = "staff_session"


def session_limits(config: Config) -> dict[str, timedelta]:
    """How long a session lasts unused (``idle``) and at most (``max_age``)."""
    return {"idle": timedelta(minutes=config.SESSION_MINUTES), "max_age": timedelta(hours=config.SESSION_MAX_HOURS)}


def current_session_token() -> str | None:
    """The session token in this request's cookie, if any."""
    token = session.get(SESSION_KEY)
    return token if isinstance(token, str) else None


def current_staff() -> Staff | None:
    """The logged-in staff member for this request (session cookie or API token)."""
    if "staff" in g:
        return g.staff
    staff = None
    token = session.get(SESSION_KEY)
    if token is not None:
        db = get_session()
        # Commit the session's new last use (or its deletion) only when nothing else is
        # pending: a template may ask late in a view that has not committed its own work.
        clean = not (db.new or db.dirty or db.deleted)
        staff = staff_for_session(db, token, **session_limits(current_app.config["HYS"]), now=utcnow())
        if staff is None:
            session.pop(SESSION_KEY, None)
        if clean and (db.dirty or db.deleted):
            db.commit()
    g.staff = staff
    return staff


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site to send a browser to after login, else None.

    Browsers drop tabs and new lines from a URL, treat a backslash as a slash and read
    ``//host`` as another site, and Werkzeug's IRI-to-URI step drops tabs and new lines
    too: ``next=/%09/evil.example`` (a tab, once decoded) became ``//evil.example``. So
    a target holds no control, format or space characters and no backslash at all,
    starts with exactly one slash, has no scheme or host when parsed, and still passes
    once turned into the Location header that is actually sent.
    """
    if not target or len(target) > 2048:
        return None
    if "\\" in target or any(unicodedata.category(ch)[0] in "CZ" for ch in target):
        return None
    if not _path_only(target):
        return None
    try:
        sent = iri_to_uri(target)
    except (UnicodeError, ValueError):  # Werkzeug could not send it (it would have been a 500)
        return None
    return target if _path_only(sent) else None


def _path_only(target: str) -> bool:
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    try:
        parts = urlsplit(target)
    except ValueError:
        return False
    return not parts.scheme and not parts.netloc


def login_required(*roles: str) -> Callable:
    """Require a logged-in staff member, optionally in one of ``roles``."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any):
            staff = current_staff()
            if staff is None:
                return redirect(url_for("auth.login", next=request.full_path))
            if roles and staff.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def token_required(*roles: str) -> Callable:
    """Require a staff API token (``Authorization: Bearer ...``); JSON errors otherwise."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any):
            header = request.headers.get("Authorization", "")
            token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
            staff = staff_for_token(get_session(), token) if token else None
            if staff is None:
                return error_response(401, "a valid staff API token is required (Authorization: Bearer ...)")
            if roles and staff.role not in roles:
                return error_response(403, "your role may not use this endpoint")
            g.staff = staff
            get_session().commit()  # last_used_at
            return view(*args, **kwargs)

        return wrapped

    return decorator


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Log a staff member in; lock the account after repeated failures."""
    config = current_app.config["HYS"]
    if request.method == "GET":
        return render_template("login.html", error=None)
    db = get_session()
    email = (request.form.get("email") or "").strip().lower()[:254]
    password = request.form.get("password") or ""
    now = utcnow()
    # Per address as well as per account: one client trying many accounts is stopped too.
    # The attempt is counted before it is made, so many sent at once are all counted.
    address_key = f"staff-login:{request.remote_addr or 'unknown'}"
    attempt = reserve_attempt(db, address_key, timedelta(minutes=config.LOGIN_LOCK_MINUTES),
                              config.LOGIN_IP_MAX_FAILURES, now=now)
    if attempt is None:
        record(db, None, "login_throttled", "address", None)
        db.commit()
        return render_template("login.html", error="Too many failed attempts from here. "
                               "Please wait a few minutes and try again."), 429
    result = attempt_login(db, email, password, max_failures=config.LOGIN_MAX_FAILURES,
                           lock_for=timedelta(minutes=config.LOGIN_LOCK_MINUTES), now=now)
    staff = result.staff
    if result.outcome == "ok" and staff is not None:
        forgive(db, attempt)
        if staff.password_hash and needs_rehash(staff.password_hash):
            staff.password_hash = hash_password(password)
        record(db, staff.id, "login", "staff", staff.id)
        # A new token at every login (never one the browser brought: session fixation),
        # and the session this browser had before, if any, ends.
        end_session(db, current_session_token())
        token = start_session(db, staff, **session_limits(config), now=now)
        db.commit()
        session.clear()
        session.permanent = True
        session[SESSION_KEY] = token
        return redirect(safe_next(request.args.get("next")) or url_for("dashboard.index"))
    if result.outcome == "locked" and staff is not None:
        error = "Too many failed attempts. This account is locked for a few minutes."
        record(db, None, "login_locked", "staff", staff.id)
    else:
        error = "That email and password do not match an account."
        if staff is not None:
            record(db, staff.id, "login_failed", "staff", staff.id)
    db.commit()
    return render_template("login.html", error=error), 401


@bp.route("/logout", methods=["POST"])
def logout():
    """End the staff session (on the server: a copy of the cookie stops working too)."""
    db = get_session()
    end_session(db, current_session_token())
    db.commit()
    session.clear()
    flash("You have logged out.")
    return redirect(url_for("auth.login"))


def init_app(app: Flask) -> None:
    """Register the login routes and make ``current_staff`` available to templates."""
    app.register_blueprint(bp)
    app.context_processor(lambda: {"current_staff": current_staff})
