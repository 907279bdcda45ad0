"""The anonymous tables: answers and comments, their pending pool, and the tallies.

Every row here has a random 128-bit id (or none), no timestamp, and no column that
names a person except a comment its author chose to sign. On SQLite these tables
are WITHOUT ROWID so storage order follows the random key, not arrival order.
"""
import json

from peewee import CompositeKey, ForeignKeyField, IntegerField, TextField

from app.models.base import BaseModel, RandomIdField, SealedField
from app.models.org import Person, Team
from app.models.rounds import Round
from app.models.surveys import Question


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


class QuestionTally(BaseModel):
    """Released answers to one question of one round in one team, as plain counts."""
    round = ForeignKeyField(Round, on_delete="CASCADE")
    team = ForeignKeyField(Team, on_delete="CASCADE")
    question = ForeignKeyField(Question, on_delete="CASCADE")
    answers = IntegerField(default=0)
    total = IntegerField(default=0)
    favourable = IntegerField(default=0)
    promoters = IntegerField(default=0)
    detractors = IntegerField(default=0)
    counts_json = TextField(default="[]")

    class Meta:
        primary_key = CompositeKey("round", "team", "question")

    @property
    def counts(self):
        """How many chose each value of the question's scale, in scale order."""
        return json.loads(self.counts_json)


class TeamTally(BaseModel):
    """How many released respondents a team has in a round."""
    round = ForeignKeyField(Round, on_delete="CASCADE")
    team = ForeignKeyField(Team, on_delete="CASCADE")
    respondents = IntegerField(default=0)

    class Meta:
        primary_key = CompositeKey("round", "team")


ANONYMOUS_MODELS = (PendingAnswer, Response, Comment)
