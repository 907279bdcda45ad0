"""`flask rounds tick` is cron-safe: two at once, or one after a long pause, send
nothing twice and skip nothing still worth doing. Schedules open rounds on time."""
import threading
from datetime import datetime, timedelta

import pytest

from app.accounts.roster import import_roster
from app.db import db
from app.delivery import schedules
from app.models import OutboxMail, PendingAnswer, Round, Schedule, TeamTally
from app.pulse import releases
from tests.mail_support import run_tick, smtp_config
from tests.support import answer, build_app, invitations_of, roster_csv

MONDAY_8 = datetime(2026, 11, 23, 8, 0)  # a Monday, 08:00 UTC


@pytest.fixture
def app(tmp_path, smtp):
    app = build_app(tmp_path, **smtp_config(smtp.port))
    with app.app_context():
        import_roster(roster_csv({"Acme/Platform": 6, "Acme/Sales": 5}))
    yield app
    db.close()


def weekly_schedule(app, days=3, hour=9, weekday=0, now=MONDAY_8, timezone=None):
    with app.app_context():
        return schedules.create("weekly", "Acme", "weekly", weekday, hour, days, None,
                                timezone or app.extensions["heard_delivery"].timezone, now=now)


def test_a_schedule_opens_its_round_on_time_and_mails_everyone_once(app, smtp):
    schedule = weekly_schedule(app)
    assert schedule.next_open_at == datetime(2026, 11, 23, 9, 0)
    assert run_tick(app, MONDAY_8 + timedelta(minutes=59)).opened == []  # not yet
    report = run_tick(app, datetime(2026, 11, 23, 9, 0))
    [opened] = report.opened
    assert opened.round.closes_at == datetime(2026, 11, 26, 9, 0)  # 3 days, same hour
    assert len(smtp.messages) == 11 and len(set(smtp.recipients())) == 11
    for minute in range(1, 4):  # cron every minute afterwards: nothing more
        assert run_tick(app, datetime(2026, 11, 23, 9, minute)).opened == []
    assert len(smtp.messages) == 11
    with app.app_context():
        assert Schedule.get().next_open_at == datetime(2026, 11, 30, 9, 0)
        assert Schedule.get().last_round_id == opened.round.id


def test_two_ticks_at_once_open_invite_and_remind_exactly_once(app, smtp):
    weekly_schedule(app, days=5)

    def two_ticks_at(now):
        start = threading.Barrier(2)
        failures = []

        def one():
            try:
                start.wait()
                run_tick(app, now)
            except Exception as error:  # noqa: BLE001 - reported by the assertion below
                failures.append(error)
            finally:
                db.close()
        threads = [threading.Thread(target=one) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert failures == []

    two_ticks_at(datetime(2026, 11, 23, 9, 0, 30))
    with app.app_context():
        assert Round.select().count() == 1
    assert sorted(smtp.recipients()) == sorted(set(smtp.recipients()))
    assert len(smtp.messages) == 11
    smtp.messages.clear()
    two_ticks_at(datetime(2026, 11, 26, 9, 0, 30))  # the reminder, 2 days before close
    assert len(smtp.messages) == 11 and len(set(smtp.recipients())) == 11
    two_ticks_at(datetime(2026, 11, 28, 9, 0, 30))  # the close
    with app.app_context():
        assert Round.get().closed_at == datetime(2026, 11, 28, 9, 0, 30)
        assert OutboxMail.select().count() == 0


def test_a_tick_after_a_weeks_pause_catches_up_without_repeating(app, smtp):
    weekly_schedule(app, days=3)
    run_tick(app, datetime(2026, 11, 23, 9, 0))
    with app.app_context():
        first = Round.get()
        for invitation in invitations_of(first)[:5]:
            answer(invitation, now=datetime(2026, 11, 23, 10, 0))
    smtp.messages.clear()
    # No tick ran for two weeks: the round of 30 November came and went unseen.
    report = run_tick(app, datetime(2026, 12, 7, 9, 30))
    assert [r.id for r in report.closed] == [first.id]
    [opened] = report.opened
    assert opened.round.opens_at == datetime(2026, 12, 7, 9, 30)
    assert opened.round.closes_at == datetime(2026, 12, 10, 9, 0)  # its own window kept
    with app.app_context():
        assert Round.select().count() == 2
        assert TeamTally.select().count() >= 1 and PendingAnswer.select().count() == 0
    assert len(smtp.messages) == 11  # the new round's invitations; no reminder for the old
    assert all("Reminder" not in message["Subject"] for _r, message in smtp.messages)
    assert run_tick(app, datetime(2026, 12, 7, 9, 31)).opened == []
    assert len(smtp.messages) == 11


def test_a_reminder_missed_during_a_pause_is_sent_late_once(app, smtp):
    weekly_schedule(app, days=6)
    run_tick(app, datetime(2026, 11, 23, 9, 0))
    smtp.messages.clear()
    # The reminder was due on 27 November at 09:00; the next tick runs a day later.
    run_tick(app, datetime(2026, 11, 28, 9, 0))
    assert len(smtp.messages) == 11
    assert all(message["Subject"].startswith("Reminder") for _r, message in smtp.messages)
    run_tick(app, datetime(2026, 11, 28, 9, 1))
    assert len(smtp.messages) == 11


def test_a_window_that_passed_entirely_is_reported_not_opened(app):
    weekly_schedule(app, days=1)
    report = run_tick(app, datetime(2026, 11, 24, 8, 30))  # 30 minutes before it closes
    [missed] = report.opened
    assert missed.round is None and "no tick ran before its time was up" in missed.problem
    with app.app_context():
        assert Round.select().count() == 0
        schedule = Schedule.get()
    assert schedule.next_open_at == datetime(2026, 11, 30, 9, 0)
    assert "was not opened" in schedule.last_problem


def test_a_schedule_whose_team_has_nobody_reports_the_problem(app):
    with app.app_context():
        import_roster("email,name,team,role,leads\n"
                      "solo@acme.test,Solo,Acme/Empty,employee,\n")
        from app.models import Person
        Person.update(active=False).where(Person.email == "solo@acme.test").execute()
        schedules.create("weekly", "Acme/Empty", "weekly", 0, 9, 3, None,
                         app.extensions["heard_delivery"].timezone, now=MONDAY_8)
    [opened] = run_tick(app, datetime(2026, 11, 23, 9, 0)).opened
    assert "nobody active in Acme/Empty" in opened.problem


def test_the_tick_releases_full_batches_left_waiting(app, monkeypatch):
    with app.app_context():
        import_roster(roster_csv({"Acme/Support": 10}))  # a group with room for 2k
    weekly_schedule(app, days=5)
    run_tick(app, datetime(2026, 11, 23, 9, 0))
    with app.app_context():
        round_ = Round.get()
        monkeypatch.setattr(releases, "release_if_due", lambda *args: 0)  # a failed release
        support = [i for i in invitations_of(round_) if i.team.path == "Acme/Support"]
        for invitation in support:
            answer(invitation, now=datetime(2026, 11, 23, 10, 0))
        assert PendingAnswer.select().count() == 10
    monkeypatch.undo()
    report = run_tick(app, datetime(2026, 11, 23, 11, 0))
    assert report.released >= 5
    with app.app_context():
        assert TeamTally.select().count() >= 1


def test_the_cli_prints_what_it_did_without_counting_reminders(app, smtp):
    with app.app_context():
        from app.pulse import rounds
        rounds.open_round("weekly", "Acme", 5, 5)
    result = app.test_cli_runner().invoke(args=["rounds", "tick"])
    assert result.exit_code == 0, result.output
    assert "queued 11 invitation(s) for round 1" in result.output
    assert "sent 11 mail(s)" in result.output
    assert app.test_cli_runner().invoke(args=["rounds", "tick"]).output == ""


# --- schedule arithmetic -------------------------------------------------------------

def make(cadence, weekday=None, day_of_month=None, hour=9, days=3):
    return Schedule(cadence=cadence, weekday=weekday, day_of_month=day_of_month, hour=hour,
                    days=days)


def test_weekly_and_biweekly_occurrences():
    from zoneinfo import ZoneInfo
    utc = ZoneInfo("UTC")
    weekly = make("weekly", weekday=0)
    sunday = datetime(2026, 11, 22, 10, 0)
    assert schedules.first_occurrence(weekly, utc, sunday) == datetime(2026, 11, 23, 9, 0)
    assert schedules.first_occurrence(weekly, utc, datetime(2026, 11, 23, 9, 0)) == \
        datetime(2026, 11, 30, 9, 0)  # strictly after
    biweekly = make("biweekly", weekday=4)
    first = schedules.first_occurrence(biweekly, utc, sunday)
    assert first == datetime(2026, 11, 27, 9, 0)
    assert schedules.following(biweekly, first, utc) == datetime(2026, 12, 11, 9, 0)


def test_monthly_and_quarterly_occurrences():
    from zoneinfo import ZoneInfo
    utc = ZoneInfo("UTC")
    monthly = make("monthly", day_of_month=1)
    first = schedules.first_occurrence(monthly, utc, datetime(2026, 11, 22))
    assert first == datetime(2026, 12, 1, 9, 0)
    assert schedules.following(monthly, first, utc) == datetime(2027, 1, 1, 9, 0)
    quarterly = make("quarterly", day_of_month=28)
    first = schedules.first_occurrence(quarterly, utc, datetime(2026, 11, 22))
    assert first == datetime(2026, 11, 28, 9, 0)
    assert schedules.following(quarterly, first, utc) == datetime(2027, 2, 28, 9, 0)


def test_the_hour_is_local_across_summer_time():
    from zoneinfo import ZoneInfo
    paris = ZoneInfo("Europe/Paris")
    weekly = make("weekly", weekday=0, days=3)
    before = schedules.first_occurrence(weekly, paris, datetime(2026, 3, 22))
    assert before == datetime(2026, 3, 23, 8, 0)  # 09:00 CET
    after = schedules.following(weekly, before, paris)
    assert after == datetime(2026, 3, 30, 7, 0)  # 09:00 CEST, a week later
    assert schedules.closing(weekly, before, paris) == datetime(2026, 3, 26, 8, 0)


def test_describe_reads_like_a_sentence():
    assert schedules.describe(make("weekly", weekday=0)) == "Every Monday at 09:00"
    assert schedules.describe(make("biweekly", weekday=4, hour=14)) == \
        "Every other Friday at 14:00"
    assert schedules.describe(make("monthly", day_of_month=1)) == \
        "On the 1st of every month at 09:00"
    assert schedules.describe(make("quarterly", day_of_month=22)) == \
        "On the 22nd of every quarter at 09:00"


@pytest.mark.parametrize(("fields", "message"), [
    ({"survey_key": "nope"}, "Choose one of the surveys"),
    ({"survey_key": "week\0ly"}, "Choose one of the surveys"),
    ({"survey_key": "w" * 500}, "Choose one of the surveys"),
    ({"team_path": "Nowhere"}, "Choose one of the teams"),
    ({"team_path": "Acme\0"}, "Choose one of the teams"),
    ({"cadence": "daily"}, "The cadence must be one of"),
    ({"day": "8"}, "Choose a day of the week"),
    ({"cadence": "monthly", "day": "31"}, "from 1 to 28"),
    ({"hour": "24"}, "The hour must be from 0 to 23"),
    ({"hour": "nine"}, "The hour must be from 0 to 23"),
    ({"days": "8"}, "A weekly round lasts 1 to 7 days"),
    ({"days": "0"}, "A weekly round lasts 1 to 7 days"),
])
def test_a_schedule_that_makes_no_sense_is_refused(app, fields, message):
    values = {"survey_key": "weekly", "team_path": "Acme", "cadence": "weekly", "day": "0",
              "hour": "9", "days": "3", **fields}
    with app.app_context():
        with pytest.raises(schedules.ScheduleError, match=message):
            schedules.create(values["survey_key"], values["team_path"], values["cadence"],
                             values["day"], values["hour"], values["days"], None,
                             app.extensions["heard_delivery"].timezone)
        assert Schedule.select().count() == 0


def test_two_schedules_that_would_ask_the_same_people_twice_are_refused(app):
    weekly_schedule(app)
    with app.app_context():
        with pytest.raises(schedules.Overlap, match="already scheduled for Acme"):
            schedules.create("weekly", "Acme/Sales", "biweekly", 2, 9, 3, None,
                             app.extensions["heard_delivery"].timezone)
        schedule = Schedule.get()
        schedules.set_active(schedule, False, None, app.extensions["heard_delivery"].timezone)
        schedules.create("weekly", "Acme/Sales", "biweekly", 2, 9, 3, None,
                         app.extensions["heard_delivery"].timezone)
        with pytest.raises(schedules.Overlap, match="pause that schedule first"):
            schedules.set_active(Schedule.get_by_id(schedule.id), True, None,
                                 app.extensions["heard_delivery"].timezone)


def test_the_tick_forgets_yesterdays_reaction_secrets_on_a_quiet_server(app):
    from app.board import reactions
    from app.models import ReactionKey
    with app.app_context():
        reactions.mark_key(datetime(2026, 11, 23, 15, 0))  # a board visit
        assert ReactionKey.select().count() == 1
    run_tick(app, datetime(2026, 11, 24, 0, 1))  # nobody opens the board the next day
    with app.app_context():
        assert ReactionKey.select().count() == 0


def test_two_rounds_closing_in_one_tick_both_release_and_the_tick_goes_on(app, smtp):
    """Two rounds with pending answers close in the same tick: both close and release,
    and the tick's later steps (a new round's invitations, the mail) still run. On
    SQLite this once failed with "database table is locked" and skipped the rest."""
    from app.pulse import rounds
    with app.app_context():
        platform = rounds.open_round("weekly", "Acme/Platform", 3, 5, now=MONDAY_8)
        sales = rounds.open_round("weekly", "Acme/Sales", 3, 5, now=MONDAY_8)
        for round_ in (platform, sales):
            for invitation in invitations_of(round_)[:5]:
                answer(invitation, now=MONDAY_8 + timedelta(hours=1))
        assert PendingAnswer.select().count() == 10  # under 2k each: all still pending
    closing = MONDAY_8 + timedelta(days=3)
    with app.app_context():  # a round that opens just as they close, not mailed yet
        fresh = rounds.open_round("monthly", "Acme", 5, 5, now=closing)
    report = run_tick(app, closing + timedelta(minutes=1))
    assert sorted(r.id for r in report.closed) == sorted([platform.id, sales.id])
    with app.app_context():
        assert PendingAnswer.select().count() == 0
        for round_ in (platform, sales):
            assert Round.get_by_id(round_.id).closed_at is not None
            assert sum(t.respondents for t in TeamTally.select().where(
                TeamTally.round == round_.id)) == 5
    assert report.invited == {fresh: 11}
    assert report.delivery.sent == 11 and len(smtp.messages) == 11


def test_a_failed_close_does_not_hold_back_the_rest_of_the_tick(app, smtp, monkeypatch):
    """Whatever makes a close fail (once: "database table is locked"), the steps after
    it still run, and the tick still fails, for cron to report."""
    from peewee import OperationalError

    from app.delivery import tick
    from app.pulse import rounds
    with app.app_context():
        fresh = rounds.open_round("weekly", "Acme", 5, 5, now=MONDAY_8)

    def locked(*args, **kwargs):
        raise OperationalError("database table is locked")
    monkeypatch.setattr(tick, "close_due", locked)
    with pytest.raises(OperationalError, match="table is locked"):
        run_tick(app, MONDAY_8 + timedelta(minutes=1))
    assert len(smtp.messages) == 11  # invited and sent all the same
    with app.app_context():
        assert Round.get_by_id(fresh.id).invitations_queued_at is not None
