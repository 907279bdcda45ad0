"""Rate limits: failed sign-ins (per account and per network address), anonymous
replies (per person) and answers through open links (per browser and per address).

Only failures count for sign-ins (a wrong password, code or link): someone who signs
in correctly is never slowed down. The counters live in memory by default; with
several instances, point HEARD_RATELIMIT_STORAGE_URI at Redis so they share them.

No counter is named after what it counts: every key is an HMAC, under a key made
from the session secret, of what it limits (a person, an email, an address). A dump
of Redis (or of the process) therefore does not say that person 42 replied
anonymously at 10:14; it takes the session secret as well, which is in neither the
database nor the key file.
"""
import hashlib
import hmac
import secrets

from flask import current_app, request
from flask_login import current_user
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

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
    """Limit failed POSTs to a view per address and, given account_key, per account."""
    def per_address():
        return current_app.config["SIGNIN_LIMIT_PER_ADDRESS"]

    def per_account():
        return current_app.config["SIGNIN_LIMIT_PER_ACCOUNT"]

    def decorate(view):
        limited = limiter.limit(per_address, methods=["POST"], deduct_when=_failed)(view)
        if account_key is not None:
            limited = limiter.limit(per_account, methods=["POST"], deduct_when=_failed,
                                    key_func=lambda: opaque("account", account_key()))(limited)
        return limited
    return decorate


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


def remember_device(response):
    """Give this browser a random device mark (once), the key of its open-link limit.

    The mark is only ever a rate-limit key: it is stored nowhere but in the counter,
    which forgets it when its window ends, and never beside an answer.
    """
    if not request.cookies.get(DEVICE_COOKIE):
        response.set_cookie(DEVICE_COOKIE, secrets.token_urlsafe(16),
                            max_age=DEVICE_COOKIE_DAYS * 86400, httponly=True,
                            secure=request.is_secure, samesite="Lax")
    return response


def limit_open_answers(view):
    """At most OPEN_LINK_LIMIT_PER_DEVICE answers per browser and
    OPEN_LINK_LIMIT_PER_ADDRESS per network address through open links. A browser
    without its mark is counted by its address at the per-browser rate."""
    def per_device():
        mark = request.cookies.get(DEVICE_COOKIE)
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
