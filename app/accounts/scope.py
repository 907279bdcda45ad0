"""Which teams and rounds a staff member may look at.

A leader sees the subtrees of the teams they lead; HR and admins see every team.
Anything else is, to them, not there at all (the views answer 404).
"""
from app.models import Round, Team, TeamLead


def _inside(team, other):
    return team.path.startswith(other.path + "/")


def within(team, other):
    """True when `team` is `other` or lies anywhere below it."""
    return team.id == other.id or _inside(team, other)


def in_round(team, round_):
    return within(team, round_.team)


class Viewer:
    """One person's view of the organisation (their highest teams read once)."""

    def __init__(self, person):
        self.person = person
        self.tops = self._top_teams()

    def _top_teams(self):
        if self.person.sees_everything:
            return list(Team.select().where(Team.parent.is_null()).order_by(Team.path))
        led = list(Team.select().join(TeamLead).where(TeamLead.person == self.person)
                   .order_by(Team.path))
        # A team led twice over (a team and its parent) is reached from the higher one.
        return [t for t in led if not any(_inside(t, other) for other in led if other != t)]

    def may_view(self, team):
        """True when the person may see figures of this team's group."""
        return any(within(team, top) for top in self.tops)

    def closed_rounds(self):
        """Closed rounds that cover any team the person may view, newest first.

        A round covers its team's subtree, so it concerns a viewer when its team lies
        in their area or above it.
        """
        rounds = (Round.select(Round, Team).join(Team).where(Round.closed_at.is_null(False))
                  .order_by(Round.closes_at.desc(), Round.id.desc()))
        return [r for r in rounds if any(r.team == top or _inside(r.team, top)
                                         or _inside(top, r.team) for top in self.tops)]

    def default_scope(self, round_):
        """The group a person sees first in a round: the larger of the round's team and
        their own highest team, whichever lies inside the other."""
        for top in self.tops:
            if top == round_.team or _inside(round_.team, top):
                return round_.team
            if _inside(top, round_.team):
                return top
        return None
