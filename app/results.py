"""Released results of a round for a group of teams, read from the tallies only.

Every figure here covers at least k respondents, or it is suppressed: no number at
all, and a reason. Dashboards (and their differencing rules) build on this.
"""
from dataclasses import dataclass

from peewee import fn

from app.models import Question, QuestionTally, TeamTally, Theme


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


def group_results(round_id, team_ids, min_group):
    """Theme scores of a round over a group of teams, suppressed below min_group."""
    count = respondents(round_id, team_ids)
    if count < min_group:
        return GroupResults(None, [], min_group)
    rows = (QuestionTally
            .select(Question.theme, Question.kind,
                    fn.SUM(QuestionTally.answers).alias("answers"),
                    fn.SUM(QuestionTally.total).alias("total"),
                    fn.SUM(QuestionTally.favourable).alias("favourable"),
                    fn.SUM(QuestionTally.promoters).alias("promoters"),
                    fn.SUM(QuestionTally.detractors).alias("detractors"))
            .join(Question)
            .where(QuestionTally.round == round_id, QuestionTally.team.in_(team_ids),
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
