"""The anonymous tables: answers and comments, their pending pool, and the tallies.

Every row here has a random 128-bit id (or none), no timestamp, and no column that
names a person except a comment its author chose to sign. On SQLite these tables
are WITHOUT ROWID so storage order follows the random key, not arrival order.
"""
from peewee import CharField, CompositeKey, ForeignKeyField, IntegerField, TextField

from app.models.base import BaseModel, RandomIdField, SealedField
from app.models.org import Person, Team
from app.models.rounds import Round
from app.models.surveys import Question, Theme


class PendingAnswer(BaseModel):
    """A submission waiting to be released into the results in a shuffled batch."""
    id = RandomIdField()
    round = ForeignKeyField(Round, on_delete="CASCADE")
    team = ForeignKeyField(Team, on_delete="CASCADE")
    sealed = SealedField()


class Response(BaseModel):
    """One respondent's scores, sealed; the tallies hold the counts dashboards read."""
    id = RandomIdField()
    round = ForeignKeyField(Round, on_delete="CASCADE")
    team = ForeignKeyField(Team, on_delete="CASCADE")
    sealed = SealedField()


class Comment(BaseModel):
    """A free-text answer, sealed, stored apart from the scores of the same person."""
    id = RandomIdField()
    round = ForeignKeyField(Round, on_delete="CASCADE")
    team = ForeignKeyField(Team, on_delete="CASCADE")
    question = ForeignKeyField(Question, on_delete="CASCADE")
    author = ForeignKeyField(Person, null=True, on_delete="SET NULL")
    sealed = SealedField()


class CommentTheme(BaseModel):
    """A released comment routed to a theme (by its question and by keywords).

    Decided once, at release, so theme pages list and count comments without
    decrypting them all. The key starts with round, theme and team: one range scan
    per theme page. Comments are multi-themed, so one comment may have several rows.
    """
    round = ForeignKeyField(Round, on_delete="CASCADE")
    theme = ForeignKeyField(Theme, on_delete="CASCADE")
    team = ForeignKeyField(Team, on_delete="CASCADE")
    comment = ForeignKeyField(Comment, on_delete="CASCADE")

    class Meta:
        primary_key = CompositeKey("round", "theme", "team", "comment")


class AnswerCount(BaseModel):
    """How many released answers of a round, in one team, gave one question one value.

    Plain counts that batches add to and dashboards sum: mean, favourable share (4-5),
    eNPS and distributions are all SQL sums over these rows, with no decryption.
    """
    round = ForeignKeyField(Round, on_delete="CASCADE")
    team = ForeignKeyField(Team, on_delete="CASCADE")
    question = ForeignKeyField(Question, on_delete="CASCADE")
    value = IntegerField()
    count = IntegerField(default=0)

    class Meta:
        primary_key = CompositeKey("round", "team", "question", "value")


class TeamTally(BaseModel):
    """How many released respondents a team has in a round."""
    round = ForeignKeyField(Round, on_delete="CASCADE")
    team = ForeignKeyField(Team, on_delete="CASCADE")
    respondents = IntegerField(default=0)

    class Meta:
        primary_key = CompositeKey("round", "team")


ANONYMOUS_MODELS = (PendingAnswer, Response, Comment, CommentTheme)


class RoundSnapshot(BaseModel):
    """What app.results.aggregates decided for a round (sums per group, groups that may show),
    kept so a worker that starts does not add up every round again. Only counts that
    already pass through the thresholds' arithmetic; valid while `fingerprint` matches
    the round's tallies."""
    round = ForeignKeyField(Round, on_delete="CASCADE")
    k = IntegerField()
    k_comments = IntegerField()
    fingerprint = CharField(max_length=100)
    body = TextField()

    class Meta:
        primary_key = CompositeKey("round", "k", "k_comments")
