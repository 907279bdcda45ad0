"""Staff sign-in: password or one-time link, then the second factor; sign-out; the
account page (authenticator app, recovery codes, password).

A sign-in link is opened in two steps: the GET keeps the token in the session and
drops it from the address bar; only the confirm button (a POST) spends it, so a mail
scanner that opens links cannot use it up.
"""
import time

from flask import (
    Blueprint, abort, redirect, render_template, request, session, url_for)
from flask_login import current_user
from markupsafe import Markup

from app import accounts, staff_forms
from app.models import Person
from app.views.access import member, mfa_required, public, sign_in, sign_out, staff
from app.views.limits import limit_failures

bp = Blueprint("auth", __name__)
PENDING = "signin"           # first factor passed, second factor to come
LINK = "signin_link"         # a sign-in link's token, between opening and confirming
SETUP = "totp_setup"         # the secret being enrolled, until its first code matches
PENDING_SECONDS = 300


def _safe_next(target, person=None):
    """Only a path on this site: never //elsewhere.example or a full URL."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    if person is not None and person.role not in accounts.STAFF_ROLES:
        return url_for("board.index")
    return url_for("dashboard.themes")


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
    next_page = request.values.get("next", "")
    if request.method == "GET" and current_user.is_authenticated:
        return redirect(_safe_next(next_page), 303)
    if request.method == "GET":
        return _sign_in_form(form, next_page)
    if not form.validate():
        return _sign_in_form(form, next_page, status=422)
    person = accounts.authenticate(form.email.data, form.password.data)
    if person is None:
        return _sign_in_form(form, next_page, status=401,
                             error="That email and password do not match an account that "
                                   "may sign in. Check both, or ask for a sign-in link.")
    return _first_factor_passed(person, next_page)


def _sign_in_form(form, next_page, status=200, error=None):
    return render_template("auth/sign_in.html", form=form, next_page=next_page, error=error,
                           notice=session.pop("notice", None)), status


@bp.get("/signin/link/<token>")
@public
def open_link(token):
    session.clear()
    session[LINK] = token
    return redirect(url_for("auth.confirm_link"), 303)


@bp.route("/signin/link", methods=["GET", "POST"])
@public
@limit_failures(None)
def confirm_link():
    token = session.get(LINK)
    if not isinstance(token, str):
        abort(404, "Open the sign-in link from your message again, or ask for a new one.")
    try:
        if request.method == "GET":
            person = accounts.check_sign_in_link(token)
            return render_template("auth/confirm_link.html", person=person)
        person = accounts.redeem_sign_in_link(token)
    except accounts.AccountError as error:
        session.pop(LINK, None)
        abort(404, str(error))
    return _first_factor_passed(person, "")


def _first_factor_passed(person, next_page):
    session.clear()
    if person.mfa_enrolled:
        session[PENDING] = {"person": person.id, "epoch": person.session_epoch,
                            "until": int(time.time()) + PENDING_SECONDS, "next": next_page}
        return redirect(url_for("auth.second_factor"), 303)
    sign_in(person)
    if mfa_required() and person.role in accounts.STAFF_ROLES:
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
            or not accounts.can_sign_in(person):
        session.pop(PENDING, None)
        session["notice"] = "That sign-in took too long or is no longer valid. Please start again."
        return redirect(url_for("auth.sign_in_page"), 303)
    form = staff_forms.CodeForm()
    if request.method == "GET":
        return render_template("auth/code.html", form=form)
    if not form.validate():
        return render_template("auth/code.html", form=form), 422
    if not accounts.verify_second_factor(person, form.code.data):
        return render_template("auth/code.html", form=form,
                               error="That code is not right, or was already used. Type the "
                                     "code your app shows now."), 401
    sign_in(person)
    return redirect(_safe_next(state.get("next")), 303)


@bp.post("/signout")
@member(needs_mfa=False)
def sign_out_everywhere():
    """Sign out, on every device: the person's session epoch changes."""
    accounts.end_sessions(current_user.person)
    sign_out()
    session["notice"] = "You are signed out, on every device."
    return redirect(url_for("auth.sign_in_page"), 303)


@bp.get("/account")
@staff(needs_mfa=False)
def account():
    person = current_user.person
    return render_template("auth/account.html", person=person,
                           codes_left=accounts.recovery_codes_left(person),
                           form=staff_forms.PasswordForm(formdata=None),
                           notice=session.pop("notice", None))


@bp.route("/account/mfa", methods=["GET", "POST"])
@staff(needs_mfa=False)
def enrol():
    person = current_user.person
    if person.mfa_enrolled and request.method == "GET" and SETUP not in session:
        return redirect(url_for("auth.account"), 303)
    secret = session.get(SETUP)
    if not isinstance(secret, str):
        secret = session[SETUP] = accounts.new_totp_secret()
    form = staff_forms.CodeForm()
    if request.method == "POST" and form.validate():
        try:
            codes = accounts.enrol_totp(person, secret, form.code.data)
        except accounts.AccountError as error:
            form.code.errors = [str(error)]
        else:
            session.pop(SETUP, None)
            return render_template("auth/recovery_codes.html", codes=codes)
    uri = accounts.provisioning_uri(person, secret)
    status = 422 if request.method == "POST" else 200
    return render_template("auth/enrol.html", form=form, secret=secret,
                           qr=Markup(accounts.qr_svg(uri)),  # segno's own markup, no input
                           required=mfa_required()), status


@bp.post("/account/password")
@staff(needs_mfa=True)
@limit_failures(lambda: f"account-id:{current_user.person.id}")
def change_password():
    person = current_user.person
    form = staff_forms.PasswordForm()
    if not form.validate():
        return _account_problems(person, form, [e for es in form.errors.values() for e in es])
    if person.password_hash and accounts.authenticate(person.email, form.current.data or "") \
            is None:
        return _account_problems(person, form, ["Your current password is not right."], 401)
    problems = accounts.password_problems(person, form.new.data)
    if problems:
        return _account_problems(person, form, problems)
    accounts.set_password(person, form.new.data)  # ends every session, this one too
    sign_in(person)                              # ... so this device starts a fresh one
    session["notice"] = "Password changed. Every other session is signed out."
    return redirect(url_for("auth.account"), 303)


def _account_problems(person, form, problems, status=422):
    return render_template("auth/account.html", person=person, form=form,
                           codes_left=accounts.recovery_codes_left(person),
                           problems=problems), status


def init_app(app):
    app.jinja_env.globals["signed_in_person"] = lambda: (
        current_user.person if current_user.is_authenticated else None)
