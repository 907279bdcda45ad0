"""An attacker with every view of the dashboard combines what it shows.

Hypothesis draws an organisation, who was invited, who answered which question, who
commented, and the thresholds. The attacker then looks at every team (HR sees them
all; a leader sees a subset, which can only show less), both rounds, every theme,
the heatmap cells, the participation table and the comment lists, and adds,
subtracts and intersects the groups of people behind every figure shown. No group it
can form may hold 1 to k-1 people (1 to k_comments-1 for comments). The same
attacker then reads every row of the themes export and every team label of the
comments export, for every team filter.
"""
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from app.aggregates import facts_from_rows
from app.dashboard import ThemeQuestions, figures
from tests.test_visibility import everything_derivable, team_trees

THEMES = [
    ThemeQuestions(SimpleNamespace(key="workload", name="Workload"),
                   [(1, "likert", ""), (2, "likert", "")]),
    ThemeQuestions(SimpleNamespace(key="engagement", name="Engagement"), [(3, "enps", "")]),
]
QUESTIONS = (1, 2, 3)


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
                       [(t, "workload", n) for t, n in comments.items()],
                       lambda: (invited, answered), k, k_comments)


def subtree(parents, team_id):
    found = {team_id}
    for child, parent in parents.items():
        if parent == team_id:
            found |= subtree(parents, child)
    return found


def what_the_app_shows(parents, people, k, k_comments):
    """{kind of figure: set of frozensets of the people behind each figure shown}."""
    shown = {"respondents": set(), "comments": set(), "answered": set(), "not answered": set()}
    shown.update({f"question {q}": set() for q in QUESTIONS})
    for round_id in (1, 2):
        facts = facts_of(parents, people, round_id, k, k_comments)
        for team_id in parents:
            inside = subtree(parents, team_id)
            group = [p for p in people if p[1] == round_id and p[2] in inside]
            respondents = frozenset(p[0] for p in group if p[3] is not None)
            if team_id in facts.shown:
                shown["respondents"].add(respondents)
            for entry in THEMES:  # theme cards, heatmap cells, distributions
                if not figures(facts, team_id, entry).suppressed:
                    for qid, _kind, _prompt in entry.questions:
                        shown[f"question {qid}"].add(
                            frozenset(p[0] for p in group if p[3] and qid in p[3]))
            if team_id in facts.shown_comments:  # comment lists and their team labels
                shown["comments"].add(respondents)
            if team_id in facts.shown_participation:
                shown["answered"].add(respondents)
                shown["not answered"].add(frozenset(p[0] for p in group if p[3] is None))
    return shown


@settings(max_examples=250, deadline=None)
@given(rounds_of_an_organisation())
def test_no_combination_of_what_the_dashboard_shows_singles_out_fewer_than_k(drawn):
    parents, people, k, k_comments = drawn
    assert_no_group_below_the_thresholds(what_the_app_shows(parents, people, k, k_comments),
                                         k, k_comments)


def assert_no_group_below_the_thresholds(shown, k, k_comments):
    for kind, groups in shown.items():
        least = k_comments if kind == "comments" else k
        for derived in everything_derivable(groups):
            assert len(derived) == 0 or len(derived) >= least, (kind, sorted(derived))


def test_the_attacker_would_catch_a_dashboard_that_shows_every_group_of_k(monkeypatch):
    """The attack is real: with a naive rule (show any group of k or more), it finds a
    group of two by subtracting a child team from its parent."""
    import app.aggregates as aggregates

    def naive(parents, stored, min_group):
        totals = {t: sum(stored.get(s, 0) for s in subtree(parents, t)) for t in parents}
        return {t for t, n in totals.items() if n >= min_group}
    monkeypatch.setattr(aggregates, "shown_teams", naive)
    parents = {1: None, 2: 1}
    people = [(n, 1, 2, frozenset(QUESTIONS), False) for n in range(6)]
    people += [(6, 1, 1, frozenset(QUESTIONS), False), (7, 1, 1, frozenset(QUESTIONS), False)]
    shown = what_the_app_shows(parents, people, 5, 10)
    assert frozenset({6, 7}) in everything_derivable(shown["respondents"])


def what_the_export_shows(parents, people, k, k_comments):
    """{kind: set of frozensets of the people behind each figure} over every row of
    themes.csv and every team label of comments.csv, for every team filter."""
    from datetime import datetime

    from app import exports
    shown = {"comments": set()}
    shown.update({f"question {q}": set() for q in QUESTIONS})
    teams = {t: SimpleNamespace(id=t, path=str(t)) for t in parents}
    for round_id in (1, 2):
        round_ = SimpleNamespace(id=round_id, name=f"round {round_id}",
                                 closes_at=datetime(2026, 1, round_id))
        facts = facts_of(parents, people, round_id, k, k_comments)
        counts = facts.answers_by_group()
        respondents = [p for p in people if p[1] == round_id and p[3] is not None]
        for team_id, team in teams.items():
            inside = subtree(parents, team_id)
            for entry in THEMES:
                cells = exports.theme_row(round_, facts, counts.get(team_id, {}), team, entry, {})
                if not cells[-1]:  # not suppressed
                    for qid, _kind, _prompt in entry.questions:
                        shown[f"question {qid}"].add(frozenset(
                            p[0] for p in respondents if p[2] in inside and qid in p[3]))
            labels = exports.comment_labels(facts, team_id, teams)
            for label in {team.id for team in labels.values()}:
                shown["comments"].add(frozenset(
                    p[0] for p in respondents if p[2] in labels and labels[p[2]].id == label))
    return shown


@settings(max_examples=150, deadline=None)
@given(rounds_of_an_organisation())
def test_no_combination_of_export_rows_singles_out_fewer_than_k(drawn):
    parents, people, k, k_comments = drawn
    assert_no_group_below_the_thresholds(
        what_the_export_shows(parents, people, k, k_comments), k, k_comments)
