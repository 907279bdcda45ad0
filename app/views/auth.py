"""Staff sign-in: password or one-time link, then the second factor; sign-out; the
account page (authenticator app, recovery codes, password) and the sessions page.

A sign-in link is opened in two steps: the GET keeps the link on the server, in a row
whose random id only this browser's cookie holds, and drops the token from the address
bar; only the confirm button (a POST) in that same browser spends it, so a mail scanner
that opens links cannot use it up, and a link's token never sits in a cookie.
"""
import hashlib
import time
from urllib.parse import urlsplit

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from flask_login import current_user
from markupsafe import Markup

from app.accounts import browser_sessions, credentials, security_events
from app.models import Person
from app.views.access import (
    current_session_id, fresh_staff_sign_in, member, mfa_required, public, sign_in, sign_out, staff)
from app.views.forms import staff as staff_forms
from app.views.limits import limit_failures
from app.views.params import use_converters

bp = Blueprint("auth", __name__)
use_converters(bp)
PENDING = "signin"           # first factor passed, second factor to come
LINK = "signin_link"         # the id of the server-side row holding an opened link
LINK_PROBLEM = "signin_link_problem"  # why an opened link cannot be used
PENDING_SECONDS = 300
MAX_NEXT = 2000
SIGNED_OUT = "You are signed out, on every device."


def _safe_next(target, person=None):
    """Only a path on this site: never //elsewhere.example, a full URL, or a path that
    a browser would read as one once it drops tabs and newlines ("/\\t/evil.example")."""
    if _is_local_path(target):
        return target
    if person is not None and not person.is_staff:
        return url_for("board.index")
    return url_for("dashboard.themes")


def _is_local_path(target):
    if not isinstance(target, str) or not target.startswith("/") or len(target) > MAX_NEXT:
        return False
    if not target.isascii() or not target.isprintable() or "\\" in target:
        return False  # control characters (tab, CR, LF...), bidi marks, backslashes: never
    parts = urlsplit(target)
    return not (target.startswith("//") or parts.scheme or parts.netloc)


def _email_key():
    return "account:" + request.form.get("email", "").strip().lower()


def _pending_key():
    state = session.get(PENDING)
    return f"account-id:{state.get('person') if isinstance(state, dict) else '-'}"


@bp.route("/signin", methods=["GET", "POST"])
@public
@limit_failures(_email_key)
def sign_in_page():
    form = staff_forms.SignInForm()
    next_page = (form.next.data if request.method == "POST" else request.args.get("next")) or ""
    if not _is_local_path(next_page):
        next_page = ""  # never echoed back into the form, never followed
    if request.method == "GET" and current_user.is_authenticated:
        return redirect(_safe_next(next_page), 303)
    if request.method == "GET":
        return _sign_in_form(form, next_page)
    if not form.validate():
        return _sign_in_form(form, next_page, status=422)
    person = credentials.authenticate(form.email.data, form.password.data)
    if person is None:
        _record_failure(form.email.data)
        return _sign_in_form(form, next_page, status=401,
                             error="That email and password do not match an account that "
                                   "may sign in. Check both, or ask for a sign-in link.")
    return _first_factor_passed(person, next_page, "password")


def _record_failure(email):
    known = Person.by_email(email) if "\0" not in email else None
    security_events.record("sign_in.failed", person=known.id if known else None,
                           reason="password")


def _sign_in_form(form, next_page, status=200, error=None):
    notice = session.pop("notice", None)
    if request.args.get("signed_out") == "1":
        notice = SIGNED_OUT
    return render_template("auth/sign_in.html", form=form, next_page=next_page, error=error,
                           notice=notice), status


@bp.get("/signin/link/<secret:token>")
@public
def open_link(token):
    try:
        credentials.check_sign_in_link(token)
    except credentials.UnusableLink as error:
        # Said on the next page, so the token leaves the address bar in any case; the
        # session this browser has stays (any site can link here with a made-up token).
        session[LINK_PROBLEM] = str(error)
        security_events.record("sign_in.failed", reason="sign-in link")
    else:
        browser_sessions.discard(current_session_id())
        session.clear()
        session[LINK] = browser_sessions.hold_sign_in_link(token)
    return redirect(url_for("auth.confirm_link"), 303)


@bp.route("/signin/link", methods=["GET", "POST"])
@public
@limit_failures(None)
def confirm_link():
    held = session.get(LINK)
    if LINK_PROBLEM in session:
        abort(404, str(session.pop(LINK_PROBLEM)))
    if not isinstance(held, str):
        abort(404, "Open the sign-in link from your message again, or ask for a new one.")
    try:
        if request.method == "GET":
            person = browser_sessions.held_sign_in_link(held)
            return render_template("auth/confirm_link.html", person=person)
        person = browser_sessions.redeem_held_sign_in_link(held)
    except credentials.UnusableLink:
        session.pop(LINK, None)
        security_events.record("sign_in.failed", reason="sign-in link")
        raise  # the error page says why, and to ask for a new link
    return _first_factor_passed(person, "", "sign-in link")


def _first_factor_passed(person, next_page, method):
    """A password, or a sign-in link confirmed in this browser. Staff go on to their
    second factor (or set one up); an employee's link gives a link-only session."""
    browser_sessions.discard(current_session_id())
    session.clear()
    if not person.is_staff:
        sign_in(person, credentials.LINK_ONLY, method)
        return redirect(_safe_next(next_page, person), 303)
    if person.mfa_enrolled:
        session[PENDING] = {"person": person.id, "epoch": person.session_epoch,
                            "until": int(time.time()) + PENDING_SECONDS, "next": next_page,
                            "method": method}
        return redirect(url_for("auth.second_factor"), 303)
    sign_in(person, credentials.FIRST_FACTOR, method)
    if mfa_required():
        return redirect(url_for("auth.enrol"), 303)
    return redirect(_safe_next(next_page, person), 303)


@bp.route("/signin/code", methods=["GET", "POST"])
@public
@limit_failures(_pending_key)
def second_factor():
    state = session.get(PENDING)
    person = None
    if isinstance(state, dict) and state.get("until", 0) > time.time():
        person = Person.get_or_none(Person.id == state.get("person"))
    if person is None or person.session_epoch != state.get("epoch") \
            or not credentials.can_sign_in(person):
        session.pop(PENDING, None)
        session["notice"] = "That sign-in took too long or is no longer valid. Please start again."
        return redirect(url_for("auth.sign_in_page"), 303)
    form = staff_forms.CodeForm()
    if request.method == "GET":
        return render_template("auth/code.html", form=form)
    if not form.validate():
        return render_template("auth/code.html", form=form), 422
    problem = credentials.code_problem(form.code.data)
    if problem:
        security_events.record("second_factor.failed", person=person.id, reason="malformed")
        form.code.errors = [problem]
        return render_template("auth/code.html", form=form), 422
    if not credentials.verify_second_factor(person, form.code.data):
        return render_template("auth/code.html", form=form,
                               error="That code is not right, or was already used. Type the "
                                     "code your app shows now."), 401
    sign_in(person, credentials.TWO_FACTORS, f"{state.get('method', 'password')} and code")
    return redirect(_safe_next(state.get("next")), 303)


@bp.post("/signout")
@member(needs_mfa=False)
def sign_out_everywhere():
    """Sign out, on every device: the person's session epoch changes, and the browser
    is told to forget this site's cookies, storage and cache."""
    credentials.end_sessions(current_user.person)
    sign_out()
    response = redirect(url_for("auth.sign_in_page", signed_out=1), 303)
    response.headers["Clear-Site-Data"] = '"cache", "cookies", "storage"'
    return response


@bp.get("/account")
@staff(needs_mfa=False)
def account():
    person = current_user.person
    return render_template("auth/account.html", person=person,
                           codes_left=credentials.recovery_codes_left(person),
                           form=staff_forms.PasswordForm(formdata=None),
                           notice=session.pop("notice", None))


@bp.route("/account/mfa", methods=["GET", "POST"])
@staff(needs_mfa=False)
def enrol():
    """Set up an authenticator: only right after a staff sign-in (password or sign-in
    link), never from a session that began with a pulse link."""
    person, held = current_user.person, current_session_id()
    if not fresh_staff_sign_in():
        security_events.record("access.denied", person=person.id, endpoint="auth.enrol",
                               reason="sign-in not fresh")
        sign_out()
        session["notice"] = ("For your safety, sign in again (password or sign-in link) to "
                             "set up your authenticator app.")
        return redirect(url_for("auth.sign_in_page", next=url_for("auth.enrol")), 303)
    if person.mfa_enrolled and current_user.level != credentials.TWO_FACTORS:
        # An authenticator was set up since this session began (on another device,
        # perhaps by its owner): only a session that passed it may replace it.
        security_events.record("access.denied", person=person.id, endpoint="auth.enrol",
                               reason="second factor not passed")
        sign_out()
        session["notice"] = "Sign in again with your authenticator app to change it."
        return redirect(url_for("auth.sign_in_page"), 303)
    setting_up = browser_sessions.has_pending_totp(held)
    if person.mfa_enrolled and request.method == "GET" and not setting_up:
        return redirect(url_for("auth.account"), 303)
    secret = browser_sessions.pending_totp_secret(held, person)
    form = staff_forms.CodeForm()
    if request.method == "POST" and form.validate():
        problem = credentials.code_problem(form.code.data)
        try:
            if problem:
                raise credentials.AccountError(problem)
            codes = credentials.enrol_totp(person, secret, form.code.data)
        except credentials.AccountError as error:
            form.code.errors = [str(error)]
        else:
            # A new authenticator ends every other session of the person (one begun
            # before it, with the password alone, must not outlive it); this browser
            # goes on with both factors, which the app has just proved.
            credentials.end_sessions(person, reason="authenticator set up")
            sign_in(person, credentials.TWO_FACTORS, "authenticator set up")
            return render_template("auth/recovery_codes.html", codes=codes)
    uri = credentials.provisioning_uri(person, secret)
    status = 422 if request.method == "POST" else 200
    return render_template("auth/enrol.html", form=form, secret=secret,
                           qr=Markup(credentials.qr_svg(uri)),  # segno's own markup, no input
                           required=mfa_required()), status


@bp.post("/account/recovery-codes")
@staff(needs_mfa=True)
def renew_recovery_codes():
    """Ten new recovery codes in place of any left (shown once)."""
    person = current_user.person
    if not person.mfa_enrolled:
        abort(409, "Set up your authenticator app first; recovery codes come with it.")
    return render_template("auth/recovery_codes.html",
                           codes=credentials.new_recovery_codes(person))


@bp.post("/account/password")
@staff(needs_mfa=True)
@limit_failures(lambda: f"account-id:{current_user.person.id}")
def change_password():
    person, level = current_user.person, current_user.level
    form = staff_forms.PasswordForm()
    if not form.validate():
        return _account_problems(person, form, [e for es in form.errors.values() for e in es])
    if person.password_hash and credentials.authenticate(person.email, form.current.data or "") \
            is None:
        return _account_problems(person, form, ["Your current password is not right."], 401)
    problems = credentials.password_problems(person, form.new.data)
    if problems:
        return _account_problems(person, form, problems)
    credentials.set_password(person, form.new.data)  # ends every session, this one too
    sign_in(person, level, "password change")    # ... so this device starts a fresh one
    session["notice"] = "Password changed. Every other session is signed out."
    return redirect(url_for("auth.account"), 303)


def _account_problems(person, form, problems, status=422):
    return render_template("auth/account.html", person=person, form=form,
                           codes_left=credentials.recovery_codes_left(person),
                           problems=problems), status


def _handle(session_id):
    """What the sessions page names a session by: not its id, which only the cookie
    of its own browser should carry."""
    return hashlib.sha256(session_id.encode()).hexdigest()[:20]


@bp.get("/account/sessions")
@member()
def sessions():
    """One's signed-in sessions: browser, day of sign-in, and a button to end each."""
    person, this = current_user.person, current_session_id()
    rows = [(row, _handle(row.id), row.id == this) for row in browser_sessions.sessions_of(person)]
    return render_template("auth/sessions.html", rows=rows,
                           notice=session.pop("notice", None))


@bp.post("/account/sessions/<handle>/end")
@member()
def end_session(handle):
    person, this = current_user.person, current_session_id()
    chosen = next((row for row in browser_sessions.sessions_of(person)
                   if _handle(row.id) == handle), None)
    if chosen is None:
        abort(404, "That session has already ended.")
    if chosen.id == this:
        sign_out()
        response = redirect(url_for("auth.sign_in_page"), 303)
        response.headers["Clear-Site-Data"] = '"cache", "cookies", "storage"'
        return response
    browser_sessions.end_session(person, chosen.id)
    session["notice"] = "That session has ended."
    return redirect(url_for("auth.sessions"), 303)


def init_app(app):
    app.jinja_env.globals["signed_in_person"] = lambda: (
        current_user.person if current_user.is_authenticated else None)
