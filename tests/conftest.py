"""Fixtures: a fresh app on SQLite (or on PostgreSQL when HEARD_TEST_DATABASE_URL is set),
its client and CLI runner, and small factories for people, rounds and answers."""
import os
import re

import psycopg
import pytest

from app import create_app, schema
from app.accounts.roster import import_roster
from app.crypto import links
from app.db import db
from app.models import ALL_MODELS, Invitation, Person, Round
from app.pulse import answering, rounds, surveys

PROJECT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SURVEYS_DIR = os.path.join(PROJECT_DIR, "surveys")
PG_URL = os.environ.get("HEARD_TEST_DATABASE_URL")
BASE_URL = "http://heard.test"
CSRF_PATTERN = re.compile(r'name="csrf_token" value="([^"]+)"')


def pytest_collection_modifyitems(config, items):
    """Tests of one engine's own files run in that engine's pass; the other pass
    leaves them out (deselected, not skipped: nothing is hidden)."""
    other = "sqlite" if PG_URL else "postgresql"
    left_out = [item for item in items if item.get_closest_marker(other)]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if not item.get_closest_marker(other)]


UNLOGGED_TABLES = {"pending_key", "reaction_key"}  # made so by migrations 0006 and 0007


def fresh_database_url(tmp_path):
    """An empty database: a new SQLite file, or PostgreSQL emptied.

    On PostgreSQL a migrated schema is kept and its tables truncated (fast); anything
    else (a test that dropped tables, a first run) gets a brand-new schema.
    """
    if not PG_URL:
        return f"sqlite:///{tmp_path}/heard.db"
    # pending_key: the unlogged table of app.crypto.pending_keys, made by a migration only.
    expected = {model._meta.table_name for model in ALL_MODELS} | {"schema_migration",
                                                                    "pending_key"}
    with psycopg.connect(PG_URL, autocommit=True) as connection:
        tables = {row[0] for row in connection.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
        # A test that made the tables from the models (not the migrations) leaves
        # these logged: the next tests must get them as the migrations make them.
        unlogged = {row[0] for row in connection.execute(
            "SELECT relname FROM pg_class WHERE relpersistence = 'u' "
            "AND relnamespace = 'public'::regnamespace AND relkind = 'r'")}
        if tables == expected and unlogged == UNLOGGED_TABLES:
            names = ", ".join(f'"{t}"' for t in sorted(tables - {"schema_migration"}))
            connection.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        else:
            connection.execute("DROP SCHEMA IF EXISTS public CASCADE")
            connection.execute("CREATE SCHEMA public")
    return PG_URL


def build_app(tmp_path, migrate=True, **config):
    """A Heard app on a fresh database with its own key file."""
    settings = {"TESTING": True, "DATABASE_URL": fresh_database_url(tmp_path),
                "KEY_FILE": str(tmp_path / "heard.keys"), "SECRET_KEY": "test-secret",
                "SURVEYS_DIR": SURVEYS_DIR, "BASE_URL": BASE_URL}
    settings.update(config)
    app = create_app(settings)
    if migrate:
        with app.app_context():
            schema.upgrade()
            surveys.sync_surveys(SURVEYS_DIR)
    return app


@pytest.fixture
def app(tmp_path):
    # No app context is held open here: requests must each get their own, as in
    # production (a shared one would share `g`, and with it the CSRF token).
    yield build_app(tmp_path)
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


def roster_csv(teams):
    """A roster CSV with `count` people in each team path, e.g. {"Acme/Eng": 6}."""
    lines = ["email,name,team,role,leads"]
    for path, count in teams.items():
        slug = path.lower().replace("/", "-").replace(" ", "")
        lines += [f"{slug}-{n}@acme.test,Person {n} of {path},{path},employee,"
                  for n in range(1, count + 1)]
    return "\n".join(lines) + "\n"


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


def invitations_of(round_):
    return list(Invitation.select().where(Invitation.round == round_).order_by(Invitation.id))


def full_scores(round_, value=4):
    """A valid answer to every scored question of the round's survey."""
    scores = {}
    for question in round_.survey.current_questions():
        if question.kind == "likert":
            scores[question.key] = value
        elif question.kind == "enps":
            scores[question.key] = min(10, value * 2)
        elif question.kind == "choice":
            scores[question.key] = 0
    return scores


def answer(invitation, value=4, comment=None, signed=False, batch_size=5, now=None):
    """Record one person's answers through the business function."""
    text_keys = [q.key for q in invitation.round.survey.current_questions() if q.kind == "text"]
    comments = {text_keys[0]: comment} if comment else {}
    answering.record_answers(invitation, full_scores(invitation.round, value), comments, signed,
                             batch_size=batch_size, now=now)


def personal_path(invitation):
    return "/p/" + links.token_for(invitation.salt)


def open_pulse(client, invitation):
    """Open a personal link in the client; return the pulse page's HTML."""
    response = client.get(personal_path(invitation))
    assert response.status_code == 303, response.status_code
    page = client.get("/pulse")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def csrf_token(html):
    return CSRF_PATTERN.search(html).group(1)


def form_answers(round_, value=4, **extra):
    """The form fields a person sends who answers everything with `value`."""
    data = {f"q_{key}": str(score) for key, score in full_scores(round_, value).items()}
    data["identity"] = "anonymous"
    data.update(extra)
    return data


def current_round(round_):
    return Round.get_by_id(round_.id)


STAFF_PASSWORD = "correct horse battery staple"


@pytest.fixture
def make_staff(app):
    """Add a leader, HR person or admin: make_staff("leader", team="Acme", leads="Acme/Sales")."""
    def make(role="leader", team="Acme", leads="", name=None, password=STAFF_PASSWORD):
        from app.accounts import credentials
        name = name or f"{role.title()} of {leads or team}"
        email = name.lower().replace(" ", ".").replace("/", "-") + "@acme.test"
        import_roster(f"email,name,team,role,leads\n{email},{name},{team},{role},{leads}\n")
        person = Person.by_email(email)
        if password:
            credentials.set_password(person, password)
        return Person.get_by_id(person.id)
    return make


def sign_in(client, person, password=STAFF_PASSWORD, follow=True):
    """Sign a staff member in with email and password; return the last response."""
    page = client.get("/signin")
    response = client.post("/signin", data={"email": person.email, "password": password,
                                            "csrf_token": csrf_token(page.get_data(True))})
    if follow and response.status_code == 303:
        return client.get(response.headers["Location"])
    return response


def post_form(client, path, data=None, page=None):
    """POST to path with the CSRF token of `page` (default: GET path first)."""
    html = client.get(page or path).get_data(as_text=True)
    return client.post(path, data={**(data or {}), "csrf_token": csrf_token(html)})


def close_with_answers(round_, answers_by_team, value=4, comment=None, now=None):
    """Answer for the first N invitations of each team path, then close the round."""
    from datetime import timedelta
    for path, count in answers_by_team.items():
        chosen = [i for i in invitations_of(round_) if i.team.path == path][:count]
        for invitation in chosen:
            answer(invitation, value=value, comment=comment, now=now)
    rounds.close_round(current_round(round_), 5,
                       now=(now or round_.closes_at) + timedelta(seconds=1))
    return current_round(round_)


def sign_in_by_link(client, person):
    """Sign anyone in with a one-time link (employees have no other way to the board)."""
    from app.accounts import credentials
    token = credentials.create_sign_in_link(person, 15)
    client.get(f"/signin/link/{token}")
    page = client.get("/signin/link").get_data(as_text=True)
    return client.post("/signin/link", data={"csrf_token": csrf_token(page)})
