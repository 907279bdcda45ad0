"""HR exports: the themes of closed rounds and, where the operator allows it, their
comments, as CSV files that stream.

What a row may show is what the dashboards may show: app.results.aggregates decides once per
round, for the whole organisation, which groups pass the threshold and the
differencing rule. A file holds many groups of one round side by side (a parent and
its children), which is exactly the case that decision is made for: any sum or
difference of shown figures describes 0 or at least k people. A row of a group that
may not show keeps its labels, says `suppressed`, and carries no figures.

Each export is recorded in the audit log before its first byte leaves: who, what, the
filters and the number of rows. No export names who answered or who wrote a comment.
"""
from dataclasses import dataclass, field

from peewee import JOIN, Tuple, fn

from app.accounts import audit, scope
from app.board.conversations import STATUS_LABELS
from app.crypto import blobs, keys
from app.exports import spreadsheet
# What an export covers is chosen in app.exports.choice; callers find it all here.
from app.exports.choice import ExportError, NotAllowed, NotFound, Selection, choose  # noqa: F401
from app.models import Comment, CommentTheme, DataKey, Post, Round, Team, Theme, Thread, utcnow
from app.results import dashboard
from app.results.aggregates import facts_for_rounds

KINDS = ("themes", "comments")
# `respondents` is exact only where participation may show; `respondents_at_least` is
# filled on every row with figures, so a spreadsheet can always filter on it.
THEME_HEADER = ("round", "round_closed", "team_path", "theme", "respondents",
                "respondents_at_least", "mean_score", "favourable_share", "enps", "comments",
                "thread_status",
                "days_to_leader_reply", "replies", "reactions", "suppressed")
COMMENT_HEADER = ("round", "round_closed", "team_path", "theme", "comment")
COMMENTS_PER_QUERY = 2000


# -- the themes file --------------------------------------------------------------------

@dataclass
class _RoundPlan:
    """One round's part of the themes file: its groups and its themes."""
    round: Round
    facts: object
    teams: list
    themes: list = field(default_factory=list)  # ThemeQuestions, or a Theme (comments only)

    @property
    def rows(self):
        return len(self.teams) * len(self.themes)


def _theme_plans(selection, thresholds):
    facts = facts_for_rounds([r.id for r in selection.rounds], thresholds)
    teams = list(Team.select().order_by(Team.path))
    all_themes = {theme.key: theme for theme in Theme.select()}
    asked_by_survey = {}
    plans = []
    for round_ in selection.rounds:
        top = selection.scope_of(round_)
        asked = asked_by_survey.setdefault(round_.survey_id,
                                           dashboard.survey_themes(round_.survey_id))
        asked_keys = {entry.theme.key for entry in asked}
        comment_only = sorted((all_themes[key] for key in _mentioned(facts[round_.id],
                                                                    round_.team_id)
                               if key not in asked_keys and key in all_themes),
                              key=lambda theme: theme.name.lower())
        plans.append(_RoundPlan(round_, facts[round_.id],
                                [t for t in teams if scope.within(t, top)],
                                asked + comment_only))
    return plans


def _mentioned(facts, team_id):
    """The theme keys a group's comments reached, where its comments may show: that a
    theme came up at all is a figure about those who wrote."""
    return [key for key in facts.comments.get(team_id, {}) if facts.comment_count(team_id, key)]


def _theme_rows(plans):
    threads = _threads_of([plan.round.id for plan in plans])
    for plan in plans:
        counts = plan.facts.answers_by_group()
        for team in plan.teams:
            for entry in plan.themes:
                yield theme_row(plan.round, plan.facts, counts.get(team.id, {}), team, entry,
                                threads)


def theme_row(round_, facts, counts, team, entry, threads):
    """One row of themes.csv: a theme (a ThemeQuestions, or a Theme reached only by
    comments) in a team's group, with the figures the facts allow and its thread."""
    if isinstance(entry, Theme):
        theme, figures = entry, _comment_only_figures(facts, team.id, entry.key)
    else:
        theme, figures = entry.theme, dashboard.figures(facts, team.id, entry, counts)
    thread = threads.get((round_.id, theme.key, team.id))
    return ([round_.name, round_.closes_at.date().isoformat(), team.path, theme.name]
            + _figure_cells(figures) + _thread_cells(thread, figures.suppressed)
            + [figures.suppressed])


def _comment_only_figures(facts, team_id, theme_key):
    """A theme no scored question asks about: the group's respondents and comments,
    each where its own rule lets it show."""
    if team_id not in facts.shown:
        return dashboard.Figures()
    return dashboard.Figures(answers=facts.respondent_count(team_id),
                             comments=facts.comment_count(team_id, theme_key),
                             at_least=facts.thresholds.k)


def _figure_cells(figures):
    at_least = figures.at_least if figures.answers is None else figures.answers
    return [figures.answers, at_least,
            None if figures.mean is None else round(figures.mean, 2),
            None if figures.favourable is None else round(figures.favourable, 3),
            figures.enps, figures.comments]


@dataclass(frozen=True)
class ThreadFigures:
    """What the themes file says of a group's thread on a theme."""
    status: str
    response_days: int | None  # until a leader first answered
    replies: int
    reactions: int             # on the thread and on its replies still shown


def _thread_cells(thread, suppressed):
    if thread is None:
        return [None, None, None, None]
    status = STATUS_LABELS.get(thread.status, thread.status)
    if suppressed:
        return [status, None, None, None]
    return [status, thread.response_days, thread.replies, thread.reactions]


def _threads_of(round_ids):
    """{(round, theme, team): ThreadFigures} of the threads on these rounds."""
    on_replies = dict(Post.select(Post.thread, fn.SUM(Post.me_too + Post.helpful))
                      .join(Thread).where(Thread.round.in_(round_ids),
                                          Post.hidden_reason.is_null())
                      .group_by(Post.thread).tuples())
    found = {}
    for thread in Thread.select().where(Thread.round.in_(round_ids)):
        found[(thread.round_id, thread.theme_id, thread.team_id)] = ThreadFigures(
            thread.status, thread.response_days, thread.replies,
            thread.me_too + thread.helpful + int(on_replies.get(thread.id) or 0))
    return found


# -- the comments file ------------------------------------------------------------------

@dataclass
class _CommentPlan:
    round: Round
    labels: dict               # stored team id -> the group the comment is shown under
    rows: int


def comment_labels(facts, top_id, teams):
    """{stored team id: Team} for every team in the group `top_id` whose comments may
    show, each named by its nearest group that may show comments (as on the theme
    pages). Teams with no such group are left out, and so are their comments."""
    labels = {}
    for team_id in facts.subtree(top_id):
        group = facts.comment_group(team_id, top_id)
        if group is not None:
            labels[team_id] = teams[group]
    return labels


def _comment_plans(selection, thresholds):
    facts = facts_for_rounds([r.id for r in selection.rounds], thresholds)
    teams = {team.id: team for team in Team.select()}
    shredded = {key.id for key in DataKey.select(DataKey.id).where(DataKey.wrapped.is_null())}
    plans = []
    for round_ in selection.rounds:
        if round_.data_key_id in shredded:
            continue  # its comments were erased with its key: nothing left to read
        labels = comment_labels(facts[round_.id], selection.scope_of(round_).id, teams)
        stored = (CommentTheme.select(CommentTheme.team, fn.COUNT(CommentTheme.comment))
                  .where(CommentTheme.round == round_.id).group_by(CommentTheme.team).tuples())
        rows = sum(count for team_id, count in stored if team_id in labels)
        if rows:
            plans.append(_CommentPlan(round_, labels, rows))
    return plans


def _comment_rows(plans):
    keyring = keys.current()
    names = dict(Theme.select(Theme.key, Theme.name).tuples())
    for plan in plans:
        round_ = plan.round
        closed = round_.closes_at.date().isoformat()
        for theme_key, team_id, comment_id, sealed in _routed_comments(round_.id,
                                                                       list(plan.labels)):
            text = keyring.open(sealed, blobs.place("comment", "sealed", comment_id, round_.id))
            yield [round_.name, closed, plan.labels[team_id].path, names[theme_key],
                   text.decode()]


def _routed_comments(round_id, team_ids):
    """(theme, team, comment id, sealed text) of a round's routed comments, by theme,
    team and random id (never the order they came in), read COMMENTS_PER_QUERY at a
    time: a million rows never sit in memory together."""
    position = CommentTheme.theme, CommentTheme.team, CommentTheme.comment
    after = None
    while True:
        query = (CommentTheme.select(*position, Comment.sealed)
                 .join(Comment, JOIN.INNER, on=(CommentTheme.comment == Comment.id))
                 .where(CommentTheme.round == round_id, CommentTheme.team.in_(team_ids))
                 .order_by(*position).limit(COMMENTS_PER_QUERY))
        if after is not None:
            query = query.where(Tuple(*position) > Tuple(*after))
        rows = CommentTheme._meta.database.execute(query).fetchall()
        for theme_key, team_id, comment_id, sealed in rows:
            yield theme_key, team_id, bytes(comment_id), bytes(sealed)
        if len(rows) < COMMENTS_PER_QUERY:
            return
        after = rows[-1][:3]


# -- starting an export -----------------------------------------------------------------

@dataclass
class Export:
    """A file ready to stream: its name, how many rows it holds, and its bytes."""
    filename: str
    rows: int
    chunks: object


def may_export_comments(person, allowed):
    """Raise NotAllowed unless comments may be exported (by this person, or, given
    None, from the command line)."""
    if not allowed:
        raise NotAllowed("Exporting comments is turned off. The operator can allow it with "
                         "HEARD_ALLOW_COMMENT_EXPORT=true.")
    if person is not None and not person.is_hr:
        raise NotAllowed("Only HR may export comments.")


def start(kind, selection, actor, thresholds, excel=False, now=None):
    """Plan an export, record it in the audit log, and return it ready to stream.

    actor: the person asking, or None for the command line. Raises ExportError when
    there is nothing to put in the file: an empty file is never handed out as success.
    """
    now = now or utcnow()
    if kind == "themes":
        plans = _theme_plans(selection, thresholds)
        header, rows = THEME_HEADER, _theme_rows(plans)
    elif kind == "comments":
        plans = _comment_plans(selection, thresholds)
        header, rows = COMMENT_HEADER, _comment_rows(plans)
    else:
        raise NotFound(f"There is no “{kind[:40]}” export; there are {', '.join(KINDS)}.")
    count = sum(plan.rows for plan in plans)
    if not count:
        raise ExportError(_empty(kind, selection, thresholds.k_comments))
    filename = file_name(kind, selection, now.date())
    audit.record(actor, f"export_{kind}", filename, now=now, rows=count, excel=excel,
                 **selection.filters())
    return Export(filename, count, spreadsheet.encode(header, rows, bom=excel))


def _empty(kind, selection, k_comments):
    if kind == "comments":
        return (f"No comment of these rounds may be exported: comments leave only from "
                f"groups of at least {k_comments} respondents, and a round whose key was "
                f"destroyed has none left.")
    return "These rounds have no themes to export."


def file_name(kind, selection, day):
    """heard-themes-<round or range>[-<team>]-<day>.csv, safe whatever the names."""
    if selection.round_id is not None:
        round_ = selection.rounds[0]
        what = spreadsheet.name_part(round_.name, f"round-{round_.id}")
    elif selection.since and selection.until:
        what = f"{selection.since}-to-{selection.until}"
    elif selection.since:
        what = f"since-{selection.since}"
    elif selection.until:
        what = f"until-{selection.until}"
    else:
        what = "all-rounds"
    parts = ["heard", kind, what]
    if selection.team is not None:
        parts.append(spreadsheet.name_part(selection.team.path, f"team-{selection.team.id}"))
    return "-".join(parts + [day.isoformat()]) + ".csv"
