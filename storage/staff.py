"""Staff accounts, password hashes (argon2) and API tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import STAFF_ROLES, ApiToken, Staff, utcnow

_hasher = PasswordHasher()
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class StaffError(ValueError):
    """A staff account request that cannot be carried out, with the reason."""


def hash_password(password: str) -> str:
    """An argon2id hash of a password."""
    return _hasher.hash(password)


def check_password(staff: Staff, password: str) -> bool:
    """Whether the password matches the account's hash (rehashing is left to login)."""
    if not staff.password_hash:
        return False
    try:
        return _hasher.verify(staff.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def add_staff(session: Session, email: str, role: str, password: str | None = None,
              display_name: str | None = None, phone: str | None = None) -> Staff:
    """Create an account (or change the role of an existing one)."""
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
    staff.role = role
    if password is not None:
        staff.password_hash = hash_password(password)
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
