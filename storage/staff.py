"""Staff accounts, password hashes (argon2), login attempts, server-side sessions and API tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from storage.models import STAFF_ROLES, ApiToken, Staff, StaffSession, utcnow

_hasher = PasswordHasher()
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# A session's last_seen_at is written at most this often (each write is a transaction).
SESSION_TOUCH_EVERY = timedelta(minutes=1)


class StaffError(ValueError):
    """A staff account request that cannot be carried out, with the reason."""


def hash_password(password: str) -> str:
    """An argon2id hash of a password."""
    return _hasher.hash(password)


@cache
def _dummy_hash() -> str:
    # Made once per process with the same parameters as real hashes, so verifying it costs the same.
    return _hasher.hash(secrets.token_urlsafe(16))


def check_password(staff: Staff | None, password: str) -> bool:
    """Whether the password matches the account's hash (rehashing is left to login).

    Exactly one argon2 verification runs whatever the account: one that does not exist,
    is inactive or has no password is checked against a dummy hash, so the time a login
    takes does not tell which email addresses have accounts.
    """
    return _verify(staff.password_hash if staff is not None and staff.active else None, password)


def _verify(password_hash: str | None, password: str) -> bool:
    """One argon2 verification against ``password_hash``, or against the dummy hash when there is none."""
    try:
        matched = _hasher.verify(password_hash or _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return False
    return bool(password_hash) and matched


def needs_rehash(password_hash: str) -> bool:
    """Whether a stored hash was made with older argon2 parameters than today's."""
    return _hasher.check_needs_rehash(password_hash)


def set_password(session: Session, staff: Staff, password: str, *, keep_session: str | None = None) -> None:
    """Give an account a new password and end its sessions (all but ``keep_session``, a cookie token)."""
    staff.password_hash = hash_password(password)
    end_all_sessions(session, staff.id, keep=keep_session)


def set_staff_active(session: Session, staff: Staff, active: bool) -> None:
    """Activate or deactivate an account; deactivating ends its sessions."""
    staff.active = active
    if not active:
        end_all_sessions(session, staff.id)


def add_staff(session: Session, email: str, role: str, password: str | None = None,
              display_name: str | None = None, phone: str | None = None) -> Staff:
    """Create an account (or change the role of an existing one; a new password ends its sessions)."""
    email = email.strip().lower()
    if not EMAIL_RE.match(email):
        raise StaffError(f"{email!r} is not an email address")
    if role not in STAFF_ROLES:
        raise StaffError(f"unknown role {role!r} (expected one of: {', '.join(STAFF_ROLES)})")
    if password is not None and len(password) < 10:
        raise StaffError("a password needs at least 10 characters")
    staff = session.scalar(select(Staff).where(Staff.email == email))
    if staff is None:
        staff = Staff(email=email, role=role)
        session.add(staff)
        if password is not None:
            staff.password_hash = hash_password(password)
    elif password is not None:
        set_password(session, staff, password)  # a reset: whoever held a session must log in again
    staff.role = role
    if display_name:
        staff.display_name = display_name
    if phone:
        staff.phone = phone
    session.flush()
    return staff


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_api_token(session: Session, email: str) -> str:
    """Issue a new API token for an account; only its hash is stored."""
    staff = session.scalar(select(Staff).where(Staff.email == email.strip().lower()))
    if staff is None or not staff.active:
        raise StaffError(f"no active staff account {email!r}")
    token = "hys_" + secrets.token_urlsafe(32)
    session.add(ApiToken(staff_id=staff.id, token_hash=_token_hash(token)))
    session.flush()
    return token


def staff_for_token(session: Session, token: str, now: datetime | None = None) -> Staff | None:
    """The active account an API token belongs to, or None."""
    if not token or len(token) > 200:
        return None
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_hash(token)))
    if row is None or row.revoked or not row.staff.active:
        return None
    now = now or utcnow()
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
        row.last_used_at = now
    return row.staff


# --- login attempts --------------------------------------------------------------------


@dataclass(frozen=True)
class LoginResult:
    """What a login attempt came to: ``ok``, ``wrong`` (password or email) or ``locked``."""

    outcome: str
    staff: Staff | None = None
    failures: int = 0  # this attempt's number among the account's failures (0 when not counted)


def attempt_login(session: Session, email: str, password: str, *, max_failures: int, lock_for: timedelta,
                  now: datetime | None = None) -> LoginResult:
    """Check a password, locking the account once ``max_failures`` attempts in a row have failed.

    The attempt is counted before the password is checked, with one atomic UPDATE that
    also refuses a locked account, and that count is committed before the (slow) argon2
    check: however many attempts arrive at once, at most ``max_failures`` of them check
    the password before the lock holds. The ones counted past that lock the account and
    are refused unchecked. A success resets the count. Every path runs one argon2
    verification, so the time taken tells nothing either. Commits the session.
    """
    now = now or utcnow()
    staff = session.scalar(select(Staff).where(Staff.email == email)) if email else None
    if staff is None:
        session.commit()  # end the transaction before the slow check (on SQLite it holds the write lock)
        check_password(None, password)
        return LoginResult("wrong")
    # Read before the commit: touching the expired object afterwards would start a new
    # transaction, and on SQLite hold the writers' lock through argon2 (under load 40 at once
    # then waited past the lock's timeout).
    staff_id, usable_hash = staff.id, (staff.password_hash if staff.active else None)
    failures = session.execute(
        update(Staff)
        .where(Staff.id == staff_id, or_(Staff.locked_until.is_(None), Staff.locked_until <= now))
        .values(failed_logins=Staff.failed_logins + 1)
        .returning(Staff.failed_logins)
        .execution_options(synchronize_session=False)
    ).scalar()
    session.commit()
    if failures is None:  # locked already
        check_password(None, password)
        return LoginResult("locked", staff)
    if failures > max_failures:  # others got there first: lock, if the last of them has not yet
        _lock(session, staff_id, now + lock_for, now)
        session.commit()
        check_password(None, password)
        return LoginResult("locked", staff, failures)
    if _verify(usable_hash, password):
        session.execute(update(Staff).where(Staff.id == staff_id)
                        .values(failed_logins=0, locked_until=None, last_login_at=now)
                        .execution_options(synchronize_session=False))
        session.refresh(staff)
        return LoginResult("ok", staff)
    if failures >= max_failures:
        _lock(session, staff_id, now + lock_for, now)
    return LoginResult("wrong", staff, failures)


def _lock(session: Session, staff_id: int, until: datetime, now: datetime) -> None:
    # The count starts again from 0 when the lock runs out.
    session.execute(update(Staff)
                    .where(Staff.id == staff_id, or_(Staff.locked_until.is_(None), Staff.locked_until <= now))
                    .values(locked_until=until, failed_logins=0)
                    .execution_options(synchronize_session=False))


# --- server-side sessions --------------------------------------------------------------


def start_session(session: Session, staff: Staff, *, idle: timedelta, max_age: timedelta,
                  now: datetime | None = None) -> str:
    """Open a browser session for ``staff``; returns the token for the cookie (only its hash is stored).

    Expired sessions of every account are deleted here, so the table does not grow.
    """
    now = now or utcnow()
    prune_sessions(session, idle=idle, max_age=max_age, now=now)
    token = secrets.token_urlsafe(32)
    session.add(StaffSession(staff_id=staff.id, token_hash=_token_hash(token), created_at=now, last_seen_at=now))
    session.flush()
    return token


def staff_for_session(session: Session, token: object, *, idle: timedelta, max_age: timedelta,
                      now: datetime | None = None) -> Staff | None:
    """The active account a session token belongs to, or None (an expired session is deleted).

    A session lasts ``idle`` after its last use (the use is written at most once a
    minute, so it may end up to a minute early) and never longer than ``max_age``.
    """
    if not _plausible_token(token):
        return None
    now = now or utcnow()
    row = session.scalar(select(StaffSession).where(StaffSession.token_hash == _token_hash(token)))
    if row is None:
        return None
    staff = session.get(Staff, row.staff_id)
    if (now - row.last_seen_at > idle or now - row.created_at > max_age
            or staff is None or not staff.active):
        session.delete(row)
        return None
    if now - row.last_seen_at >= SESSION_TOUCH_EVERY:
        row.last_seen_at = now
    return staff


def _plausible_token(token: object) -> bool:
    """Whether a cookie's value could be a session token (a string of sensible length) worth looking up."""
    return isinstance(token, str) and 0 < len(token) <= 200


def end_session(session: Session, token: object) -> None:
    """Delete the session a cookie token names (logging out)."""
    if _plausible_token(token):
        session.execute(delete(StaffSession).where(StaffSession.token_hash == _token_hash(token))
                        .execution_options(synchronize_session=False))


def end_all_sessions(session: Session, staff_id: int, *, keep: str | None = None) -> int:
    """Delete every session of one account (but the one whose token is ``keep``); returns how many."""
    statement = delete(StaffSession).where(StaffSession.staff_id == staff_id)
    if keep:
        statement = statement.where(StaffSession.token_hash != _token_hash(keep))
    return session.execute(statement.execution_options(synchronize_session=False)).rowcount


def prune_sessions(session: Session, *, idle: timedelta, max_age: timedelta, now: datetime | None = None) -> int:
    """Delete every session past its idle or absolute limit; returns how many."""
    now = now or utcnow()
    expired = or_(StaffSession.last_seen_at < now - idle, StaffSession.created_at < now - max_age)
    return session.execute(delete(StaffSession).where(expired)
                           .execution_options(synchronize_session=False)).rowcount
