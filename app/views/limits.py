"""Rate limits: failed sign-ins (per account from one address, per account from
everywhere, per network address), anonymous replies (per person) and answers through
open links (per browser and per address).

Only failures count for sign-ins (a wrong password, code or link): someone who signs
in correctly is never slowed down. The counters live in memory by default, in each
worker process on its own; with several workers or instances, point
HEARD_RATELIMIT_STORAGE_URI at Redis so they share them (start-up says so otherwise).

No counter is named after what it counts: every key is an HMAC, under a key made
from the session secret, of what it limits (a person, an email, an address). A dump
of Redis (or of the process) therefore does not say that person 42 replied
anonymously at 10:14; it takes the session secret as well, which is in neither the
database nor the key file.
"""
import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

import click
from flask import current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import current_user
from itsdangerous import BadData, URLSafeSerializer
from limits import parse as parse_limit

FAILED = (401, 404)
_LABEL = b"heard rate-limit keys/1"


def opaque(kind, value):
    """The counter key of `value` (a person id, an email, an address): 'kind:' and a
    keyed hash, never the value itself."""
    secret = current_app.config["SECRET_KEY"]
    secret = secret.encode() if isinstance(secret, str) else secret
    key = hmac.new(secret, _LABEL, hashlib.sha256).digest()
    digest = hmac.new(key, f"{kind}|{value}".encode(), hashlib.sha256).hexdigest()
    return f"{kind}:{digest[:32]}"


def _address_key():
    return opaque("address", get_remote_address())


limiter = Limiter(key_func=_address_key, headers_enabled=False)


def _failed(response):
    return response.status_code in FAILED


def limit_failures(account_key):
    """Limit failed POSTs to a view per network address and, given account_key, per
    account from one address and per account from everywhere.

    Why not per account alone: five wrong passwords from anywhere then kept the owner
    out for 15 minutes, again and again (a lockout anyone could cause). Counted per
    (account, address), a guesser only slows themselves down; the owner, elsewhere,
    signs in. The per-account ceiling, far higher, still stops a guesser spread over
    many addresses."""
    def per_address():
        return current_app.config["SIGNIN_LIMIT_PER_ADDRESS"]

    def per_account_here():
        return current_app.config["SIGNIN_LIMIT_PER_ACCOUNT"]

    def per_account():
        return current_app.config["SIGNIN_CEILING_PER_ACCOUNT"]

    def decorate(view):
        limited = limiter.limit(per_address, methods=["POST"], deduct_when=_failed,
                                error_message=_signin_message("SIGNIN_LIMIT_PER_ADDRESS",
                                                              "from this network"))(view)
        if account_key is not None:
            limited = limiter.limit(
                per_account_here, methods=["POST"], deduct_when=_failed,
                key_func=lambda: opaque("account-address",
                                        f"{account_key()}|{get_remote_address()}"),
                error_message=_signin_message("SIGNIN_LIMIT_PER_ACCOUNT",
                                              "for this account from this network"))(limited)
            limited = limiter.limit(
                per_account, methods=["POST"], deduct_when=_failed,
                key_func=lambda: opaque("account", account_key()),
                error_message=_signin_message("SIGNIN_CEILING_PER_ACCOUNT",
                                              "for this account, from many networks"))(limited)
        return limited
    return decorate


def _signin_message(setting, where):
    def message():
        limit = parse_limit(current_app.config[setting])
        return (f"There were too many failed sign-ins {where}. For the account's safety, "
                f"wait {_duration(limit.get_expiry())} and try again, or ask for a "
                f"sign-in link.")
    return message


def _duration(seconds):
    """'15 minutes', '1 hour', '1 day' for a limit's window."""
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} seconds"


def limit_anonymous_replies(view):
    """At most ANONYMOUS_REPLY_LIMIT anonymous replies per person (signed replies are
    not limited). The counter is keyed by a keyed hash of the person and lives only
    for its window, in memory or Redis; it never touches the reply, which keeps no
    author."""
    def allowed():
        return current_app.config["ANONYMOUS_REPLY_LIMIT"]

    def per_person():
        return opaque("anonymous-replies", current_user.person.id)

    def message():
        return (f"You have posted the most anonymous replies allowed for now "
                f"({current_app.config['ANONYMOUS_REPLY_LIMIT']}). Nothing was posted. "
                f"Please wait a while, or reply with your name.")

    return limiter.limit(allowed, key_func=per_person, methods=["POST"],
                         exempt_when=lambda: request.form.get("identity") != "anonymous",
                         deduct_when=lambda response: response.status_code < 400,
                         error_message=message)(view)


DEVICE_COOKIE = "heard_device"
DEVICE_COOKIE_DAYS = 400
_DEVICE_SALT = "heard device mark/1"
_LONGEST_MARK = 200  # a signed mark is about 70 characters; anything longer is not one


def _device_marks():
    return URLSafeSerializer(current_app.secret_key, salt=_DEVICE_SALT)


def device_mark():
    """This browser's device mark if this server issued it, else None.

    Signed with the session secret: a browser cannot make up a fresh mark per answer
    to escape its limit (a value of its own counts as no mark at all). It can only
    ask the server for a new one by opening the poster's link again, as a new phone
    would; what bounds a whole network is the per-address limit."""
    cookie = request.cookies.get(DEVICE_COOKIE, "")
    if not cookie or len(cookie) > _LONGEST_MARK:
        return None
    try:
        mark = _device_marks().loads(cookie)
    except BadData:
        return None
    return mark if isinstance(mark, str) else None


def remember_device(response):
    """Give this browser a random, server-signed device mark (unless it has a valid
    one), the key of its open-link limit.

    The mark is only ever a rate-limit key: it is stored nowhere but in the counter,
    which forgets it when its window ends, and never beside an answer.
    """
    if device_mark() is None:
        response.set_cookie(DEVICE_COOKIE, _device_marks().dumps(secrets.token_urlsafe(16)),
                            max_age=DEVICE_COOKIE_DAYS * 86400, httponly=True,
                            secure=request.is_secure, samesite="Lax")
    return response


def limit_open_answers(view):
    """At most OPEN_LINK_LIMIT_PER_DEVICE answers per browser and
    OPEN_LINK_LIMIT_PER_ADDRESS per network address through open links. A browser
    without a valid mark (none, or one it made up) is counted by its address at the
    per-browser rate: all such browsers of one network share that one small bucket."""
    def per_device():
        mark = device_mark()
        return opaque("open-device", mark) if mark else \
            opaque("open-unmarked", get_remote_address())

    def per_address():
        return opaque("open-address", get_remote_address())

    def message():
        config = current_app.config
        return (f"Many answers have come through poster links from this phone or this "
                f"network in a short time, so this one was not saved. Each phone may send "
                f"{config['OPEN_LINK_LIMIT_PER_DEVICE']}, each network "
                f"{config['OPEN_LINK_LIMIT_PER_ADDRESS']}. Please try again later; if many "
                f"colleagues share this network, ask HR to have the limit raised.")

    def counted(response):
        return response.status_code < 400

    for limit, key in (("OPEN_LINK_LIMIT_PER_ADDRESS", per_address),
                       ("OPEN_LINK_LIMIT_PER_DEVICE", per_device)):
        view = limiter.limit(lambda name=limit: current_app.config[name], key_func=key,
                             methods=["POST"], deduct_when=counted,
                             error_message=message)(view)
    return view


def init_app(app):
    limiter.init_app(app)
    warn_if_counts_are_per_worker(app)


PER_WORKER_WARNING = (
    "Rate limits are counted in each worker's own memory "
    "(HEARD_RATELIMIT_STORAGE_URI=memory://): with several gunicorn workers or "
    "instances every limit is multiplied by their number (sign-in guesses included). "
    "Set HEARD_RATELIMIT_STORAGE_URI=redis://host:6379 so that all of them share the "
    "counts (docs/operating.md).")


def warn_if_counts_are_per_worker(app):
    """Say loudly, when a server starts, that in-memory counts are per worker.

    Not in the tests, not for a trial on this machine (HEARD_BASE_URL on 127.0.0.1 or
    localhost, as `make run` has it) and not for a command (`heard rounds tick` from
    cron every minute would repeat it in every mail cron sends): those either run one
    process or limit nothing. Returns True if it warned."""
    if not str(app.config["RATELIMIT_STORAGE_URI"]).startswith("memory://") or app.testing:
        return False
    host = urlsplit(app.config["BASE_URL"]).hostname or ""
    if host in ("127.0.0.1", "localhost", "::1") or click.get_current_context(silent=True):
        return False
    app.logger.warning(PER_WORKER_WARNING)
    return True
