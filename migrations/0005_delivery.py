"""Delivery: schedules, open links, the mail outbox, refused addresses, and what a
round has had mailed.

Frozen copies of the new tables, deliberately independent of app.models. Rounds that
exist already count as invited (they were handed out some other way), so the first
tick after the upgrade mails nobody an invitation for an old round.
"""
from peewee import *


def up(migrator, db):
    def stub(name, **fields):
        class Meta:
            database = db
            table_name = name
        return type(name.title(), (Model,), {"Meta": Meta, **fields})

    Round, Team, Person, Invitation = (stub(n) for n in ("round", "team", "person",
                                                          "invitation"))
    Survey = stub("survey", key=CharField(primary_key=True, max_length=40))

    migrator.migrate(
        migrator.add_column('round', 'invitations_queued_at', DateTimeField(null=True)),
        migrator.add_column('round', 'reminder_stages', IntegerField(default=0)),
    )
    db.execute_sql('UPDATE "round" SET invitations_queued_at = opens_at')

    class Schedule(Model):
        survey = ForeignKeyField(Survey, on_delete='RESTRICT')
        team = ForeignKeyField(Team, on_delete='RESTRICT')
        cadence = CharField(max_length=16)
        weekday = IntegerField(null=True)
        day_of_month = IntegerField(null=True)
        hour = IntegerField()
        days = IntegerField()
        active = BooleanField(default=True)
        next_open_at = DateTimeField(null=True)
        last_problem = TextField(default='')
        last_round = ForeignKeyField(Round, null=True, on_delete='SET NULL')
        created_by = ForeignKeyField(Person, null=True, on_delete='SET NULL')
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'schedule'

    class OpenLink(Model):
        team = ForeignKeyField(Team, on_delete='RESTRICT')
        label = CharField(max_length=120)
        salt = BlobField()
        token_hash = CharField(max_length=64, unique=True)
        created_by = ForeignKeyField(Person, null=True, on_delete='SET NULL')
        created_at = DateTimeField()
        revoked_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'open_link'

    class OutboxMail(Model):
        invitation = ForeignKeyField(Invitation, on_delete='CASCADE')
        kind = CharField(max_length=16)
        attempts = IntegerField(default=0)
        next_attempt_at = DateTimeField(index=True)
        lease_until = DateTimeField(null=True)
        failed = BooleanField(default=False)
        last_problem = TextField(default='')
        class Meta:
            database = db
            table_name = 'outbox_mail'
            indexes = ((('invitation', 'kind'), True),)

    class MailBounce(Model):
        address = CharField(max_length=254, primary_key=True)
        refusals = IntegerField(default=1)
        first_at = DateTimeField()
        last_at = DateTimeField()
        last_problem = TextField(default='')
        class Meta:
            database = db
            table_name = 'mail_bounce'

    db.create_tables([Schedule, OpenLink, OutboxMail, MailBounce])


def down(migrator, db):
    migrator.migrate(*(migrator.drop_table(name) for name in (
        'mail_bounce', 'outbox_mail', 'open_link', 'schedule')))
    migrator.migrate(
        migrator.drop_column('round', 'reminder_stages'),
        migrator.drop_column('round', 'invitations_queued_at'),
    )
