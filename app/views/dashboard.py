"""The themes dashboard and the theme page, for leaders (their teams) and HR (all).

Query parameters choose the round (`round`, default: the latest closed one the viewer
may see) and the group (`team`, default: the viewer's own area in that round). An id
that does not exist, or that the viewer may not see, is a 404 with a sentence saying
so; a group too small to show anything gets the page with every figure suppressed
and the reason.
"""
from dataclasses import replace

from flask import Blueprint, abort, render_template
from flask_login import current_user

from app.accounts import scope
from app.board import conversations, listing
from app.models import Round, Team, Theme
from app.models.org import STAFF_ROLES
from app.results import charts, dashboard
from app.views.access import staff
from app.views.extensions import thresholds
from app.views.params import query_id, query_page, use_converters

bp = Blueprint("dashboard", __name__)
use_converters(bp)
VIEWERS = STAFF_ROLES


def chosen_view():
    """The round and group asked for, checked against what the viewer may see."""
    viewer = scope.Viewer(current_user.person)
    rounds = viewer.closed_rounds()
    round_id = query_id("round")
    if round_id is None:
        if not rounds:
            return None, rounds
        round_ = rounds[0]
    else:
        round_ = next((r for r in rounds if r.id == round_id), None)
        if round_ is None:
            abort(404, "There is no closed round with that number among the rounds you "
                       "may see.")
    team_id = query_id("team")
    if team_id is None:
        team = viewer.default_scope(round_)
    else:
        team = Team.get_or_none(Team.id == team_id)
        if team is None or not viewer.may_view(team):
            abort(404, "There is no team with that number among the teams you may see.")
        if not scope.in_round(team, round_):
            abort(404, f"{team.path} was not part of the round “{round_.name}”.")
    scope_path = [t for t in reversed(team.ancestors())
                  if viewer.may_view(t) and scope.in_round(t, round_)] + [team]
    return replace(dashboard.build_view(round_, team, thresholds()), may_open=viewer.may_view,
                   scope_path=scope_path), rounds


@bp.get("/themes")
@staff(*VIEWERS)
def themes():
    view, rounds = chosen_view()
    if view is None:
        return render_template("dashboard/no_rounds.html")
    return render_template("dashboard/themes.html", view=view, rounds=rounds,
                           cards=dashboard.theme_cards(view), heatmap=dashboard.heatmap(view),
                           participation=dashboard.participation(view),
                           extra=dashboard.comment_only_themes(view), trend_svg=charts.trend_svg,
                           awaiting=listing.awaiting(view),
                           times=listing.response_times(listing.threads_led_by(current_user.person)))


@bp.get("/themes/<key:theme_key>")
@staff(*VIEWERS)
def theme(theme_key):
    view, rounds = chosen_view()
    if view is None:
        return render_template("dashboard/no_rounds.html")
    entry = next((e for e in view.themes if e.theme.key == theme_key), None)
    if entry is None:
        found = Theme.get_or_none(Theme.key == theme_key)
        if found is None:
            abort(404, "There is no theme by that name.")
        entry = dashboard.ThemeQuestions(found, [])  # comments only: no question asks it
    page = query_page()
    comments, total = dashboard.comments(view, entry.theme.key, page)
    if comments is not None and page > 1 and not comments:
        abort(404, "There is no such page of comments.")
    card = dashboard.theme_card(view, entry) if entry.questions else None
    return render_template("dashboard/theme.html", view=view, rounds=rounds, entry=entry,
                           card=card, distribution=dashboard.distribution(view, entry),
                           comments=comments, total=total, page=page,
                           per_page=dashboard.COMMENTS_PER_PAGE, trend_svg=charts.trend_svg,
                           thread=conversations.thread_for(view.round, entry.theme, view.scope))


def round_label(round_: Round):
    return f"{round_.name} (closed {round_.closes_at:%-d %b %Y})"


def metric(value, kind):
    """3.4 for a mean, +12 for an eNPS."""
    return f"{value:+d}" if kind == "enps" else f"{value:.1f}"


def change(value, kind):
    arrow = "▲" if value > 0 else ("▼" if value < 0 else "=")
    return f"{arrow} {abs(value):d}" if kind == "enps" else f"{arrow} {abs(value):.1f}"


def heat(value, kind):
    """A colour class s1 (worst) to s5 (best) for a heatmap cell."""
    position = (value + 100) / 50 + 1 if kind == "enps" else value
    return f"s{min(5, max(1, round(position)))}"


def init_app(app):
    app.jinja_env.filters.update(round_label=round_label, metric=metric, change=change,
                                 heat=heat)
