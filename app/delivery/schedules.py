"""Recurring pulses: HR picks a survey, a team subtree, a cadence, a day and an hour,
and a length; `flask rounds tick` opens each round when it is due.

Times are worked out in the configured time zone (9:00 stays 9:00 across summer
time) and stored in UTC. A tick claims an occurrence by moving next_open_at on with a
compare-and-set, in the transaction that opens the round: two ticks at once open it
once. After a pause, only the latest occurrence is opened, and only while its window
still has an hour to run; older ones are reported as missed.
"""
import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from app import errors
from app.accounts import audit, scope
from app.db import write_transaction
from app.models import Schedule, Survey, Team, utcnow
from app.models.surveys import CADENCES
from app.numbers import whole_number
from app.pulse import rounds

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS_APART = {"monthly": 1, "quarterly": 3}
DAYS_APART = {"weekly": 7, "biweekly": 14}
LONGEST = {"weekly": 7, "biweekly": 14, "monthly": 28, "quarterly": rounds.MAX_DAYS}
LAST_DAY_OF_MONTH = 28  # every month has it
LEAST_TIME_LEFT = timedelta(hours=1)


class ScheduleError(errors.Invalid):
    """A schedule that cannot be made as asked; the message says why."""


class Overlap(errors.Conflict):
    """Another active schedule of the survey covers some of the same people, who would
    be asked twice."""


def create(survey_key, team_path, cadence, day, hour, days, actor, timezone, now=None):
    """Make a schedule from what HR typed (strings or ints); ScheduleError if wrong,
    Overlap if it would ask someone twice.

    day is a weekday (0 = Monday) for weekly and biweekly, a day of the month (1-28)
    for monthly and quarterly.
    """
    now = now or utcnow()
    survey_key = str(survey_key or "")
    # A key no survey can have (NUL, which PostgreSQL refuses in any query, or
    # overlong) is answered without asking the database.
    survey = None if "\0" in survey_key or len(survey_key) > Survey.key.max_length else \
        Survey.get_or_none((Survey.key == survey_key) & Survey.active)
    if survey is None:
        raise ScheduleError("Choose one of the surveys.")
    team = Team.by_path(team_path)
    if team is None:
        raise ScheduleError("Choose one of the teams.")
    if cadence not in CADENCES:
        raise ScheduleError(f"The cadence must be one of: {', '.join(CADENCES)}.")
    weekly = cadence in DAYS_APART
    day = _number(day, 0 if weekly else 1, 6 if weekly else LAST_DAY_OF_MONTH,
                  "Choose a day of the week." if weekly else
                  f"The day of the month must be from 1 to {LAST_DAY_OF_MONTH}, so that "
                  f"every month has it.")
    hour = _number(hour, 0, 23, "The hour must be from 0 to 23.")
    days = _number(days, 1, LONGEST[cadence],
                   f"A {cadence} round lasts 1 to {LONGEST[cadence]} days, so that it closes "
                   f"before the next one opens.")
    clash = _overlapping(survey, team)
    if clash is not None:
        raise Overlap(f"{survey.title} is already scheduled for {clash.team.path}, which "
                      f"overlaps {team.path}: a person would be asked twice. Pause or "
                      f"delete that schedule first.")
    schedule = Schedule(survey=survey, team=team, cadence=cadence, hour=hour, days=days,
                        weekday=day if weekly else None,
                        day_of_month=None if weekly else day, created_by=actor, created_at=now)
    schedule.next_open_at = first_occurrence(schedule, timezone, now)
    with write_transaction():
        schedule.save()
        audit.record(actor, "schedule pulse", f"{survey.title} for {team.path}", now,
                     cadence=describe(schedule), days=days)
    return schedule


def _number(value, low, high, message):
    number = whole_number(str(value).strip(), low, high)
    if number is None:
        raise ScheduleError(message)
    return number


def _overlapping(survey, team, ignore=None):
    for other in (Schedule.select(Schedule, Team).join(Team)
                  .where(Schedule.survey == survey, Schedule.active)):
        if other.id != getattr(ignore, "id", None) and (
                scope.within(team, other.team) or scope.within(other.team, team)):
            return other
    return None


def describe(schedule):
    """'Every Monday at 09:00' / 'On the 1st of every quarter at 09:00'."""
    at = f"{schedule.hour:02d}:00"
    if schedule.cadence == "weekly":
        return f"Every {WEEKDAYS[schedule.weekday]} at {at}"
    if schedule.cadence == "biweekly":
        return f"Every other {WEEKDAYS[schedule.weekday]} at {at}"
    nth = _ordinal(schedule.day_of_month)
    period = "month" if schedule.cadence == "monthly" else "quarter"
    return f"On the {nth} of every {period} at {at}"


def _ordinal(n):
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _utc(day, hour, timezone):
    local = datetime(day.year, day.month, day.day, hour, tzinfo=timezone)
    return local.astimezone(UTC).replace(tzinfo=None)


def _local_day(moment, timezone):
    return moment.replace(tzinfo=UTC).astimezone(timezone).date()


def _add_months(day, months):
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def first_occurrence(schedule, timezone, after):
    """The schedule's first opening strictly after `after` (naive UTC)."""
    day = _local_day(after, timezone)
    if schedule.cadence in DAYS_APART:
        day += timedelta(days=(schedule.weekday - day.weekday()) % 7)
        step = lambda d: d + timedelta(days=7)  # noqa: E731 - the next such weekday
    else:
        day = day.replace(day=schedule.day_of_month)
        step = lambda d: _add_months(d, 1)  # noqa: E731 - the next such day of a month
    while _utc(day, schedule.hour, timezone) <= after:
        day = step(day)
    return _utc(day, schedule.hour, timezone)


def following(schedule, occurrence, timezone):
    """The opening after `occurrence`, one cadence later."""
    day = _local_day(occurrence, timezone)
    if schedule.cadence in DAYS_APART:
        day += timedelta(days=DAYS_APART[schedule.cadence])
    else:
        day = _add_months(day, MONTHS_APART[schedule.cadence])
    return _utc(day, schedule.hour, timezone)


def closing(schedule, occurrence, timezone):
    """When the round opened at `occurrence` closes: `days` later, same local hour."""
    day = _local_day(occurrence, timezone) + timedelta(days=schedule.days)
    return _utc(day, schedule.hour, timezone)


@dataclass(frozen=True)
class Opened:
    schedule: Schedule
    round: object = None
    problem: str = ""


def open_due(min_group, timezone, now=None):
    """Open the round of every schedule that is due. Returns an Opened per schedule
    handled: with its round, or with the problem that kept it from opening."""
    now = now or utcnow()
    handled = []
    for schedule in Schedule.select().where(Schedule.active, Schedule.next_open_at <= now):
        outcome = _open_one(schedule, min_group, timezone, now)
        if outcome is not None:
            handled.append(outcome)
    return handled


def _open_one(schedule, min_group, timezone, now):
    claimed_at, occurrence = schedule.next_open_at, schedule.next_open_at
    upcoming = following(schedule, occurrence, timezone)
    while upcoming <= now:  # a long pause: only the latest occurrence may still run
        occurrence, upcoming = upcoming, following(schedule, upcoming, timezone)
    closes_at = closing(schedule, occurrence, timezone)
    with write_transaction():
        claimed = (Schedule.update(next_open_at=upcoming)
                   .where(Schedule.id == schedule.id, Schedule.next_open_at == claimed_at)
                   .execute())
        if not claimed:
            return None  # another tick has it
        if closes_at - now < LEAST_TIME_LEFT:
            problem = (f"The round due {occurrence:%Y-%m-%d %H:%M} UTC was not opened: "
                       f"no tick ran before its time was up.")
            Schedule.update(last_problem=problem).where(Schedule.id == schedule.id).execute()
            return Opened(schedule, problem=problem)
        try:
            round_ = rounds.open_round(schedule.survey_id, schedule.team.path, schedule.days,
                                       min_group, now=now, closes_at=closes_at)
        except rounds.RoundError as error:
            problem = f"The round due {occurrence:%Y-%m-%d %H:%M} UTC was not opened: {error}."
            Schedule.update(last_problem=problem).where(Schedule.id == schedule.id).execute()
            return Opened(schedule, problem=problem)
        (Schedule.update(last_round=round_, last_problem="")
         .where(Schedule.id == schedule.id).execute())
    return Opened(schedule, round=round_)


def set_active(schedule, active, actor, timezone, now=None):
    """Pause a schedule, or resume it from its next occurrence after now."""
    now = now or utcnow()
    if active and not schedule.active:
        clash = _overlapping(schedule.survey, schedule.team, ignore=schedule)
        if clash is not None:
            raise Overlap(f"{schedule.survey.title} is already scheduled for "
                          f"{clash.team.path}; pause that schedule first.")
    with write_transaction():
        (Schedule.update(active=active,
                         next_open_at=first_occurrence(schedule, timezone, now) if active
                         else None)
         .where(Schedule.id == schedule.id).execute())
        audit.record(actor, "resume schedule" if active else "pause schedule",
                     f"{schedule.survey.title} for {schedule.team.path}", now)


def delete(schedule, actor, now=None):
    """Delete a schedule; the rounds it opened stay."""
    with write_transaction():
        Schedule.delete().where(Schedule.id == schedule.id).execute()
        audit.record(actor, "delete schedule",
                     f"{schedule.survey.title} for {schedule.team.path}", now)


def listing():
    """Every schedule with its survey, team and last round, active ones first."""
    return list(Schedule.select(Schedule, Survey, Team).join(Survey)
                .join_from(Schedule, Team)
                .order_by(Schedule.active.desc(), Team.path, Survey.title))
