"""Mail: settings checked at start-up, invitations and reminders through a real SMTP
server on 127.0.0.1, retries, refused addresses, and the file outbox."""
import os
from datetime import timedelta

import pytest

from app import StartupError
from app.accounts.roster import import_roster
from app.crypto import links
from app.db import db
from app.delivery import outbox
from app.models import MailBounce, OutboxMail, Participation, Person, utcnow
from app.pulse import rounds
from tests.mail_support import html_of, run_tick, smtp_config, smtp_server, text_of
from tests.support import BASE_URL, answer, build_app, free_port, invitations_of, roster_csv


@pytest.fixture
def app(tmp_path, smtp):
    yield build_app(tmp_path, **smtp_config(smtp.port))
    db.close()


def open_round(app, teams=None, days=5, now=None):
    with app.app_context():
        import_roster(roster_csv(teams or {"Acme/Platform": 6}))
        return rounds.open_round("weekly", "Acme", days, 5, now=now)


# --- settings ---------------------------------------------------------------------

@pytest.mark.parametrize(("settings", "message"), [
    ({"SMTP_HOST": "smtp.example.com"}, "HEARD_SMTP_SENDER is empty"),
    ({"SMTP_HOST": "smtp example.com", "SMTP_SENDER": "a@b.example"}, "HEARD_SMTP_HOST"),
    ({"SMTP_PORT": "smtp"}, "HEARD_SMTP_PORT is 'smtp'"),
    ({"SMTP_PORT": "70000"}, "from 1 to 65535"),
    ({"SMTP_STARTTLS": "maybe"}, "HEARD_SMTP_STARTTLS is 'maybe'"),
    ({"SMTP_USER": "heard"}, "set both HEARD_SMTP_USER and HEARD_SMTP_PASSWORD"),
    ({"SMTP_HOST": "smtp.example.com", "SMTP_SENDER": "a@b.example", "SMTP_USER": "heard",
      "SMTP_PASSWORD": "pw", "SMTP_STARTTLS": "false"}, "in clear"),
    ({"SMTP_SENDER": "not an address"}, "HEARD_SMTP_SENDER is 'not an address'"),
    ({"SMTP_SENDER": "a@example.com, b@example.com"}, "HEARD_SMTP_SENDER"),
    ({"REMINDER_DAYS": "two"}, "HEARD_REMINDER_DAYS is 'two'"),
    ({"REMINDER_DAYS": "0"}, "HEARD_REMINDER_DAYS"),
    ({"REMINDER_DAYS": "2,2"}, "given twice"),
    ({"TIMEZONE": "Mars/Olympus"}, "HEARD_TIMEZONE is 'Mars/Olympus'"),
    ({"MAIL_MAX_ATTEMPTS": "0"}, "HEARD_MAIL_MAX_ATTEMPTS"),
])
def test_malformed_mail_settings_stop_start_up_with_a_clear_message(tmp_path, settings,
                                                                     message):
    with pytest.raises(StartupError, match=message):
        build_app(tmp_path, migrate=False, **settings)


def test_well_formed_settings_are_read(tmp_path):
    app = build_app(tmp_path, migrate=False, SMTP_HOST="smtp.example.com", SMTP_PORT="2525",
                    SMTP_SENDER="Pulse <pulse@example.com>", SMTP_USER="heard",
                    SMTP_PASSWORD="secret", REMINDER_DAYS="1, 3", TIMEZONE="Europe/Paris")
    settings = app.extensions["heard_delivery"]
    assert settings.smtp_port == 2525 and settings.starttls
    assert settings.reminder_days == (3, 1)  # the earliest reminder first
    assert str(settings.sender) == "Pulse <pulse@example.com>"
    assert "secret" not in settings.describe()
    db.close()


def test_mail_check_talks_to_the_server_and_sends_a_test(app, smtp):
    result = app.test_cli_runner().invoke(args=["mail", "check", "--send-to", "hr@acme.test"])
    assert result.exit_code == 0, result.output
    assert f"127.0.0.1:{smtp.port}" in result.output and "test mail sent" in result.output
    assert smtp.recipients() == ["hr@acme.test"]


def test_mail_check_says_clearly_when_the_server_cannot_be_reached(tmp_path):
    app = build_app(tmp_path, **smtp_config(free_port()))
    result = app.test_cli_runner().invoke(args=["mail", "check"])
    assert result.exit_code == 1
    assert "cannot talk to 127.0.0.1" in result.output
    db.close()


def test_mail_check_reports_a_server_without_starttls(tmp_path, smtp):
    app = build_app(tmp_path, **smtp_config(smtp.port, SMTP_STARTTLS=True))
    result = app.test_cli_runner().invoke(args=["mail", "check"])
    assert result.exit_code == 1 and "does not offer STARTTLS" in result.output
    db.close()


# --- invitations ------------------------------------------------------------------

def test_each_invited_person_gets_one_invitation_with_their_own_working_link(app, smtp):
    round_ = open_round(app)
    report = run_tick(app)
    assert report.delivery.sent == 6
    with app.app_context():
        people = {i.person.email: i for i in invitations_of(round_)}
    assert smtp.recipients() == sorted(people)
    client = app.test_client()
    for address, invitation in people.items():
        [message] = smtp.to(address)
        text, html = text_of(message), html_of(message)
        with app.app_context():
            link = f"{BASE_URL}/p/{links.token_for(invitation.salt)}"
        assert link in text and link in html
        assert "until " + f"{round_.closes_at:%A %-d %B}" in text
        assert "never your answers or whether you answered" in text
        assert message["From"] == "Heard <pulse@acme.test>"
        assert message["Auto-Submitted"] == "auto-generated"
        assert len(text) < 700  # short enough to read on a phone without scrolling
        response = client.get(link.removeprefix(BASE_URL))
        assert response.status_code == 303 and response.headers["Location"] == "/pulse"
    with app.app_context():
        assert OutboxMail.select().count() == 0  # sent mail leaves nothing behind


def test_the_html_mail_is_escaped_and_fits_a_phone(app, smtp):
    round_ = open_round(app)
    with app.app_context():
        Person.update(name="<b>Ana</b> & co").where(
            Person.id == invitations_of(round_)[0].person_id).execute()
    run_tick(app)
    html = next(html_of(m) for _r, m in smtp.messages if "Ana" in html_of(m))
    assert "<b>Ana</b>" not in html and "&lt;b&gt;Ana&lt;/b&gt;" in html
    assert 'name="viewport"' in html and "max-width:480px" in html


def test_a_server_that_is_down_delays_mail_but_loses_none(tmp_path):
    port = free_port()
    app = build_app(tmp_path, **smtp_config(port))
    open_round(app)
    now = utcnow()
    report = run_tick(app, now=now)  # nobody listens on the port
    assert report.delivery.sent == 0 and "cannot talk to" in report.delivery.unreachable
    with app.app_context():
        assert OutboxMail.select().where(OutboxMail.attempts == 0).count() == 6
    assert run_tick(app, now=now + timedelta(minutes=1)).delivery.unreachable == ""  # not due
    for hours in (1, 6, 24):  # down for a day: mail waits, and no attempt is used up
        assert run_tick(app, now=now + timedelta(hours=hours)).delivery.unreachable
    with app.app_context():
        assert OutboxMail.select().where(OutboxMail.attempts == 0).count() == 6
    with smtp_server(port) as (mailbox, _port):
        assert run_tick(app, now=now + timedelta(hours=25)).delivery.sent == 6
        assert len(mailbox.messages) == 6
    db.close()


def test_a_refused_address_is_recorded_and_retried_a_bounded_number_of_times(app, smtp):
    round_ = open_round(app)
    with app.app_context():
        bad = invitations_of(round_)[0].person.email
    smtp.refuse[bad] = "550 5.1.1 No such user"
    now = utcnow()
    report = run_tick(app, now=now)
    assert report.delivery.sent == 5 and report.delivery.retrying == 1
    assert any(bad in problem and "550" in problem for problem in report.delivery.problems)
    for minutes in (6, 30, 120, 400, 1000, 3000):
        run_tick(app, now=now + timedelta(minutes=minutes))
    with app.app_context():
        bounce = MailBounce.get(MailBounce.address == bad)
        mail = OutboxMail.get()
    assert bounce.refusals == 5 and "No such user" in bounce.last_problem  # MAIL_MAX_ATTEMPTS
    assert mail.failed and mail.attempts == 5
    assert len(smtp.messages) == 5  # the others were sent once each
    status = app.test_cli_runner().invoke(args=["mail", "status"])
    assert "1 given up" in status.output and bad in status.output
    del smtp.refuse[bad]  # HR fixed the mailbox
    assert "1 mail(s)" in app.test_cli_runner().invoke(args=["mail", "retry"]).output
    run_tick(app, now=now + timedelta(minutes=3001))
    assert len(smtp.to(bad)) == 1


def test_a_temporary_refusal_is_retried_with_backoff(app, smtp):
    round_ = open_round(app)
    with app.app_context():
        busy = invitations_of(round_)[1].person.email
    smtp.refuse[busy] = "451 4.2.0 Mailbox busy, try later"
    now = utcnow()
    run_tick(app, now=now)
    run_tick(app, now=now + timedelta(minutes=2))  # backoff: not tried again yet
    with app.app_context():
        assert OutboxMail.get().attempts == 1
        assert MailBounce.select().count() == 0  # a 4xx is not a bad address
    del smtp.refuse[busy]
    run_tick(app, now=now + timedelta(minutes=6))
    assert len(smtp.to(busy)) == 1


def test_mail_for_a_round_that_closed_meanwhile_is_dropped(tmp_path):
    port = free_port()
    app = build_app(tmp_path, **smtp_config(port))
    round_ = open_round(app, days=1)
    run_tick(app)  # server down: the invitations wait
    with smtp_server(port) as (mailbox, _port):
        report = run_tick(app, now=round_.closes_at + timedelta(minutes=5))
        assert mailbox.messages == [] and report.delivery.dropped == 6
    with app.app_context():
        assert OutboxMail.select().count() == 0
    db.close()


# --- reminders --------------------------------------------------------------------

def test_the_reminder_goes_once_two_days_before_close_to_those_who_did_not_answer(app, smtp):
    now = utcnow()
    round_ = open_round(app, days=5, now=now)
    run_tick(app, now=now)
    with app.app_context():
        invitations = invitations_of(round_)
        for invitation in invitations[:4]:
            answer(invitation, now=now + timedelta(hours=1))
        answered = {i.person.email for i in invitations[:4]}
        waiting = {i.person.email for i in invitations[4:]}
    smtp.messages.clear()
    run_tick(app, now=now + timedelta(days=2, hours=23))  # not yet: 2 days and 1 hour left
    assert smtp.messages == []
    reminder_time = round_.closes_at - timedelta(days=2)
    for minutes in (0, 1, 60, 600):  # cron keeps ticking: one reminder each, no more
        run_tick(app, now=reminder_time + timedelta(minutes=minutes))
    assert set(smtp.recipients()) == waiting and len(smtp.messages) == len(waiting)
    assert not answered & set(smtp.recipients())
    text = text_of(smtp.messages[0][1])
    assert "closes" in text and "This is the last reminder" in text
    assert "/p/" in text
    with app.app_context():
        assert OutboxMail.select().count() == 0  # no trace of who was reminded


def test_someone_who_answers_before_the_reminder_leaves_gets_none(tmp_path):
    port = free_port()
    app = build_app(tmp_path, **smtp_config(port))
    now = utcnow()
    round_ = open_round(app, now=now)
    with smtp_server(port) as (_mailbox, _port):
        run_tick(app, now=now)
    reminder_time = round_.closes_at - timedelta(days=2)
    run_tick(app, now=reminder_time)  # queued, but the server is down
    with app.app_context():
        late = invitations_of(round_)[0]
        answer(late, now=reminder_time + timedelta(minutes=1))
        late_address = late.person.email
    with smtp_server(port) as (mailbox, _port):
        run_tick(app, now=reminder_time + timedelta(minutes=10))
        assert len(mailbox.messages) == 5 and late_address not in mailbox.recipients()
    db.close()


def test_several_reminders_when_configured(tmp_path, smtp):
    app = build_app(tmp_path, **smtp_config(smtp.port, REMINDER_DAYS="3,1"))
    now = utcnow()
    round_ = open_round(app, days=7, now=now)
    run_tick(app, now=now)
    smtp.messages.clear()
    run_tick(app, now=round_.closes_at - timedelta(days=3))
    assert len(smtp.messages) == 6
    assert "last reminder" not in text_of(smtp.messages[0][1])
    run_tick(app, now=round_.closes_at - timedelta(days=1))
    assert len(smtp.messages) == 12
    assert "This is the last reminder" in text_of(smtp.messages[-1][1])
    db.close()


def test_no_reminders_when_turned_off(tmp_path, smtp):
    app = build_app(tmp_path, **smtp_config(smtp.port, REMINDER_DAYS=""))
    now = utcnow()
    round_ = open_round(app, now=now)
    run_tick(app, now=now)
    run_tick(app, now=round_.closes_at - timedelta(hours=1))
    assert len(smtp.messages) == 6  # the invitations only
    db.close()


def test_a_refused_reminder_is_never_recorded_against_the_address(app, smtp):
    now = utcnow()
    round_ = open_round(app, now=now)
    run_tick(app, now=now)
    with app.app_context():
        address = invitations_of(round_)[0].person.email
    smtp.refuse[address] = "550 5.2.2 Mailbox full"
    reminder_time = round_.closes_at - timedelta(days=2)
    for minutes in (0, 6, 30, 120, 400, 1000):
        run_tick(app, now=reminder_time + timedelta(minutes=minutes))
    with app.app_context():
        assert MailBounce.select().count() == 0  # it would say they had not answered
        assert OutboxMail.select().count() == 0  # given up and gone
        assert Participation.select().count() == 0


# --- the file outbox --------------------------------------------------------------

def test_without_a_server_mail_goes_to_files_the_operator_can_read(tmp_path):
    app = build_app(tmp_path, MAIL_DIR=str(tmp_path / "outbox"))
    open_round(app)
    report = run_tick(app)
    files = sorted(os.listdir(tmp_path / "outbox"))
    assert report.delivery.sent == 6 and len(files) == 6
    assert all(name.endswith(".eml") for name in files)
    assert oct(os.stat(tmp_path / "outbox").st_mode & 0o777) == "0o700"
    with open(tmp_path / "outbox" / files[0], encoding="utf-8") as handle:
        content = handle.read()
    assert "Subject: Weekly pulse: your anonymous pulse" in content
    result = app.test_cli_runner().invoke(args=["mail", "check"])
    assert result.exit_code == 0 and str(tmp_path / "outbox") in result.output
    db.close()


def test_a_mail_folder_that_cannot_be_written_keeps_the_mail_waiting(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    app = build_app(tmp_path, MAIL_DIR=str(blocker / "mail"))
    open_round(app)
    report = run_tick(app)
    assert "cannot write mail into" in report.delivery.unreachable
    with app.app_context():
        assert outbox.status().waiting == 6
    db.close()
