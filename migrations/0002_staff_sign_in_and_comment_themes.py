"""Staff sign-in (password, TOTP, session epoch, one-time links, recovery codes) and
comments routed to themes at release.

Frozen copies of the new tables, deliberately independent of app.models.
"""
from peewee import *


def _unordered(db):
    """Meta option: WITHOUT ROWID where the engine has it (SQLite)."""
    return isinstance(db, SqliteDatabase)


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('person', 'password_hash', CharField(max_length=200, null=True)),
        migrator.add_column('person', 'totp_sealed', BlobField(null=True)),
        migrator.add_column('person', 'totp_last_step', IntegerField(default=0)),
        migrator.add_column('person', 'session_epoch', CharField(max_length=32, default='')),
    )

    class Person(Model):
        class Meta:
            database = db
            table_name = 'person'

    class Round(Model):
        class Meta:
            database = db
            table_name = 'round'

    class Team(Model):
        class Meta:
            database = db
            table_name = 'team'

    class Theme(Model):
        key = CharField(primary_key=True, max_length=40)
        class Meta:
            database = db
            table_name = 'theme'

    class Comment(Model):
        id = BlobField(primary_key=True)
        class Meta:
            database = db
            table_name = 'comment'

    class SignInLink(Model):
        token_hash = CharField(primary_key=True, max_length=64)
        person = ForeignKeyField(Person, on_delete='CASCADE')
        expires_at = DateTimeField()
        used_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'sign_in_link'

    class RecoveryCode(Model):
        code_hash = CharField(primary_key=True, max_length=64)
        person = ForeignKeyField(Person, on_delete='CASCADE')
        class Meta:
            database = db
            table_name = 'recovery_code'

    class CommentTheme(Model):
        round = ForeignKeyField(Round, on_delete='CASCADE')
        theme = ForeignKeyField(Theme, on_delete='CASCADE')
        team = ForeignKeyField(Team, on_delete='CASCADE')
        comment = ForeignKeyField(Comment, on_delete='CASCADE')
        class Meta:
            database = db
            table_name = 'comment_theme'
            without_rowid = _unordered(db)
            primary_key = CompositeKey('round', 'theme', 'team', 'comment')

    db.create_tables([SignInLink, RecoveryCode, CommentTheme])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('comment_theme'))
    migrator.migrate(migrator.drop_table('recovery_code'))
    migrator.migrate(migrator.drop_table('sign_in_link'))
    migrator.migrate(
        migrator.drop_column('person', 'session_epoch'),
        migrator.drop_column('person', 'totp_last_step'),
        migrator.drop_column('person', 'totp_sealed'),
        migrator.drop_column('person', 'password_hash'),
    )
