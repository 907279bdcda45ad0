"""Rate limits on failed sign-ins, per account and per network address.

Only failures count (a wrong password, code or link): someone who signs in
correctly is never slowed down. The counters live in memory by default; with several
instances, point HEARD_RATELIMIT_STORAGE_URI at Redis so they share them.
"""
from flask import current_app, request
from flask_login import current_user
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

FAILED = (401, 404)
limiter = Limiter(key_func=get_remote_address, headers_enabled=False)


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
            limited = limiter.limit(per_account, key_func=account_key, methods=["POST"],
                                    deduct_when=_failed)(limited)
        return limited
    return decorate


def limit_anonymous_replies(view):
    """At most ANONYMOUS_REPLY_LIMIT anonymous replies per person (signed replies are
    not limited). The counter is keyed by the person and lives only for its window, in
    memory or Redis; it never touches the reply, which keeps no author."""
    def allowed():
        return current_app.config["ANONYMOUS_REPLY_LIMIT"]

    def per_person():
        return f"anonymous-replies:{current_user.person.id}"

    def message():
        return (f"You have posted the most anonymous replies allowed for now "
                f"({current_app.config['ANONYMOUS_REPLY_LIMIT']}). Nothing was posted. "
                f"Please wait a while, or reply with your name.")

    return limiter.limit(allowed, key_func=per_person, methods=["POST"],
                         exempt_when=lambda: request.form.get("identity") != "anonymous",
                         deduct_when=lambda response: response.status_code < 400,
                         error_message=message)(view)


def init_app(app):
    limiter.init_app(app)
