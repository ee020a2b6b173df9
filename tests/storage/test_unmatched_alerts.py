"""Alerts with no invitation (a sender who matched none): routing, escalation, scope, purge.

On the database directly; the webhook paths that raise them are in
tests/web/test_disclosure_paths.py.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from config import Config
from storage.alert_workflow import acknowledge, can_handle, close, escalate_due, record_action
from storage.alerts import duty_contact, notice_ids, raise_alert, screen_languages, screen_text
from storage.models import Alert, OutboxMessage
from storage.privacy import purge
from storage.staff import add_staff


def at(day: int, hour: int, minute: int = 0, month: int = 11, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)  # London is on UTC in November


def _unmatched(session, **kwargs) -> Alert:  # noqa: ANN001
    return raise_alert(session, None, question_key=None, reason="abuse disclosure", categories="physical_abuse",
                       excerpt="my stepdad hits me", channel="sms", **kwargs)


def _notices(session, alert: Alert) -> list[tuple[str, str]]:  # noqa: ANN001
    return sorted((m.channel, m.to) for m in session.scalars(
        select(OutboxMessage).where(OutboxMessage.dedupe_key.like(f"alert:{alert.id}:%"))))


def test_with_no_duty_contact_every_manager_is_told_else_every_admin(db, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.delenv("SAFEGUARDING_DUTY_EMAIL", raising=False)
    monkeypatch.delenv("SAFEGUARDING_DUTY_PHONE", raising=False)
    with db.session() as session:
        add_staff(session, "admin.duty@council.example", "admin", "admin-duty-password")
        first = _unmatched(session, now=at(23, 12))
        assert _notices(session, first) == [("email", "admin.duty@council.example")]  # no manager: the admins
        add_staff(session, "m1.duty@council.example", "manager", "manager-duty-password")
        add_staff(session, "m2.duty@council.example", "manager", "manager-duty-password")
        gone = add_staff(session, "m3.duty@council.example", "manager", "manager-duty-password")
        gone.active = False
        second = _unmatched(session, now=at(23, 12))
        assert _notices(session, second) == [("email", "m1.duty@council.example"),
                                             ("email", "m2.duty@council.example")]
        assert (second.invitation_id, second.review_id, second.kind, second.channel) == (None, None, "disclosure",
                                                                                         "sms")
        # The webhook sends these at once: notice_ids finds the duty rows too.
        assert len(notice_ids(session, [first, second])) == 3
        assert all("stepdad" not in m.body for m in session.scalars(select(OutboxMessage)))


def test_a_configured_duty_contact_is_used_and_never_nobody(db, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("SAFEGUARDING_DUTY_EMAIL", "duty@council.example, mash@council.example")
    monkeypatch.setenv("SAFEGUARDING_DUTY_PHONE", "+447400999200")
    with db.session() as session:
        add_staff(session, "manager.cfg@council.example", "manager", "manager-cfg-password")
        alert = _unmatched(session, now=at(23, 12))
        assert _notices(session, alert) == [("email", "duty@council.example"), ("email", "mash@council.example"),
                                            ("sms", "+447400999200")]
        assert duty_contact(session, Config()) == (["manager.cfg@council.example"], None)


def test_only_managers_and_admins_handle_an_alert_with_no_review(db, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("SAFEGUARDING_DUTY_EMAIL", "duty@council.example")
    with db.session() as session:
        iro = add_staff(session, "iro.none@council.example", "iro", "iro-none-password")
        manager = add_staff(session, "manager.none@council.example", "manager", "manager-none-password")
        admin = add_staff(session, "admin.none@council.example", "admin", "admin-none-password")
        alert = _unmatched(session, now=at(23, 12))
        assert (can_handle(iro, alert), can_handle(manager, alert), can_handle(admin, alert)) == (False, True, True)
        record_action(alert, manager, "Rang the number back; passed to the MASH.", now=at(23, 12, 30))
        close(alert, manager, now=at(23, 13))
        assert alert.status == "closed" and alert.acknowledged_by == manager.id


def test_an_alert_with_no_review_escalates_to_the_managers(db, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("SAFEGUARDING_DUTY_EMAIL", "duty@council.example")
    with db.session() as session:
        add_staff(session, "manager.esc@council.example", "manager", "manager-esc-password")
        alert = _unmatched(session, now=at(23, 10))  # Monday 10:00
        alert_id = alert.id
    with db.session() as session:
        assert escalate_due(session, Config(), now=at(23, 10, 59)) == []
    with db.session() as session:
        assert [a.id for a in escalate_due(session, Config(), now=at(23, 11))] == [alert_id]
        [mail] = session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "alert_escalation")).all()
        assert mail.to == "manager.esc@council.example" and f"/dashboard/alerts/{alert_id}" in mail.body
        assert "text message from a sender we could not match" in mail.body
        assert "unknown sender" in mail.payload["subject"]
    with db.session() as session:
        assert escalate_due(session, Config(), now=at(23, 12)) == []  # once


def test_an_acknowledged_unmatched_alert_does_not_escalate(db, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("SAFEGUARDING_DUTY_EMAIL", "duty@council.example")
    with db.session() as session:
        manager = add_staff(session, "manager.ack@council.example", "manager", "manager-ack-password")
        acknowledge(_unmatched(session, now=at(23, 10)), manager, now=at(23, 10, 5))
    with db.session() as session:
        assert escalate_due(session, Config(), now=at(24, 12)) == []


def test_the_words_of_a_closed_unmatched_alert_go_on_the_free_text_schedule(db, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("SAFEGUARDING_DUTY_EMAIL", "duty@council.example")
    with db.session() as session:
        manager = add_staff(session, "manager.purge@council.example", "manager", "manager-purge-password")
        old_closed = _unmatched(session, now=at(2, 10, year=2025))
        record_action(old_closed, manager, "Done.", now=at(2, 11, year=2025))
        close(old_closed, manager, now=at(2, 12, year=2025))
        old_open = _unmatched(session, now=at(2, 10, year=2025))
        recent_closed = _unmatched(session, now=at(20, 10))
        record_action(recent_closed, manager, "Done.", now=at(20, 11))
        close(recent_closed, manager, now=at(20, 12))
        ids = (old_closed.id, old_open.id, recent_closed.id)
    with db.session() as session:
        counts = purge(session, contact_days=90, free_text_days=365, now=at(23, 12))
        assert counts.counts["unmatched alert excerpts"] == 1
        excerpts = [session.get(Alert, i).excerpt for i in ids]
        # An open alert keeps its words until someone has dealt with it, as with a review's alerts.
        assert excerpts == [None, "my stepdad hits me", "my stepdad hits me"]
    with db.session() as session:
        assert purge(session, contact_days=90, free_text_days=365, now=at(23, 12)).counts[
            "unmatched alert excerpts"] == 0


def test_words_are_screened_in_the_forms_language() -> None:
    assert screen_languages("en") == ("en",)
    assert screen_languages("cy") == ("cy", "en")  # English on a Welsh form is read too
    assert screen_languages(None) == ("en", "cy")  # an unknown sender may be on either
    assert screen_languages("ar") == ("ar",)
    assert screen_text("my stepdad hits me", "cy").flagged
    arabic = screen_text("زوج أمي يضربني", "en")
    assert arabic.not_screened and not arabic.flagged
    assert screen_text("my IRO is nice", "ar").not_screened  # a form the screen cannot read: a person reads it
    assert not screen_text("my IRO is nice", None).not_screened
