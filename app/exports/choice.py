"""What an export covers: closed rounds (one, a range of close dates, or all) and a
team subtree, chosen from filters a person typed, each refused with a sentence."""
import re
from dataclasses import dataclass
from datetime import date, datetime

from app import errors, text
from app.accounts import scope
from app.models import Round, Team
from app.numbers import row_id

ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # ASCII digits only


class ExportError(errors.Invalid):
    """An export that cannot be made as asked; the message says why."""


class NotFound(errors.NotFound):
    """No such round, team or kind of export."""


class NotAllowed(errors.NotAllowed):
    """Comments may not be exported (by this person, or at all)."""


@dataclass
class Selection:
    """The closed rounds (oldest first) and the team subtree an export covers."""
    rounds: list
    team: Team | None = None
    round_id: int | None = None
    since: date | None = None
    until: date | None = None

    def scope_of(self, round_):
        """The group a round's rows start from: the round's team, or the chosen team
        when it lies below it."""
        if self.team is not None and scope.within(self.team, round_.team):
            return self.team
        return round_.team

    def filters(self):
        """What was asked for, as plain values for the audit log."""
        return {"round": self.round_id, "since": _iso(self.since), "until": _iso(self.until),
                "team": self.team.path if self.team else None}


def _iso(day):
    return day.isoformat() if day else None


def choose(round_id=None, since=None, until=None, team_path=None):
    """The Selection for filters a person gave: text as typed (the command line), or the
    round's id and the days already parsed (the web form); None for "not given".

    One round, or every closed round closed between `since` and `until` (both
    optional, both inclusive), limited to rounds that cover the team's subtree.
    """
    round_id, since, until, team_path = (
        (value.strip() or None) if isinstance(value, str) else value
        for value in (round_id, since, until, team_path))
    team = None
    if team_path is not None:
        team = Team.by_path(team_path)
        if team is None:
            raise NotFound(f"There is no team “{_shown(team_path)}”. Team paths look like "
                           f"Engineering/Platform.")
    if round_id is not None:
        if since or until:
            raise ExportError("Choose one round or a range of dates, not both.")
        round_ = _closed_round(round_id, team)
        return Selection([round_], team, round_id=round_.id)
    since_day, until_day = parse_day(since), parse_day(until)
    if since_day and until_day and since_day > until_day:
        raise ExportError(f"The range starts ({since_day}) after it ends ({until_day}).")
    query = (Round.select(Round, Team).join(Team).where(Round.closed_at.is_null(False))
             .order_by(Round.closes_at, Round.id))
    if since_day:
        query = query.where(Round.closes_at >= datetime.combine(since_day, datetime.min.time()))
    if until_day:
        query = query.where(Round.closes_at <= datetime.combine(until_day, datetime.max.time()))
    rounds = [r for r in query if team is None or _covers(r, team)]
    if not rounds:
        raise ExportError(_nothing_closed(since_day, until_day, team))
    return Selection(rounds, team, since=since_day, until=until_day)


def _covers(round_, team):
    return scope.within(team, round_.team) or scope.within(round_.team, team)


def parse_round_id(raw):
    """A round's id from text (an int passes as it is); NotFound if no round can have it."""
    number = raw if type(raw) is int else row_id(raw)
    if number is None:
        raise NotFound(f"There is no round “{_shown(raw)}”.")
    return number


def _closed_round(raw, team):
    round_id = parse_round_id(raw)
    round_ = Round.select(Round, Team).join(Team).where(Round.id == round_id).first()
    if round_ is None:
        raise NotFound(f"There is no round “{_shown(str(raw))}”.")
    if round_.closed_at is None:
        raise ExportError(f"“{round_.name}” is still open; its themes can be exported once "
                          f"it closes ({round_.closes_at:%-d %B %Y}).")
    if team is not None and not _covers(round_, team):
        raise ExportError(f"“{round_.name}” did not ask anyone in {team.path}.")
    return round_


def _shown(raw):
    """What a person typed, shortened and without characters that cannot be shown."""
    return text.ONE_LINE_FORBIDDEN.sub("\ufffd", raw[:40])


def parse_day(typed):
    """A day written YYYY-MM-DD (a date passes as it is; None stays None), else
    ExportError."""
    if typed is None or isinstance(typed, date):
        return typed
    try:
        if not ISO_DATE.fullmatch(typed):
            raise ValueError
        return date.fromisoformat(typed)
    except ValueError:
        raise ExportError(f"“{_shown(typed)}” is not a date; write dates as YYYY-MM-DD, "
                          f"e.g. 2026-03-31.") from None


def _nothing_closed(since, until, team):
    if since and until:
        when = f"between {since} and {until}"
    elif since:
        when = f"on or after {since}"
    elif until:
        when = f"on or before {until}"
    else:
        when = "yet"
    where = f" for {team.path}" if team else ""
    return f"No round closed {when}{where}, so there is nothing to export."
