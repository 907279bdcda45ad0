"""Reactions and sign-in links that forget (issue 13, F6 and F7).

- reaction_mark gets a day, and a new table reaction_key holds each day's random secret
  (UNLOGGED on PostgreSQL, so it never reaches pg_wal). The marks of the old kind,
  keyed by the key file alone, named their person to anyone holding the key file: they
  are deleted (people may react once more to what they reacted to before).
- Used sign-in links keep the day they were used, not the second: used_at and
  expires_at of every used link become that day's midnight.

Frozen copies of the tables, deliberately independent of app.models.
"""
from datetime import datetime

from peewee import *


def _unordered(db):
    """Meta option: WITHOUT ROWID where the engine has it (SQLite)."""
    return isinstance(db, SqliteDatabase)


def _tables(db, with_day):
    class ReactionMark(Model):
        mark = CharField(max_length=64, primary_key=True)
        class Meta:
            database = db
            table_name = 'reaction_mark'
            without_rowid = _unordered(db)
    if with_day:
        ReactionMark._meta.add_field('day', DateField())

    class ReactionKey(Model):
        day = DateField(primary_key=True)
        secret = BlobField()
        class Meta:
            database = db
            table_name = 'reaction_key'
    return ReactionMark, ReactionKey


def _midnight(moment):
    return datetime(moment.year, moment.month, moment.day)


def _used_links_keep_the_day(db):
    class SignInLink(Model):
        token_hash = CharField(primary_key=True, max_length=64)
        expires_at = DateTimeField()
        used_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'sign_in_link'
    for link in SignInLink.select().where(SignInLink.used_at.is_null(False)):
        day = _midnight(link.used_at)
        SignInLink.update(used_at=day, expires_at=day).where(
            SignInLink.token_hash == link.token_hash).execute()


def up(migrator, db):
    OldMark, _ = _tables(db, with_day=False)
    OldMark.delete().execute()  # secure_delete on SQLite overwrites them first
    db.drop_tables([OldMark])
    ReactionMark, ReactionKey = _tables(db, with_day=True)
    db.create_tables([ReactionMark, ReactionKey])
    if isinstance(db, PostgresqlDatabase):
        db.execute_sql('ALTER TABLE "reaction_key" SET UNLOGGED')
    _used_links_keep_the_day(db)


def down(migrator, db):
    ReactionMark, ReactionKey = _tables(db, with_day=True)
    db.drop_tables([ReactionKey, ReactionMark])
    OldMark, _ = _tables(db, with_day=False)
    db.create_tables([OldMark])
