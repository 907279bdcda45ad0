"""Getting rounds to people: recurring schedules, open links (QR posters), the mail
outbox and the addresses a mail server refused."""
from peewee import (
    BlobField, BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField, TextField)

from app.models.base import BaseModel, utcnow
from app.models.org import Person, Team
from app.models.rounds import Invitation, Round
from app.models.surveys import Survey


class Schedule(BaseModel):
    """A recurring pulse: a survey for a team subtree, opened by `flask rounds tick`.

    weekday (0 = Monday) is used by weekly and biweekly cadences, day_of_month
    (1-28) by monthly and quarterly ones; hour is in HEARD_TIMEZONE. next_open_at
    (UTC) is the next occurrence; a tick claims it by moving it on, once.
    """
    survey = ForeignKeyField(Survey, on_delete="RESTRICT")
    team = ForeignKeyField(Team, on_delete="RESTRICT")
    cadence = CharField(max_length=16)
    weekday = IntegerField(null=True)
    day_of_month = IntegerField(null=True)
    hour = IntegerField()
    days = IntegerField()
    active = BooleanField(default=True)
    next_open_at = DateTimeField(null=True)
    last_problem = TextField(default="")
    last_round = ForeignKeyField(Round, null=True, on_delete="SET NULL")
    created_by = ForeignKeyField(Person, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)


class OpenLink(BaseModel):
    """A link (printed as a QR code) anyone may use to answer for a team of a subtree.

    Its token is derived from `salt` with the link key, like a personal link's, so the
    poster can be printed again; only the token's hash is stored.
    """
    team = ForeignKeyField(Team, on_delete="RESTRICT")
    label = CharField(max_length=120)
    salt = BlobField()
    token_hash = CharField(max_length=64, unique=True)
    created_by = ForeignKeyField(Person, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)
    revoked_at = DateTimeField(null=True)


class OutboxMail(BaseModel):
    """A mail waiting to be sent: which invitation and what kind, nothing more.

    The text is written at sending time, so the personal link (a secret) is never
    stored. A row is deleted once the mail server accepts it: a reminder that stayed
    would tell who had not answered.
    """
    invitation = ForeignKeyField(Invitation, on_delete="CASCADE")
    kind = CharField(max_length=16)
    attempts = IntegerField(default=0)
    next_attempt_at = DateTimeField(index=True)
    lease_until = DateTimeField(null=True)
    failed = BooleanField(default=False)
    last_problem = TextField(default="")

    class Meta:
        indexes = ((("invitation", "kind"), True),)


class MailBounce(BaseModel):
    """An address the mail server refused an invitation for (never a reminder's)."""
    address = CharField(max_length=254, primary_key=True)
    refusals = IntegerField(default=1)
    first_at = DateTimeField()
    last_at = DateTimeField()
    last_problem = TextField(default="")
