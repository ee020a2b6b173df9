"""Schedule rules: working days over bank holidays, send windows across clock changes, plans, triage."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from surveys.schedule import (
    ScheduleRules,
    Step,
    add_working_days,
    bank_holidays,
    in_send_window,
    is_working_day,
    messaged_directly,
    next_send_time,
    plan,
    subtract_working_days,
    triage,
)

RULES = ScheduleRules()


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_bank_holidays_come_from_the_holidays_library_with_substitute_days():
    days = bank_holidays("ENG", 2026)
    # Boxing Day 2026 is a Saturday: the substitute is Monday 28 December.
    assert date(2026, 12, 25) in days and date(2026, 12, 28) in days
    assert {date(2026, 4, 3), date(2026, 4, 6), date(2026, 5, 4), date(2026, 5, 25), date(2026, 8, 31)} <= days
    # The eight bank holidays plus the substitute for Boxing Day (Saturday 26 stays listed).
    assert len(days) == 9 and date(2026, 12, 26) in days
    assert not is_working_day(date(2026, 12, 28), RULES)
    assert is_working_day(date(2026, 12, 24), RULES)
    with pytest.raises(ValueError):
        bank_holidays("SCT", 2026)


def test_working_days_skip_weekends_and_christmas():
    assert subtract_working_days(date(2026, 12, 29), 10, RULES) == date(2026, 12, 11)
    assert subtract_working_days(date(2026, 12, 29), 2, RULES) == date(2026, 12, 23)
    assert subtract_working_days(date(2026, 12, 29), 0, RULES) == date(2026, 12, 29)
    assert add_working_days(date(2026, 12, 24), 1, RULES) == date(2026, 12, 29)
    with pytest.raises(ValueError):
        subtract_working_days(date(2026, 12, 29), -1, RULES)


def test_consultation_plan_over_christmas_in_gmt():
    steps = plan(date(2026, 12, 29), "consultation", RULES)
    assert [(s.name, s.due_at) for s in steps] == [
        ("invite", utc(2026, 12, 11, 9)),
        ("reminder_1", utc(2026, 12, 18, 9)),
        ("reminder_2", utc(2026, 12, 23, 9)),
        ("close", utc(2026, 12, 29, 0)),
    ]


def test_consultation_plan_over_easter_in_bst():
    # Good Friday 3 April and Easter Monday 6 April 2026; the clocks went forward on 29 March.
    steps = plan(date(2026, 4, 7), "consultation", RULES)
    assert [(s.name, s.due_at) for s in steps] == [
        ("invite", utc(2026, 3, 20, 9)),  # GMT: 09:00 local is 09:00 UTC
        ("reminder_1", utc(2026, 3, 27, 9)),
        ("reminder_2", utc(2026, 4, 1, 8)),  # BST: 09:00 local is 08:00 UTC
        ("close", utc(2026, 4, 6, 23)),  # midnight local at the start of the review day
    ]


def test_feedback_plan_needs_a_held_review_and_moves_off_sundays():
    assert plan(date(2026, 12, 29), "feedback", RULES) == []
    steps = plan(date(2026, 12, 29), "feedback", RULES, held=True)
    assert [(s.name, s.due_at) for s in steps] == [
        ("feedback_invite", utc(2026, 12, 31, 10)),
        ("feedback_reminder", utc(2027, 1, 7, 10)),
        ("feedback_close", utc(2027, 1, 28, 10)),
    ]
    # Review on Friday 1 May 2026 (BST): +2 days is Sunday, so Monday (a bank holiday, but
    # bank holidays only matter to working-day offsets) at 08:00 local, the window's start.
    steps = plan(date(2026, 5, 1), "feedback", RULES, held=True)
    assert steps[0] == Step(utc(2026, 5, 4, 7), "feedback_invite")
    with pytest.raises(ValueError):
        plan(date(2026, 5, 1), "aftercare", RULES)  # type: ignore[arg-type]


def test_send_window_and_sundays():
    assert next_send_time(utc(2026, 12, 11, 9), RULES) == utc(2026, 12, 11, 9)
    assert next_send_time(utc(2026, 12, 11, 20), RULES) == utc(2026, 12, 12, 8)  # Fri 20:00 -> Sat 08:00
    assert next_send_time(utc(2026, 12, 12, 20, 30), RULES) == utc(2026, 12, 14, 8)  # Sat night -> Monday
    assert next_send_time(utc(2026, 6, 1, 6, 30), RULES) == utc(2026, 6, 1, 7)  # 07:30 BST -> 08:00 BST
    assert in_send_window(utc(2026, 6, 1, 7), RULES)
    assert not in_send_window(utc(2026, 6, 1, 19), RULES)  # 20:00 BST
    assert not in_send_window(utc(2026, 6, 7, 12), RULES)  # Sunday
    sundays_allowed = ScheduleRules(no_sunday=False)
    assert in_send_window(utc(2026, 6, 7, 12), sundays_allowed)
    with pytest.raises(ValueError):
        next_send_time(datetime(2026, 6, 1, 9), RULES)


def test_rules_from_settings_and_refusals():
    rules = ScheduleRules.from_settings({"INVITE_WORKING_DAYS": "12", "REMINDER_WORKING_DAYS": "6,3,1",
                                         "SEND_WINDOW": "09:00-18:00", "NO_SUNDAY_SENDS": "false",
                                         "SECRET_KEY": "ignored"})
    assert rules.invite_working_days_before == 12
    assert rules.reminder_working_days_before == (6, 3, 1)
    assert rules.send_window == (time(9), time(18))
    assert rules.no_sunday is False
    assert [s.name for s in plan(date(2026, 12, 29), "consultation", rules)] == [
        "invite", "reminder_1", "reminder_2", "reminder_3", "close"]
    for bad in ({"REMINDER_WORKING_DAYS": "2,5"}, {"SEND_WINDOW": "20:00-08:00"}, {"HOLIDAY_REGION": "NI"},
                {"INVITE_WORKING_DAYS": "ten"}, {"timezone": "Mars/Olympus"}, {"invite_days": 3}):
        with pytest.raises(ValueError):
            ScheduleRules.from_settings(bad)


def test_triage_sends_due_steps_and_skips_stale_reminders():
    steps = plan(date(2026, 12, 29), "consultation", RULES)
    assert triage(steps, utc(2026, 12, 11, 8, 59), frozenset()).send == []
    first = triage(steps, utc(2026, 12, 11, 9), frozenset())
    assert [s.name for s in first.send] == ["invite"] and first.skip == []
    assert [s.name for s in triage(steps, utc(2026, 12, 18, 9), {"invite"}).send] == ["reminder_1"]
    # Invite planned late (after reminder 1 was due): invite at once, reminder 1 never.
    late = triage(steps, utc(2026, 12, 21, 10), frozenset())
    assert [s.name for s in late.send] == ["invite"] and [s.name for s in late.skip] == ["reminder_1"]
    # Worker down until after reminder 2: only reminder 2 goes out.
    behind = triage(steps, utc(2026, 12, 23, 12), {"invite"})
    assert [s.name for s in behind.send] == ["reminder_2"] and [s.name for s in behind.skip] == ["reminder_1"]
    # Once closed nothing more is sent.
    closed = triage(steps, utc(2026, 12, 29, 0), {"invite", "reminder_1"})
    assert [s.name for s in closed.send] == ["close"] and [s.name for s in closed.skip] == ["reminder_2"]


def test_children_under_eight_are_not_messaged_directly():
    assert messaged_directly("child", 8)
    assert not messaged_directly("child", 7)
    assert messaged_directly("carer", 3)
    with pytest.raises(ValueError):
        messaged_directly("teacher", 9)
    with pytest.raises(ValueError):
        messaged_directly("child", None)
