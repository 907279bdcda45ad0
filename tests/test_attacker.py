"""An attacker with every view of the dashboard combines what it shows.

Hypothesis draws an organisation, who was invited, who answered which question, who
commented, and the thresholds. The attacker then looks at every team (HR sees them
all; a leader sees a subset, which can only show less), both rounds, every theme,
the heatmap cells, the participation table and the comment lists, and adds,
subtracts and intersects the groups of people behind every figure shown. No group it
can form may hold 1 to k-1 people (1 to k_comments-1 for comments). The same
attacker then reads every row of the themes export and every team label of the
comments export, for every team filter.

Counts are figures too. Who is invited to which team is no secret (the roster, the
"12 people invited" an employee is shown), so any printed number of respondents is a
participation figure: the attacker takes the invited people of every group whose
respondents are counted anywhere (the page's "N people answered", a card's "N
answered", distribution bars in people, the participation table, the export's
`respondents`) and combines them; every set it forms must hold at least k who
answered and k who did not, or nobody. Every printed comment count counts its
group's respondents under k_comments.
"""
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.exports import files
from app.models import Theme
from app.results import aggregates, dashboard
from app.results.aggregates import facts_from_rows
from app.results.dashboard import ThemeQuestions, figures
from app.thresholds import Thresholds
from tests.support import everything_derivable, team_trees

THEMES = [
    ThemeQuestions(SimpleNamespace(key="workload", name="Workload"),
                   [(1, "likert", ""), (2, "likert", "")]),
    ThemeQuestions(SimpleNamespace(key="engagement", name="Engagement"), [(3, "enps", "")]),
]
QUESTIONS = (1, 2, 3)
COMMENT_ONLY = Theme(key="autonomy", name="Autonomy")  # comments reach it, no question


@st.composite
def rounds_of_an_organisation(draw):
    parents = draw(team_trees(6))
    k = draw(st.integers(min_value=3, max_value=6))
    k_comments = draw(st.integers(min_value=k, max_value=k + 5))
    people = []  # (person id, round, team, answered questions or None, commented)
    for round_id in (1, 2):
        for team_id in parents:
            for _ in range(draw(st.integers(min_value=0, max_value=11))):
                answered = draw(st.booleans())
                questions = (frozenset(draw(st.sets(st.sampled_from(QUESTIONS), min_size=1)))
                             if answered else None)
                people.append((len(people), round_id, team_id, questions,
                               answered and draw(st.booleans())))
    return parents, people, k, k_comments


def facts_of(parents, people, round_id, k, k_comments):
    tallies, counts, comments, invited, answered = {}, {}, {}, {}, {}
    for _pid, rid, team, questions, commented in people:
        if rid != round_id:
            continue
        invited[team] = invited.get(team, 0) + 1
        if questions is None:
            continue
        answered[team] = answered.get(team, 0) + 1
        tallies[team] = tallies.get(team, 0) + 1
        for q in questions:
            counts[(team, q, 3)] = counts.get((team, q, 3), 0) + 1
        if commented:
            comments[team] = comments.get(team, 0) + 1
    return facts_from_rows(parents, tallies, [(t, q, v, n) for (t, q, v), n in counts.items()],
                           [(t, key, n) for t, n in comments.items()
                            for key in ("workload", COMMENT_ONLY.key)],
                           lambda: (invited, answered), Thresholds(k, k_comments))


def subtree(parents, team_id):
    found = {team_id}
    for child, parent in parents.items():
        if parent == team_id:
            found |= subtree(parents, child)
    return found


class Seen:
    """What the attacker collects from one round: the people behind each figure."""

    def __init__(self, parents, people, round_id):
        self.parents, self.round_id = parents, round_id
        self.people = [p for p in people if p[1] == round_id]
        self.shown = {"respondents": set(), "comments": set(), "invited": set()}
        self.shown.update({f"question {q}": set() for q in QUESTIONS})

    def group(self, team_id):
        inside = subtree(self.parents, team_id)
        return [p for p in self.people if p[2] in inside]

    def respondents(self, team_id):
        return frozenset(p[0] for p in self.group(team_id) if p[3] is not None)

    def figures_of(self, team_id, entry):
        for qid, _kind, _prompt in entry.questions:
            self.shown[f"question {qid}"].add(
                frozenset(p[0] for p in self.group(team_id) if p[3] and qid in p[3]))

    def counted(self, team_id):
        """A number of the group's respondents is printed: its invited people join the
        attacker's participation sets (and its respondents, the k rule's)."""
        self.shown["invited"].add(frozenset(p[0] for p in self.group(team_id)))
        self.shown["respondents"].add(self.respondents(team_id))

    def commented(self, team_id):
        """The group's comments, a comment count or a comment label is shown."""
        self.shown["comments"].add(self.respondents(team_id))


def what_the_app_shows(parents, people, k, k_comments):
    """{kind of figure: set of frozensets of the people behind each figure shown}, and
    {person id: answered} for the participation check."""
    shown, answered = {}, {}
    for round_id in (1, 2):
        facts = facts_of(parents, people, round_id, k, k_comments)
        seen = Seen(parents, people, round_id)
        for team_id in parents:
            view_the_group(seen, facts, team_id)
        merge(shown, seen.shown)
        answered.update({p[0]: p[3] is not None for p in seen.people})
    return shown, answered


def view_the_group(seen, facts, team_id):
    """Everything the themes page, the theme pages and the board show for a group."""
    view = SimpleNamespace(facts=facts, scope=SimpleNamespace(id=team_id))
    if team_id in facts.shown:
        seen.shown["respondents"].add(seen.respondents(team_id))
    if facts.respondent_count(team_id) is not None:  # "N people answered in …"
        seen.counted(team_id)
    if team_id in facts.shown_participation:  # the participation table
        seen.counted(team_id)
    for entry in THEMES:  # theme cards, heatmap cells, board summaries
        now = figures(facts, team_id, entry)
        if not now.suppressed:
            seen.figures_of(team_id, entry)
        if now.answers is not None:
            seen.counted(team_id)
        if now.comments is not None:
            seen.commented(team_id)
        for _prompt, _kind, bars, in_percent in dashboard.distribution(view, entry):
            if bars is not None and not in_percent:
                seen.counted(team_id)
    if facts.comment_count(team_id, COMMENT_ONLY.key) is not None:  # "Also in comments"
        seen.commented(team_id)
    if team_id in facts.shown_comments:  # comment lists and their team labels
        seen.commented(team_id)


def merge(into, more):
    for kind, groups in more.items():
        into.setdefault(kind, set()).update(groups)


@settings(max_examples=250, deadline=None)
@given(rounds_of_an_organisation())
def test_no_combination_of_what_the_dashboard_shows_singles_out_fewer_than_k(drawn):
    parents, people, k, k_comments = drawn
    assert_no_group_below_the_thresholds(*what_the_app_shows(parents, people, k, k_comments),
                                         k, k_comments)


class Leak(AssertionError):
    """The attacker formed a set it must not: which kind of figure, and who."""

    def __init__(self, kind, people, detail=""):
        super().__init__(f"{kind}: {sorted(people)} {detail}")
        self.kind = kind


def assert_no_group_below_the_thresholds(shown, answered, k, k_comments):
    for kind, groups in shown.items():
        if kind == "invited":
            assert_participation_tells_nothing_of_anyone(groups, answered, k)
            continue
        least = k_comments if kind == "comments" else k
        for derived in everything_derivable(groups):
            if 0 < len(derived) < least:
                raise Leak(kind, derived)


def assert_participation_tells_nothing_of_anyone(invited_groups, answered, k):
    """Every set of invited people the attacker can form holds at least k who answered
    and at least k who did not, or nobody: "7 of 7" or "0 of 7" speaks of each one."""
    for derived in everything_derivable(invited_groups):
        yes = sum(answered[person] for person in derived)
        if derived and (yes < k or len(derived) - yes < k):
            raise Leak("participation", derived, f"({yes} of {len(derived)} answered)")


def test_the_attacker_would_catch_a_dashboard_that_shows_every_group_of_k(monkeypatch):
    """The attack is real: with a naive rule (show any group of k or more), it finds a
    group of two by subtracting a child team from its parent."""
    def naive(parents, stored, min_group):
        totals = {t: sum(stored.get(s, 0) for s in subtree(parents, t)) for t in parents}
        return {t for t, n in totals.items() if n >= min_group}
    monkeypatch.setattr(aggregates, "shown_teams", naive)
    parents = {1: None, 2: 1}
    people = [(n, 1, 2, frozenset(QUESTIONS), False) for n in range(6)]
    people += [(6, 1, 1, frozenset(QUESTIONS), False), (7, 1, 1, frozenset(QUESTIONS), False)]
    shown, _answered = what_the_app_shows(parents, people, 5, 10)
    assert frozenset({6, 7}) in everything_derivable(shown["respondents"])


# -- the same attacks against deliberately weakened rules: each must succeed -----------

def audit_f8():
    """The audit's case: Ops (1) holds Warehouse (2) and Support (3). Invited: Ops 17,
    Warehouse 10; answered 15 and 8. Ops minus Warehouse is Support's 6 and the Ops
    lead, who all answered."""
    parents = {1: None, 2: 1, 3: 1}
    people = [(0, 1, 1, frozenset(QUESTIONS), False)]                             # the lead
    people += [(n, 1, 3, frozenset(QUESTIONS), False) for n in range(1, 7)]       # Support
    people += [(n, 1, 2, frozenset(QUESTIONS) if n < 15 else None, False)         # Warehouse
               for n in range(7, 17)]
    return parents, people


def audit_f9():
    """Comments labelled with a parent team pinned to a smaller group: Platform (2) has
    12 respondents who all commented, Acme (1) 18 in all; with k_comments = 10, Acme's
    comment count minus Platform's is the 6 others' (all of whom commented)."""
    parents = {1: None, 2: 1, 3: 1}
    people = [(n, 1, 2, frozenset(QUESTIONS), True) for n in range(12)]
    people += [(n, 1, 3, frozenset(QUESTIONS), True) for n in range(12, 18)]
    people += [(n, 1, 3, None, False) for n in range(18, 24)]
    return parents, people


def platform_twelve_of_twelve():
    """Acme 36 invited / 25 answered, Sales 12 / 6, Ops 12 / 7: each passes the
    answered and not-answered rules alone, and together they leave Platform 12 of 12."""
    parents = {1: None, 2: 1, 3: 1, 4: 1}
    people = []
    for team_id, answering in ((2, 12), (3, 6), (4, 7)):
        start = len(people)
        people += [(start + n, 1, team_id, frozenset(QUESTIONS) if n < answering else None,
                    False) for n in range(12)]
    return parents, people


def counts_under_the_k_rule(monkeypatch):
    """F8 undone: respondent counts shown wherever the figures are."""
    monkeypatch.setattr(aggregates.RoundFacts, "shown_respondents",
                        property(lambda facts: facts.shown))


def comment_counts_under_the_k_rule(monkeypatch):
    """F9 undone: comment counts shown wherever the figures are."""
    def comment_count(facts, team_id, theme_key):
        if team_id not in facts.shown:
            return None
        return facts.comments.get(team_id, {}).get(theme_key, 0)
    monkeypatch.setattr(aggregates.RoundFacts, "comment_count", comment_count)


def participation_without_the_atom_check(monkeypatch):
    """The earlier participation rule: answered and not answered each pass on their own."""
    def separately(parents, _children, invited, answered, k):
        not_answered = {t: invited.get(t, 0) - answered.get(t, 0) for t in parents}
        return (aggregates.shown_teams(parents, answered, k)
                & aggregates.shown_teams(parents, not_answered, k))
    monkeypatch.setattr(aggregates, "participation_shown", separately)


def what_the_export_shows_too(parents, people, k, k_comments):
    return what_the_export_shows(parents, people, k, k_comments)


@pytest.mark.parametrize("attacker", [what_the_app_shows, what_the_export_shows_too])
@pytest.mark.parametrize("organisation, weaken, found", [
    (audit_f8, counts_under_the_k_rule, "participation"),
    (audit_f9, comment_counts_under_the_k_rule, "comments"),
    (platform_twelve_of_twelve, participation_without_the_atom_check, "participation"),
])
def test_the_attacker_catches_each_weakened_rule_and_not_the_real_one(
        monkeypatch, attacker, organisation, weaken, found):
    """Each case passes with the real rules, and the attacker, on the very same
    figures, finds its small group once that rule is weakened."""
    parents, people = organisation()
    assert_no_group_below_the_thresholds(*attacker(parents, people, 5, 10), 5, 10)
    weaken(monkeypatch)
    with pytest.raises(Leak) as caught:
        assert_no_group_below_the_thresholds(*attacker(parents, people, 5, 10), 5, 10)
    assert caught.value.kind == found


def what_the_export_shows(parents, people, k, k_comments):
    """What the dashboard attacker collects, over every row of themes.csv (the
    comment-only theme's included) and every team label of comments.csv, for every
    team filter."""
    from datetime import datetime
    shown, answered = {}, {}
    respondents_cell = files.THEME_HEADER.index("respondents")
    comments_cell = files.THEME_HEADER.index("comments")
    teams = {t: SimpleNamespace(id=t, path=str(t)) for t in parents}
    for round_id in (1, 2):
        round_ = SimpleNamespace(id=round_id, name=f"round {round_id}",
                                 closes_at=datetime(2026, 1, round_id))
        facts = facts_of(parents, people, round_id, k, k_comments)
        seen = Seen(parents, people, round_id)
        counts = facts.answers_by_group()
        for team_id, team in teams.items():
            for entry in THEMES + [COMMENT_ONLY]:
                cells = files.theme_row(round_, facts, counts.get(team_id, {}), team, entry, {})
                if not cells[-1] and entry is not COMMENT_ONLY:  # not suppressed
                    seen.figures_of(team_id, entry)
                if cells[respondents_cell] is not None:
                    seen.counted(team_id)
                if cells[comments_cell] is not None:
                    seen.commented(team_id)
            labels = files.comment_labels(facts, team_id, teams)
            for label in {team.id for team in labels.values()}:
                seen.shown["comments"].add(frozenset(
                    p[0] for p in seen.people
                    if p[3] is not None and p[2] in labels and labels[p[2]].id == label))
        merge(shown, seen.shown)
        answered.update({p[0]: p[3] is not None for p in seen.people})
    return shown, answered


@settings(max_examples=150, deadline=None)
@given(rounds_of_an_organisation())
def test_no_combination_of_export_rows_singles_out_fewer_than_k(drawn):
    parents, people, k, k_comments = drawn
    assert_no_group_below_the_thresholds(
        *what_the_export_shows(parents, people, k, k_comments), k, k_comments)
