"""The board: the threads a person may read, how fast leaders answer, and the themes
still waiting for an answer.

Response time is the whole days from a round's close to the leader's public answer
on a theme (the post that opens the thread).
"""
import statistics
from dataclasses import dataclass

from peewee import JOIN

from app.accounts import scope
from app.board.conversations import may_manage, may_see
from app.models import Person, Round, Team, Theme, Thread
from app.results import dashboard


def visible_threads(person, status=None, theme_key=None):
    """Threads the person may read, newest activity first, optionally filtered."""
    query = (Thread.select(Thread, Round, Theme, Team, Person)
             .join(Round).switch(Thread).join(Theme).switch(Thread).join(Team)
             .switch(Thread).join(Person, join_type=JOIN.LEFT_OUTER,
                                  on=(Thread.author == Person.id))
             .order_by(Thread.active_on.desc(), Thread.id.desc()))
    if status:
        query = query.where(Thread.status == status)
    if theme_key:
        query = query.where(Thread.theme == theme_key)
    viewer = scope.Viewer(person)
    return [thread for thread in query if may_see(person, thread, viewer)]


def all_threads():
    """Every thread, as the published board (and HR) lists them."""
    return list(Thread.select(Thread, Round, Theme, Team)
                .join(Round).switch(Thread).join(Theme).switch(Thread).join(Team)
                .order_by(Thread.active_on.desc(), Thread.id.desc()))


@dataclass(frozen=True)
class ResponseTime:
    round: Round
    threads: int
    median_days: float


def response_times(threads):
    """Per round (newest first): how many threads, and the median days to answer."""
    by_round = {}
    for thread in threads:
        by_round.setdefault(thread.round_id, (thread.round, []))[1].append(thread.response_days)
    rows = [ResponseTime(round_, len(days), statistics.median(days))
            for round_, days in by_round.values()]
    return sorted(rows, key=lambda row: (row.round.closes_at, row.round.id), reverse=True)


def threads_led_by(person):
    """Threads in the scopes a leader answers for (HR: those they opened)."""
    viewer = scope.Viewer(person)
    return [t for t in visible_threads(person) if may_manage(person, t, viewer)]


def awaiting(view):
    """Themes of a dashboard view that show something and have no thread yet, for
    this group or one above it: [(Theme, what there is to answer)]."""
    scope_ids = [view.scope.id] + [t.id for t in view.scope.ancestors()]
    answered = {row.theme_id for row in Thread.select(Thread.theme).where(
        Thread.round == view.round, Thread.team.in_(scope_ids))}
    found = []
    for entry in view.themes:
        figures = dashboard.figures(view.facts, view.scope.id, entry)
        if not figures.suppressed and entry.theme.key not in answered:
            found.append((entry.theme, _how_many_answered(figures)))
    for theme, comments in dashboard.comment_only_themes(view):
        if theme.key not in answered:
            found.append((theme, f"{comments} comment{'' if comments == 1 else 's'}"))
    return found


def _how_many_answered(figures):
    """"12 answered", or "at least 5 answered" where the number may not show."""
    if figures.answers is None:
        return f"at least {figures.at_least} answered"
    return f"{figures.answers} answered"


@dataclass
class Summary:
    """A thread's theme figures for its group and round; None parts are not shown."""
    card: object            # a dashboard.ThemeCard, or None for a comments-only theme
    comments: int | None


def summary(thread, thresholds):
    view = dashboard.build_view(thread.round, thread.team, thresholds)
    entry = next((e for e in view.themes if e.theme.key == thread.theme_id), None)
    # Comment counts follow the comments' rule (k_comments), like the comments.
    comments = view.facts.comment_count(thread.team_id, thread.theme_id)
    card = dashboard.theme_card(view, entry) if entry else None
    return Summary(card, comments)
