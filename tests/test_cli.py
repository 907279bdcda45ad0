"""The command line, as an operator (or cron) uses it."""
import os
import subprocess
import sys
from datetime import timedelta

from app.accounts import credentials
from app.models import (
    Invitation, Participation, PendingAnswer, Person, Round, Team, TeamLead, utcnow)
from tests.support import BASE_URL, PROJECT_DIR, answer, enrol, invitations_of, roster_csv


def test_db_upgrade_reports_an_up_to_date_database(runner):
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0 and "up to date" in result.output


def test_roster_import_from_a_file(runner, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text(roster_csv({"Acme/Platform": 3}))
    result = runner.invoke(args=["roster", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "3 added" in result.output
    assert Person.select().count() == 3


def test_roster_import_lists_errors_by_line_and_changes_nothing(runner, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("email,name,team,role\nok@a.test,Ok,T,employee\nbad,X,T,employee\n")
    result = runner.invoke(args=["roster", "import", str(path)])
    assert result.exit_code == 1
    assert "line 3: email 'bad' is not an email address" in result.output
    assert "nothing was imported" in result.output
    assert Person.select().count() == 0


def test_surveys_sync_refuses_a_bad_folder_clearly(runner, tmp_path):
    (tmp_path / "themes.toml").write_text("[[theme]]\nkey = 'x'\nname = 'X'\n")
    (tmp_path / "bad.toml").write_text("id = 'bad'\n")
    result = runner.invoke(args=["surveys", "sync", "--dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "bad.toml: 'title' is missing" in result.output
    assert "nothing changed" in result.output


def test_rounds_open_invites_everyone_in_the_subtree(runner, make_people):
    make_people({"Acme/Platform": 6, "Acme/Sales": 4, "Other": 2})
    result = runner.invoke(args=["rounds", "open", "weekly", "--team", "Acme", "--days", "3"])
    assert result.exit_code == 0, result.output
    assert "10 people invited" in result.output
    round_ = Round.get()
    assert round_.closes_at - round_.opens_at == timedelta(days=3)


def test_rounds_open_explains_what_is_wrong(runner, make_people):
    make_people({"Acme/Platform": 6})
    cases = {("nope", "Acme", "5"): "no survey 'nope'",
             ("weekly", "Nowhere", "5"): "no team 'Nowhere'",
             ("weekly", "Acme", "0"): "a round lasts 1 to 90 days"}
    for (survey, team, days), message in cases.items():
        result = runner.invoke(args=["rounds", "open", survey, "--team", team, "--days", days])
        assert result.exit_code == 1 and message in result.output
    runner.invoke(args=["rounds", "open", "weekly", "--team", "Acme"])
    clash = runner.invoke(args=["rounds", "open", "weekly", "--team", "Acme/Platform"])
    assert clash.exit_code == 1 and "covers the same people" in clash.output


def test_close_due_closes_expired_rounds_and_releases_the_rest(runner, make_round):
    round_ = make_round(days=1)
    for invitation in invitations_of(round_)[:3]:
        answer(invitation)
    assert runner.invoke(args=["rounds", "close-due"]).output.startswith("closed 0")
    Round.update(closes_at=utcnow() - timedelta(seconds=1)).execute()
    result = runner.invoke(args=["rounds", "close-due"])
    assert result.exit_code == 0 and "closed 1 round" in result.output
    assert PendingAnswer.select().count() == 0
    assert Round.get().closed_at is not None
    assert "closed 0" in runner.invoke(args=["rounds", "close-due"]).output  # cron-safe


def test_close_due_works_the_dashboard_figures_out_at_once(runner, make_round):
    from app.models import RoundSnapshot
    make_round(days=1)
    Round.update(closes_at=utcnow() - timedelta(seconds=1)).execute()
    runner.invoke(args=["rounds", "close-due"])
    snapshot = RoundSnapshot.get()
    assert (snapshot.round_id, snapshot.k, snapshot.k_comments) == (Round.get().id, 5, 10)


def test_links_prints_a_persons_working_link(runner, client, make_round):
    round_ = make_round()
    person = invitations_of(round_)[0].person
    result = runner.invoke(args=["links", person.email])
    assert result.exit_code == 0
    url = result.output.split()[0]
    assert url.startswith(f"{BASE_URL}/p/")
    assert client.get(url.removeprefix(BASE_URL)).status_code == 303
    # Printed again, it is the same link: the invitation mail stays valid.
    assert runner.invoke(args=["links", person.email]).output.split()[0] == url


def test_links_all_prints_csv_for_everyone_invited(runner, make_round):
    make_round({"Acme/Platform": 7})
    lines = runner.invoke(args=["links", "--all"]).output.splitlines()
    assert lines[0] == "email,url"
    assert len(lines) == 8 and all(",http://heard.test/p/" in line for line in lines[1:])


def test_links_for_someone_unknown_or_uninvited_says_so(runner, make_people):
    make_people({"Acme/Platform": 2})
    assert "nobody with the email" in runner.invoke(args=["links", "who@x.test"]).output
    email = Person.select().first().email
    assert "not invited to any open round" in runner.invoke(args=["links", email]).output


def test_demo_loads_a_believable_company_once(runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert 55 <= Person.select().count() <= 65
    assert Team.select().count() >= 6
    assert TeamLead.select().count() >= 2
    assert Person.select().where(Person.role == "hr").count() == 1
    rounds = list(Round.select().order_by(Round.opens_at))
    assert [r.closed_at is not None for r in rounds] == [True, True, True, False]
    open_round = rounds[-1]
    invited = Invitation.select().where(Invitation.round == open_round).count()
    answered = Participation.select().where(Participation.round == open_round).count()
    assert invited - answered >= 30
    employee_lines = [line for line in result.output.splitlines() if line.startswith("employee: ")]
    assert employee_lines and employee_lines[0].split()[1].startswith(f"{BASE_URL}/p/")
    again = runner.invoke(args=["demo"])
    assert "already holds people" in again.output and Person.select().count() <= 65


def test_demo_link_opens_a_pulse_not_yet_answered(runner, client):
    url = runner.invoke(args=["demo"]).output.split("employee: ")[1].split()[0]
    assert client.get(url.removeprefix(BASE_URL)).status_code == 303
    assert "Send" in client.get("/pulse").get_data(as_text=True)


def test_keys_check_and_rotate(runner, make_round):
    make_round()
    assert "opens all 1 data key" in runner.invoke(args=["keys", "check"]).output
    assert "new primary key" in runner.invoke(args=["keys", "rotate"]).output
    assert "opens all 1 data key" in runner.invoke(args=["keys", "check"]).output


def test_the_heard_command_refuses_to_start_on_a_wrong_key_file(app, make_round, tmp_path):
    make_round()
    other = tmp_path / "other.keys"
    other.write_text('{"primary": "k", "keys": {"k": "' + "A" * 43 + '="}, "link_key": "AA=="}')
    env = dict(os.environ, HEARD_DATABASE_URL=app.config["DATABASE_URL"],
               HEARD_KEY_FILE=str(other), HEARD_SECRET_KEY="x")
    heard = os.path.join(os.path.dirname(sys.executable), "heard")
    result = subprocess.run([heard, "keys", "check"], env=env, cwd=PROJECT_DIR,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.startswith("heard: cannot start:")
    assert "Traceback" not in result.stderr


def test_close_due_settles_pools_that_a_stopped_close_left_behind(runner, make_round):
    from app.models import TeamTally
    round_ = make_round()
    for invitation in invitations_of(round_)[:6]:
        answer(invitation)
    # A close that was stopped (a crash) after marking the round and before settling it.
    Round.update(closed_at=utcnow()).where(Round.id == round_.id).execute()
    result = runner.invoke(args=["rounds", "close-due"])
    assert result.exit_code == 0
    assert PendingAnswer.select().count() == 0 and TeamTally.get().respondents == 6


def test_demo_prints_leader_and_hr_sign_in_links_valid_a_day(runner, client):
    output = runner.invoke(args=["demo"]).output
    leader_url = output.split("leader: ")[1].split()[0]
    hr_url = output.split("hr: ")[1].split()[0]
    from datetime import timedelta

    from app.models import SignInLink, utcnow
    for link in SignInLink.select():
        assert link.expires_at > utcnow() + timedelta(hours=23, minutes=59)
    client.get(leader_url.removeprefix(BASE_URL))
    assert "Sign in as Priya Nair?" in client.get("/signin/link").get_data(as_text=True)
    other = client.application.test_client()
    other.get(hr_url.removeprefix(BASE_URL))
    assert "Sign in as Hannah Weber?" in other.get("/signin/link").get_data(as_text=True)


def test_login_link_prints_a_one_time_link(runner, make_people):
    runner.invoke(args=["demo"])
    result = runner.invoke(args=["login-link", "priya.nair@lumen.example"])
    assert result.exit_code == 0 and result.output.startswith(f"{BASE_URL}/signin/link/")
    assert "works once, for 10 minutes" in result.stderr
    employee = Person.select().where(Person.role == "employee").first()
    board = runner.invoke(args=["login-link", employee.email])
    assert board.exit_code == 0 and board.output.startswith(f"{BASE_URL}/signin/link/")
    credentials.set_active(employee, False)
    refused = runner.invoke(args=["login-link", employee.email])
    assert refused.exit_code != 0 and "disabled" in refused.output
    unknown = runner.invoke(args=["login-link", "nobody@lumen.example"])
    assert unknown.exit_code != 0 and "nobody with the email" in unknown.output


def test_accounts_disable_and_enable(runner):
    runner.invoke(args=["demo"])
    from app.accounts import credentials
    assert "is disabled" in runner.invoke(args=["accounts", "disable",
                                                "priya.nair@lumen.example"]).output
    assert not credentials.can_sign_in(Person.by_email("priya.nair@lumen.example"))
    assert "is enabled" in runner.invoke(args=["accounts", "enable",
                                               "priya.nair@lumen.example"]).output
    assert credentials.can_sign_in(Person.by_email("priya.nair@lumen.example"))


def test_accounts_reset_mfa_forgets_the_authenticator(runner):
    runner.invoke(args=["demo"])
    from app.accounts import credentials
    from app.models import RecoveryCode, utcnow
    person = Person.by_email("priya.nair@lumen.example")
    enrol(person, utcnow())
    result = runner.invoke(args=["accounts", "reset-mfa", person.email])
    assert result.exit_code == 0 and "set one up" in result.output
    person = Person.by_email(person.email)
    assert not person.mfa_enrolled and RecoveryCode.select().count() == 0
    assert credentials.can_sign_in(person)
