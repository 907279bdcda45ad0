"""Answering through an open link (a QR poster): pick a team, answer, send.

The token is exchanged at once for a short session and dropped from the address bar,
as a personal link's is. Sending is rate-limited per browser and per address, since
the link cannot tell one person from another.
"""
import time

from flask import Blueprint, abort, redirect, request, session, url_for

from app.models import OpenLink, Round
from app.pulse import answering, open_links
from app.views.access import public
from app.views.employee import invalid_link, start_session
from app.views.extensions import thresholds
from app.views.forms import pulse as forms
from app.views.forms.delivery import TeamChoiceForm
from app.views.limits import limit_open_answers, remember_device
from app.views.params import use_converters
from app.views.rendering import render

bp = Blueprint("open_pulse", __name__)
use_converters(bp)
SESSION_KEY = "open"


@bp.get("/o/<secret:token>")
@public
def open_link(token):
    link = open_links.link_for_token(token)
    if link is None:
        return invalid_link(poster=True)
    start_session(SESSION_KEY, link=link.id)
    return remember_device(redirect(url_for("open_pulse.choose_team"), 303))


@bp.get("/open")
@public
def choose_team():
    link, _state = _current()
    teams = open_links.teams_of(link)
    if len(teams) == 1:  # nothing to choose
        return _start(link, teams[0])
    return render("employee/open_team.html", "employee/partials/open_team.html",
                  link=link, teams=teams)


@bp.post("/open")
@public
def pick_team():
    link, _state = _current()
    form = TeamChoiceForm()
    form.validate()  # it only types: whether the team is the link's, team_in says
    team = open_links.team_in(link, form.team.data)
    if team is None:
        return render("employee/open_team.html", "employee/partials/open_team.html", 422,
                      link=link, teams=open_links.teams_of(link),
                      error="Choose your team from the list.")
    return _start(link, team)


def _start(link, team):
    open_rounds = open_links.rounds_for(team)
    if not open_rounds:
        return render("employee/open_none.html", "employee/partials/open_none.html",
                      link=link, team=team)
    # The pulses this browser sent already come last: after them, the first again
    # (a shared tablet, the next colleague).
    done = session[SESSION_KEY].get("done", [])
    open_rounds.sort(key=lambda r: r.id in done)
    session[SESSION_KEY] = {**session[SESSION_KEY], "team": team.id,
                            "round": open_rounds[0].id}
    return redirect(url_for("open_pulse.pulse"), 303)


@bp.get("/open/pulse")
@public
def pulse():
    open_pulse = _current_pulse()
    form = forms.pulse_form(open_pulse.questions, formdata=None)
    return _form_page(open_pulse, form)


@bp.post("/open/pulse")
@public
@limit_open_answers
def submit():
    open_pulse = _current_pulse()
    form = forms.pulse_form(open_pulse.questions)
    unexpected = forms.unexpected_fields(form, request.form)
    if unexpected:
        abort(400, "This form does not take: " + "; ".join(unexpected) + ". Nothing was saved.")
    if not form.validate_on_submit():
        return _form_page(open_pulse, form, 422)
    scores, comments, _signed = forms.answers_from(form)  # an open link cannot sign
    try:
        open_links.record(open_pulse, scores, comments,
                          batch_size=thresholds().k)
    except answering.RoundClosed:
        return invalid_link(poster=True)
    state = dict(session[SESSION_KEY])
    state.pop("round")
    state["done"] = [*state.get("done", []), open_pulse.round.id][-10:]
    session[SESSION_KEY] = state
    later = [r for r in open_links.rounds_for(open_pulse.team) if r.id not in state["done"]]
    return render("employee/open_sent.html", "employee/partials/open_sent.html",
                  pulse=open_pulse, more=later)


def _form_page(open_pulse, form, status=200):
    return render("employee/open_pulse.html", "employee/partials/pulse_form.html", status,
                  pulse=open_pulse, form=form, submit_url=url_for("open_pulse.submit"))


def _current():
    state = session.get(SESSION_KEY)
    if not isinstance(state, dict) or not isinstance(state.get("link"), int):
        abort(invalid_link(poster=True))
    if state.get("until", 0) < time.time():
        abort(invalid_link(timed_out=True, poster=True))
    link = OpenLink.get_or_none(OpenLink.id == state["link"])
    if link is None or link.revoked_at is not None:
        abort(invalid_link(poster=True))
    return link, state


def _current_pulse():
    link, state = _current()
    team = open_links.team_in(link, state.get("team"))
    round_ = Round.get_or_none(Round.id == state.get("round")) \
        if isinstance(state.get("round"), int) else None
    if team is None or round_ is None:
        abort(redirect(url_for("open_pulse.choose_team"), 303))
    if not round_.is_open():
        abort(invalid_link(poster=True))
    return open_links.pulse_for(round_, team, thresholds().k)
