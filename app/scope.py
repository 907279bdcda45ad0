"""Which teams and rounds a staff member may look at.

A leader sees the subtrees of the teams they lead; HR and admins see every team.
Anything else is, to them, not there at all (the views answer 404).
"""
from app.models import Round, Team, TeamLead

EVERYTHING_ROLES = ("hr", "admin")


def sees_everything(person):
    return person.role in EVERYTHING_ROLES


def top_teams(person):
    """The highest teams a person may view: the root(s) for HR, led teams for leaders."""
    if sees_everything(person):
        return list(Team.select().where(Team.parent.is_null()).order_by(Team.path))
    led = list(Team.select().join(TeamLead).where(TeamLead.person == person)
               .order_by(Team.path))
    # A team led twice over (a team and its parent) is reached from the higher one.
    return [t for t in led if not any(_inside(t, other) for other in led if other != t)]


def _inside(team, other):
    return team.path.startswith(other.path + "/")


def may_view(person, team):
    """True when the person may see figures of this team's group."""
    return any(team == top or _inside(team, top) for top in top_teams(person))


def closed_rounds_for(person):
    """Closed rounds that cover any team the person may view, newest first.

    A round covers its team's subtree, so it concerns a viewer when its team lies in
    their area or above it.
    """
    tops = top_teams(person)
    rounds = Round.select(Round, Team).join(Team).where(Round.closed_at.is_null(False))
    return [r for r in rounds.order_by(Round.closes_at.desc(), Round.id.desc())
            if any(_overlaps(r.team, top) for top in tops)]


def _overlaps(round_team, top):
    return (round_team == top or _inside(round_team, top) or _inside(top, round_team))


def default_scope(person, round_):
    """The group a person sees first in a round: the larger of the round's team and
    their own highest team, whichever lies inside the other."""
    for top in top_teams(person):
        if top == round_.team or _inside(round_.team, top):
            return round_.team
        if _inside(top, round_.team):
            return top
    return None


def in_round(team, round_):
    return team == round_.team or _inside(team, round_.team)
