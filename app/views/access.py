"""Who may use each route: declared on every view, enforced before every request.

A view is marked `@public` (anyone: the front door, health, sign-in, the pulse, whose
own check is the personal-link session), `@member()` (anyone signed in, employees too:
the board) or `@staff(roles)` (signed-in leaders, HR or admins). A view without a rule
is refused, and a test walks the route table to keep it that way. A signed-in person
who lacks the role gets 404, as if the page did not exist: nobody learns which teams
or pages are there.

Sessions are cookies that carry the person's session epoch and the random id of a
row kept on the server (app.models.BrowserSession). Both are checked against the
database on every request, so logging out, a password change, a role change or a
disabled account ends every session at once, on every device, and a person can end
one session from their sessions page. Sessions also end after STAFF_IDLE_MINUTES
without a request and STAFF_SESSION_HOURS after sign-in.

The row says how the session was authenticated (credentials.LINK_ONLY, FIRST_FACTOR,
TWO_FACTORS). A staff page demands a staff level and, where the second factor is
required, TWO_FACTORS in this very session: whether the person *has* an authenticator
says nothing about whether *this* session passed it.
"""
import re
import time
from dataclasses import dataclass

from flask import abort, current_app, redirect, request, session, url_for
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from app import numbers
from app.accounts import browser_sessions, credentials, security_events
from app.models import Person
from app.models.org import EMPLOYEE, ROLES, STAFF_ROLES

RULE = "access_rule"
SESSION_KEY = "staff"
login_manager = LoginManager()
FRESH_SIGN_IN_SECONDS = 600  # setting up an authenticator needs a sign-in this recent


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
        setattr(view, RULE, Rule(tuple(roles or STAFF_ROLES), needs_mfa))
        return view
    return mark


def rule_of(endpoint):
    view = current_app.view_functions.get(endpoint)
    return getattr(view, RULE, None)


class SignedIn(UserMixin):
    """The signed-in person, as Flask-Login sees them."""

    def __init__(self, person, level=credentials.LINK_ONLY, session_id=None):
        self.person = person
        self.level = level
        self.session_id = session_id

    def get_id(self):
        return f"{self.person.id}:{self.person.session_epoch}"


@login_manager.user_loader
def _load(user_id):
    person_id, _, epoch = str(user_id).partition(":")
    number = numbers.row_id(person_id)  # a session value: ASCII digits only
    person = Person.get_or_none(Person.id == number) if number is not None else None
    if person is None or person.session_epoch != epoch or not credentials.can_hold_session(person):
        return None  # signed out elsewhere, password or role changed, or account disabled
    state = session.get(SESSION_KEY)
    row = browser_sessions.browser_session(state.get("id") if isinstance(state, dict) else None)
    if row is None or row.person_id != person.id:
        return None  # this session was ended (from the sessions page) or never was
    return SignedIn(person, row.level, row.id)


def sign_in(person, level=credentials.LINK_ONLY, method=browser_sessions.PULSE_LINK):
    """Start a session (after every factor the person needs), recording how it was
    authenticated: by default a link only, the weakest kind."""
    browser_sessions.discard(current_session_id())  # this browser's old session, if any
    session.clear()
    label = browser_label(request.headers.get("User-Agent", ""))
    session_id = browser_sessions.start_session(person, level, method, label)
    now = int(time.time())
    session[SESSION_KEY] = {"since": now, "seen": now, "id": session_id}
    login_user(SignedIn(person, level, session_id))


def sign_out():
    """End this browser's session (its row too) and forget the cookie's contents."""
    if current_user.is_authenticated and current_user.session_id:
        browser_sessions.end_session(current_user.person, current_user.session_id, "signed out")
    logout_user()
    session.clear()


def current_session_id():
    state = session.get(SESSION_KEY)
    return state.get("id") if isinstance(state, dict) else None


def fresh_staff_sign_in():
    """True when this session may set up an authenticator: both factors passed, or a
    staff first factor (password or sign-in link) in the last FRESH_SIGN_IN_SECONDS;
    never a session that came from a pulse link."""
    if not current_user.is_authenticated:
        return False
    if current_user.level == credentials.TWO_FACTORS:
        return True
    since = session.get(SESSION_KEY, {}).get("since", 0)
    return (current_user.level == credentials.FIRST_FACTOR
            and time.time() - since <= FRESH_SIGN_IN_SECONDS)


_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"),
             ("Chrome/", "Chrome"), ("Safari/", "Safari"))
_SYSTEMS = (("iPhone", "iPhone"), ("iPad", "iPad"), ("Android", "Android"),
            ("Windows", "Windows"), ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"),
            ("Linux", "Linux"))


def browser_label(user_agent):
    """'Firefox on Linux': enough to tell one's own devices apart, no more."""
    browser = next((name for mark, name in _BROWSERS if mark in user_agent), "A browser")
    system = next((name for mark, name in _SYSTEMS if mark in user_agent), None)
    return re.sub(r"[^\w .]", "", f"{browser} on {system}" if system else browser)[:80]


def mfa_required():
    return current_app.config["REQUIRE_MFA"]


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
            _denied(person, "role")
            abort(404)
        level = current_user.level
        # Whoever has an authenticator uses it, even where the operator requires none.
        needs_factor = (rule.needs_mfa and person.is_staff
                        and (mfa_required() or person.mfa_enrolled))
        if _too_weak(rule, person, level, needs_factor):
            _denied(person, f"session level {level or 'none'}")
            sign_out()
            return _to_sign_in("This page needs a sign-in with your password (or a "
                               "sign-in link) and your second factor. Please sign in.")
        if needs_factor and level != credentials.TWO_FACTORS:
            return redirect(url_for("auth.enrol"), 303)  # a first factor, nothing enrolled
        session[SESSION_KEY]["seen"] = int(time.time())
        session.modified = True
        return None


def _too_weak(rule, person, level, needs_factor):
    """Whether this session's authentication falls short of the page: a staff page
    never takes a link-only session, and where the second factor is needed, an
    enrolled person must have passed it in this session."""
    if EMPLOYEE not in rule.roles and level not in credentials.STAFF_LEVELS:
        return True
    if needs_factor:
        return level == credentials.LINK_ONLY or (
            person.mfa_enrolled and level != credentials.TWO_FACTORS)
    return False


def _denied(person, reason):
    security_events.record("access.denied", person=person.id, endpoint=request.endpoint,
                           reason=reason)


def _session_problem():
    """Why the current staff session may not continue, or None."""
    state = session.get(SESSION_KEY)
    if not isinstance(state, dict) or not current_user.is_authenticated:
        return "Please sign in to continue." if not state else (
            "You were signed out (on this or another device), or your account changed. "
            "Please sign in again.")
    config, now = current_app.config, time.time()
    if now - state.get("seen", 0) > 60 * config["STAFF_IDLE_MINUTES"]:
        return (f"You were signed out after {config['STAFF_IDLE_MINUTES']} minutes "
                f"without activity. Please sign in again.")
    if now - state.get("since", 0) > 3600 * config["STAFF_SESSION_HOURS"]:
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
