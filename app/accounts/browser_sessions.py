"""Browser sessions, kept on the server: the cookie carries only a row's random id.

A row records how its session was authenticated (accounts.LINK_ONLY, FIRST_FACTOR,
TWO_FACTORS), the browser's label and the day of sign-in, for the sessions page. Before
sign-in a row holds the sign-in link this browser opened (its hash); during enrolment,
the authenticator secret being set up (sealed). Neither ever travels in the cookie.
"""
import secrets
from datetime import date, timedelta

from app.accounts import credentials as accounts
from app.accounts import security_events
from app.accounts.credentials import SignInRefused, UnusableLink
from app.crypto import blobs, keys
from app.models import BrowserSession, utcnow


def _today(now=None):
    now = now or utcnow()
    return date(now.year, now.month, now.day)


def hold_sign_in_link(token, now=None):
    """Keep an opened sign-in link for the browser that opened it: returns the id of a
    new, not yet signed-in browser session that holds the link's hash (never the
    token). Only that browser, with that id in its cookie, can confirm and spend it."""
    session_id = secrets.token_hex(16)
    BrowserSession.create(id=session_id, link_hash=accounts.token_hash(token),
                          created_on=_today(now))
    return session_id


def held_sign_in_link(session_id, now=None):
    """The person of the link this browser holds, or UnusableLink (nothing spent)."""
    row = browser_session(session_id)
    if row is None or row.link_hash is None:
        raise UnusableLink("Open the sign-in link from your message again, or ask for a "
                           "new one.")
    return accounts.check_link_hash(row.link_hash, now)


def redeem_held_sign_in_link(session_id, now=None):
    """Spend the link this browser holds; the holding row goes."""
    row = browser_session(session_id)
    if row is None or row.link_hash is None:
        raise UnusableLink("Open the sign-in link from your message again, or ask for a "
                           "new one.")
    BrowserSession.delete().where(BrowserSession.id == row.id).execute()
    return accounts.redeem_link_hash(row.link_hash, now)


def browser_session(session_id):
    """The server side of a session cookie's id, or None."""
    if not isinstance(session_id, str) or len(session_id) != 32:
        return None
    return BrowserSession.get_or_none(BrowserSession.id == session_id)


def start_session(person, level, method, label="", now=None):
    """A new signed-in session (a new random id: nothing from before sign-in carries
    over). Returns its id for the cookie."""
    forget_old_sessions(now)  # a cheap check at each sign-in keeps the table small
    session_id = secrets.token_hex(16)
    employee = level == accounts.LINK_ONLY
    # An employee's session (a pulse link, or a sign-in link to the board) keeps no
    # browser label and lasts the day at most (tick.forget_past_days): its row, like a
    # log line, would otherwise say who was answering or replying when.
    BrowserSession.create(id=session_id, person=person.id, level=level,
                          label="" if employee else label[:80],
                          signed_in_on=_today(now), created_on=_today(now))
    if not employee:
        security_events.record("sign_in.succeeded", person=person.id, method=method,
                               level=level)
    return session_id


def forget_employee_sessions_before(today):
    """End the employee (link-only) sessions begun before `today`."""
    return (BrowserSession.delete()
            .where(BrowserSession.level == accounts.LINK_ONLY,
                   BrowserSession.signed_in_on < today).execute())


PULSE_LINK = "pulse link"  # the method of a session that began with a personal link


def discard(session_id):
    """Drop a session this browser is leaving for a new one (no event: no one ended it)."""
    if isinstance(session_id, str):
        BrowserSession.delete().where(BrowserSession.id == session_id).execute()


def sessions_of(person):
    """A person's signed-in sessions, newest day first."""
    return list(BrowserSession.select()
                .where(BrowserSession.person == person.id)
                .order_by(BrowserSession.signed_in_on.desc(), BrowserSession.label))


def end_session(person, session_id, reason="ended by its person"):
    """End one of this person's sessions; True when there was one to end."""
    ended = (BrowserSession.delete()
             .where(BrowserSession.id == session_id, BrowserSession.person == person.id)
             .execute())
    if ended and person.is_staff:  # employees: see start_session
        security_events.record("session.ended", person=person.id, scope="one", reason=reason)
    return bool(ended)


def forget_old_sessions(now=None):
    """Delete link-holding rows from before today and sessions signed in before
    yesterday (none lasts that long: STAFF_SESSION_HOURS is at most a day)."""
    today = _today(now)
    old = ((BrowserSession.person.is_null() & (BrowserSession.created_on < today))
           | (BrowserSession.signed_in_on < today - timedelta(days=1)))
    if not BrowserSession.select().where(old).exists():
        return 0
    return BrowserSession.delete().where(old).execute()


def pending_totp_secret(session_id, person):
    """The authenticator secret being set up in this session (made on first ask),
    kept sealed on the server until its first code matches."""
    row = browser_session(session_id)
    if row is None or row.person_id != person.id:
        raise SignInRefused("Sign in again to set up your authenticator app.")
    place = _pending_place(row)
    if row.totp_pending is not None:
        return keys.current().open(row.totp_pending, place).decode()
    secret = accounts.new_totp_secret()
    keyring = keys.current()
    sealed = keyring.seal(keyring.new_data_key().id, secret.encode(), place)
    BrowserSession.update(totp_pending=sealed).where(BrowserSession.id == row.id).execute()
    return secret


def has_pending_totp(session_id):
    row = browser_session(session_id)
    return row is not None and row.totp_pending is not None


def forget_pending_totp(session_id):
    BrowserSession.update(totp_pending=None).where(BrowserSession.id == session_id).execute()


def _pending_place(row):
    return blobs.place("browser_session", "totp_pending", row.id.encode(), 0)


def raise_session_level(session_id, level):
    """Record that this session has now passed more factors (an authenticator just set
    up in it proves the app is at hand)."""
    BrowserSession.update(level=level).where(BrowserSession.id == session_id).execute()
