"""Personal links: a token per invitation, derived so it can be printed again.

token = base64url(HMAC-SHA256(link key, "invitation|" + salt)). The link key lives in
the key file, the salt in the invitation row, and only SHA-256(token) is stored, so
a copy of the database alone yields no working link.
"""
import base64
import hashlib
import hmac
import os
import re

from app.crypto import keys
from app.models import invitation_by_token_hash, utcnow

SALT_BYTES = 16
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{43}$")


def new_salt():
    return os.urandom(SALT_BYTES)


def token_for(salt, link_key=None, purpose=b"invitation"):
    """The token for a salt; purpose keeps an open link's token apart from a personal
    link's even if their salts were equal."""
    link_key = link_key or keys.current().link_key
    digest = hmac.new(link_key, purpose + b"|" + bytes(salt), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_for_token(token, now=None):
    """The invitation a token opens while its round takes answers, else None.

    Unknown, malformed, expired and closed all give None: the caller shows one
    uniform answer, so a link reveals nothing about why it does not work.
    """
    if not isinstance(token, str) or not TOKEN_PATTERN.match(token):
        return None
    invitation = invitation_by_token_hash(token_hash(token))
    if invitation is None or not invitation.round.is_open(now or utcnow()):
        return None
    return invitation
