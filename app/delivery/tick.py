"""`flask rounds tick`: everything that is due, in order, safe to run from cron every
minute, twice at once, or after a long pause.

1. close rounds whose time is up (and release what they hold);
2. open the rounds of schedules that are due;
3. queue invitation mails for open rounds not mailed yet;
4. queue the reminder that is due, to those who have not answered;
5. release full batches an earlier release left waiting;
6. forget past days (reaction secrets, used sign-in links, employees' sessions);
7. send what the outbox holds.

Each step claims its work with a compare-and-set in the transaction that does it, so
a second tick running at the same time finds nothing left to do, and a tick after a
pause does every step still worth doing (a round that closed meanwhile is closed, not
mailed).

A step that fails does not stop the steps after it: a close that hits a busy database
must not hold back a new round's invitations. The failure is logged, the other steps
run, and the first failure is raised at the end, so cron still sees the command fail.
"""
import logging
from dataclasses import dataclass, field
from datetime import timedelta

from app.accounts import browser_sessions, credentials
from app.board import reactions
from app.delivery import outbox, schedules
from app.models import Round, utcnow
from app.pulse import releases, rounds
from app.results import aggregates

# A reminder never comes hard on the heels of the invitation it follows.
REMINDER_GAP = timedelta(hours=12)
log = logging.getLogger(__name__)


@dataclass
class TickReport:
    closed: list = field(default_factory=list)
    opened: list = field(default_factory=list)  # schedules.Opened
    invited: dict = field(default_factory=dict)  # round -> mails queued
    reminded: list = field(default_factory=list)  # rounds whose reminder was queued
    released: int = 0
    delivery: outbox.Delivery = field(default_factory=outbox.Delivery)


def tick(settings, urls, thresholds, now=None, send=True):
    now = now or utcnow()
    min_group = thresholds.k
    report = TickReport()
    failures = []

    def step(name, work):
        try:
            work()
        except Exception as error:  # noqa: BLE001 - logged, raised again below
            log.exception("rounds tick: %s failed; the next steps run all the same", name)
            failures.append(error)

    def close():
        report.closed = close_due(thresholds, now)

    def open_scheduled():
        report.opened = schedules.open_due(min_group, settings.timezone, now)

    def released():
        report.released = releases.release_due(min_group, now)

    def deliver():
        report.delivery = outbox.deliver(settings, urls, min_group, now,
                                         final_stage=len(settings.reminder_days))

    step("closing rounds", close)
    step("opening scheduled rounds", open_scheduled)
    step("queueing invitations", lambda: queue_invitations(report, now))
    step("queueing reminders", lambda: queue_reminders(report, settings, now))
    step("releasing waiting batches", released)
    step("forgetting past days", lambda: forget_past_days(now))
    if send:
        step("sending mail", deliver)
    if failures:
        raise failures[0]
    return report


def queue_invitations(report, now):
    """Queue the invitations of open rounds not mailed yet."""
    for round_ in Round.open_at(now).where(Round.invitations_queued_at.is_null()):
        queued = outbox.queue_invitations(round_, now)
        if queued:
            report.invited[round_] = queued


def queue_reminders(report, settings, now):
    """Queue the reminder that is due of each open round already mailed."""
    for round_ in Round.open_at(now).where(Round.invitations_queued_at.is_null(False)):
        stage = reminder_due(round_, settings.reminder_days, now)
        if stage > round_.reminder_stages and outbox.queue_reminders(round_, stage, now):
            report.reminded.append(round_)


def close_due(thresholds, now=None):
    """Close every round whose time is up (releasing what it holds) and work out its
    dashboards now, not at a leader's first view. Returns the rounds closed."""
    closed = rounds.close_due(thresholds.k, now)
    if closed:
        aggregates.facts_for_rounds([r.id for r in closed], thresholds)
    return closed


def forget_past_days(now):
    """Forget past days: reaction secrets and marks, used sign-in links, employees'
    sessions (their rows would say who was on the board, or answering, that day).
    The first board page of a day does it too; the tick makes a quiet server forget
    at midnight. Returns True if anything was forgotten."""
    forgot = reactions.forget_past_days(now.date())
    forgot = bool(browser_sessions.forget_employee_sessions_before(now.date())) or forgot
    return bool(credentials.forget_used_links(now)) or forgot


def reminder_due(round_, reminder_days, now):
    """The latest reminder stage (1 = the earliest reminder) whose time has come, or 0.

    A stage whose time falls within REMINDER_GAP of the invitations is left out, so a
    short round (or one mailed late) gets no reminder on the heels of its invitation. After a
    pause, the stages missed are not sent one after another: only the latest.
    """
    due = 0
    for stage, days in enumerate(reminder_days, start=1):
        at = round_.closes_at - timedelta(days=days)
        if at <= now and at >= round_.invitations_queued_at + REMINDER_GAP:
            due = stage
    return due
