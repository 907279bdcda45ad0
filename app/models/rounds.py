"""Rounds of a survey, their data keys, invitations and who took part."""
from peewee import BlobField, CharField, CompositeKey, DateTimeField, ForeignKeyField, IntegerField

from app.db import Statement
from app.models.base import BaseModel, utcnow
from app.models.org import Person, Team
from app.models.surveys import Survey


class DataKey(BaseModel):
    """A round's AES-256 data key, stored only wrapped by a key-encryption key.

    Setting `wrapped` to NULL destroys the key and so erases every answer sealed
    with it (crypto-shredding).
    """
    kek_id = CharField(max_length=40)
    wrapped = BlobField(null=True)


class Round(BaseModel):
    survey = ForeignKeyField(Survey, backref="rounds", on_delete="RESTRICT")
    team = ForeignKeyField(Team, backref="rounds", on_delete="RESTRICT")
    name = CharField(max_length=200)
    opens_at = DateTimeField()
    closes_at = DateTimeField()
    closed_at = DateTimeField(null=True)
    data_key = ForeignKeyField(DataKey, on_delete="RESTRICT")
    # Set by the tick that queues the invitation mails, in the same transaction, so
    # no two ticks queue them; reminder_stages counts the reminders queued so far.
    invitations_queued_at = DateTimeField(null=True)
    reminder_stages = IntegerField(default=0)

    @classmethod
    def open_at(cls, now=None):
        """Rounds taking answers at this moment."""
        now = now or utcnow()
        return cls.select().where(
            cls.closed_at.is_null(), cls.opens_at <= now, cls.closes_at > now)

    @classmethod
    def due_to_close(cls, now=None):
        """Rounds whose closing time has passed but that are not closed yet."""
        now = now or utcnow()
        return cls.select().where(cls.closed_at.is_null(), cls.closes_at <= now)

    def is_open(self, now=None):
        now = now or utcnow()
        return self.closed_at is None and self.opens_at <= now < self.closes_at


class Invitation(BaseModel):
    """A person asked to answer a round, their team, and the group their answer is
    stored under: the smallest team (theirs or above) with at least k people invited,
    so that no stored answer names a group small enough to point at its author.

    The personal link's token is derived from `salt` with the link key (see
    app.crypto.links) so it can be printed or mailed again; only its hash is stored.
    """
    round = ForeignKeyField(Round, backref="invitations", on_delete="CASCADE")
    person = ForeignKeyField(Person, backref="invitations", on_delete="CASCADE")
    team = ForeignKeyField(Team, on_delete="RESTRICT")
    counted_team = ForeignKeyField(Team, on_delete="RESTRICT")
    salt = BlobField()
    token_hash = CharField(max_length=64, unique=True)

    class Meta:
        indexes = ((("round", "person"), True),)


_JOINED = (Invitation, Round, Survey)


def _lookup_by(column):
    """An invitation, its round and survey, found by one column's value in one query
    whose SQL is written once per worker (peewee spends 30 times longer writing it
    than the database spends answering it)."""
    statement = Statement(
        lambda value: Invitation.select(*[f for m in _JOINED for f in m._meta.sorted_fields])
        .join(Round).join(Survey).where(column == value))

    def lookup(value):
        row = statement.execute(value).fetchone()
        if row is None:
            return None
        values, built = iter(row), []
        for model in _JOINED:
            fields = model._meta.sorted_fields
            built.append(model(**{f.name: f.python_value(next(values)) for f in fields}))
        invitation, round_, survey = built
        round_.survey, invitation.round = survey, round_
        return invitation
    return lookup


invitation_by_id = _lookup_by(Invitation.id)
invitation_by_token_hash = _lookup_by(Invitation.token_hash)


class Participation(BaseModel):
    """That a person answered a round, and nothing else: no time, no order, no link
    to what they answered. WITHOUT ROWID on SQLite, so rows sit in key order rather
    than in the order people answered."""
    round = ForeignKeyField(Round, on_delete="CASCADE")
    person = ForeignKeyField(Person, on_delete="CASCADE")

    class Meta:
        primary_key = CompositeKey("round", "person")
