"""The employee pulse: open a personal link, answer, send.

The token in a personal link is exchanged at once for a short session and dropped
from the address bar (and from history, referrers and screenshots).
"""
import time

from flask import Blueprint, abort, current_app, redirect, request, session, url_for

from app.accounts import credentials
from app.crypto import links
from app.models import invitation_by_id
from app.pulse import answering
from app.views.access import public, sign_in
from app.views.extensions import thresholds
from app.views.forms import pulse as forms
from app.views.params import use_converters
from app.views.rendering import render

bp = Blueprint("employee", __name__)
use_converters(bp)
SESSION_KEY = "pulse"


@bp.get("/p/<secret:token>")
@public
def open_link(token):
    """Start a pulse session from a personal link, then forget the token."""
    invitation = links.invitation_for_token(token)
    if invitation is None:
        return invalid_link()
    start_session(SESSION_KEY, invitation=invitation.id)
    return redirect(url_for("employee.pulse"), 303)


def start_session(key, **state):
    """A fresh session from a link (an invitation's or a poster's), for
    PULSE_SESSION_MINUTES; whatever the browser held before is dropped."""
    session.clear()
    minutes = current_app.config["PULSE_SESSION_MINUTES"]
    session[key] = {**state, "until": int(time.time()) + 60 * minutes}


@bp.get("/pulse")
@public
def pulse():
    """The questions, or the thank-you once answered."""
    pulse = _current_pulse()
    if pulse.answered:
        # ?sent=1 only chooses the wording ("thank you" or "already answered").
        return _answered(pulse, just_sent=request.args.get("sent") == "1")
    form = forms.pulse_form(pulse.questions, formdata=None)
    return render("employee/pulse.html", "employee/partials/pulse_form.html",
                  pulse=pulse, form=form)


@bp.post("/pulse")
@public
def submit():
    """Check and record the answers; a second send of the same round records nothing."""
    pulse = _current_pulse()  # a second answer is refused by the participation key below
    form = forms.pulse_form(pulse.questions)
    unexpected = forms.unexpected_fields(form, request.form)
    if unexpected:
        abort(400, "This form does not take: " + "; ".join(unexpected) + ". Nothing was saved.")
    if not form.validate_on_submit():
        return render("employee/pulse.html", "employee/partials/pulse_form.html", 422,
                      pulse=pulse, form=form)
    scores, comments, signed = forms.answers_from(form)
    try:
        answering.record_answers(pulse.invitation, scores, comments, signed,
                                 batch_size=thresholds().k)
    except answering.AlreadyAnswered:
        return _answered(pulse, status=409)
    except answering.RoundClosed:
        return invalid_link()
    if current_app.htmx:
        return _answered(pulse, just_sent=True)
    return redirect(url_for("employee.pulse", sent=1), 303)


@bp.post("/pulse/board")
@public
def to_board():
    """From the pulse to the board, signed in as the person the link was sent to.

    Only employees: a leader's or HR person's board session needs their password and
    second factor, which a personal link is not.
    """
    person = _current_pulse().invitation.person
    if not person.is_employee or not credentials.can_hold_session(person):
        session["notice"] = "Sign in to read and answer on the board."
        return redirect(url_for("auth.sign_in_page", next=url_for("board.index")), 303)
    sign_in(person)
    return redirect(url_for("board.index"), 303)


def _answered(pulse, just_sent=False, status=200):
    return render("employee/answered.html", "employee/partials/answered.html", status,
                  pulse=pulse, just_sent=just_sent)


def invalid_link(timed_out=False, poster=False):
    """One answer for every link that does not work, whatever the reason (a session
    that timed out says so: it is the person's own, and their answers were not sent).
    poster: the link came from a QR poster, not an invitation."""
    session.pop(SESSION_KEY, None)
    return render("employee/invalid_link.html", "employee/partials/invalid_link.html", 404,
                  timed_out=timed_out, poster=poster)


def _current_pulse():
    state = session.get(SESSION_KEY)
    if not isinstance(state, dict):
        abort(invalid_link())
    if state.get("until", 0) < time.time():
        abort(invalid_link(timed_out=True))
    invitation_id = state.get("invitation")
    invitation = invitation_by_id(invitation_id) if isinstance(invitation_id, int) else None
    if invitation is None or not invitation.round.is_open():
        abort(invalid_link())
    return answering.pulse_for(invitation, thresholds().k)
