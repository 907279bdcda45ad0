"""Nobody can tell who answered: reminders use participation to choose recipients,
and nothing else does. Two organisations that differ only in WHICH people answered
(not how many, nor what) must look the same on every page, export, command output
and log line a leader, HR or an admin can reach."""
import logging
import re
from datetime import timedelta

from app.accounts.roster import import_roster
from app.db import db
from app.models import MailBounce, OutboxMail, utcnow
from app.pulse import rounds
from tests.support import (
    STAFF_PASSWORD, answer, build_app, csrf_token, invitations_of, roster_csv, sign_in)

STAFF = ("email,name,team,role,leads\n"
         "hr@acme.test,Hanna HR,Acme,hr,\n"
         "admin@acme.test,Adam Admin,Acme,admin,\n"
         "lead@acme.test,Lena Lead,Acme,leader,Acme\n")
PAGES = ["/", "/themes", "/themes/workload", "/board", "/exports", "/audit", "/schedules",
         "/open-links"]
VOLATILE = [
    (re.compile(r'name="csrf_token" value="[^"]+"'), "csrf"),
    (re.compile(r"\d{1,2}:\d{2}(:\d{2})?"), "HH:MM"),  # security events carry seconds
    (re.compile(r"\d{4}-\d{2}-\d{2}"), "DAY"),
]


def normalise(text, tmp_path):
    text = text.replace(str(tmp_path), "TMP")
    for pattern, replacement in VOLATILE:
        text = pattern.sub(replacement, text)
    return text


def organisation(tmp_path, answering, caplog):
    """Run a round with reminders and a close; return everything staff can read."""
    seen = {}
    tmp_path.mkdir()
    app = build_app(tmp_path, REQUIRE_MFA=False, MAIL_DIR=str(tmp_path / "mail"),
                    ALLOW_COMMENT_EXPORT=True)
    runner = app.test_cli_runner()
    with app.app_context():
        import_roster(roster_csv({"Acme/Platform": 8, "Acme/Sales": 6}))
        import_roster(STAFF)
        from app.accounts import credentials
        from app.models import Person
        for email in ("hr@acme.test", "admin@acme.test", "lead@acme.test"):
            credentials.set_password(Person.by_email(email), STAFF_PASSWORD)
        # Opened three and a half days ago for five: the reminder (2 days before) is due.
        round_ = rounds.open_round("weekly", "Acme", 5, 5,
                                   now=utcnow() - timedelta(days=3, hours=12))
        platform = [i for i in invitations_of(round_) if i.team.path == "Acme/Platform"]
        sales = [i for i in invitations_of(round_) if i.team.path == "Acme/Sales"]
        people = [i.person for i in invitations_of(round_) if i.person.role == "employee"]
    seen["tick: invitations"] = runner.invoke(args=["rounds", "tick", "--no-send"]).output
    with app.app_context():
        OutboxMail.delete().execute()  # as if mailed on the day the round opened
        for index in answering:
            answer(platform[index], comment="Too many meetings on Mondays")
        for invitation in sales:
            answer(invitation)
        from app.models import Round
        Round.update(invitations_queued_at=Round.opens_at).execute()
    seen["tick: reminders"] = runner.invoke(args=["rounds", "tick"]).output
    seen["mail status"] = runner.invoke(args=["mail", "status"]).output
    with app.app_context():
        assert OutboxMail.select().count() == 0  # delivered reminders leave no row
        assert MailBounce.select().count() == 0
    pages_of(app, "open", seen)
    with app.app_context():
        rounds.close_round(round_, 5)
    pages_of(app, "closed", seen)
    for kind in ("themes", "comments"):
        seen[f"export {kind}"] = runner.invoke(args=["export", kind]).output
    seen["logs"] = "\n".join(record.getMessage() for record in caplog.records)
    db.close()
    return {name: normalise(text, tmp_path) for name, text in seen.items()}, people


def pages_of(app, moment, seen):
    for email in ("hr@acme.test", "admin@acme.test", "lead@acme.test"):
        client = app.test_client()
        from app.models import Person
        with app.app_context():
            sign_in(client, Person.by_email(email))
        for path in PAGES:
            response = client.get(path)
            seen[f"{moment} {email} {path}"] = f"{response.status_code} " + \
                response.get_data(as_text=True)
        if email != "lead@acme.test":  # leaders have no exports
            page = client.get("/schedules").get_data(as_text=True)
            download = client.post("/exports", data={"kind": "themes",
                                                     "csrf_token": csrf_token(page)})
            seen[f"{moment} {email} themes.csv"] = download.get_data(as_text=True)


def test_which_people_answered_leaves_no_trace_staff_can_read(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    first, people = organisation(tmp_path / "a", [0, 1, 2, 3, 4], caplog)
    caplog.clear()
    second, _people = organisation(tmp_path / "b", [3, 4, 5, 6, 7], caplog)
    assert first.keys() == second.keys()
    different = [name for name in first if first[name] != second[name]]
    assert different == []
    # And no output names an invited employee at all.
    everything = "\n".join(first.values())
    for person in people:
        assert person.email not in everything and person.name not in everything
    assert "Too many meetings" in first["export comments"]  # the outputs were real
    assert "queued the reminder for round 1" in first["tick: reminders"]

