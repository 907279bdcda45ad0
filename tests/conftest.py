"""Fixtures: an app on a copy of the migrated database (SQLite, or PostgreSQL when
HEARD_TEST_DATABASE_URL is set), its client and CLI runner, factories for people, staff
and rounds, the organisations several modules test against, and one Chromium.
Plain helpers are in tests/support.py."""
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from app.accounts import credentials
from app.accounts.roster import import_roster
from app.board import conversations
from app.db import db
from app.delivery import schedules
from app.models import Person, Team, Theme
from app.pulse import open_links, rounds
from tests.browser_support import chromium
from tests.mail_support import smtp_server
from tests.support import (
    PG_URL, STAFF_PASSWORD, T0, TEMPLATE, build_app, close_with_answers, roster_csv, sign_in)


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "app_settings(**settings): settings the `app` fixture's app gets on top "
        "of the tests' defaults")
    config.addinivalue_line(
        "markers", "pristine: reads the database's pages, so gets (on PostgreSQL) a copy of "
        "the template no earlier test wrote to")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Before any fixture of the test (module-scoped ones too) builds an app."""
    TEMPLATE.pristine = any(item.get_closest_marker(name) for name in ("pristine", "postgresql"))


def pytest_collection_modifyitems(config, items):
    """Tests of one engine's own files run in that engine's pass; the other pass
    leaves them out (deselected, not skipped: nothing is hidden)."""
    other = "sqlite" if PG_URL else "postgresql"
    left_out = [item for item in items if item.get_closest_marker(other)]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if not item.get_closest_marker(other)]


@pytest.fixture(scope="session", autouse=True)
def template_database():
    """The migrated database tests copy: made on first use, removed at the end."""
    yield TEMPLATE
    db.close()
    TEMPLATE.drop()


@pytest.fixture
def app(request, tmp_path):
    """An app whose staff need no second factor (the `mfa_app` one needs it), with the
    settings of the test's `app_settings` marker on top.

    No app context is held open here: requests must each get their own, as in
    production (a shared one would share `g`, and with it the CSRF token)."""
    marker = request.node.get_closest_marker("app_settings")
    settings = {"REQUIRE_MFA": False, **(marker.kwargs if marker else {})}
    yield build_app(tmp_path, **settings)
    db.close()


@pytest.fixture
def mfa_app(tmp_path):
    """An app whose staff must set up and use a second factor (HEARD_REQUIRE_MFA)."""
    yield build_app(tmp_path, REQUIRE_MFA=True)
    db.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def hr_client(app, make_people, make_staff):
    """A client signed in as HR, in an organisation of six people."""
    with app.app_context():
        make_people({"Acme/Platform": 6})
        hr = make_staff("hr")
    client = app.test_client()
    sign_in(client, hr)
    return client


@pytest.fixture
def world(app):
    """Something on every page that has a form: a closed round with a thread and a reply
    on it, an open link and a schedule; HR signed in."""
    with app.app_context():
        import_roster(roster_csv({"Acme/Platform": 12}) + "hr@acme.test,Hana,Acme,hr,\n")
        closed = close_with_answers(rounds.open_round("weekly", "Acme", 5, 5),
                                    {"Acme/Platform": 6})
        hr = Person.by_email("hr@acme.test")
        credentials.set_password(hr, STAFF_PASSWORD)
        thread = conversations.open_thread(hr, closed, Theme.get_by_id("workload"),
                                           closed.team, "We hear you.", "acknowledged")
        conversations.reply(hr, thread, "Here is more.", False)
        link = open_links.create("Acme", "Poster", hr)
        schedule = schedules.create("weekly", "Acme", "weekly", 0, 9, 3, hr, ZoneInfo("UTC"))
    client = app.test_client()
    sign_in(client, Person.get_by_id(hr.id))
    return {"client": client, "round": closed, "thread": thread, "link": link,
            "schedule": schedule, "hr": hr}


@pytest.fixture
def make_people(app):
    """Import people into teams: make_people({"Acme/Platform": 12, "Acme/Sales": 3})."""
    def make(teams):
        import_roster(roster_csv(teams))
        return list(Person.select().order_by(Person.id))
    return make


@pytest.fixture
def make_round(app, make_people):
    """Open a round over `scope` with people in the given teams (default: 12 in Acme/Platform)."""
    def make(teams=None, scope="Acme", survey="weekly", days=5, now=None):
        make_people(teams or {"Acme/Platform": 12})
        return rounds.open_round(survey, scope, days, 5, now=now)
    return make


@pytest.fixture
def make_staff(app):
    """Add a leader, HR person or admin: make_staff("leader", team="Acme", leads="Acme/Sales")."""
    def make(role="leader", team="Acme", leads="", name=None, password=STAFF_PASSWORD):
        name = name or f"{role.title()} of {leads or team}"
        email = name.lower().replace(" ", ".").replace("/", "-") + "@acme.test"
        import_roster(f"email,name,team,role,leads\n{email},{name},{team},{role},{leads}\n")
        person = Person.by_email(email)
        if password:
            credentials.set_password(person, password)
        return Person.get_by_id(person.id)
    return make


@pytest.fixture
def two_teams(app, make_round, make_staff):
    """A round closed a month ago: Platform and Sales, 11 of 12 answered in each (all with
    the same comment), their two leads and an HR person."""
    round_ = make_round({"Acme/Platform": 12, "Acme/Sales": 12}, now=T0)
    round_ = close_with_answers(round_, {"Acme/Platform": 11, "Acme/Sales": 11},
                                comment="The deadline pressure is too much", now=T0)
    return {"round": round_,
            "platform_lead": make_staff(team="Acme/Platform", leads="Acme/Platform"),
            "sales_lead": make_staff(team="Acme/Sales", leads="Acme/Sales"),
            "hr": make_staff(role="hr"),
            "platform": Team.by_path("Acme/Platform"), "sales": Team.by_path("Acme/Sales")}


@pytest.fixture
def thread(two_teams):
    """Platform's lead answered the workload theme of `two_teams` two days after the close."""
    round_ = two_teams["round"]
    return conversations.open_thread(
        two_teams["platform_lead"], round_, Theme.get_by_id("workload"), two_teams["platform"],
        "We hear you on deadlines. Plan: https://intranet.example/plan", "acknowledged",
        now=round_.closed_at + timedelta(days=2))


@pytest.fixture
def ops_with_warehouse(app, make_round, make_staff):
    """The audit's F8 case: Ops 17 invited (its lead, Support's 6, Warehouse's 10),
    15 answered; Warehouse 10 invited, 8 answered. Platform, elsewhere, has 20 invited
    and 10 answered, a group whose count may show; Sales (12, 6 answered) gives Acme
    enough non-respondents of its own for Platform to stay visible."""
    round_ = make_round({"Acme/Ops": 1, "Acme/Ops/Support": 6, "Acme/Ops/Warehouse": 10,
                         "Acme/Platform": 20, "Acme/Sales": 12}, now=T0)
    close_with_answers(round_, {"Acme/Ops": 1, "Acme/Ops/Support": 6, "Acme/Ops/Warehouse": 8,
                                "Acme/Platform": 10, "Acme/Sales": 6}, now=T0)
    client = app.test_client()
    sign_in(client, make_staff(role="hr"))
    return client


@pytest.fixture
def platform_within_acme(app, make_round, make_staff):
    """The audit's F9 case: Platform's 12 respondents and Sales' 6 all commented on
    workload. Both groups pass k, only Acme (18) and Platform (12) pass k_comments, and
    Acme minus Platform would count Sales' 6 comments."""
    round_ = make_round({"Acme/Platform": 12, "Acme/Sales": 12}, now=T0)
    round_ = close_with_answers(round_, {"Acme/Platform": 12, "Acme/Sales": 6},
                                comment="The deadline pressure is too much", now=T0)
    leader = make_staff(team="Acme/Platform", leads="Acme/Platform")
    thread = conversations.open_thread(leader, round_, Theme.get_by_id("workload"),
                                       Team.by_path("Acme/Platform"), "We hear you.",
                                       "acknowledged", now=T0 + timedelta(days=6))
    client = app.test_client()
    sign_in(client, make_staff(role="hr"))
    return client, thread


@pytest.fixture
def smtp():
    """A running test SMTP server: its Mailbox, with the port as .port."""
    with smtp_server() as (mailbox, port):
        mailbox.port = port
        yield mailbox


@pytest.fixture(scope="session")
def chromium_process():
    """One Chromium for the whole session: starting it costs about a second."""
    with chromium() as browser:
        yield browser


@pytest.fixture
def browser(chromium_process):
    """The session's Chromium; the contexts (cookies, storage) a test opens close after it."""
    yield chromium_process
    for context in chromium_process.contexts:
        context.close()
