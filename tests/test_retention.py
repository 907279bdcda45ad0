"""The retention policy: `heard purge` removes what its periods no longer keep, and
nothing else; a round's answers are erased by destroying its data key."""
from datetime import timedelta

import pytest

from app.accounts import retention
from app.crypto import blobs, keys
from app.models import (
    AuditEntry, Comment, MailBounce, OutboxMail, Round, SignInLink, TeamTally, utcnow)
from tests.support import build_app, close_with_answers, invitations_of

POLICY = retention.Policy(sign_in_links=7, outbox=30, bounces=180, audit=730, answers=90)


def old_and_new(model, days, **fields):
    """Make one row just past `days` and one just inside, with these fields."""
    now = utcnow()
    return [model.create(**{name: value(now - timedelta(days=age)) if callable(value) else value
                            for name, value in fields.items()})
            for age in (days + 1, days - 1)]


def test_a_purge_removes_only_what_is_past_its_period(app, make_round, make_staff, runner):
    staff = make_staff("hr")
    for n, age in enumerate((8, 6)):
        SignInLink.create(token_hash=f"{n:064d}", person=staff,
                          expires_at=utcnow() - timedelta(days=age))
    MailBounce.create(address="old@acme.test", first_at=utcnow() - timedelta(days=400),
                      last_at=utcnow() - timedelta(days=181))
    MailBounce.create(address="new@acme.test", first_at=utcnow(), last_at=utcnow())
    AuditEntry.create(at=utcnow() - timedelta(days=731), action="export", subject="x")
    AuditEntry.create(at=utcnow() - timedelta(days=10), action="export", subject="y")
    round_ = make_round()
    invitation = invitations_of(round_)[0]
    OutboxMail.create(invitation=invitation, kind="invitation", failed=True,
                      next_attempt_at=utcnow() - timedelta(days=31))
    OutboxMail.create(invitation=invitation, kind="reminder", failed=False,
                      next_attempt_at=utcnow() - timedelta(days=31))  # still trying
    dry = retention.purge(POLICY, dry_run=True)
    assert (dry.sign_in_links, dry.outbox, dry.bounces, dry.audit) == (1, 1, 1, 1)
    assert SignInLink.select().count() == 2  # a dry run removes nothing
    done = retention.purge(POLICY)
    assert (done.sign_in_links, done.outbox, done.bounces, done.audit) == (1, 1, 1, 1)
    assert [link.token_hash for link in SignInLink.select()] == [f"{1:064d}"]
    assert [b.address for b in MailBounce.select()] == ["new@acme.test"]
    assert OutboxMail.select().count() == 1 and not OutboxMail.get().failed
    assert {e.subject for e in AuditEntry.select()} == {"y", "retention"}


def test_old_rounds_lose_their_answers_but_keep_their_figures(app, make_round):
    round_ = make_round(now=utcnow() - timedelta(days=120))
    round_ = close_with_answers(round_, {"Acme/Platform": 6}, comment="Fix the rota",
                                now=utcnow() - timedelta(days=119))
    assert retention.purge(POLICY).rounds_shredded == [round_.id]
    comment = Comment.get()
    with pytest.raises(blobs.BlobError, match="destroyed"):
        keys.Keyring.load(keys.current().path).open(
            comment.sealed, blobs.place("comment", "sealed", comment.id, round_.id))
    assert TeamTally.get().respondents == 6  # the aggregates stay
    assert retention.purge(POLICY).rounds_shredded == []  # once


def test_zero_keeps_a_kind_for_good(app, make_round):
    AuditEntry.create(at=utcnow() - timedelta(days=5000), action="export", subject="x")
    keep = retention.Policy(sign_in_links=0, outbox=0, bounces=0, audit=0, answers=0)
    assert retention.purge(keep).audit == 0
    assert AuditEntry.select().where(AuditEntry.subject == "x").count() == 1


def test_the_purge_command_says_what_it_removed(runner):
    AuditEntry.create(at=utcnow() - timedelta(days=800), action="export", subject="x")
    assert "audit entries 1" in runner.invoke(args=["purge", "--dry-run"]).output
    result = runner.invoke(args=["purge"])
    assert result.exit_code == 0 and "removed:" in result.output
    assert AuditEntry.select().where(AuditEntry.subject == "x").count() == 0


@pytest.mark.parametrize("value", ["-1", "abc", "²", "1.5", "99999999"])
def test_a_bad_retention_period_stops_start_up(tmp_path, value):
    from app import StartupError
    with pytest.raises(StartupError, match="HEARD_RETAIN_AUDIT_DAYS"):
        build_app(tmp_path, migrate=False, RETAIN_AUDIT_DAYS=value)
