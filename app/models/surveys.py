"""Themes, surveys and their questions, as loaded from surveys/*.toml."""
import json

from peewee import BooleanField, CharField, ForeignKeyField, IntegerField, TextField

from app.models.base import BaseModel

KINDS = ("likert", "enps", "choice", "text")
CADENCES = ("weekly", "biweekly", "monthly", "quarterly")


class Theme(BaseModel):
    key = CharField(max_length=40, primary_key=True)
    name = CharField(max_length=80)
    description = TextField(default="")
    keywords_json = TextField(default="[]")

    @property
    def keywords(self):
        return json.loads(self.keywords_json)


# (survey key, revision) -> its current questions. Every pulse request needs them and
# they change only when `surveys sync` bumps the revision, so each worker keeps a copy.
_QUESTIONS = {}


def forget_cached_questions():
    _QUESTIONS.clear()


class Survey(BaseModel):
    key = CharField(max_length=40, primary_key=True)
    title = CharField(max_length=120)
    cadence = CharField(max_length=16)
    intro = TextField(default="")
    active = BooleanField(default=True)
    revision = IntegerField(default=1)

    def current_questions(self):
        """The questions the survey asks now, in order."""
        cache_key = (self.key, self.revision)
        if cache_key not in _QUESTIONS:
            _QUESTIONS[cache_key] = list(
                Question.select().where(Question.survey == self.key, Question.active)
                .order_by(Question.position))
        return _QUESTIONS[cache_key]


class Question(BaseModel):
    survey = ForeignKeyField(Survey, backref="questions", on_delete="RESTRICT")
    key = CharField(max_length=40)
    position = IntegerField()
    kind = CharField(max_length=8)
    prompt = TextField()
    help = TextField(default="")
    theme = ForeignKeyField(Theme, null=True, backref="questions", on_delete="RESTRICT")
    choices_json = TextField(default="[]")
    required = BooleanField(default=True)
    active = BooleanField(default=True)

    class Meta:
        indexes = ((("survey", "key"), True),)

    @property
    def choices(self):
        """Options of a choice question, as a list of strings."""
        return json.loads(self.choices_json)

    @property
    def scale(self):
        """The allowed answers, as the strings a form sends."""
        if self.kind == "likert":
            return [str(n) for n in range(1, 6)]
        if self.kind == "enps":
            return [str(n) for n in range(0, 11)]
        if self.kind == "choice":
            return [str(n) for n in range(len(self.choices))]
        return []

    @property
    def is_scored(self):
        return self.kind != "text"
