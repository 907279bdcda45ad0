"""Round snapshots: the dashboard's per-round decisions, kept across worker restarts."""
from peewee import *


def up(migrator, db):
    class Round(Model):
        class Meta:
            database = db
            table_name = 'round'

    class RoundSnapshot(Model):
        round = ForeignKeyField(Round, on_delete='CASCADE')
        k = IntegerField()
        k_comments = IntegerField()
        fingerprint = CharField(max_length=100)
        body = TextField()
        class Meta:
            database = db
            table_name = 'round_snapshot'
            primary_key = CompositeKey('round', 'k', 'k_comments')

    db.create_tables([RoundSnapshot])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('round_snapshot'))
