"""Staff accounts: passwords (argon2id), one-time sign-in links, TOTP with recovery
codes, browser sessions kept on the server, and the session epoch that ends every
session of a person at once.

How a session was authenticated is its level: LINK_ONLY (a personal pulse link, or an
employee's sign-in link: no password, no second factor), FIRST_FACTOR (a staff member's
password or sign-in link, before any second factor) or TWO_FACTORS. Staff pages demand a
staff level, and the second factor of this very session (app.views.access).

Employees have no account: they answer through personal links (app.crypto.links). Only
leaders, HR and admins sign in.
"""
import base64
import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta

import pyotp
import segno
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from app import errors
from app.accounts import passwords, security_events
from app.crypto import blobs, keys
from app.models import BrowserSession, Person, RecoveryCode, SignInLink, utcnow

MIN_PASSWORD = 12
MAX_PASSWORD = 1000  # argon2 hashes anything, but a megabyte of "password" is an attack
RECOVERY_CODES = 10
# 120 bits: past ASVS's 112, above which a salted standard hash (not a slow password
# hash) is enough to store a lookup secret; 24 letters and digits in groups of four.
RECOVERY_CODE_BYTES = 15
RECOVERY_CODE_CHARS = 24  # those bits in base32
MAX_LINK_MINUTES = 10     # a sign-in link outlives this by no more than a coffee
LINK_ONLY, FIRST_FACTOR, TWO_FACTORS = "link", "first-factor", "two-factors"
STAFF_LEVELS = (FIRST_FACTOR, TWO_FACTORS)
ISSUER = "Heard"
_hasher = PasswordHasher()  # argon2id with the RFC 9106 low-memory parameters


class AccountError(errors.Invalid):
    """A password or code that cannot be used; the message says why."""


class UnusableLink(errors.NotFound):
    """A sign-in link that leads nowhere: unknown, used, expired, of an account that may
    no longer sign in, or not held by this browser. Each says so, and to ask for another."""


class SignInRefused(errors.NotAllowed):
    """The account may not sign in (it is disabled), or must sign in again first."""


def can_sign_in(person):
    """May sign in with a password (and a second factor): active staff."""
    return person is not None and person.active and person.is_staff


def can_hold_session(person):
    """May be signed in at all: any active person. Employees sign in by one-time link
    (or from their pulse) to read and answer on the board; they have no password."""
    return person is not None and person.active


def token_hash(text):
    """What is stored of a token: its SHA-256, in hex."""
    return hashlib.sha256(text.encode()).hexdigest()


# -- passwords -------------------------------------------------------------------------

_DUMMY = []


def _dummy_hash():
    # Checked when the email is unknown, so a wrong email takes as long as a wrong password.
    if not _DUMMY:
        _DUMMY.append(_hasher.hash(secrets.token_urlsafe(16)))
    return _DUMMY[0]


def authenticate(email, password):
    """The staff member with this email and password, or None (whatever was wrong)."""
    person = Person.by_email(email) if email else None
    stored = person.password_hash if person is not None and person.password_hash else None
    try:
        _hasher.verify(stored or _dummy_hash(), password[:MAX_PASSWORD])
    except (VerificationError, InvalidHashError):
        return None
    if stored is None or not can_sign_in(person):
        return None
    if _hasher.check_needs_rehash(stored):
        Person.update(password_hash=_hasher.hash(password)).where(Person.id == person.id).execute()
    return person


def password_problems(person, password):
    """What is wrong with a new password, as sentences (empty when it is fine)."""
    problems = []
    if len(password) < MIN_PASSWORD:
        problems.append(f"Use at least {MIN_PASSWORD} characters.")
    if len(password) > MAX_PASSWORD:
        problems.append(f"Use at most {MAX_PASSWORD} characters.")
    if password.strip().lower() in (person.email.lower(), person.name.lower()):
        problems.append("Do not use your email or name as your password.")
    elif len(password) <= MAX_PASSWORD and passwords.is_common(password):
        problems.append("That password is on the lists of common and breached passwords "
                        "attackers try first. Choose another, such as a few unrelated words.")
    return problems


def set_password(person, password):
    """Set a new password and end every session the person has (theirs included)."""
    problems = password_problems(person, password)
    if problems:
        raise AccountError(" ".join(problems))
    person.password_hash = _hasher.hash(password)
    end_sessions(person, save=False, reason="password changed")
    person.save()
    security_events.record("password.changed", person=person.id)


def end_sessions(person, save=True, reason="signed out everywhere"):
    """End every session of this person, on every device: they carry the old epoch,
    and their rows are gone."""
    person.session_epoch = secrets.token_hex(16)
    BrowserSession.delete().where(BrowserSession.person == person.id).execute()
    if save:
        Person.update(session_epoch=person.session_epoch).where(Person.id == person.id).execute()
    if person.is_staff or reason == "role changed":
        # An employee's comings and goings are not logged: their times would say
        # when they answered or replied.
        security_events.record("session.ended", person=person.id, scope="all", reason=reason)


def role_changed(person, before, after, by):
    """A person's role changed (roster import, a command): a session authenticated
    for the old role must not carry over to the new one, so every session ends."""
    end_sessions(person, reason="role changed")
    security_events.record("role.changed", person=person.id, before=before, after=after,
                           by=by)


def set_active(person, active):
    """Disable (or re-enable) an account; disabling ends its sessions at once."""
    person.active = active
    if not active:
        end_sessions(person, save=False, reason="account disabled")
    person.save()
    if not active:
        security_events.record("account.disabled", person=person.id)


# -- one-time sign-in links ---------------------------------------------------------------

def create_sign_in_link(person, minutes, now=None, longest=MAX_LINK_MINUTES):
    """A single-use sign-in token valid for `minutes`, but never more than `longest`
    (MAX_LINK_MINUTES; only the local demo asks for longer); only its hash is stored."""
    if not can_hold_session(person):
        raise SignInRefused(f"{person.email} cannot sign in: the account is disabled")
    token = secrets.token_urlsafe(32)
    minutes = min(minutes, longest)
    SignInLink.create(token_hash=token_hash(token), person=person,
                      expires_at=(now or utcnow()) + timedelta(minutes=minutes))
    return token


def check_sign_in_link(token, now=None):
    """The link's person, or UnusableLink saying why it cannot be used (not spent)."""
    return check_link_hash(token_hash(token), now)


def check_link_hash(hashed, now=None):
    """As check_sign_in_link, given the token's hash (app.accounts.browser_sessions keeps no token)."""
    link = SignInLink.get_or_none(SignInLink.token_hash == hashed)
    if link is None:
        raise UnusableLink("This sign-in link is not valid. Ask for a new one.")
    if link.used_at is not None:
        raise UnusableLink("This sign-in link was already used. Each link works once; "
                           "ask for a new one.")
    if link.expires_at <= (now or utcnow()):
        raise UnusableLink("This sign-in link has expired. Ask for a new one.")
    if not can_hold_session(link.person):
        raise UnusableLink("This account cannot sign in.")
    return link.person


def redeem_sign_in_link(token, now=None):
    """Spend the link and return its person; two redemptions racing: one wins.

    A used link keeps the day it was used, and its expiry becomes that day too: a
    time to the second would tell whoever reads the database when its person signed
    in, to be matched against what was posted just after (an anonymous reply).
    """
    return redeem_link_hash(token_hash(token), now)


def redeem_link_hash(hashed, now=None):
    """As redeem_sign_in_link, given the token's hash."""
    now = now or utcnow()
    person = check_link_hash(hashed, now)
    day = datetime(now.year, now.month, now.day)
    spent = (SignInLink.update(used_at=day, expires_at=day)
             .where(SignInLink.token_hash == hashed, SignInLink.used_at.is_null(),
                    SignInLink.expires_at > now).execute())
    if spent != 1:
        raise UnusableLink("This sign-in link was already used. Each link works once; "
                           "ask for a new one.")
    return person


def forget_used_links(now=None):
    """Delete the links used before today: kept any longer, the order in which their
    rows were written (SQLite's rowid, PostgreSQL's ctid) would still tell who signed
    in when on that day. A used link opened again then reads "not valid"."""
    now = now or utcnow()
    spent = SignInLink.used_at < datetime(now.year, now.month, now.day)
    if not SignInLink.select().where(spent).exists():  # most pages: no write, no lock
        return 0
    return SignInLink.delete().where(spent).execute()


# -- TOTP and recovery codes -----------------------------------------------------------------

def new_totp_secret():
    return pyotp.random_base32()


def provisioning_uri(person, secret):
    return pyotp.TOTP(secret).provisioning_uri(name=person.email, issuer_name=ISSUER)


def qr_svg(text):
    """A QR code as inline SVG markup (drawn on the server, no script)."""
    return segno.make(text, error="m").svg_inline(scale=5, dark="#000", light="#fff")


def _totp_place(person):
    return blobs.place("person", "totp_sealed", str(person.id).encode(), 0)


def _totp_of(person):
    keyring = keys.current()
    return pyotp.TOTP(keyring.open(person.totp_sealed, _totp_place(person)).decode())


def _normalise_code(code):
    return "".join(code.split()).replace("-", "").lower()


def code_problem(code):
    """Why a typed code cannot be a TOTP or recovery code, as a sentence, or None.

    Digits of other scripts ("⁰⁴⁵₀₁₂") pass str.isdigit(); they are refused here, before
    any comparison sees them.
    """
    code = _normalise_code(code)
    if not code.isascii() or not code.isalnum():
        return ("A code holds only the digits 0-9 (from your app) or letters and digits "
                "(a recovery code). Type it again.")
    if not (len(code) == 6 and code.isdigit()) and len(code) != RECOVERY_CODE_CHARS:
        return ("A code is the 6 digits your app shows, or a recovery code like "
                "abcd-efgh-ijkl-mnop-qrst-uvwx. Type it again.")
    return None


def _new_code():
    raw = base64.b32encode(secrets.token_bytes(RECOVERY_CODE_BYTES)).decode().lower()
    return "-".join(raw[i:i + 4] for i in range(0, len(raw), 4))


def _code_hash(code, salt=None):
    """salt (16 bytes) and HMAC-SHA-256(salt, code) cut to 16 bytes, as 64 hex digits."""
    salt = salt or secrets.token_bytes(16)
    mac = hmac.new(salt, _normalise_code(code).encode(), hashlib.sha256).digest()[:16]
    return salt.hex() + mac.hex()


def enrol_totp(person, secret, code, now=None):
    """Turn on TOTP once the person proves their app shows the right code.

    Returns fresh recovery codes (shown once; only their hashes are kept).
    """
    code = _normalise_code(code)
    step = _matching_step(pyotp.TOTP(secret), code, now)
    if step is None:
        raise AccountError("That code does not match. Check the time on your phone and "
                           "type the 6 digits your app shows now.")
    keyring = keys.current()
    data_key = keyring.new_data_key()
    person.totp_sealed = keyring.seal(data_key.id, secret.encode(), _totp_place(person))
    person.totp_last_step = step
    with Person._meta.database.atomic():
        person.save()
        codes = new_recovery_codes(person, event=False)
    security_events.record("second_factor.enrolled", person=person.id)
    return codes


def new_recovery_codes(person, event=True):
    """Ten fresh recovery codes of 120 bits each, replacing any left; only a salted
    HMAC of each is kept. Returns the codes, to be shown once."""
    codes = [_new_code() for _ in range(RECOVERY_CODES)]
    with Person._meta.database.atomic():
        RecoveryCode.delete().where(RecoveryCode.person == person).execute()
        RecoveryCode.insert_many([{"code_hash": _code_hash(c), "person": person.id}
                                  for c in codes]).execute()
    if event:
        security_events.record("recovery_codes.renewed", person=person.id)
    return codes


def _matching_step(totp, code, now):
    """The time step whose code matches (the current one or a neighbour), or None."""
    if not (len(code) == 6 and code.isascii() and code.isdigit()):
        return None
    current = totp.timecode((now or utcnow()).replace(tzinfo=UTC))
    for step in (current, current - 1, current + 1):
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def verify_second_factor(person, code, now=None):
    """True when `code` is a current TOTP code not used before, or an unused recovery
    code (which is then spent)."""
    code = _normalise_code(code)
    if person.totp_sealed is None or code_problem(code):
        security_events.record("second_factor.failed", person=person.id)
        return False
    step = _matching_step(_totp_of(person), code, now)
    if step is not None:
        # Accept each step once: a code seen over someone's shoulder is already spent.
        if (Person.update(totp_last_step=step)
                .where(Person.id == person.id, Person.totp_last_step < step).execute()) == 1:
            return True
        security_events.record("second_factor.failed", person=person.id, reason="replayed")
        return False
    if _spend_recovery_code(person, code):
        return True
    security_events.record("second_factor.failed", person=person.id)
    return False


def _spend_recovery_code(person, code):
    # Each code has its own salt, so each stored code is tried (ten at most).
    for stored in RecoveryCode.select().where(RecoveryCode.person == person):
        salt = bytes.fromhex(stored.code_hash[:32])
        if hmac.compare_digest(_code_hash(code, salt), stored.code_hash):
            return (RecoveryCode.delete().where(RecoveryCode.code_hash == stored.code_hash)
                    .execute()) == 1
    return False


def reset_second_factor(person):
    """Forget the person's authenticator and recovery codes (a lost phone) and end their
    sessions; at the next sign-in they set a new one up."""
    with Person._meta.database.atomic():
        RecoveryCode.delete().where(RecoveryCode.person == person).execute()
        person.totp_sealed, person.totp_last_step = None, 0
        end_sessions(person, save=False, reason="second factor reset")
        person.save()
    security_events.record("second_factor.reset", person=person.id)


def recovery_codes_left(person):
    return RecoveryCode.select().where(RecoveryCode.person == person).count()

