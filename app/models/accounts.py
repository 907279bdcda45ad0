"""Staff sign-in: one-time sign-in links and recovery codes (see app.accounts.credentials)."""
from peewee import CharField, DateField, DateTimeField, ForeignKeyField

from app.models.base import BaseModel, SealedField
from app.models.org import Person


class SignInLink(BaseModel):
    """A one-time sign-in link; only the token's SHA-256 is stored. Once used, both
    times are cut to the day it was used (see app.accounts.credentials.redeem_sign_in_link)."""
    token_hash = CharField(max_length=64, primary_key=True)
    person = ForeignKeyField(Person, backref="sign_in_links", on_delete="CASCADE")
    expires_at = DateTimeField()
    used_at = DateTimeField(null=True)


class RecoveryCode(BaseModel):
    """A single-use code that stands in for the authenticator app; stored hashed."""
    code_hash = CharField(max_length=64, primary_key=True)
    person = ForeignKeyField(Person, backref="recovery_codes", on_delete="CASCADE")


class BrowserSession(BaseModel):
    """One browser's session, kept on the server; the cookie holds only its random id.

    Before sign-in a row may hold the sign-in link being confirmed (its hash); during
    enrolment, the authenticator secret being set up (sealed). Neither ever travels in
    the cookie. `level` says how the session was authenticated (see app.accounts.credentials
    LEVELS); staff pages demand more than a link. Only the day of sign-in is kept: a
    time to the second would tell a database reader who signed in just before an
    anonymous reply.
    """
    id = CharField(max_length=32, primary_key=True)
    person = ForeignKeyField(Person, null=True, backref="browser_sessions",
                             on_delete="CASCADE")
    level = CharField(max_length=16, default="")
    label = CharField(max_length=80, default="")
    signed_in_on = DateField(null=True)
    link_hash = CharField(max_length=64, null=True)
    totp_pending = SealedField(null=True)
    created_on = DateField()
