"""Demo data: staff logins and a realistic sample year (filled in as features land)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Staff
from storage.staff import add_staff

DEMO_LOGINS = (
    ("manager@demo.haveyoursay.test", "demo-manager-pass", "manager"),
    ("iro@demo.haveyoursay.test", "demo-iro-pass1", "iro"),
    ("admin@demo.haveyoursay.test", "demo-admin-pass", "admin"),
)


def load_demo(session: Session, config) -> dict:
    """Create the demo logins and sample data once; later runs change nothing."""
    created = 0
    for email, password, role in DEMO_LOGINS:
        if session.scalar(select(Staff).where(Staff.email == email)) is None:
            add_staff(session, email, role, password, display_name=role.title() + " (demo)")
            created += 1
    return {"staff_created": created, "links": []}
