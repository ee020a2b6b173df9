"""Staff login: argon2 passwords, expiring sessions, throttling, roles and API tokens."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

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
from sqlalchemy import select

from storage.audit import record
from storage.models import Staff, utcnow
from storage.staff import check_password, hash_password, staff_for_token
from storage.throttle import recent_misses, record_miss
from web.database import get_session
from web.errors import error_response

bp = Blueprint("auth", __name__)


def current_staff() -> Staff | None:
    """The logged-in staff member for this request (session cookie or API token)."""
    if "staff" in g:
        return g.staff
    staff = None
    staff_id = session.get("staff_id")
    if staff_id is not None:
        issued = session.get("issued")
        ttl = current_app.config["HYS"].SESSION_MINUTES * 60
        if issued is None or utcnow().timestamp() - issued > ttl:
            session.clear()
        else:
            staff = get_session().get(Staff, staff_id)
            if staff is not None and not staff.active:
                staff = None
            if staff is not None:
                session["issued"] = utcnow().timestamp()  # sliding expiry
    g.staff = staff
    return staff


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
    error = None
    if request.method == "POST":
        db = get_session()
        email = (request.form.get("email") or "").strip().lower()[:254]
        password = request.form.get("password") or ""
        staff = db.scalar(select(Staff).where(Staff.email == email)) if email else None
        now = utcnow()
        # Per address as well as per account: one client trying many accounts is stopped too.
        address_key = f"staff-login:{request.remote_addr or 'unknown'}"
        address_window = timedelta(minutes=config.LOGIN_LOCK_MINUTES)
        if recent_misses(db, address_key, address_window, now=now) >= config.LOGIN_IP_MAX_FAILURES:
            record(db, None, "login_throttled", "address", None)
            db.commit()
            return render_template("login.html", error="Too many failed attempts from here. "
                                   "Please wait a few minutes and try again."), 429
        if staff is not None and staff.locked_until and staff.locked_until > now:
            error = "Too many failed attempts. This account is locked for a few minutes."
            record(db, None, "login_locked", "staff", staff.id)
        elif staff is not None and staff.active and check_password(staff, password):
            staff.failed_logins = 0
            staff.locked_until = None
            staff.last_login_at = now
            if staff.password_hash and _needs_rehash(staff.password_hash):
                staff.password_hash = hash_password(password)
            record(db, staff.id, "login", "staff", staff.id)
            db.commit()
            session.clear()
            session.permanent = True
            session["staff_id"] = staff.id
            session["issued"] = now.timestamp()
            target = request.args.get("next") or ""
            if not target.startswith("/") or target.startswith("//"):
                target = url_for("dashboard.index")
            return redirect(target)
        else:
            error = "That email and password do not match an account."
            record_miss(db, address_key, address_window, now=now)
            if staff is not None:
                staff.failed_logins += 1
                if staff.failed_logins >= config.LOGIN_MAX_FAILURES:
                    staff.locked_until = now + timedelta(minutes=config.LOGIN_LOCK_MINUTES)
                    staff.failed_logins = 0
                record(db, staff.id, "login_failed", "staff", staff.id)
        db.commit()
        return render_template("login.html", error=error), 401 if error else 200
    return render_template("login.html", error=error)


def _needs_rehash(password_hash: str) -> bool:
    from storage.staff import _hasher

    return _hasher.check_needs_rehash(password_hash)


@bp.route("/logout", methods=["POST"])
def logout():
    """End the staff session."""
    session.clear()
    flash("You have logged out.")
    return redirect(url_for("auth.login"))


def init_app(app: Flask) -> None:
    """Register the login routes and make ``current_staff`` available to templates."""
    app.register_blueprint(bp)
    app.context_processor(lambda: {"current_staff": current_staff})
