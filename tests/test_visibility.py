"""The threshold and differencing rules, attacked with every combination of what is shown."""
from hypothesis import given, settings
from hypothesis import strategies as st

from app.pulse import rounds
from app.results.visibility import shown_teams, shown_teams_in_round
from tests.support import answer, everything_derivable, invitations_of, team_trees

K = 5


def test_a_group_below_k_is_never_shown():
    assert shown_teams({1: None, 2: 1}, {2: 4}, K) == set()
    assert shown_teams({1: None, 2: 1}, {2: 5}, K) == {1, 2}  # same five people, nothing new


def test_a_parent_minus_its_child_may_not_isolate_a_few():
    # Parent holds 2 people of its own and a child of 8: showing both would reveal the 2.
    assert shown_teams({1: None, 2: 1}, {1: 2, 2: 8}, K) == {1}


def test_parent_minus_all_its_children_counts_not_just_pairs():
    # Pairwise, parent minus any one child is >= 5; minus all three it is 2.
    parents = {1: None, 2: 1, 3: 1, 4: 1}
    stored = {1: 2, 2: 5, 3: 6, 4: 7}
    shown = shown_teams(parents, stored, K)
    assert 1 in shown and shown != {1, 2, 3, 4}
    hidden_children = {2, 3, 4} - shown
    assert sum(stored[t] for t in hidden_children) + 2 >= K


def test_roots_stay_visible_when_a_child_can_be_hidden_instead():
    assert 1 in shown_teams({1: None, 2: 1, 3: 2}, {1: 1, 2: 1, 3: 9}, K)


def people_of(parents, stored):
    """Expand stored counts into person ids per team, and each team's subtree."""
    people, next_id = {}, 0
    for team_id in parents:
        people[team_id] = set(range(next_id, next_id + stored.get(team_id, 0)))
        next_id += stored.get(team_id, 0)

    def subtree(team_id):
        found = set(people[team_id])
        for child, parent in parents.items():
            if parent == team_id:
                found |= subtree(child)
        return found
    return {team_id: frozenset(subtree(team_id)) for team_id in parents}


@st.composite
def organisations(draw):
    parents = draw(team_trees(8))
    stored = {team_id: draw(st.integers(min_value=0, max_value=12)) for team_id in parents}
    return parents, stored


@settings(max_examples=300, deadline=None)
@given(organisations(), st.integers(min_value=3, max_value=6))
def test_no_combination_of_shown_groups_describes_1_to_k_minus_1_people(organisation, k):
    parents, stored = organisation
    shown = shown_teams(parents, stored, k)
    groups = people_of(parents, stored)
    for derived in everything_derivable({groups[team_id] for team_id in shown}):
        assert len(derived) == 0 or len(derived) >= k


@settings(max_examples=200, deadline=None)
@given(organisations())
def test_the_root_is_shown_whenever_it_has_k_respondents(organisation):
    parents, stored = organisation
    assert (1 in shown_teams(parents, stored, K)) == (sum(stored.values()) >= K)


def test_shown_teams_in_round_reads_the_released_tallies(make_round):
    from app.models import Team
    round_ = make_round({"Acme/Platform": 6, "Acme/Sales": 6})
    platform = [i for i in invitations_of(round_) if i.team.path == "Acme/Platform"]
    for invitation in platform[:5]:
        answer(invitation)
    rounds.close_round(round_, K)  # a pool of 5 goes out at the close
    shown = shown_teams_in_round(round_.id, K)
    assert shown == {Team.by_path("Acme").id, Team.by_path("Acme/Platform").id}
