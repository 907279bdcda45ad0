"""The themes dashboard and the theme page, for one group of teams in one round.

Every figure comes from app.results.aggregates, which says which groups may show what. A
suppressed figure is None: templates show the reason, never a number.
"""
from dataclasses import dataclass, field

from peewee import JOIN

from app.crypto import blobs, keys
from app.models import Comment, CommentTheme, Person, Question, Round, Team, Theme
from app.results.aggregates import facts_for_rounds

TREND_ROUNDS = 8
COMMENTS_PER_PAGE = 25
SCORED = ("likert", "enps")


@dataclass(frozen=True)
class Figures:
    """A theme's figures for a group, or all None when they may not be shown.

    Shown figures always cover at least `at_least` people; `answers` is the exact
    number only where the group's participation may show, and `comments` only where
    its comments may (app.results.aggregates)."""
    answers: int | None = None
    mean: float | None = None
    favourable: float | None = None
    enps: int | None = None
    comments: int | None = None
    at_least: int | None = None

    @property
    def suppressed(self):
        return self.at_least is None


@dataclass
class ThemeCard:
    theme: Theme
    metric: str                # "mean" (1-5) or "enps" (-100..100)
    now: Figures
    change: float | None       # against the previous round, when both are shown
    trend: list = field(default_factory=list)  # [(round name, value or None)], oldest first


@dataclass
class Row:
    """One team group in the heatmap or the participation table."""
    team: Team
    shown: bool
    values: list = field(default_factory=list)


@dataclass
class View:
    """Everything the dashboard of one round and group needs."""
    round: Round
    scope: Team
    series: list               # the rounds of the trend, oldest first, this one last
    facts: object
    themes: list               # ThemeQuestions of the survey
    facts_by_round: dict = field(default_factory=dict)  # round id -> RoundFacts, the series'
    scope_path: list = field(default_factory=list)  # the teams above the scope it may open
    may_open: object = None    # team -> whether the viewer may open that team's group


@dataclass
class ThemeQuestions:
    theme: Theme
    questions: list            # (question id, kind, prompt)

    @property
    def metric(self):
        kinds = {kind for _id, kind, _prompt in self.questions}
        return "enps" if kinds == {"enps"} else "mean"


def survey_themes(survey_id):
    """The themes a survey's scored questions belong to (retired questions included,
    so older rounds keep their figures), in the order the survey asks them."""
    found = {}
    query = (Question.select(Question, Theme).join(Theme)
             .where(Question.survey == survey_id, Question.kind.in_(SCORED))
             .order_by(Question.position))
    for question in query:
        entry = found.setdefault(question.theme_id, ThemeQuestions(question.theme, []))
        entry.questions.append((question.id, question.kind, question.prompt))
    return list(found.values())


def series_of(round_):
    """Closed rounds of the same survey and team up to this one, oldest first."""
    earlier = (Round.select().where(Round.survey == round_.survey_id,
                                    Round.team == round_.team_id,
                                    Round.closed_at.is_null(False),
                                    Round.closes_at <= round_.closes_at)
               .order_by(Round.closes_at.desc(), Round.id.desc()).limit(TREND_ROUNDS))
    return list(reversed(list(earlier)))


def build_view(round_, scope, thresholds):
    series = series_of(round_)
    if round_ not in series:
        series.append(round_)
    facts = facts_for_rounds([r.id for r in series], thresholds)
    return View(round_, scope, series, facts[round_.id], survey_themes(round_.survey_id),
                facts_by_round=facts)


def figures(facts, team_id, entry, counts=None):
    """A theme's figures for a group, or Figures() when any part may not be shown.

    counts: the group's {question id: {value: count}} when the caller has them already
    (an export reads every group's at once); by default read through the facts."""
    if team_id not in facts.shown:
        return Figures()
    counts = facts.answers_in(team_id) if counts is None else counts
    used = [(qid, kind) for qid, kind, _prompt in entry.questions if counts.get(qid)]
    if not used or not all(facts.question_shown(team_id, qid) for qid, _kind in used):
        return Figures()
    likert = [counts[qid] for qid, kind in used if kind == "likert"]
    enps = [counts[qid] for qid, kind in used if kind == "enps"]
    answers = max(sum(c.values()) for c in likert + enps)
    mean = favourable = score = None
    if likert:
        total = sum(sum(c.values()) for c in likert)
        mean = sum(v * n for c in likert for v, n in c.items()) / total
        favourable = sum(n for c in likert for v, n in c.items() if v >= 4) / total
    if enps:
        total = sum(sum(c.values()) for c in enps)
        promoters = sum(n for c in enps for v, n in c.items() if v >= 9)
        detractors = sum(n for c in enps for v, n in c.items() if v <= 6)
        score = round(100 * (promoters - detractors) / total)
    if team_id not in facts.shown_respondents:
        answers = None
    return Figures(answers, mean, favourable, score,
                   facts.comment_count(team_id, entry.theme.key), facts.thresholds.k)


def _metric_value(figures_, metric):
    return figures_.enps if metric == "enps" else figures_.mean


def theme_card(view, entry):
    """A theme's card: its figures now, the change, and the trend."""
    history = [figures(view.facts_by_round[r.id], view.scope.id, entry)
               for r in view.series]
    values = [_metric_value(f, entry.metric) for f in history]
    change = None
    if len(values) >= 2 and values[-1] is not None and values[-2] is not None:
        change = values[-1] - values[-2]
    trend = [(r.name, value) for r, value in zip(view.series, values)]
    return ThemeCard(entry.theme, entry.metric, history[-1], change, trend)


def theme_cards(view):
    return [theme_card(view, entry) for entry in view.themes]


def comment_only_themes(view):
    """[(Theme, comments)] for themes no scored question asks about, which comments
    reached through their keywords; empty where the group's comments may not show
    (that a theme was mentioned at all is a figure about its commenters)."""
    facts, scope_id = view.facts, view.scope.id
    asked = {entry.theme.key for entry in view.themes}
    counts = {key: facts.comment_count(scope_id, key)
              for key in facts.comments.get(scope_id, {}) if key not in asked}
    counts = {key: n for key, n in counts.items() if n}
    themes = Theme.select().where(Theme.key.in_(list(counts))).order_by(Theme.name)
    return [(theme, counts[theme.key]) for theme in themes]


def groups_below(view):
    """The scope's group and the groups of its direct child teams."""
    children = view.facts.children.get(view.scope.id, [])
    teams = {t.id: t for t in Team.select().where(Team.id.in_(children))}
    return [view.scope] + sorted(teams.values(), key=lambda t: t.name.lower())


def heatmap(view):
    rows = []
    for team in groups_below(view):
        shown = team.id in view.facts.shown
        values = [_metric_value(figures(view.facts, team.id, e), e.metric) for e in view.themes]
        rows.append(Row(team, shown, values))
    return rows


def participation(view):
    rows = []
    for team in groups_below(view):
        facts = view.facts
        if team.id in facts.shown_participation:
            invited, answered = facts.invited[team.id], facts.answered[team.id]
            rows.append(Row(team, True, [invited, answered, answered / invited]))
        else:
            rows.append(Row(team, False))
    return rows


def distribution(view, entry):
    """Per scored question of a theme: (prompt, kind, bars, in_percent), bars being
    [(value, count)] over its scale, or None when not shown.

    The counts add up to how many answered, so where that number may not show
    (app.results.aggregates' shown_respondents) the bars are whole percentages instead."""
    facts, scope_id = view.facts, view.scope.id
    counts = facts.answers_in(scope_id)
    in_percent = scope_id not in facts.shown_respondents
    found = []
    for qid, kind, prompt in entry.questions:
        values = counts.get(qid)
        if not values:
            continue
        shown = scope_id in facts.shown and facts.question_shown(scope_id, qid)
        scale = range(0, 11) if kind == "enps" else range(1, 6)
        bars = [(v, values.get(v, 0)) for v in scale] if shown else None
        if bars and in_percent:
            total = sum(values.values())
            bars = [(v, round(100 * n / total)) for v, n in bars]
        found.append((prompt, kind, bars, in_percent))
    return found


@dataclass(frozen=True)
class ShownComment:
    text: str
    team: Team | None          # where the comment's team may be named
    author: str | None         # only when the person chose to sign


def comments(view, theme_key, page):
    """One page of the comments routed to a theme in the scope, in random order (the
    ids are random), and how many there are. None when they may not be shown."""
    facts, scope_id = view.facts, view.scope.id
    if scope_id not in facts.shown_comments:
        return None, 0
    team_ids = facts.subtree(scope_id)
    base = (CommentTheme.select().where(CommentTheme.round == view.round.id,
                                        CommentTheme.theme == theme_key,
                                        CommentTheme.team.in_(team_ids)))
    total = base.count()
    rows = (Comment.select(Comment.id, Comment.team, Comment.sealed, Person.name)
            .join(CommentTheme, on=(CommentTheme.comment == Comment.id))
            .switch(Comment).join(Person, join_type=JOIN.LEFT_OUTER, on=(Comment.author == Person.id))
            .where(CommentTheme.round == view.round.id, CommentTheme.theme == theme_key,
                   CommentTheme.team.in_(team_ids))
            .order_by(Comment.id).limit(COMMENTS_PER_PAGE)
            .offset((page - 1) * COMMENTS_PER_PAGE).tuples())
    rows = list(rows)
    keyring = keys.current()
    labels = _labels(facts, scope_id, {row[1] for row in rows})
    shown = []
    for row_id, team_id, sealed, author in rows:
        text = keyring.open(sealed, blobs.place("comment", "sealed", bytes(row_id),
                                                 view.round.id)).decode()
        shown.append(ShownComment(text, labels.get(team_id), author))
    return shown, total


def _labels(facts, scope_id, team_ids):
    """Each stored team's nearest group that may show comments, strictly inside the
    scope (naming the scope itself adds nothing)."""
    nearest = {team_id: facts.comment_group(team_id, scope_id) for team_id in team_ids}
    nearest = {team_id: group for team_id, group in nearest.items()
               if group not in (None, scope_id)}
    teams = {t.id: t for t in Team.select().where(Team.id.in_(set(nearest.values())))}
    return {team_id: teams[found] for team_id, found in nearest.items()}
