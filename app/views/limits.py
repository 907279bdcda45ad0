"""Rate limits on failed sign-ins, per account and per network address.

Only failures count (a wrong password, code or link): someone who signs in
correctly is never slowed down. The counters live in memory by default; with several
instances, point HEARD_RATELIMIT_STORAGE_URI at Redis so they share them.
"""
from flask import current_app
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


def init_app(app):
    limiter.init_app(app)
