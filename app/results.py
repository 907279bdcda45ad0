"""Released results of a round for a group of teams, read from the counts only.

Every figure here covers at least k respondents, or it is suppressed: no number at
all, and a reason. Dashboards (and their differencing rules) build on this.
"""
from dataclasses import dataclass

from peewee import Case, fn

from app.models import AnswerCount, Question, TeamTally, Theme


@dataclass(frozen=True)
class ThemeScore:
    theme: Theme
    respondents: int | None
    mean: float | None
    favourable_share: float | None
    enps: int | None

    @property
    def suppressed(self):
        return self.respondents is None


@dataclass(frozen=True)
class GroupResults:
    respondents: int | None
    themes: list
    min_group: int

    @property
    def suppressed(self):
        return self.respondents is None


def respondents(round_id, team_ids):
    """Released respondents of a round across these teams."""
    return (TeamTally.select(fn.COALESCE(fn.SUM(TeamTally.respondents), 0))
            .where(TeamTally.round == round_id, TeamTally.team.in_(team_ids)).scalar())


def _sum_where(condition):
    return fn.SUM(Case(None, [(condition, AnswerCount.count)], 0))


def group_results(round_id, team_ids, min_group):
    """Theme scores of a round over a group of teams, suppressed below min_group."""
    count = respondents(round_id, team_ids)
    if count < min_group:
        return GroupResults(None, [], min_group)
    rows = (AnswerCount
            .select(Question.theme, Question.kind,
                    fn.SUM(AnswerCount.count).alias("answers"),
                    fn.SUM(AnswerCount.count * AnswerCount.value).alias("total"),
                    _sum_where(AnswerCount.value >= 4).alias("favourable"),
                    _sum_where(AnswerCount.value >= 9).alias("promoters"),
                    _sum_where(AnswerCount.value <= 6).alias("detractors"))
            .join(Question)
            .where(AnswerCount.round == round_id, AnswerCount.team.in_(team_ids),
                   Question.kind.in_(("likert", "enps")))
            .group_by(Question.theme, Question.kind)
            .dicts())
    themes = {theme.key: theme for theme in Theme.select()}
    scores = []
    for row in rows:
        answers = int(row["answers"] or 0)
        if answers < min_group:
            continue
        theme = themes[row["theme"]]
        if row["kind"] == "enps":
            enps = round(100 * (int(row["promoters"]) - int(row["detractors"])) / answers)
            scores.append(ThemeScore(theme, answers, None, None, enps))
        else:
            scores.append(ThemeScore(theme, answers, int(row["total"]) / answers,
                                     int(row["favourable"]) / answers, None))
    scores.sort(key=lambda score: score.theme.name)
    return GroupResults(count, scores, min_group)
