"""When invitations, reminders and closes are due: working days, send windows, review plans.

Pure rules, no I/O. Everything the outbox needs to decide *when* a step of an
invitation goes out:

- working-day arithmetic over England's or Wales's bank holidays (``holidays``
  library, substitute days included);
- ``next_send_time``: the earliest moment inside the daily send window, never on a
  Sunday if so configured, computed in local (Europe/London) wall-clock time so that
  it stays right across the clock changes;
- ``plan``: the steps of the consultation before a review or the feedback survey
  after it, each with a due time in UTC;
- ``triage`` / ``due_steps``: which steps to send now and which to skip for good;
- ``messaged_directly``: whether a respondent gets messages in their own name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from surveys.schema import ROLES

Phase = Literal["consultation", "feedback"]
StepName = Literal[
    "invite", "reminder_1", "reminder_2", "close",
    "feedback_invite", "feedback_reminder", "feedback_close",
]
HolidayRegion = Literal["ENG", "WLS"]

HOLIDAY_REGIONS: tuple[str, ...] = ("ENG", "WLS")
# The council's time zone when none is configured (config's TIMEZONE default).
DEFAULT_TIMEZONE = "Europe/London"
PHASES: tuple[str, ...] = ("consultation", "feedback")

# Children younger than this are not messaged themselves: their carer's link is used.
DIRECT_MESSAGE_MIN_AGE = 8
_CHILD_ROLES = frozenset({"child", "care_leaver"})

_ONE_DAY = timedelta(days=1)
_SUNDAY = 6


@dataclass(frozen=True)
class ScheduleRules:
    """The configurable timing rules; build from settings with ``ScheduleRules.from_settings``."""

    invite_working_days_before: int = 10
    # One reminder per entry, earliest first; step names are reminder_1, reminder_2, ...
    reminder_working_days_before: tuple[int, ...] = (5, 2)
    feedback_days_after: int = 2
    feedback_reminder_days_after: int = 7  # counted from the feedback invite
    feedback_close_days_after: int = 28  # counted from the feedback invite
    send_window: tuple[time, time] = (time(8, 0), time(20, 0))
    no_sunday: bool = True
    timezone: str = DEFAULT_TIMEZONE
    holiday_region: HolidayRegion = "ENG"
    consultation_send_time: time = time(9, 0)
    feedback_send_time: time = time(10, 0)

    def __post_init__(self) -> None:
        # Normalise a list given by a caller so the rules stay hashable (they key caches).
        if not isinstance(self.reminder_working_days_before, tuple):
            object.__setattr__(self, "reminder_working_days_before",
                               tuple(self.reminder_working_days_before))
        if not isinstance(self.send_window, tuple):
            object.__setattr__(self, "send_window", tuple(self.send_window))
        problems = _rule_problems(self)
        if problems:
            raise ValueError("invalid schedule rules: " + "; ".join(problems))

    @property
    def zone(self) -> ZoneInfo:
        """The local time zone all wall-clock times are in."""
        return _zone(self.timezone)

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> ScheduleRules:
        """Build rules from a mapping of settings; raise ``ValueError`` naming any bad value.

        Accepts the field names (``invite_working_days_before=10``) and the environment
        names used by ``config.Config`` (``INVITE_WORKING_DAYS="10"``,
        ``REMINDER_WORKING_DAYS="5,2"``, ``SEND_WINDOW="08:00-20:00"``,
        ``NO_SUNDAY_SENDS="true"``, ``TIMEZONE``, ``HOLIDAY_REGION``, ...), with values
        either typed or as strings. Other upper-case keys are ignored so that a whole
        settings object can be passed; an unknown lower-case key is refused, because it
        can only be a misspelt rule.
        """
        known = {f.name for f in fields(cls)}
        values: dict[str, Any] = {}
        for key, raw in settings.items():
            name = _SETTING_ALIASES.get(key, key)
            if name not in known:
                if key.islower():
                    raise ValueError(f"unknown schedule setting {key!r}")
                continue
            if raw is None:
                continue
            try:
                values[name] = _PARSERS[name](raw)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"schedule setting {key}: {exc}") from None
        return cls(**values)


_SETTING_ALIASES: dict[str, str] = {
    "INVITE_WORKING_DAYS": "invite_working_days_before",
    "REMINDER_WORKING_DAYS": "reminder_working_days_before",
    "FEEDBACK_DAYS_AFTER": "feedback_days_after",
    "FEEDBACK_REMINDER_DAYS_AFTER": "feedback_reminder_days_after",
    "FEEDBACK_CLOSE_DAYS_AFTER": "feedback_close_days_after",
    "SEND_WINDOW": "send_window",
    "NO_SUNDAY_SENDS": "no_sunday",
    "TIMEZONE": "timezone",
    "HOLIDAY_REGION": "holiday_region",
    "CONSULTATION_SEND_TIME": "consultation_send_time",
    "FEEDBACK_SEND_TIME": "feedback_send_time",
}


def _parse_int(raw: Any) -> int:
    if isinstance(raw, bool):
        raise ValueError(f"expected a whole number, not {raw!r}")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and raw.strip().lstrip("-").isdigit():
        return int(raw.strip())
    raise ValueError(f"expected a whole number, not {raw!r}")


def _parse_int_tuple(raw: Any) -> tuple[int, ...]:
    if isinstance(raw, str):
        parts = [p for p in raw.replace(" ", "").split(",") if p]
        return tuple(_parse_int(p) for p in parts)
    if isinstance(raw, Iterable):
        return tuple(_parse_int(p) for p in raw)
    raise ValueError(f"expected a list of whole numbers such as '5,2', not {raw!r}")


def _parse_time(raw: Any) -> time:
    if isinstance(raw, time):
        return raw
    if isinstance(raw, str):
        try:
            return time.fromisoformat(raw.strip())
        except ValueError:
            pass
    raise ValueError(f"expected a time such as '09:00', not {raw!r}")


def _parse_window(raw: Any) -> tuple[time, time]:
    if isinstance(raw, str):
        parts = raw.split("-")
        if len(parts) != 2:
            raise ValueError(f"expected a window such as '08:00-20:00', not {raw!r}")
        return (_parse_time(parts[0]), _parse_time(parts[1]))
    if isinstance(raw, Iterable):
        parts = list(raw)
        if len(parts) == 2:
            return (_parse_time(parts[0]), _parse_time(parts[1]))
    raise ValueError(f"expected a window such as '08:00-20:00', not {raw!r}")


def _parse_bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if isinstance(raw, str) and raw.strip().lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"expected true or false, not {raw!r}")


def _parse_str(raw: Any) -> str:
    if isinstance(raw, str):
        return raw.strip()
    raise ValueError(f"expected text, not {raw!r}")


_PARSERS = {
    "invite_working_days_before": _parse_int,
    "reminder_working_days_before": _parse_int_tuple,
    "feedback_days_after": _parse_int,
    "feedback_reminder_days_after": _parse_int,
    "feedback_close_days_after": _parse_int,
    "send_window": _parse_window,
    "no_sunday": _parse_bool,
    "timezone": _parse_str,
    "holiday_region": lambda raw: _parse_str(raw).upper(),
    "consultation_send_time": _parse_time,
    "feedback_send_time": _parse_time,
}


def _rule_problems(rules: ScheduleRules) -> list[str]:
    problems: list[str] = []
    invite = rules.invite_working_days_before
    if not isinstance(invite, int) or isinstance(invite, bool) or invite < 1:
        problems.append(f"invite_working_days_before must be a whole number of at least 1, not {invite!r}")
        invite = None
    reminders = rules.reminder_working_days_before
    if not all(isinstance(r, int) and not isinstance(r, bool) and r >= 1 for r in reminders):
        problems.append(f"reminder_working_days_before must be whole numbers of at least 1, not {reminders!r}")
    elif list(reminders) != sorted(set(reminders), reverse=True):
        problems.append(f"reminder_working_days_before must be distinct and in falling order (earliest reminder first), not {reminders!r}")
    elif invite is not None and reminders and reminders[0] >= invite:
        problems.append(f"every reminder must come after the invite ({invite} working days before), not {reminders[0]}")
    for name in ("feedback_days_after", "feedback_reminder_days_after", "feedback_close_days_after"):
        value = getattr(rules, name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            problems.append(f"{name} must be a whole number of 0 or more, not {value!r}")
    if (isinstance(rules.feedback_reminder_days_after, int)
            and isinstance(rules.feedback_close_days_after, int)
            and not 0 < rules.feedback_reminder_days_after < rules.feedback_close_days_after):
        problems.append("the feedback reminder must come after the feedback invite and before the feedback close")
    window = rules.send_window
    if (len(window) != 2 or not all(isinstance(t, time) and t.tzinfo is None for t in window)
            or not window[0] < window[1]):
        problems.append(f"send_window must be two local times, start before end, not {window!r}")
    for name in ("consultation_send_time", "feedback_send_time"):
        value = getattr(rules, name)
        if not isinstance(value, time) or value.tzinfo is not None:
            problems.append(f"{name} must be a local time, not {value!r}")
    if rules.holiday_region not in HOLIDAY_REGIONS:
        problems.append(f"holiday_region must be ENG (England) or WLS (Wales), not {rules.holiday_region!r}")
    try:
        _zone(rules.timezone)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        problems.append(f"unknown timezone {rules.timezone!r}")
    return problems


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


# ---------------------------------------------------------------- working days

@lru_cache(maxsize=512)
def bank_holidays(region: str, year: int) -> frozenset[date]:
    """The bank holidays (substitute days included) of England or Wales in one year."""
    if region not in HOLIDAY_REGIONS:
        raise ValueError(f"holiday region must be ENG or WLS, not {region!r}")
    # Neighbouring years too, so a substitute day that spilled over a year end is not lost.
    calendar = holidays.country_holidays("GB", subdiv=region, years=(year - 1, year, year + 1))
    return frozenset(d for d in calendar if d.year == year)


def is_working_day(d: date, rules: ScheduleRules) -> bool:
    """Monday to Friday and not a bank holiday in the rules' region."""
    return d.weekday() < 5 and d not in bank_holidays(rules.holiday_region, d.year)


def _check_days(n: int) -> None:
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise ValueError(f"number of working days must be a whole number of 0 or more, not {n!r}")


def subtract_working_days(d: date, n: int, rules: ScheduleRules) -> date:
    """The working day ``n`` working days before ``d`` (``d`` itself when ``n`` is 0).

    For n >= 1 the result is a working day and exactly ``n`` working days lie in the
    span [result, d): the invitation day counts, the review day does not.
    """
    _check_days(n)
    current = d
    while n:
        current -= _ONE_DAY
        if is_working_day(current, rules):
            n -= 1
    return current


def add_working_days(d: date, n: int, rules: ScheduleRules) -> date:
    """The ``n``-th working day after ``d`` (``d`` itself when ``n`` is 0).

    For n >= 1 the result is a working day and exactly ``n`` working days lie in (d, result].
    """
    _check_days(n)
    current = d
    while n:
        current += _ONE_DAY
        if is_working_day(current, rules):
            n -= 1
    return current


# ---------------------------------------------------------------- send window

def _require_aware(moment: datetime, what: str) -> None:
    if not isinstance(moment, datetime) or moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be a timezone-aware datetime, not {moment!r}")


def _local_instant(day: date, at: time, zone: ZoneInfo, not_before: datetime | None = None) -> datetime:
    """The first UTC instant at which the local clock shows ``at`` on ``day``.

    At a clock change the wall time may occur twice (autumn) or not at all (spring): the
    first occurrence is used, or the second when the first is already before
    ``not_before``; a missing time resolves to the same distance after the jump.
    """
    wall = datetime.combine(day, at, tzinfo=zone).replace(fold=0)
    instant = wall.astimezone(UTC)
    if not_before is not None and instant < not_before:
        instant = wall.replace(fold=1).astimezone(UTC)
    return instant


def _sendable_day(d: date, rules: ScheduleRules) -> bool:
    return not (rules.no_sunday and d.weekday() == _SUNDAY)


def next_send_time(moment: datetime, rules: ScheduleRules) -> datetime:
    """The earliest moment >= ``moment`` inside the daily send window (in UTC).

    The window [start, end) is local wall-clock time in ``rules.timezone``; Sundays are
    skipped when ``rules.no_sunday``. Bank holidays are not skipped here: they matter
    for the working-day offsets, not for whether a message may go out.
    """
    _require_aware(moment, "moment")
    zone = rules.zone
    start, end = rules.send_window
    moment_utc = moment.astimezone(UTC)
    local = moment_utc.astimezone(zone)
    day = local.date()
    if _sendable_day(day, rules):
        wall = local.time().replace(tzinfo=None, fold=0)
        if start <= wall < end:
            return moment_utc
        if wall < start:
            return _local_instant(day, start, zone, not_before=moment_utc)
    day += _ONE_DAY
    while not _sendable_day(day, rules):
        day += _ONE_DAY
    return _local_instant(day, start, zone)


def in_send_window(moment: datetime, rules: ScheduleRules) -> bool:
    """Whether a message may go out at this moment (inside the window, not a barred Sunday)."""
    _require_aware(moment, "moment")
    local = moment.astimezone(rules.zone)
    start, end = rules.send_window
    return _sendable_day(local.date(), rules) and start <= local.time().replace(tzinfo=None, fold=0) < end


# ---------------------------------------------------------------- plans

@dataclass(frozen=True, order=True)
class Step:
    """One step of an invitation's life: a message to send, or the close of its form."""

    due_at: datetime  # aware, UTC
    name: StepName = field(compare=False)

    @property
    def phase(self) -> Phase:
        return "feedback" if self.name.startswith("feedback_") else "consultation"

    @property
    def kind(self) -> Literal["invite", "reminder", "close"]:
        """invite, reminder or close, whichever the phase."""
        if self.name.endswith("invite"):
            return "invite"
        if self.name.endswith("close"):
            return "close"
        return "reminder"

    @property
    def sends_message(self) -> bool:
        """False for a close (it changes state, sends nothing, ignores the send window)."""
        return self.kind != "close"


def plan(review_date: date, phase: Phase, rules: ScheduleRules, *, held: bool = False) -> list[Step]:
    """The steps of one phase for a review on ``review_date``, in time order.

    consultation: ``invite`` at 09:00 local on the working day
    ``invite_working_days_before`` working days before the review, ``reminder_1``,
    ``reminder_2``, ... at 09:00 on the configured working days before, ``close`` at
    the start (00:00 local) of the review date. ``held`` does not change it: a review
    that is postponed is re-planned with its new date.

    feedback: only for a review recorded as held (``held=True``; otherwise there is
    nothing to plan yet and the list is empty). ``feedback_invite`` at 10:00 local on
    review_date + ``feedback_days_after`` days, ``feedback_reminder``
    ``feedback_reminder_days_after`` days after the invite, ``feedback_close``
    ``feedback_close_days_after`` days after the invite (same wall-clock time).

    Every message step is moved to the next allowed send time; closes are not.
    """
    if phase not in PHASES:
        raise ValueError(f"phase must be consultation or feedback, not {phase!r}")
    if not isinstance(review_date, date) or isinstance(review_date, datetime):
        raise ValueError(f"review_date must be a date, not {review_date!r}")
    zone = rules.zone
    at = rules.consultation_send_time
    if phase == "consultation":
        invite_day = subtract_working_days(review_date, rules.invite_working_days_before, rules)
        steps = [Step(next_send_time(_local_instant(invite_day, at, zone), rules), "invite")]
        for number, days in enumerate(rules.reminder_working_days_before, start=1):
            day = subtract_working_days(review_date, days, rules)
            steps.append(Step(next_send_time(_local_instant(day, at, zone), rules),
                              f"reminder_{number}"))  # type: ignore[arg-type]
        steps.append(Step(_local_instant(review_date, time(0, 0), zone), "close"))
        return sorted(steps)
    if not held:
        return []
    at = rules.feedback_send_time
    invite_day = review_date + timedelta(days=rules.feedback_days_after)
    invite = next_send_time(_local_instant(invite_day, at, zone), rules)
    invite_local = invite.astimezone(zone)
    reminder_day = invite_local.date() + timedelta(days=rules.feedback_reminder_days_after)
    close_day = invite_local.date() + timedelta(days=rules.feedback_close_days_after)
    wall = invite_local.time().replace(tzinfo=None, fold=0)
    return sorted([
        Step(invite, "feedback_invite"),
        Step(next_send_time(_local_instant(reminder_day, at, zone), rules), "feedback_reminder"),
        Step(_local_instant(close_day, wall, zone), "feedback_close"),
    ])


@dataclass(frozen=True)
class Triage:
    """What to do with a plan at one moment: steps to carry out now, steps never to send."""

    send: list[Step]
    skip: list[Step]


def triage(steps: Iterable[Step], now: datetime, done: set[str] | frozenset[str]) -> Triage:
    """Split the due, not yet done steps of a plan into those to carry out now and those to skip.

    Rules, per phase:
    - a close is carried out once due;
    - once the close is due (or done), no invite or reminder of that phase goes out;
    - the invite goes out once due, however late (planning after its time: at once);
    - a reminder is skipped when a later step of its phase is already due (it would
      arrive together with, or after, the next message), or when the invite has not
      been done yet (a reminder straight after a late invite is noise).

    The caller must record skipped steps as done (e.g. with status "skipped"): the
    last rule depends on ``done``, so a skipped reminder would otherwise come back
    once the invite is done.
    """
    _require_aware(now, "now")
    by_phase: dict[str, list[Step]] = {}
    for step in sorted(steps):
        by_phase.setdefault(step.phase, []).append(step)
    send: list[Step] = []
    skip: list[Step] = []
    for phase_steps in by_phase.values():
        due = [s for s in phase_steps if s.due_at <= now]
        closed = any(s.kind == "close" and (s.name in done or s.due_at <= now) for s in phase_steps)
        invite_done = any(s.kind == "invite" and s.name in done for s in phase_steps)
        for step in due:
            if step.name in done:
                continue
            later_due = any(s.due_at <= now for s in phase_steps if s.due_at > step.due_at)
            if step.kind == "close":
                send.append(step)
            elif closed:
                skip.append(step)
            elif step.kind == "invite":
                send.append(step)
            elif not invite_done or later_due:
                skip.append(step)
            else:
                send.append(step)
    return Triage(sorted(send), sorted(skip))


def due_steps(steps: Iterable[Step], now: datetime, done: set[str] | frozenset[str]) -> list[Step]:
    """The steps to carry out at ``now`` (see ``triage`` for the rules and what to skip)."""
    return triage(steps, now, done).send


# ---------------------------------------------------------------- who gets messages

def messaged_directly(role: str, age: int | None) -> bool:
    """Whether this respondent is messaged in their own name.

    Children and care leavers under 8 are not: the invitation goes through their
    carer's link instead. Adults (parents, carers, professionals) always are; ``age``
    is the child's age and does not matter for them.
    """
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r} (expected one of: {', '.join(ROLES)})")
    if role not in _CHILD_ROLES:
        return True
    if not isinstance(age, int) or isinstance(age, bool) or age < 0:
        raise ValueError(f"a {role}'s age must be a whole number of 0 or more, not {age!r}")
    return age >= DIRECT_MESSAGE_MIN_AGE


def local_date(moment: datetime, timezone: str = DEFAULT_TIMEZONE) -> date:
    """The council's calendar date at ``moment`` (an aware datetime) in ``timezone``."""
    _require_aware(moment, "moment")
    return moment.astimezone(_zone(timezone)).date()


def feedback_open_on(phase: str, review_date: date | None, today: date) -> bool:
    """Whether a form of ``phase`` may open and take answers on the council's date ``today``.

    A post-review feedback survey asks how the review went, so it opens on the review's
    date and never before; a consultation is not held back by this rule.
    """
    return phase != "feedback" or review_date is None or today >= review_date


def feedback_open(phase: str, review_date: date | None, moment: datetime, timezone: str = DEFAULT_TIMEZONE) -> bool:
    """``feedback_open_on`` at ``moment``: the date is the council's (``timezone``), not UTC's
    (00:30 in June is still the day before in UTC)."""
    return feedback_open_on(phase, review_date, local_date(moment, timezone))
