"""Alert workflow: acknowledge, action, close (audited) and escalation in working minutes."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
from sqlalchemy import select

from config import Config
from storage.alert_workflow import (
    AlertWorkflowError,
    acknowledge,
    close,
    escalate_due,
    escalation_due_at,
    record_action,
    schedule_rules,
    working_hours,
)
from storage.models import Alert, AuditEvent, OutboxMessage, Staff
from tests.web.dashboard_data import build_world

RULES = schedule_rules(Config())
HOURS = working_hours(Config())


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)  # London is on UTC in Nov and Dec


def test_escalation_clock_counts_working_minutes_only() -> None:
    # Monday 23 Nov 2026 10:00 -> 11:00 the same morning.
    assert escalation_due_at(at(23, 10), 60, RULES, HOURS) == at(23, 11)
    # 16:30 leaves 30 minutes today, 30 more from 09:00 next working day.
    assert escalation_due_at(at(23, 16, 30), 60, RULES, HOURS) == at(24, 9, 30)
    # Before opening: the clock starts at 09:00.
    assert escalation_due_at(at(23, 6, 15), 60, RULES, HOURS) == at(23, 10)
    # Friday 22:00 -> Monday 10:00.
    assert escalation_due_at(at(27, 22), 60, RULES, HOURS) == at(30, 10)
    # Christmas: Thursday 24 Dec 16:45; 25 Dec and the substitute Boxing Day (28 Dec) are
    # bank holidays, so the last 45 minutes run on Tuesday 29 Dec.
    assert escalation_due_at(at(24, 16, 45, month=12), 60, RULES, HOURS) == at(29, 9, 45, month=12)


def test_escalation_clock_in_summer_time_uses_local_hours() -> None:
    # 1 July 2026 is a Wednesday, London is UTC+1: 09:00 local is 08:00 UTC.
    raised = datetime(2026, 7, 1, 7, 0, tzinfo=UTC)  # 08:00 local, before opening
    assert escalation_due_at(raised, 60, RULES, (time(9, 0), time(17, 0))) == \
        datetime(2026, 7, 1, 9, 0, tzinfo=UTC)


def test_acknowledge_action_close_are_audited(db) -> None:  # noqa: ANN001
    with db.session() as session:
        world = build_world(session)
        iro = session.get(Staff, world.iro_a)
        item = session.get(Alert, world.alerts["R-A1"])
        assert item.status == "open"
        with pytest.raises(AlertWorkflowError):
            close(item, iro)  # no action recorded yet
        assert acknowledge(item, iro, now=at(23, 10, 5)) is True
        assert acknowledge(item, iro, now=at(23, 10, 6)) is False
        record_action(item, iro, "  Rang the   social worker; visit today. ", now=at(23, 10, 20))
        with pytest.raises(AlertWorkflowError):
            record_action(item, iro, "   ")
        close(item, iro, now=at(23, 11))
        with pytest.raises(AlertWorkflowError):
            record_action(item, iro, "too late")
    with db.session() as session:
        item = session.get(Alert, world.alerts["R-A1"])
        assert item.status == "closed"
        assert item.acknowledged_by == world.iro_a and item.closed_by == world.iro_a
        assert item.acknowledged_at == at(23, 10, 5) and item.closed_at == at(23, 11)
        assert item.action == "2026-11-23 10:20 UTC, IRO_A: Rang the social worker; visit today."
        events = session.scalars(select(AuditEvent).where(AuditEvent.object_type == "alert",
                                                          AuditEvent.object_id == str(item.id))
                                 .order_by(AuditEvent.id)).all()
        assert [e.action for e in events] == ["alert_raised", "alert_acknowledged", "alert_action",
                                              "alert_closed"]
        assert "social worker" not in str(events[2].detail)  # the words stay out of the log


def test_other_iro_may_not_act_but_manager_may(db) -> None:  # noqa: ANN001
    with db.session() as session:
        world = build_world(session)
        item = session.get(Alert, world.alerts["R-A1"])
        with pytest.raises(PermissionError):
            acknowledge(item, session.get(Staff, world.iro_b))
        assert item.acknowledged_at is None
        record_action(item, session.get(Staff, world.manager), "Manager covering: called EDT.")
        assert item.status == "acknowledged" and item.acknowledged_by == world.manager


def test_escalate_due_once_to_every_manager(db) -> None:  # noqa: ANN001
    config = Config(ALERT_ESCALATE_MINUTES=60, PUBLIC_BASE_URL="https://hys.example.test")
    with db.session() as session:
        world = build_world(session, raised_at=at(23, 16, 30))
        from storage.staff import add_staff
        add_staff(session, "second-manager@council.example", "manager", "another-password-1")
        acknowledge(session.get(Alert, world.alerts["R-B1"]), session.get(Staff, world.iro_b),
                    now=at(23, 16, 40))
    with db.session() as session:
        # 17:30: an hour of wall-clock time, but only 30 working minutes.
        assert escalate_due(session, config, now=at(23, 17, 30)) == []
        assert escalate_due(session, config, now=at(24, 9, 29)) == []
        escalated = escalate_due(session, config, now=at(24, 9, 30))
        assert [a.id for a in escalated] == [world.alerts["R-A1"]]
    with db.session() as session:
        assert escalate_due(session, config, now=at(24, 12)) == []  # once only
        item = session.get(Alert, world.alerts["R-A1"])
        assert item.escalated_at == at(24, 9, 30)
        assert session.get(Alert, world.alerts["R-B1"]).escalated_at is None  # acknowledged in time
        mails = session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "alert_escalation")
                                .order_by(OutboxMessage.to)).all()
        assert [m.to for m in mails] == ["manager@council.example", "second-manager@council.example"]
        assert all(m.channel == "email" and "R-A1" in m.body for m in mails)
        assert all(f"/dashboard/alerts/{item.id}" in m.body for m in mails)
        assert "secret words" not in mails[0].body
        audit = session.scalars(select(AuditEvent).where(AuditEvent.action == "alert_escalated")).all()
        assert [e.object_id for e in audit] == [str(item.id)]


def test_escalation_goes_to_admins_when_no_manager_is_active(db) -> None:  # noqa: ANN001
    with db.session() as session:
        world = build_world(session, raised_at=at(23, 10))
        session.get(Staff, world.manager).active = False
    with db.session() as session:
        escalated = escalate_due(session, Config(), now=at(23, 11))
        assert len(escalated) == 2
        recipients = {m.to for m in session.scalars(select(OutboxMessage)
                                                    .where(OutboxMessage.purpose == "alert_escalation"))}
        assert recipients == {"admin@council.example"}


def test_cli_alerts_escalate(app) -> None:  # noqa: ANN001
    with app.extensions["db"].session() as session:
        world = build_world(session, raised_at=at(23, 16, 30))
    runner = app.test_cli_runner()
    early = runner.invoke(args=["alerts", "escalate", "--now", "2026-11-24T09:29:00+00:00"])
    assert early.exit_code == 0 and "escalated 0 alert(s)" in early.output
    due = runner.invoke(args=["alerts", "escalate", "--now", "2026-11-24T09:30:00"])
    assert due.exit_code == 0 and "escalated 2 alert(s)" in due.output
    bad = runner.invoke(args=["alerts", "escalate", "--now", "tuesday"])
    assert bad.exit_code != 0 and "ISO date-time" in bad.output
    with app.extensions["db"].session() as session:
        assert session.get(Alert, world.alerts["R-A1"]).escalated_at == at(24, 9, 30)


def test_raise_alert_notifies_the_iro_with_an_absolute_link(db, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://hys.council.example/")
    from storage.alerts import raise_alert

    with db.session() as session:
        world = build_world(session)
        session.get(Staff, world.iro_a).phone = "+447400123456"
        from storage.models import Invitation
        invitation = session.get(Invitation, world.invitations["R-A1:child"])
        alert = raise_alert(session, invitation, question_key="worries", reason="harm words",
                            categories="harm", excerpt="a private disclosure", now=at(23, 12))
        sent = session.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key.like(f"alert:{alert.id}:%"))
                               .order_by(OutboxMessage.channel)).all()
        assert [(m.channel, m.to) for m in sent] == [("email", "iro-a@council.example"), ("sms", "+447400123456")]
        assert all(f"https://hys.council.example/dashboard/alerts/{alert.id}" in m.body for m in sent)
        assert all("private disclosure" not in m.body for m in sent)


def test_send_round_escalates_too(app) -> None:  # noqa: ANN001
    with app.extensions["db"].session() as session:
        world = build_world(session, raised_at=at(23, 10))
    result = app.test_cli_runner().invoke(args=["send", "--now", "2026-11-23T11:00:00+00:00"])
    assert result.exit_code == 0, result.output
    assert "escalated 2" in result.output
    with app.extensions["db"].session() as session:
        assert session.get(Alert, world.alerts["R-B1"]).escalated_at == at(23, 11)
        mails = session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "alert_escalation")).all()
        assert {m.to for m in mails} == {"manager@council.example"}


@pytest.mark.parametrize(("setting", "phone", "expected"), [
    ("email,sms", "+447400123456", [("email", "iro-a@council.example"), ("sms", "+447400123456")]),
    ("email", "+447400123456", [("email", "iro-a@council.example")]),
    ("sms", "+447400123456", [("sms", "+447400123456")]),
    ("sms", None, [("email", "iro-a@council.example")]),  # no mobile: email, never silence
    ("", "+447400123456", [("email", "iro-a@council.example"), ("sms", "+447400123456")]),
    ("pigeon", None, [("email", "iro-a@council.example")]),
])
def test_alert_notify_setting_picks_email_sms_or_both(db, monkeypatch, setting, phone, expected) -> None:  # noqa: ANN001
    from storage.alerts import raise_alert
    from storage.models import Invitation

    monkeypatch.setenv("ALERT_NOTIFY", setting)
    with db.session() as session:
        world = build_world(session)
        session.get(Staff, world.iro_a).phone = phone
        invitation = session.get(Invitation, world.invitations["R-A1:child"])
        alert = raise_alert(session, invitation, question_key=None, reason="harm words", categories="harm",
                            excerpt="words", now=at(23, 12))
        sent = session.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key.like(f"alert:{alert.id}:%"))
                               .order_by(OutboxMessage.channel)).all()
        assert [(m.channel, m.to) for m in sent] == expected


def test_unacknowledged_alert_escalates_on_a_frozen_clock_and_reaches_the_manager(db, channel_config,
                                                                                  smtp_fake) -> None:  # noqa: ANN001
    from bot.sender import deliver_due

    with db.session() as session:
        world = build_world(session, raised_at=at(27, 16, 15))  # a Friday afternoon
        acknowledge(session.get(Alert, world.alerts["R-B1"]), session.get(Staff, world.iro_b),
                    now=at(27, 16, 20))
    # 45 working minutes on Friday, the last 15 on Monday morning; the weekend does not count.
    for moment in (at(27, 17, 0), at(28, 12), at(29, 23, 59), at(30, 9, 14)):
        with db.session() as session:
            assert escalate_due(session, channel_config, now=moment) == []
    with db.session() as session:
        assert [a.id for a in escalate_due(session, channel_config, now=at(30, 9, 15))] == [world.alerts["R-A1"]]
    counts = deliver_due(db, channel_config, now=at(30, 9, 46))
    assert counts["sent"] >= 1
    mails = [m for m in smtp_fake.messages if "manager@council.example" in m.rcpt_tos]
    assert len(mails) == 1
    assert "R-A1" in mails[0].message["Subject"] and f"/dashboard/alerts/{world.alerts['R-A1']}" in \
        mails[0].part("text/plain")
    assert "secret words" not in mails[0].part("text/plain")


def test_an_alert_raised_deep_in_a_request_follows_the_apps_settings(app, monkeypatch) -> None:  # noqa: ANN001
    """The link and the ways of telling the IRO come from the app's settings, not the environment."""
    import dataclasses

    from storage.alerts import raise_alert
    from storage.db import Database
    from storage.models import Invitation

    monkeypatch.setenv("PUBLIC_BASE_URL", "https://wrong.example.test")
    monkeypatch.setenv("ALERT_NOTIFY", "sms")
    settings = dataclasses.replace(app.config["HYS"], PUBLIC_BASE_URL="https://hys.council.example",
                                   ALERT_NOTIFY="email")
    db = Database(app.extensions["db"].url, settings=settings)
    try:
        with db.session() as session:
            world = build_world(session)
            session.get(Staff, world.iro_a).phone = "+447400123456"
            invitation = session.get(Invitation, world.invitations["R-A1:child"])
            alert = raise_alert(session, invitation, question_key=None, reason="harm words", categories="harm",
                                excerpt="words", now=at(23, 12))
            sent = session.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key.like(f"alert:{alert.id}:%"))
                                   ).all()
            assert [m.channel for m in sent] == ["email"]
            assert f"https://hys.council.example/dashboard/alerts/{alert.id}" in sent[0].body
    finally:
        db.dispose()
