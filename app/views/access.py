"""Who may use each route: declared on every view, enforced before every request.

A view is marked `@public` (anyone: the front door, health, sign-in, the pulse, whose
own check is the personal-link session), `@member()` (anyone signed in, employees too:
the board) or `@staff(roles)` (signed-in leaders, HR or admins). A view without a rule
is refused, and a test walks the route table to keep it that way. A signed-in person
who lacks the role gets 404, as if the page did not exist: nobody learns which teams
or pages are there.

Sessions are cookies that carry the person's session epoch. The epoch is checked
against the database on every request, so logging out, a password change or a
disabled account ends every session at once, on every device. Sessions also end
after STAFF_IDLE_MINUTES without a request and STAFF_SESSION_HOURS after sign-in.
"""
import time
from dataclasses import dataclass

from flask import abort, current_app, redirect, request, session, url_for
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from app import accounts
from app.models import Person
from app.models.org import ROLES

RULE = "access_rule"
SESSION_KEY = "staff"
login_manager = LoginManager()


@dataclass(frozen=True)
class Rule:
    roles: tuple = ()          # empty: public
    needs_mfa: bool = True     # False only for the pages that set the second factor up

    @property
    def public(self):
        return not self.roles


def public(view):
    setattr(view, RULE, Rule())
    return view


def member(needs_mfa=True):
    """Anyone signed in: employees (by link) and staff (with their second factor)."""
    def mark(view):
        setattr(view, RULE, Rule(ROLES, needs_mfa))
        return view
    return mark


def staff(*roles, needs_mfa=True):
    """Signed-in staff with one of these roles (default: any staff role)."""
    def mark(view):
        setattr(view, RULE, Rule(tuple(roles or accounts.STAFF_ROLES), needs_mfa))
        return view
    return mark


def rule_of(endpoint):
    view = current_app.view_functions.get(endpoint)
    return getattr(view, RULE, None)


class SignedIn(UserMixin):
    """The signed-in person, as Flask-Login sees them."""

    def __init__(self, person):
        self.person = person

    def get_id(self):
        return f"{self.person.id}:{self.person.session_epoch}"


@login_manager.user_loader
def _load(user_id):
    person_id, _, epoch = str(user_id).partition(":")
    person = Person.get_or_none(Person.id == int(person_id)) if person_id.isdigit() else None
    if person is None or person.session_epoch != epoch or not accounts.can_hold_session(person):
        return None  # signed out elsewhere, password changed, or account disabled
    return SignedIn(person)


def sign_in(person):
    """Start a session (after every factor the person needs)."""
    session.clear()
    login_user(SignedIn(person))
    now = int(time.time())
    session[SESSION_KEY] = {"since": now, "seen": now}


def sign_out():
    logout_user()
    session.clear()


def mfa_required():
    return bool(current_app.config["REQUIRE_MFA"])


def init_app(app):
    login_manager.init_app(app)
    login_manager.session_protection = None  # the epoch check does this job, server-side

    @app.before_request
    def _enforce():
        if request.endpoint is None:
            return None  # no such route: the 404 handler answers
        rule = rule_of(request.endpoint)
        if rule is None:
            app.logger.error("route %s declares no access rule; refused", request.endpoint)
            abort(404)
        if rule.public:
            return None
        problem = _session_problem()
        if problem:
            if SESSION_KEY in session:  # a dead staff session; anything else (a pulse) stays
                sign_out()
            return _to_sign_in(problem)
        person = current_user.person
        if person.role not in rule.roles:
            abort(404)
        if (rule.needs_mfa and mfa_required() and person.role in accounts.STAFF_ROLES
                and not person.mfa_enrolled):
            return redirect(url_for("auth.enrol"), 303)
        session[SESSION_KEY]["seen"] = int(time.time())
        session.modified = True
        return None


def _session_problem():
    """Why the current staff session may not continue, or None."""
    state = session.get(SESSION_KEY)
    if not isinstance(state, dict) or not current_user.is_authenticated:
        return "Please sign in to continue." if not state else (
            "You were signed out (on this or another device), or your account changed. "
            "Please sign in again.")
    config, now = current_app.config, time.time()
    if now - state.get("seen", 0) > 60 * int(config["STAFF_IDLE_MINUTES"]):
        return (f"You were signed out after {config['STAFF_IDLE_MINUTES']} minutes "
                f"without activity. Please sign in again.")
    if now - state.get("since", 0) > 3600 * int(config["STAFF_SESSION_HOURS"]):
        return (f"Sessions last at most {config['STAFF_SESSION_HOURS']} hours. "
                f"Please sign in again.")
    return None


def _to_sign_in(message):
    session["notice"] = message
    target = url_for("auth.sign_in_page", next=request.full_path.rstrip("?")
                     if request.method == "GET" else None)
    if current_app.htmx:
        response = current_app.response_class(status=204)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target, 303)
