"""The first schema: organisation, surveys, rounds and the anonymous answer tables.

Frozen copies of the models as they were, deliberately independent of app.models.
The anonymous tables and participation are WITHOUT ROWID on SQLite so their storage
order follows a random or composite key, not the order people answered in.
"""
from peewee import *


def _unordered(db):
    """Meta option: WITHOUT ROWID where the engine has it (SQLite)."""
    return isinstance(db, SqliteDatabase)

def up(migrator, db):
    class Survey(Model):
        key = CharField(primary_key=True, max_length=40)
        title = CharField(max_length=120)
        cadence = CharField(max_length=16)
        intro = TextField(default='')
        active = BooleanField(default=True)
        revision = IntegerField(default=1)
        class Meta:
            database = db
            table_name = 'survey'
    db.create_tables([Survey])

    class Team(Model):
        name = CharField(max_length=120)
        path = CharField(unique=True, max_length=1000)
        parent = ForeignKeyField('self', null=True, on_delete='RESTRICT')
        class Meta:
            database = db
            table_name = 'team'
    db.create_tables([Team])

    class DataKey(Model):
        kek_id = CharField(max_length=40)
        wrapped = BlobField(null=True)
        class Meta:
            database = db
            table_name = 'data_key'
    db.create_tables([DataKey])

    class Round(Model):
        survey = ForeignKeyField(Survey, on_delete='RESTRICT')
        team = ForeignKeyField(Team, on_delete='RESTRICT')
        name = CharField(max_length=200)
        opens_at = DateTimeField()
        closes_at = DateTimeField()
        closed_at = DateTimeField(null=True)
        data_key = ForeignKeyField(DataKey, on_delete='RESTRICT')
        class Meta:
            database = db
            table_name = 'round'
    db.create_tables([Round])

    class Theme(Model):
        key = CharField(primary_key=True, max_length=40)
        name = CharField(max_length=80)
        description = TextField(default='')
        keywords_json = TextField(default='[]')
        class Meta:
            database = db
            table_name = 'theme'
    db.create_tables([Theme])

    class Question(Model):
        survey = ForeignKeyField(Survey, on_delete='RESTRICT')
        key = CharField(max_length=40)
        position = IntegerField()
        kind = CharField(max_length=8)
        prompt = TextField()
        help = TextField(default='')
        theme = ForeignKeyField(Theme, null=True, on_delete='RESTRICT')
        choices_json = TextField(default='[]')
        required = BooleanField(default=True)
        active = BooleanField(default=True)
        class Meta:
            database = db
            table_name = 'question'
            indexes = ((('survey', 'key'), True),)
    db.create_tables([Question])

    class Person(Model):
        email = CharField(unique=True, max_length=254)
        name = CharField(max_length=200)
        team = ForeignKeyField(Team, on_delete='RESTRICT')
        role = CharField(max_length=16, default='employee')
        active = BooleanField(default=True)
        class Meta:
            database = db
            table_name = 'person'
    db.create_tables([Person])

    class Comment(Model):
        id = BlobField(primary_key=True)
        round = ForeignKeyField(Round, on_delete='CASCADE')
        team = ForeignKeyField(Team, on_delete='CASCADE')
        question = ForeignKeyField(Question, on_delete='CASCADE')
        author = ForeignKeyField(Person, null=True, on_delete='SET NULL')
        sealed = BlobField()
        class Meta:
            database = db
            table_name = 'comment'
            without_rowid = _unordered(db)
    db.create_tables([Comment])

    class Invitation(Model):
        round = ForeignKeyField(Round, on_delete='CASCADE')
        person = ForeignKeyField(Person, on_delete='CASCADE')
        team = ForeignKeyField(Team, on_delete='RESTRICT')
        counted_team = ForeignKeyField(Team, on_delete='RESTRICT')
        salt = BlobField()
        token_hash = CharField(unique=True, max_length=64)
        class Meta:
            database = db
            table_name = 'invitation'
            indexes = ((('round', 'person'), True),)
    db.create_tables([Invitation])

    class Participation(Model):
        round = ForeignKeyField(Round, on_delete='CASCADE')
        person = ForeignKeyField(Person, on_delete='CASCADE')
        class Meta:
            database = db
            table_name = 'participation'
            without_rowid = _unordered(db)
            primary_key = CompositeKey('round', 'person')
    db.create_tables([Participation])

    class PendingAnswer(Model):
        id = BlobField(primary_key=True)
        round = ForeignKeyField(Round, on_delete='CASCADE')
        team = ForeignKeyField(Team, on_delete='CASCADE')
        sealed = BlobField()
        class Meta:
            database = db
            table_name = 'pending_answer'
            without_rowid = _unordered(db)
    db.create_tables([PendingAnswer])

    class AnswerCount(Model):
        round = ForeignKeyField(Round, on_delete='CASCADE')
        team = ForeignKeyField(Team, on_delete='CASCADE')
        question = ForeignKeyField(Question, on_delete='CASCADE')
        value = IntegerField()
        count = IntegerField(default=0)
        class Meta:
            database = db
            table_name = 'answer_count'
            primary_key = CompositeKey('round', 'team', 'question', 'value')
    db.create_tables([AnswerCount])

    class Response(Model):
        id = BlobField(primary_key=True)
        round = ForeignKeyField(Round, on_delete='CASCADE')
        team = ForeignKeyField(Team, on_delete='CASCADE')
        sealed = BlobField()
        class Meta:
            database = db
            table_name = 'response'
            without_rowid = _unordered(db)
    db.create_tables([Response])

    class TeamLead(Model):
        person = ForeignKeyField(Person, on_delete='CASCADE')
        team = ForeignKeyField(Team, on_delete='CASCADE')
        class Meta:
            database = db
            table_name = 'team_lead'
            primary_key = CompositeKey('person', 'team')
    db.create_tables([TeamLead])

    class TeamTally(Model):
        round = ForeignKeyField(Round, on_delete='CASCADE')
        team = ForeignKeyField(Team, on_delete='CASCADE')
        respondents = IntegerField(default=0)
        class Meta:
            database = db
            table_name = 'team_tally'
            primary_key = CompositeKey('round', 'team')
    db.create_tables([TeamTally])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('team_tally'))
    migrator.migrate(migrator.drop_table('team_lead'))
    migrator.migrate(migrator.drop_table('response'))
    migrator.migrate(migrator.drop_table('answer_count'))
    migrator.migrate(migrator.drop_table('pending_answer'))
    migrator.migrate(migrator.drop_table('participation'))
    migrator.migrate(migrator.drop_table('invitation'))
    migrator.migrate(migrator.drop_table('comment'))
    migrator.migrate(migrator.drop_table('person'))
    migrator.migrate(migrator.drop_table('question'))
    migrator.migrate(migrator.drop_table('theme'))
    migrator.migrate(migrator.drop_table('round'))
    migrator.migrate(migrator.drop_table('data_key'))
    migrator.migrate(migrator.drop_table('team'))
    migrator.migrate(migrator.drop_table('survey'))
