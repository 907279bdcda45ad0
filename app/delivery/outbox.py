"""The mail outbox: invitations and reminders wait here until a mail server takes them.

Queuing happens in the transaction that claims the round's step (invitations once,
each reminder once), so two ticks never queue a mail twice. Delivery leases rows, so
two deliveries never send the same row; a row is deleted once the server accepts it.
A server that cannot be reached only postpones mail; a mail the server refuses is
retried with backoff up to MAIL_MAX_ATTEMPTS times, and an invitation's refused
address is recorded for HR. A reminder's never is: it would say who had not answered.
"""
import time
from dataclasses import dataclass, field
from datetime import timedelta

from peewee import fn

from app.db import write_transaction
from app.delivery import mails
from app.delivery.transport import Refused, Unreachable, transport_for
from app.models import (
    Invitation, MailBounce, OutboxMail, Participation, Person, Round, Survey, utcnow)

BACKOFF_MINUTES = (5, 15, 60, 180, 360)  # after the 1st, 2nd, … refusal
UNREACHABLE_RETRY_MINUTES = 5
LEASE_MINUTES = 10
INSERT_CHUNK = 500


@dataclass
class Delivery:
    """What one delivery run did, in counts only."""
    sent: int = 0
    retrying: int = 0
    given_up: int = 0
    dropped: int = 0
    unreachable: str = ""
    problems: list = field(default_factory=list)


def queue_invitations(round_, now=None):
    """Queue an invitation mail per active person invited; once per round, ever.
    Returns how many were queued (0 when another tick did it already)."""
    now = now or utcnow()
    with write_transaction():
        claimed = (Round.update(invitations_queued_at=now)
                   .where(Round.id == round_.id, Round.invitations_queued_at.is_null())
                   .execute())
        if not claimed:
            return 0
        ids = [i.id for i in Invitation.select(Invitation.id).join(Person)
               .where(Invitation.round == round_.id, Person.active)]
        _insert(ids, "invitation", now)
    return len(ids)


def queue_reminders(round_, stage, now=None):
    """Queue reminder `stage` (1, 2, …) to everyone invited who has not answered.

    Participation is read here, to choose recipients, and nowhere else; the rows this
    makes are deleted once sent. Returns how many were queued (0 when the stage was
    queued already, or the round closed).
    """
    now = now or utcnow()
    with write_transaction():
        claimed = (Round.update(reminder_stages=stage)
                   .where(Round.id == round_.id, Round.reminder_stages < stage,
                          Round.closed_at.is_null())
                   .execute())
        if not claimed:
            return 0
        answered = Participation.select(Participation.person).where(
            Participation.round == round_.id)
        ids = [i.id for i in Invitation.select(Invitation.id).join(Person)
               .where(Invitation.round == round_.id, Person.active,
                      Invitation.person.not_in(answered))]
        _insert(ids, "reminder", now)
    return len(ids)


def _insert(invitation_ids, kind, now):
    rows = [{"invitation": i, "kind": kind, "next_attempt_at": now} for i in invitation_ids]
    for start in range(0, len(rows), INSERT_CHUNK):
        # A reminder whose predecessor still waits (a server down) is not queued twice.
        OutboxMail.insert_many(rows[start:start + INSERT_CHUNK]).on_conflict_ignore().execute()


def deliver(settings, urls, min_group, now=None, limit=500, seconds=40,
            final_stage=1):
    """Send what is due, at most `limit` mails or for about `seconds`.

    final_stage: the reminder stage that is the last one (its mail says so).
    """
    now = now or utcnow()
    report = Delivery()
    mails_ = _claim(now, limit)
    if not mails_:
        return report
    deadline = time.monotonic() + seconds
    done = 0
    try:
        with transport_for(settings) as transport:
            for mail in mails_:
                if time.monotonic() > deadline:
                    break
                _send_one(mail, transport, settings, urls, min_group, now, report,
                          final_stage)
                done += 1
    except Unreachable as error:
        report.unreachable = str(error)
        (OutboxMail.update(lease_until=None,
                           next_attempt_at=now + timedelta(minutes=UNREACHABLE_RETRY_MINUTES),
                           last_problem=str(error)[:300])
         .where(OutboxMail.id.in_([m.id for m in mails_[done:]])).execute())
        return report
    if done < len(mails_):  # out of time: the next run takes the rest
        (OutboxMail.update(lease_until=None)
         .where(OutboxMail.id.in_([m.id for m in mails_[done:]])).execute())
    return report


def _claim(now, limit):
    """Lease up to `limit` due rows to this run; a row leased elsewhere is skipped."""
    free = OutboxMail.lease_until.is_null() | (OutboxMail.lease_until < now)
    due = (~OutboxMail.failed) & (OutboxMail.next_attempt_at <= now) & free
    with write_transaction():
        ids = [m.id for m in OutboxMail.select(OutboxMail.id).where(due)
               .order_by(OutboxMail.next_attempt_at, OutboxMail.id).limit(limit)]
        if not ids:
            return []
        # Conditions repeated: on PostgreSQL a rival run's lease, committed while this
        # UPDATE waited for the row, is seen here and the row is skipped.
        leased = [row[0] for row in OutboxMail.update(
            lease_until=now + timedelta(minutes=LEASE_MINUTES))
            .where(OutboxMail.id.in_(ids), due).returning(OutboxMail.id).tuples().execute()]
    return list(OutboxMail.select(OutboxMail, Invitation, Round, Survey, Person)
                .join(Invitation).join(Round).join(Survey)
                .join_from(Invitation, Person)
                .where(OutboxMail.id.in_(leased)).order_by(OutboxMail.id))


def _send_one(mail, transport, settings, urls, min_group, now, report, final_stage):
    invitation = mail.invitation
    if not _still_wanted(mail, now):
        OutboxMail.delete().where(OutboxMail.id == mail.id).execute()
        report.dropped += 1
        return
    try:
        message = mails.compose(mail.kind, invitation, settings, urls, min_group,
                                final_reminder=invitation.round.reminder_stages >= final_stage)
        transport.send(message)
    except mails.UnwritableAddress as error:
        _refused(mail, str(error), True, settings, now, report, last_try=True)
        return
    except Refused as error:
        _refused(mail, str(error), error.permanent, settings, now, report)
        return
    OutboxMail.delete().where(OutboxMail.id == mail.id).execute()
    report.sent += 1


def _still_wanted(mail, now):
    """A mail for a round that stopped taking answers, for someone who left, or a
    reminder to someone who answered since, is not sent."""
    invitation = mail.invitation
    if not invitation.round.is_open(now) or not invitation.person.active:
        return False
    if mail.kind == "reminder":
        return not Participation.select().where(
            Participation.round == invitation.round_id,
            Participation.person == invitation.person_id).exists()
    return True


def _refused(mail, problem, permanent, settings, now, report, last_try=False):
    attempts = mail.attempts + 1
    give_up = last_try or attempts >= settings.max_attempts
    if mail.kind == "invitation" and permanent:
        _record_bounce(mail.invitation.person.email, problem, now)
    if give_up and mail.kind == "reminder":
        OutboxMail.delete().where(OutboxMail.id == mail.id).execute()
    else:
        delay = BACKOFF_MINUTES[min(attempts, len(BACKOFF_MINUTES)) - 1]
        (OutboxMail.update(attempts=attempts, failed=give_up, lease_until=None,
                           next_attempt_at=now + timedelta(minutes=delay),
                           last_problem=problem[:300])
         .where(OutboxMail.id == mail.id).execute())
    if give_up:
        report.given_up += 1
    else:
        report.retrying += 1
    if mail.kind == "invitation":
        report.problems.append(f"{mail.invitation.person.email}: {problem}")


def _record_bounce(address, problem, now):
    (MailBounce.insert(address=address.lower(), first_at=now, last_at=now,
                       last_problem=problem[:300])
     .on_conflict(conflict_target=[MailBounce.address],
                  update={MailBounce.refusals: MailBounce.refusals + 1,
                          MailBounce.last_at: now, MailBounce.last_problem: problem[:300]})
     .execute())


@dataclass(frozen=True)
class OutboxStatus:
    waiting: int
    failed: int
    bounces: list  # MailBounce rows, most recent first


def status():
    """Counts of mail waiting and given up, and the addresses servers refused."""
    counts = dict(OutboxMail.select(OutboxMail.failed, fn.COUNT(OutboxMail.id))
                  .group_by(OutboxMail.failed).tuples())
    return OutboxStatus(waiting=counts.get(False, 0), failed=counts.get(True, 0),
                        bounces=list(MailBounce.select()
                                     .order_by(MailBounce.last_at.desc()).limit(200)))


def retry_failed(now=None):
    """Give every invitation that was given up a fresh set of attempts (after the
    roster's addresses were fixed). Returns how many."""
    return (OutboxMail.update(failed=False, attempts=0, next_attempt_at=now or utcnow(),
                              lease_until=None)
            .where(OutboxMail.failed).execute())


def forget_bounce(address):
    """Forget that an address was refused (it was fixed, or was a mistake)."""
    return MailBounce.delete().where(MailBounce.address == address.strip().lower()).execute()

