"""Staff sign-in: one-time sign-in links and recovery codes (see app.accounts)."""
from peewee import CharField, DateTimeField, ForeignKeyField

from app.models.base import BaseModel
from app.models.org import Person


class SignInLink(BaseModel):
    """A one-time sign-in link; only the token's SHA-256 is stored. Once used, both
    times are cut to the day it was used (see app.accounts.redeem_sign_in_link)."""
    token_hash = CharField(max_length=64, primary_key=True)
    person = ForeignKeyField(Person, backref="sign_in_links", on_delete="CASCADE")
    expires_at = DateTimeField()
    used_at = DateTimeField(null=True)


class RecoveryCode(BaseModel):
    """A single-use code that stands in for the authenticator app; stored hashed."""
    code_hash = CharField(max_length=64, primary_key=True)
    person = ForeignKeyField(Person, backref="recovery_codes", on_delete="CASCADE")
