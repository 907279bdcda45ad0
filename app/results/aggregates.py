"""What a closed round may show, for every team group at once.

A round's released counts (app.pulse.releases keeps them) are read once, added up the team
tree so that every group (a team with its subtree) has its totals, and judged with
the threshold and differencing rule (app.results.visibility) for each kind of figure:

- respondents and theme figures: at least k, per question (a question someone skipped
  has its own count, so it is judged on its own);
- comments: at least k_comments respondents;
- participation (by each person's own team): in every group, and every set of people
  that groups shown carve out, at least k answered and at least k did not (or nobody
  is in it), so no page tells whether one person answered;
- how many answered (any printed number of respondents): the respondents' rule and the
  participation rule both, since the people invited to each team are no secret and
  "15 answered" beside 17 invited is a participation figure;
- how many comments: the comments' rule, like the comments themselves.

The result is kept per worker for each round, until that round's tallies change.
"""
from collections import Counter, OrderedDict, defaultdict
from dataclasses import dataclass
from functools import cached_property

from peewee import fn

from app.models import AnswerCount, CommentTheme, Invitation, Participation, Team, TeamTally
from app.results import snapshots
from app.results.visibility import shown_teams
from app.thresholds import Thresholds

CACHED_ROUNDS = 64
SMALL_GROUP_TEAMS = 40


@dataclass
class RoundFacts:
    """Per group (keyed by its top team id) totals of one round, and what may show.

    What only some pages need (comments' and participation's visibility) is worked out
    on first use: a trend over 8 rounds needs neither.
    """
    parents: dict
    children: dict
    tallies: dict               # team -> respondents stored under exactly that team
    respondents: dict           # team -> respondents in its subtree
    answers_source: object      # [team ids] or None (all) -> [(team, question, value, count)]
    comments: dict              # team -> Counter(theme key -> comments), subtree
    shown: set                  # groups whose respondents and figures may show
    shown_questions: dict       # question id -> groups whose answers to it may show
    participation_source: object  # () -> ({team: invited}, {team: answered}), team alone
    thresholds: Thresholds

    def __post_init__(self):
        self._answers_in, self._all_answer_rows = {}, None

    def question_shown(self, team_id, question_id):
        return team_id in self.shown_questions.get(question_id, ())

    def answers_in(self, team_id):
        """{question id: {value: count}} over the team's subtree, read on first use: a
        page needs a few groups' distributions, never all 400. A small group's rows are
        fetched alone; a large one is summed from the whole round's rows, read once
        (an IN list of hundreds of ids costs more to write and run than that)."""
        cached = self._answers_in.get(team_id)
        if cached is None:
            wanted = set(self.subtree(team_id))
            if len(wanted) > SMALL_GROUP_TEAMS:
                if self._all_answer_rows is None:
                    self._all_answer_rows = self.answers_source(None)
                rows = self._all_answer_rows
            else:
                rows = self.answers_source(sorted(wanted))
            cached = {}
            for row_team, question_id, value, count in rows:
                if row_team in wanted:
                    values = cached.setdefault(question_id, {})
                    values[value] = values.get(value, 0) + count
            self._answers_in[team_id] = cached
        return cached

    def answers_by_group(self):
        """{team id: {question id: {value: count}}} over every group's subtree at once,
        from the round's rows read once: for an export, which needs every group. Not
        kept: a whole round's distributions would weigh on the worker's cache."""
        own = defaultdict(dict)
        for row_team, question_id, value, count in self.answers_source(None):
            values = own[row_team].setdefault(question_id, {})
            values[value] = values.get(value, 0) + count
        return _cumulative(self.parents, self.children, own, _add_distributions, dict)

    def subtree(self, team_id):
        """The team's id and the ids of every team below it."""
        found, stack = [], [team_id]
        while stack:
            current = stack.pop()
            found.append(current)
            stack.extend(self.children.get(current, ()))
        return found

    def comment_group(self, team_id, top_id):
        """The nearest group, from the team up to `top_id` (both included), whose
        comments may show: the group a comment stored under the team is shown as
        coming from. None when there is none."""
        current = team_id
        while current is not None:
            if current in self.shown_comments:
                return current
            if current == top_id:
                return None
            current = self.parents.get(current)
        return None

    @cached_property
    def shown_comments(self):
        """Groups whose comments may show."""
        return shown_teams(self.parents, self.tallies, self.thresholds.k_comments)

    def comment_count(self, team_id, theme_key):
        """How many comments on a theme the group holds, where its comments may show;
        None elsewhere (a count is a figure about the commenters like their text)."""
        if team_id not in self.shown_comments:
            return None
        return self.comments.get(team_id, {}).get(theme_key, 0)

    def respondent_count(self, team_id):
        """How many answered in the group, where that number may show; None elsewhere
        (a shown group still has at least k: say that instead)."""
        return self.respondents.get(team_id, 0) if team_id in self.shown_respondents else None

    @cached_property
    def shown_respondents(self):
        """Groups whose number of respondents may be printed: those whose figures and
        whose participation may show. Anyone can count the people invited to a team,
        so "N answered" tells as much as the participation table's "N of M"."""
        return self.shown & self.shown_participation

    @cached_property
    def _participation(self):
        invited, answered = self.participation_source()
        return (_cumulative(self.parents, self.children, invited, _add_numbers, int),
                _cumulative(self.parents, self.children, answered, _add_numbers, int),
                participation_shown(self.parents, self.children, invited, answered,
                                    self.thresholds.k))

    @property
    def invited(self):
        """team -> people invited whose own team is in the subtree."""
        return self._participation[0]

    @property
    def answered(self):
        """team -> of those, how many answered."""
        return self._participation[1]

    @property
    def shown_participation(self):
        """Groups whose invited/answered may show."""
        return self._participation[2]


def participation_shown(parents, children, invited, answered, k):
    """The groups whose invited and answered may show, from each team's own counts.

    Those who answered and those who did not each pass the differencing rule (every
    residual 0 or at least k). That is not enough on its own: Acme 36 invited / 25
    answered, Sales 12 / 6 and Ops 12 / 7 pass it, yet leave Platform at 12 of 12,
    which says of each of the 12 that they answered. So every set of people the shown
    groups carve out must also hold both (or nobody): where one does not, a group
    below it is hidden until it does."""
    not_answered = {t: invited.get(t, 0) - answered.get(t, 0) for t in parents}
    shown = shown_teams(parents, answered, k) & shown_teams(parents, not_answered, k)
    totals = (_cumulative(parents, children, answered, _add_numbers, int),
              _cumulative(parents, children, not_answered, _add_numbers, int))
    while (one_sided := _one_sided_group(shown, children, totals)) is not None:
        shown.discard(_group_to_hide(one_sided, shown, children, totals))
    return shown


def _largest_shown_inside(team_id, shown, children):
    """The shown groups strictly inside a team's group that no other shown one holds."""
    found, stack = [], list(children.get(team_id, ()))
    while stack:
        current = stack.pop()
        if current in shown:
            found.append(current)
        else:
            stack.extend(children.get(current, ()))
    return found


def _residuals(team_id, shown, children, totals):
    """(answered, not answered) in a shown group and in none of the shown groups inside."""
    inside = _largest_shown_inside(team_id, shown, children)
    return tuple(total[team_id] - sum(total[i] for i in inside) for total in totals)


def _one_sided_group(shown, children, totals):
    """A shown group whose residual people all answered, or all did not; else None."""
    for team_id in sorted(shown):
        answered, not_answered = _residuals(team_id, shown, children, totals)
        if (answered == 0) != (not_answered == 0):
            return team_id
    return None


def _group_to_hide(team_id, shown, children, totals):
    """Of the largest shown groups inside, one whose own residual brings the side the
    parent's lacks; failing that, the smallest (hiding it uncovers those below it)."""
    lacking = 0 if _residuals(team_id, shown, children, totals)[0] == 0 else 1

    def rank(inside):
        brings = _residuals(inside, shown, children, totals)[lacking] > 0
        return (not brings, totals[0][inside] + totals[1][inside], inside)
    return min(_largest_shown_inside(team_id, shown, children), key=rank)


def build_facts(parents, tallies, question_counts, answers_source, comment_counts,
                participation, thresholds):
    """RoundFacts from plain counts stored per team (each team alone, not its subtree).

    tallies: {team: respondents}; question_counts: {question: {team: answers}};
    answers_source: [team ids] or None -> [(team, question, value, count)]; comment_counts:
    [(team, theme key, count)]; participation: () -> ({team: invited}, {team: answered}).
    The two functions are called only when a page needs what they return.
    """
    children = _children_of(parents)
    comments = defaultdict(Counter)
    for team_id, theme_key, count in comment_counts:
        comments[team_id][theme_key] += count
    tallies = dict(tallies)
    k = thresholds.k
    shown = shown_teams(parents, tallies, k)
    # Usually everyone answered every scored question, so a question's counts are the
    # tallies and its decision is the same one.
    return RoundFacts(
        parents=parents, children=dict(children), tallies=tallies,
        respondents=_cumulative(parents, children, tallies, _add_numbers, int),
        answers_source=answers_source,
        comments=_cumulative(parents, children, comments, _add_counter, Counter),
        shown=shown,
        shown_questions={q: shown if counts == tallies else shown_teams(parents, counts, k)
                         for q, counts in question_counts.items()},
        participation_source=participation, thresholds=thresholds)


def facts_from_rows(parents, tallies, answer_counts, comment_counts, participation,
                    thresholds):
    """build_facts() from every (team, question, value, count) row held in memory."""
    question_counts = defaultdict(Counter)
    for team_id, question_id, _value, count in answer_counts:
        question_counts[question_id][team_id] += count

    def answers_source(team_ids):
        return [row for row in answer_counts if team_ids is None or row[0] in team_ids]
    return build_facts(parents, tallies, question_counts, answers_source, comment_counts,
                       participation, thresholds)


def _children_of(parents):
    children = defaultdict(list)
    for team_id, parent_id in parents.items():
        if parent_id is not None:
            children[parent_id].append(team_id)
    return children


def _add_numbers(total, part):
    return total + part


def _add_counter(total, part):
    total.update(part)
    return total


def _add_distributions(total, part):
    for question_id, values in part.items():
        into = total.setdefault(question_id, {})
        for value, count in values.items():
            into[value] = into.get(value, 0) + count
    return total


def _cumulative(parents, children, own, add, empty):
    """{team: own value plus every descendant's}, built bottom-up without recursion."""
    order, stack = [], [t for t, p in parents.items() if p is None or p not in parents]
    while stack:
        team_id = stack.pop()
        order.append(team_id)
        stack.extend(children.get(team_id, ()))
    totals = {}
    for team_id in reversed(order):  # every child comes before its parent
        total = add(empty(), own[team_id]) if team_id in own else empty()
        for child in children.get(team_id, ()):
            total = add(total, totals[child])
        totals[team_id] = total
    return totals


# -- loading from the database, cached per round ------------------------------------------

_CACHE = OrderedDict()


def forget_cached_facts():
    _CACHE.clear()


def _fingerprints(round_ids):
    """Something that changes whenever a release adds to a round, or a team is added."""
    teams = Team.select(fn.COUNT(Team.id)).scalar()
    rows = (TeamTally.select(TeamTally.round, fn.SUM(TeamTally.respondents), fn.COUNT(TeamTally.team))
            .where(TeamTally.round.in_(round_ids)).group_by(TeamTally.round).tuples())
    found = {round_id: f"{teams}:{int(total)}:{count}" for round_id, total, count in rows}
    return {round_id: found.get(round_id, f"{teams}:0:0") for round_id in round_ids}


def facts_for_rounds(round_ids, thresholds):
    """{round id: RoundFacts} for these rounds: from this worker's cache, else from a
    stored snapshot, else worked out from the counts (and then stored)."""
    fingerprints = _fingerprints(list(round_ids))
    missing = [r for r in round_ids
               if _CACHE.get((r, thresholds), (None,))[0] != fingerprints[r]]
    if missing:
        parents = dict(_rows(Team.select(Team.id, Team.parent)))
        stored = snapshots.read(missing, thresholds)
        for round_id in missing:
            fingerprint = fingerprints[round_id]
            if stored.get(round_id, (None,))[0] == fingerprint:
                facts = _from_snapshot(round_id, parents, stored[round_id][1], thresholds)
            else:
                facts = _load(round_id, parents, thresholds)
                snapshots.write(round_id, thresholds, fingerprint, facts)
            _CACHE[(round_id, thresholds)] = (fingerprint, facts)
    result = {}
    for round_id in round_ids:
        _CACHE.move_to_end((round_id, thresholds))
        result[round_id] = _CACHE[(round_id, thresholds)][1]
    while len(_CACHE) > CACHED_ROUNDS:
        _CACHE.popitem(last=False)
    return result


def _from_snapshot(round_id, parents, body, thresholds):
    decided = snapshots.parse(body)
    children = _children_of(parents)
    return RoundFacts(
        parents=parents, children=dict(children), tallies=decided["tallies"],
        respondents=decided["respondents"],
        answers_source=lambda team_ids: _answer_rows(round_id, team_ids),
        comments=decided["comments"], shown=decided["shown"],
        shown_questions=decided["shown_questions"],
        participation_source=lambda: _participation(round_id), thresholds=thresholds)


def _rows(query):
    """A query's rows as plain tuples, straight from the cursor: these are only ints,
    and peewee's per-value conversion would cost more than the query itself."""
    return Team._meta.database.execute(query).fetchall()


def _load(round_id, parents, thresholds):
    tallies = dict(_rows(TeamTally.select(TeamTally.team, TeamTally.respondents)
                         .where(TeamTally.round == round_id)))
    question_counts = defaultdict(dict)
    for team_id, question_id, answers in _rows(
            AnswerCount.select(AnswerCount.team, AnswerCount.question, fn.SUM(AnswerCount.count))
            .where(AnswerCount.round == round_id)
            .group_by(AnswerCount.team, AnswerCount.question)):
        question_counts[question_id][team_id] = int(answers)
    comment_counts = _rows(CommentTheme.select(CommentTheme.team, CommentTheme.theme,
                                               fn.COUNT(CommentTheme.comment))
                           .where(CommentTheme.round == round_id)
                           .group_by(CommentTheme.team, CommentTheme.theme))
    return build_facts(parents, tallies, question_counts,
                       lambda team_ids: _answer_rows(round_id, team_ids), comment_counts,
                       lambda: _participation(round_id), thresholds)


def _answer_rows(round_id, team_ids):
    """[(team, question, value, count)] of a round, for these teams or (None) all."""
    query = (AnswerCount.select(AnswerCount.team, AnswerCount.question, AnswerCount.value,
                                AnswerCount.count).where(AnswerCount.round == round_id))
    if team_ids is not None:
        query = query.where(AnswerCount.team.in_(team_ids))
    return _rows(query)


def _participation(round_id):
    """({team: invited}, {team: answered}) by each person's own team at invitation."""
    invited = dict(_rows(Invitation.select(Invitation.team, fn.COUNT(Invitation.id))
                         .where(Invitation.round == round_id).group_by(Invitation.team)))
    answered = dict(_rows(
        Invitation.select(Invitation.team, fn.COUNT(Invitation.id))
        .join(Participation, on=((Participation.round == Invitation.round)
                                 & (Participation.person == Invitation.person)))
        .where(Invitation.round == round_id).group_by(Invitation.team)))
    return invited, answered
