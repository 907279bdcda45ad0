"""The public board: threads, their timeline, replies, reaction marks, the audit log.

Frozen copies of the new tables, deliberately independent of app.models.
"""
from peewee import *


def _unordered(db):
    """Meta option: WITHOUT ROWID where the engine has it (SQLite)."""
    return isinstance(db, SqliteDatabase)


def up(migrator, db):
    def stub(name, **fields):
        class Meta:
            database = db
            table_name = name
        return type(name.title(), (Model,), {"Meta": Meta, **fields})

    Round, Team, Person = (stub(n) for n in ("round", "team", "person"))
    Theme = stub("theme", key=CharField(primary_key=True, max_length=40))

    class Thread(Model):
        round = ForeignKeyField(Round, on_delete='CASCADE')
        theme = ForeignKeyField(Theme, on_delete='CASCADE')
        team = ForeignKeyField(Team, on_delete='CASCADE')
        author = ForeignKeyField(Person, null=True, on_delete='SET NULL')
        body = TextField()
        status = CharField(max_length=20)
        status_reason = TextField(default='')
        opened_at = DateTimeField()
        response_days = IntegerField()
        active_on = DateField()
        revision = IntegerField(default=0)
        replies = IntegerField(default=0)
        me_too = IntegerField(default=0)
        helpful = IntegerField(default=0)
        class Meta:
            database = db
            table_name = 'thread'
            indexes = ((('round', 'theme', 'team'), True),)

    class ThreadEvent(Model):
        thread = ForeignKeyField(Thread, on_delete='CASCADE')
        at = DateTimeField()
        person = ForeignKeyField(Person, null=True, on_delete='SET NULL')
        kind = CharField(max_length=20)
        old_status = CharField(max_length=20, null=True)
        new_status = CharField(max_length=20, null=True)
        reason = TextField(default='')
        class Meta:
            database = db
            table_name = 'thread_event'

    class Post(Model):
        id = BlobField(primary_key=True)
        thread = ForeignKeyField(Thread, on_delete='CASCADE')
        parent = ForeignKeyField('self', null=True, on_delete='CASCADE')
        day = DateField()
        author = ForeignKeyField(Person, null=True, on_delete='SET NULL')
        body = TextField(null=True)
        sealed = BlobField(null=True)
        hidden_reason = TextField(null=True)
        me_too = IntegerField(default=0)
        helpful = IntegerField(default=0)
        class Meta:
            database = db
            table_name = 'post'
            without_rowid = _unordered(db)

    class ReactionMark(Model):
        mark = CharField(max_length=64, primary_key=True)
        class Meta:
            database = db
            table_name = 'reaction_mark'
            without_rowid = _unordered(db)

    class AuditEntry(Model):
        at = DateTimeField()
        actor = ForeignKeyField(Person, null=True, on_delete='SET NULL')
        action = CharField(max_length=40)
        subject = CharField(max_length=200)
        detail = TextField(default='')
        class Meta:
            database = db
            table_name = 'audit_entry'

    db.create_tables([Thread, ThreadEvent, Post, ReactionMark, AuditEntry])


def down(migrator, db):
    migrator.migrate(*(migrator.drop_table(name) for name in (
        'audit_entry', 'reaction_mark', 'post', 'thread_event', 'thread')))
