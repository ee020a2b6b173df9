"""Importing a review schedule: all or nothing, idempotent, reviews rescheduled, IROs linked."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from storage.models import Invitation, InvitationEvent, Review
from storage.reviews import file_too_large, format_error, import_key, import_schedule
from storage.staff import add_staff
from surveys.schedule_csv import COLUMNS, RowError

PAYLOADS = Path(__file__).parents[1] / "payloads" / "schedules"
HEADER = ",".join(COLUMNS) + "\n"


def _import(db, path_or_bytes):  # noqa: ANN001, ANN202
    with db.session() as session:
        if isinstance(path_or_bytes, bytes):
            return import_schedule(session, [path_or_bytes])
        with open(path_or_bytes, "rb") as handle:
            return import_schedule(session, handle)


def _count(db, model) -> int:  # noqa: ANN001
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_import_creates_reviews_and_invitations(db):
    with db.session() as session:
        iro_id = add_staff(session, "IRO.One@council.example", "iro").id
    result = _import(db, PAYLOADS / "cycle.csv")
    assert result.ok and result.rows == 7
    assert (result.reviews_created, result.invitations_created) == (3, 13)
    with db.session() as session:
        reviews = {r.review_ref: r for r in session.scalars(select(Review))}
        assert reviews["R-XMAS"].iro_id == iro_id and reviews["R-MAY"].iro_id == iro_id
        assert reviews["R-EASTER"].iro_id is None and reviews["R-EASTER"].iro_email == "iro.two@council.example"
        assert reviews["R-XMAS"].review_date == date(2026, 12, 29)
        invitations = session.scalars(select(Invitation).order_by(Invitation.id)).all()
        got = {(i.review.review_ref, i.role, i.phase): (i.form_id, i.via_carer) for i in invitations}
        assert got == {
            ("R-XMAS", "child", "consultation"): ("child_before", False),
            ("R-XMAS", "child", "feedback"): ("child_after", False),
            ("R-XMAS", "carer", "consultation"): ("carer_before", False),
            ("R-XMAS", "carer", "feedback"): ("carer_after", False),
            ("R-XMAS", "parent", "consultation"): ("parent_before", False),
            ("R-XMAS", "parent", "feedback"): ("parent_after", False),
            ("R-XMAS", "health", "consultation"): ("health_before", False),  # no feedback form for health
            ("R-EASTER", "child", "consultation"): ("child_before", True),  # aged 5: through the carer
            ("R-EASTER", "child", "feedback"): ("child_after", True),
            ("R-EASTER", "carer", "consultation"): ("carer_before", False),
            ("R-EASTER", "carer", "feedback"): ("carer_after", False),
            ("R-MAY", "care_leaver", "consultation"): ("care_leaver_before", False),  # Pathway Plan forms
            ("R-MAY", "care_leaver", "feedback"): ("care_leaver_after", False),
        }
        assert all(i.status == "pending" and len(i.token) == 32 for i in invitations)
        assert len({i.token for i in invitations}) == 13
        child = invitations[0]
        assert child.import_key == import_key("R-XMAS", "child", "+447400100001")
        assert child.contact == "+447400100001" and child.channel == "sms"


def test_progress_is_reported_per_chunk(db, monkeypatch):
    import storage.reviews

    monkeypatch.setattr(storage.reviews, "CHUNK_REVIEWS", 2)
    calls: list[tuple[int, int]] = []
    with db.session() as session, open(PAYLOADS / "cycle.csv", "rb") as handle:
        assert import_schedule(session, handle, progress=lambda done, total: calls.append((done, total))).ok
    assert calls == [(6, 7), (7, 7)]  # R-XMAS and R-EASTER (4 + 2 rows), then R-MAY


def test_reimport_changes_nothing(db):
    _import(db, PAYLOADS / "cycle.csv")
    with db.session() as session:
        before = sorted((i.id, i.token, i.status) for i in session.scalars(select(Invitation)))
    again = _import(db, PAYLOADS / "cycle.csv")
    assert again.ok
    assert (again.reviews_created, again.reviews_updated, again.invitations_created, again.invitations_updated,
            again.invitations_unchanged) == (0, 0, 0, 0, 13)
    with db.session() as session:
        after = sorted((i.id, i.token, i.status) for i in session.scalars(select(Invitation)))
    assert after == before


def test_a_moved_review_is_rescheduled_and_logged(db):
    _import(db, PAYLOADS / "cycle.csv")
    moved = (PAYLOADS / "cycle.csv").read_bytes().replace(b"2026-12-29", b"2027-01-12")
    result = _import(db, moved)
    assert (result.reviews_updated, result.reviews_rescheduled, result.invitations_created) == (1, 1, 0)
    with db.session() as session:
        review = session.scalar(select(Review).where(Review.review_ref == "R-XMAS"))
        assert review.review_date == date(2027, 1, 12)
        events = session.scalars(select(InvitationEvent.detail).where(InvitationEvent.event == "rescheduled")).all()
        assert events == ["review moved from 2026-12-29 to 2027-01-12"] * 7


def test_a_bad_file_stores_nothing_and_lists_every_problem(db):
    result = _import(db, PAYLOADS / "bad.csv")
    assert not result.ok
    assert [format_error(e) for e in result.errors][:3] == [
        "line 3, column review_date: '2026-02-30' is not a date (expected YYYY-MM-DD)",
        "line 4, column role: unknown role 'teacher' (expected one of: child, care_leaver, parent, carer, "
        "health, education, guardian)",
        "line 5, column contact: invalid phone number '+44 7700 900123'",
    ]
    assert len(result.errors) == 8
    assert _count(db, Review) == 0 and _count(db, Invitation) == 0


def test_a_role_without_a_form_for_the_review_type_is_refused(db):
    # Children's guardians take part in CLA reviews only: there is no guardian form for a Pathway Plan.
    text = HEADER + "R1,C1,17,PP,2026-12-29,iro@council.example,guardian,web,g@example.org,en\n"
    result = _import(db, text.encode())
    assert result.errors == [RowError(2, "role", "there is no consultation form for role guardian in a PP review")]
    assert _count(db, Review) == 0


def test_a_50_mb_file_gets_a_clear_size_error(db, tmp_path):
    big = tmp_path / "national.csv"
    with open(big, "wb") as handle:
        handle.write(HEADER.encode())
        handle.truncate(50 * 1024 * 1024 + 1)  # sparse: instant to make, never read
    error = file_too_large(big, 50 * 1024 * 1024)
    assert error is not None
    assert format_error(error) == ("the file is 50.0 MB, larger than the 50 MB limit; "
                                   "split it and import the parts")
    assert file_too_large(PAYLOADS / "cycle.csv", 50 * 1024 * 1024) is None
    with open(big, "rb") as handle, db.session() as session:
        result = import_schedule(session, handle, max_bytes=1024 * 1024)
    assert result.errors == [RowError(None, None, "the file is larger than the 1 MB limit")]
    assert _count(db, Review) == 0


def test_a_changed_channel_or_language_updates_the_invitations_in_place(db):
    _import(db, PAYLOADS / "cycle.csv")
    with db.session() as session:
        before = {(i.id, i.token) for i in session.scalars(select(Invitation))}
    changed = (PAYLOADS / "cycle.csv").read_bytes().replace(b"carer,email,Carer.One@Example.org,en",
                                                            b"carer,web,Carer.One@Example.org,cy")
    result = _import(db, changed)
    assert (result.invitations_created, result.invitations_updated, result.invitations_unchanged) == (0, 2, 11)
    with db.session() as session:
        rows = session.scalars(select(Invitation)).all()
        after = {(i.id, i.token) for i in rows}
        carers = [(i.channel, i.language) for i in rows if i.contact == "carer.one@example.org"]
    assert after == before
    assert carers == [("web", "cy"), ("web", "cy")]
