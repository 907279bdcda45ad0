"""Rounds: open one for a team subtree with a personal link per person, close them."""
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from app import keys, links, releases
from app.db import db
from app.models import Invitation, PendingAnswer, Person, Round, Survey, Team, utcnow

MAX_DAYS = 90


class RoundError(ValueError):
    """A round cannot be opened or found; the message says why."""


@dataclass(frozen=True)
class PersonalLink:
    email: str
    round: Round
    url: str


def open_round(survey_key, team_path, days, min_group, now=None, closes_at=None):
    """Open a round of a survey for everyone active in a team's subtree, for `days`
    (or until `closes_at`, for a schedule's round opened late).

    Each invitation records the group its answer will be stored under: the person's
    team if at least min_group people of it are invited, else the nearest team above
    that is large enough (or the round's own team).
    """
    now = now or utcnow()
    survey = Survey.get_or_none((Survey.key == survey_key) & Survey.active)
    if survey is None:
        known = ", ".join(s.key for s in Survey.select().where(Survey.active)) or "none"
        raise RoundError(f"no survey {survey_key!r} (known: {known}); run 'flask surveys sync'?")
    team = Team.by_path(team_path)
    if team is None:
        raise RoundError(f"no team {team_path!r}; team paths look like Engineering/Platform")
    if not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise RoundError(f"a round lasts 1 to {MAX_DAYS} days, not {days!r}")
    clash = _overlapping_round(survey, team, now)
    if clash is not None:
        raise RoundError(f"round {clash.id} of {survey.key} is open for {clash.team.path} "
                         f"until {clash.closes_at:%Y-%m-%d %H:%M} UTC and covers the same people")
    people = list(Person.select().where(Person.active, Person.team.in_(team.subtree())))
    if not people:
        raise RoundError(f"nobody active in {team.path} or below; import the roster first")
    with db.atomic():
        round_ = Round.create(
            survey=survey, team=team, opens_at=now,
            closes_at=closes_at or now + timedelta(days=days),
            name=f"{survey.title} · {now:%-d %b %Y}", data_key=keys.current().new_data_key())
        counted = _counting_teams(team, people, min_group)
        invitations = []
        for person in people:
            salt = links.new_salt()
            invitations.append({"round": round_.id, "person": person.id, "team": person.team_id,
                                "counted_team": counted[person.team_id], "salt": salt,
                                "token_hash": links.token_hash(links.token_for(salt))})
        for start in range(0, len(invitations), 500):
            Invitation.insert_many(invitations[start:start + 500]).execute()
    return round_


def _counting_teams(scope, people, min_group):
    """team id -> id of the smallest team at or above it, within scope, with at least
    min_group of these people in its subtree."""
    return counting_teams(scope, Counter(person.team_id for person in people), min_group)


def counting_teams(scope, headcount, min_group):
    """For every team of scope's subtree, the id of the smallest team at or above it
    (within scope) with at least min_group people in its subtree, else scope's.

    headcount: team id -> people counted in that team itself (invited, or about to be).
    """
    teams = {t.id: t for t in scope.subtree()}

    def upwards(team_id):
        team = teams[team_id]
        yield team
        while team.id != scope.id:
            team = teams[team.parent_id]
            yield team

    in_subtree = Counter()
    for team_id, count in headcount.items():
        for team in upwards(team_id):
            in_subtree[team.id] += count
    return {team_id: next(team.id for team in upwards(team_id)
                          if in_subtree[team.id] >= min_group or team.id == scope.id)
            for team_id in teams}


def _overlapping_round(survey, team, now):
    subtree_ids = {t.id for t in team.subtree()}
    ancestor_ids = {t.id for t in team.ancestors()}
    for round_ in Round.open_at(now).where(Round.survey == survey):
        if round_.team_id in subtree_ids | ancestor_ids:
            return round_
    return None


def close_round(round_, now=None):
    """Mark a round closed, then release every answer still pending in it. Returns
    False when it was closed already (by another tick a moment ago, say)."""
    closed = (Round.update(closed_at=now or utcnow())
              .where(Round.id == round_.id, Round.closed_at.is_null()).execute())
    releases.release_round(round_)
    return bool(closed)


def close_due(now=None):
    """Close every round whose time is up. Returns the rounds closed.

    Also releases answers left pending in rounds closed earlier: one that was being
    sent at the very moment of the close commits after the close's own release.
    """
    due = [round_ for round_ in Round.due_to_close(now) if close_round(round_, now)]
    for round_ in Round.select().where(Round.closed_at.is_null(False),
                                       Round.id.in_(PendingAnswer.select(PendingAnswer.round))):
        releases.release_round(round_)
    return due


def links_for_person(email, base_url, now=None):
    """A person's personal links for the rounds open now."""
    person = Person.by_email(email)
    if person is None:
        raise RoundError(f"nobody with the email {email!r} in the roster")
    invitations = (Invitation.select(Invitation, Round).join(Round)
                   .where(Invitation.person == person,
                          Round.id.in_(Round.open_at(now).select(Round.id))))
    return [PersonalLink(person.email, inv.round, links.personal_url(base_url, inv))
            for inv in invitations]


def all_open_links(base_url, now=None):
    """Every personal link of every open round, as PersonalLinks."""
    invitations = (Invitation.select(Invitation, Round, Person)
                   .join_from(Invitation, Round).join_from(Invitation, Person)
                   .where(Round.id.in_(Round.open_at(now).select(Round.id)))
                   .order_by(Round.id, Person.email))
    return [PersonalLink(inv.person.email, inv.round, links.personal_url(base_url, inv))
            for inv in invitations]
