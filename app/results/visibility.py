"""Which team groups may show figures for a round: the threshold and differencing rules.

A group is a team with its whole subtree. A viewer who sees several groups can add and
subtract their figures (counts, sums, shares are all additive), so what must be at
least k is not only each group but every *atom* the shown groups carve out: for each
shown group, its residual — its respondents minus those of its largest shown
sub-groups. Every residual is 0 (nothing new) or at least k. Then any combination of
shown figures, by any number of viewers, describes 0 or at least k people.

The decision is made once per round for the whole organisation, never per viewer:
two leaders comparing their screens then see parts of one safe set, not two sets
that are each safe alone but unsafe together.
"""
from dataclasses import dataclass

from app.models import Team, TeamTally


@dataclass
class _Group:
    team_id: int
    size: int                 # respondents in the subtree
    children: list            # child _Groups
    shown: bool = False
    maximal: tuple = ()       # largest shown groups strictly inside, when shown or not

    @property
    def residual(self):
        return self.size - sum(group.size for group in self.maximal)


def shown_teams(parents, stored, min_group):
    """The team ids whose subtree may show figures.

    parents: {team id: parent team id or None} for every team of the organisation.
    stored: {team id: respondents stored under exactly that team} (absent means 0).
    A group below min_group is never shown; where a residual would fall between 1 and
    min_group - 1, the smallest sub-group that fixes it is hidden instead, so groups
    nearer the root (a leader's whole area) stay visible.
    """
    groups = {team_id: _Group(team_id, 0, []) for team_id in parents}
    roots = []
    for team_id, parent_id in parents.items():
        if parent_id is None or parent_id not in groups:
            roots.append(groups[team_id])
        else:
            groups[parent_id].children.append(groups[team_id])
    for root in roots:
        _decide(root, stored, min_group)
    return {group.team_id for group in groups.values() if group.shown}


def _decide(group, stored, min_group):
    """Decide a subtree bottom-up; return the group's largest shown groups (itself or
    those below it) for its parent to count."""
    inner = []
    group.size = stored.get(group.team_id, 0)
    for child in group.children:
        inner.extend(_decide(child, stored, min_group))
        group.size += child.size
    if group.size < min_group:
        group.maximal = tuple(inner)
        return inner
    group.shown = True
    group.maximal = tuple(inner)
    while 0 < group.residual < min_group:
        group.maximal = _hide_one(group.maximal)
    return [group]


def _hide_one(maximal):
    """Hide one shown group so the parent's residual grows: the smallest that adds
    something (its residual, always at least k); failing that, one that adds nothing
    but uncovers its own sub-groups."""
    adding = [g for g in maximal if g.residual > 0]
    victim = min(adding or maximal, key=lambda g: (g.size, g.team_id))
    victim.shown = False
    return tuple(g for g in maximal if g is not victim) + victim.maximal


def shown_teams_in_round(round_id, min_group):
    """shown_teams() for one round, from the released tallies."""
    parents = dict(Team.select(Team.id, Team.parent).tuples())
    stored = dict(TeamTally.select(TeamTally.team, TeamTally.respondents)
                  .where(TeamTally.round == round_id).tuples())
    return shown_teams(parents, stored, min_group)
