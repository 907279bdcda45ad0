"""The public board: threads leaders open on a theme, the replies under them, the
marks that keep reactions to one per person, and the audit log.

A reply keeps its day, never its time, and an anonymous reply keeps no author: its
text is sealed with the round's data key and its id is random. On SQLite replies and
reaction marks are WITHOUT ROWID, so their key order says nothing about arrival order
(the position of a cell inside its page still does: see docs/board.md).
"""
from peewee import (
    BlobField, CharField, DateField, DateTimeField, ForeignKeyField, IntegerField, TextField)

from app.models.base import BaseModel, RandomIdField, SealedField
from app.models.org import Person, Team
from app.models.rounds import Round
from app.models.surveys import Theme

STATUSES = ("acknowledged", "planned", "in_progress", "done", "wont_do")


class Thread(BaseModel):
    """A leader's public answer to one theme of one round, for one scope (a team and
    everything under it; the top team makes it organisation-wide)."""
    round = ForeignKeyField(Round, on_delete="CASCADE")
    theme = ForeignKeyField(Theme, on_delete="CASCADE")
    team = ForeignKeyField(Team, on_delete="CASCADE")
    author = ForeignKeyField(Person, null=True, on_delete="SET NULL")
    body = TextField()
    status = CharField(max_length=20)
    status_reason = TextField(default="")
    opened_at = DateTimeField()
    response_days = IntegerField()   # whole days from the round's close to this answer
    active_on = DateField()          # day of the latest reply or change, for ordering
    revision = IntegerField(default=0)  # bumped by every change a reader sees; polls compare it
    replies = IntegerField(default=0)   # replies not hidden
    me_too = IntegerField(default=0)
    helpful = IntegerField(default=0)

    class Meta:
        indexes = ((("round", "theme", "team"), True),)


class ThreadEvent(BaseModel):
    """A line of a thread's timeline: opened, edited, or a status change."""
    thread = ForeignKeyField(Thread, backref="events", on_delete="CASCADE")
    at = DateTimeField()
    person = ForeignKeyField(Person, null=True, on_delete="SET NULL")
    kind = CharField(max_length=20)
    old_status = CharField(max_length=20, null=True)
    new_status = CharField(max_length=20, null=True)
    reason = TextField(default="")


class Post(BaseModel):
    """A reply in a thread, or a reply to a reply (two levels, never deeper)."""
    id = RandomIdField()
    thread = ForeignKeyField(Thread, on_delete="CASCADE")
    parent = ForeignKeyField("self", null=True, on_delete="CASCADE")
    day = DateField()
    author = ForeignKeyField(Person, null=True, on_delete="SET NULL")  # None: anonymous
    body = TextField(null=True)        # a signed reply's text
    sealed = SealedField(null=True)    # an anonymous reply's text (AES-GCM, round's key)
    hidden_reason = TextField(null=True)  # set by HR; the text is then erased
    me_too = IntegerField(default=0)
    helpful = IntegerField(default=0)


class ReactionMark(BaseModel):
    """That someone reacted to an item today: a hash of (person, item, reaction) keyed
    by the day's secret, and the day. Deleted with the secret once the day is over."""
    mark = CharField(max_length=64, primary_key=True)
    day = DateField()


class ReactionKey(BaseModel):
    """The random secret that keys one day's reaction marks. Destroyed once the day is
    over, which leaves that day's marks to no one (UNLOGGED on PostgreSQL, so it never
    reaches the write-ahead log or its archives)."""
    day = DateField(primary_key=True)
    secret = BlobField()  # 32 random bytes


class AuditEntry(BaseModel):
    """Who did what, when: moderation, exports and other acts HR must be able to trace.
    Never an anonymous author, never a reply's or comment's text."""
    at = DateTimeField()
    actor = ForeignKeyField(Person, null=True, on_delete="SET NULL")  # None: the CLI
    action = CharField(max_length=40)
    subject = CharField(max_length=200)
    detail = TextField(default="")


UNORDERED_BOARD_MODELS = (Post, ReactionMark)
