"""Rounds: open one for a team subtree with a personal link per person, close them."""
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from app import errors, storage
from app.crypto import keys, links, pending_keys
from app.db import db, only_one
from app.models import Invitation, PendingAnswer, Person, Round, Survey, Team, utcnow
from app.pulse import releases

MAX_DAYS = 90


class RoundError(errors.Invalid):
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
    """For every team of scope's subtree, the id of the group its people are counted
    (and their answers stored) in: a group is a team with the people of its subtree
    not already counted lower down, and holds at least min_group of them.

    headcount: team id -> people counted in that team itself (invited, or about to be).

    Built bottom-up: a team whose own people plus those left over from below reach
    min_group is a group; the rest is handed up. The scope is the last group; if it
    ends up with between 1 and min_group - 1 people (say a company's CEO and its HR),
    it takes in its smallest group below, and again, until it holds enough. So no
    stored group ever describes fewer than min_group people — a team's *subtree*
    being large enough is not enough when its members are counted elsewhere.
    """
    teams = {t.id: t for t in scope.subtree()}
    children = {team_id: [] for team_id in teams}
    for team in teams.values():
        if team.id != scope.id:
            children[team.parent_id].append(team.id)
    group_of, members = {}, Counter()

    def gather(team_id):
        """Teams (and their headcount) below team_id not yet in a group."""
        left, count = [team_id], headcount.get(team_id, 0)
        for child_id in sorted(children[team_id]):
            child_left, child_count = gather(child_id)
            left += child_left
            count += child_count
        if team_id != scope.id and count >= min_group:
            group_of.update(dict.fromkeys(left, team_id))
            members[team_id] = count
            return [], 0
        return left, count

    left, count = gather(scope.id)
    group_of.update(dict.fromkeys(left, scope.id))
    members[scope.id] = count
    while 0 < members[scope.id] < min_group:
        top = [g for g in members if g != scope.id and _group_above(g, group_of, teams,
                                                                   scope) == scope.id]
        if not top:
            break  # the whole scope has fewer than min_group people: nothing to merge
        absorbed = min(top, key=lambda g: (members[g], g))
        for team_id, group_id in group_of.items():
            if group_id == absorbed:
                group_of[team_id] = scope.id
        members[scope.id] += members.pop(absorbed)
    return group_of


def _group_above(group_id, group_of, teams, scope):
    """The group a group hands its answers up to: that of its team's parent."""
    if group_id == scope.id:
        return None
    return group_of[teams[group_id].parent_id]


def parent_groups(round_):
    """{group team id: the group above it, or None for the round's own team}, for the
    groups this round's answers are stored under (app.pulse.releases merges a pool that ends
    the round below k into the group above)."""
    teams = {t.id: t for t in round_.team.subtree()}
    group_of = dict(Invitation.select(Invitation.team, Invitation.counted_team)
                    .where(Invitation.round == round_.id).distinct().tuples())
    groups = set(group_of.values()) | {round_.team_id}

    def above(team_id):
        team_id = teams[team_id].parent_id
        while team_id not in groups:
            team_id = teams[team_id].parent_id
        return team_id

    return {g: (None if g == round_.team_id else above(g)) for g in groups}


def _overlapping_round(survey, team, now):
    subtree_ids = {t.id for t in team.subtree()}
    ancestor_ids = {t.id for t in team.ancestors()}
    for round_ in Round.open_at(now).where(Round.survey == survey):
        if round_.team_id in subtree_ids | ancestor_ids:
            return round_
    return None


def close_round(round_, min_group, now=None):
    """Mark a round closed, then settle every pending pool in it (app.pulse.releases: no
    batch under min_group) and rebuild what arrival order could describe. Returns
    False when it was closed already (by another tick a moment ago, say): that one
    settles it."""
    closed = (Round.update(closed_at=now or utcnow())
              .where(Round.id == round_.id, Round.closed_at.is_null()).execute())
    if closed:
        settle(round_, min_group)
    return bool(closed)


def settle(round_, min_group):
    """Release what a closed round still holds, destroy its pending keys, rebuild.
    One worker or tick at a time per round; another that finds it running skips it.
    Also what a stopped close left behind: run again, it finishes the job."""
    with only_one(SETTLE_LOCK_BASE + round_.id) as mine:
        if mine:
            releases.release_round(round_, min_group, parent_groups(round_))
            storage.rebuild()


# Session locks of app.db.only_one for settling round N are this plus N.
SETTLE_LOCK_BASE = 0x4845_4152_0000_0000  # "HEAR"


def close_due(min_group, now=None):
    """Close every round whose time is up. Returns the rounds closed.

    Also settles closed rounds that still hold pending answers or pending keys: a
    close that was stopped (a crash, a lost connection) between its steps.
    """
    due = [round_ for round_ in list(Round.due_to_close(now))
           if close_round(round_, min_group, now)]
    unsettled = set(PendingAnswer.select(PendingAnswer.round).distinct().tuples())
    unsettled = {row[0] for row in unsettled} | pending_keys.rounds_with_keys()
    for round_ in list(Round.select().where(Round.closed_at.is_null(False),
                                            Round.id.in_(list(unsettled) or [0]))):
        settle(round_, min_group)
    return due


def links_for_person(email, urls, now=None):
    """A person's personal links for the rounds open now (urls builds them:
    app.views.urls)."""
    person = Person.by_email(email)
    if person is None:
        raise RoundError(f"nobody with the email {email!r} in the roster")
    invitations = (Invitation.select(Invitation, Round).join(Round)
                   .where(Invitation.person == person,
                          Round.id.in_(Round.open_at(now).select(Round.id))))
    return [PersonalLink(person.email, inv.round, urls.personal(inv))
            for inv in invitations]


def all_open_links(urls, now=None):
    """Every personal link of every open round, as PersonalLinks."""
    invitations = (Invitation.select(Invitation, Round, Person)
                   .join_from(Invitation, Round).join_from(Invitation, Person)
                   .where(Round.id.in_(Round.open_at(now).select(Round.id)))
                   .order_by(Round.id, Person.email))
    return [PersonalLink(inv.person.email, inv.round, urls.personal(inv))
            for inv in invitations]
