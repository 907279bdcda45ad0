"""Sessions kept on the server, and recovery codes of 80 bits (issue 14, V1, V7, V9).

- browser_session: one row per browser session; the cookie carries only its random id.
  It records how the session was authenticated (a link only, or a staff first factor,
  or both factors), so staff pages can demand the second factor of *this* session; it
  holds the sign-in link being confirmed and the authenticator secret being set up, so
  neither travels in the (signed but readable) cookie; and it lets a person list and
  end their sessions. WITHOUT ROWID on SQLite: rows sit in the order of their random
  ids, not of sign-in.
- recovery_code: the old codes had 64 bits and an unsalted SHA-256; they are deleted.
  Their people keep their authenticator app and make new codes on their account page.

Frozen copies of the tables, deliberately independent of app.models.
"""
from peewee import *


def _table(db):
    class Person(Model):
        class Meta:
            database = db
            table_name = 'person'

    class BrowserSession(Model):
        id = CharField(max_length=32, primary_key=True)
        person = ForeignKeyField(Person, null=True, on_delete='CASCADE')
        level = CharField(max_length=16, default='')
        label = CharField(max_length=80, default='')
        signed_in_on = DateField(null=True)
        link_hash = CharField(max_length=64, null=True)
        totp_pending = BlobField(null=True)
        created_on = DateField()
        class Meta:
            database = db
            table_name = 'browser_session'
            without_rowid = isinstance(db, SqliteDatabase)
    return BrowserSession


def up(migrator, db):
    db.create_tables([_table(db)])
    db.execute_sql('DELETE FROM "recovery_code"')


def down(migrator, db):
    db.drop_tables([_table(db)])
