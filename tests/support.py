"""Helpers the tests share: apps on a copy of one migrated database, and small steps
people take (answer, sign in, post a form). Fixtures live in conftest.py."""
import csv
import io
import os
import re
import shutil
import socket
import tempfile
import threading
import time
from datetime import UTC, timedelta
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pyotp
from hypothesis import strategies as st

from app import create_app, schema
from app.accounts import credentials
from app.crypto import links
from app.db import db
from app.models import Invitation, Round, utcnow
from app.pulse import answering, rounds, surveys

PROJECT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SURVEYS_DIR = os.path.join(PROJECT_DIR, "surveys")
PG_URL = os.environ.get("HEARD_TEST_DATABASE_URL")
BASE_URL = "http://heard.test"
CSRF_PATTERN = re.compile(r'name="csrf_token" value="([^"]+)"')
STAFF_PASSWORD = "correct horse battery staple"
T0 = utcnow() - timedelta(days=30)  # when the rounds of the shared organisations opened


class TemplateDatabase:
    """The migrated database (surveys synced) every test's app starts from, made on first
    use and copied per test: on a busy machine, an app on a copied SQLite file took
    190 ms against 1,150 ms for one migrated and synced anew.

    SQLite: a file in a private temporary folder, closed (so its WAL is checkpointed into
    it and gone) before it is copied. PostgreSQL: the database `<name>_template` beside
    the test database `<name>` of HEARD_TEST_DATABASE_URL. CREATE DATABASE … TEMPLATE
    waits for the disk (1.4 to 7 s on that machine; TRUNCATE of every table, as before,
    1.5 s), so a test usually gets `<name>` emptied instead: its rows deleted and its
    sequences set back, in one transaction that waits for no fsync (0.2 to 0.8 s there,
    mostly waiting for the CPU). Where that
    would not give the template's state (a test changed the schema or the synced
    surveys), or a test reads the pages themselves (`pristine`: deleted rows stay in them
    until a vacuum), `<name>` is a fresh copy: the spare, `<name>_spare`, made in a
    background thread and put in place by two renames.
    """

    SYNCED = ("survey", "question", "theme")  # the template's own rows: kept, not deleted

    def __init__(self, pg_url):
        self.pg_url = pg_url
        self.workdir = None
        self.spare_maker = None
        self.pristine = False  # set per test by conftest: it reads pages, not rows
        self.in_place = False  # <name> holds a copy of the template, perhaps written to
        if pg_url:
            self.name = urlsplit(pg_url).path.strip("/")
            self.template, self.spare, self.trash = (
                f"{self.name}_{suffix}" for suffix in ("template", "spare", "trash"))

    def _admin(self):
        """An autocommit connection to the server's maintenance database: CREATE and DROP
        DATABASE must come from outside the database they name."""
        parts = urlsplit(self.pg_url)
        admin = psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True)
        # A test database is worth nothing after a server crash: no commit of ours waits
        # for the disk.
        admin.execute("SET synchronous_commit = off")
        return admin

    def _remake(self, admin, name, template=None):
        # FORCE ends connections a test left behind (a live server's threads, a reader).
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template
                                                      else ""))

    def _build(self):
        self.workdir = tempfile.mkdtemp(prefix="heard-template-")
        if self.pg_url:
            with self._admin() as admin:
                self._remake(admin, self.template)
            url = urlunsplit(urlsplit(self.pg_url)._replace(path="/" + self.template))
        else:
            url = "sqlite:///" + os.path.join(self.workdir, "heard.db")
        app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "template",
                          "KEY_FILE": os.path.join(self.workdir, "heard.keys"),
                          "SURVEYS_DIR": SURVEYS_DIR})
        with app.app_context():
            schema.upgrade()
            surveys.sync_surveys(SURVEYS_DIR)
        db.close()  # checkpoints SQLite's WAL; PostgreSQL copies no template in use
        if self.pg_url:
            with psycopg.connect(url) as template:
                self.fingerprint = self._fingerprint(template)
                self.sequences = template.execute(
                    "SELECT format('%I', sequencename), last_value FROM pg_sequences "
                    "WHERE schemaname = 'public'").fetchall()
                self.tables = [row[0] for row in template.execute(
                    "SELECT format('%%I', tablename) FROM pg_tables WHERE schemaname = 'public' "
                    "AND tablename <> 'schema_migration' AND NOT tablename = ANY(%s)",
                    (list(self.SYNCED),))]
            self._make_spare()

    def _fingerprint(self, connection):
        """What emptying the tables would not set back: the relations (with columns and
        persistence) and the rows of the synced surveys."""
        relations = connection.execute(
            "SELECT md5(string_agg(concat_ws(' ', c.relname, c.relkind, c.relpersistence, "
            "a.attname, a.atttypid, a.attnotnull), ',' ORDER BY c.relname, a.attnum)) "
            "FROM pg_class c LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 "
            "AND NOT a.attisdropped WHERE c.relnamespace = 'public'::regnamespace").fetchone()
        rows = [connection.execute(f'SELECT md5(string_agg(t::text, \',\' ORDER BY t::text)) '
                                   f'FROM "{table}" t').fetchone() for table in self.SYNCED]
        return relations, rows

    def _empty(self):
        """Set <name> back to the template's state by deleting rows; False if it cannot."""
        with psycopg.connect(self.pg_url) as connection:
            connection.execute("SET LOCAL synchronous_commit = off")
            # Sessions a test left behind (a live server's threads) would hold locks.
            connection.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                               "WHERE datname = current_database() AND pid <> pg_backend_pid()")
            if self._fingerprint(connection) != self.fingerprint:
                return False
            # Replica mode skips the foreign-key triggers: tables empty in any order.
            connection.execute("SET LOCAL session_replication_role = replica")
            for table in self.tables:
                connection.execute(f"DELETE FROM {table}")
            for sequence, value in self.sequences:
                connection.execute("SELECT setval(%s, %s, %s)",
                                   (sequence, value or 1, value is not None))
        return True

    def _make_spare(self):
        def make():
            with self._admin() as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{self.trash}" WITH (FORCE)')
                self._remake(admin, self.spare, self.template)
        self.spare_maker = threading.Thread(target=make, daemon=True)
        self.spare_maker.start()

    def _swap_in_spare(self, admin):
        """Rename the spare to the test database's name; the old one goes to the trash."""
        self.spare_maker.join()
        old = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                            (self.name,)).fetchone()
        if old:
            # A renamed database must have no session: end those a test left behind.
            for _ in range(100):
                if not admin.execute(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE datname = %s", (self.name,)).fetchone()[0]:
                    break
                time.sleep(0.05)
            admin.execute(f'ALTER DATABASE "{self.name}" RENAME TO "{self.trash}"')
        admin.execute(f'ALTER DATABASE "{self.spare}" RENAME TO "{self.name}"')
        self._make_spare()

    def database_url(self, tmp_path, migrated):
        """A fresh database for one test: a copy of the template, or empty."""
        if migrated and not self.workdir:
            self._build()
        if db.obj is not None:
            db.obj.close()  # the previous test's connection, before its database goes
        if not self.pg_url:
            path = os.path.join(tmp_path, "heard.db")
            if migrated:
                shutil.copy2(os.path.join(self.workdir, "heard.db"), path)  # mode 0600 too
            return "sqlite:///" + path
        if migrated and self.in_place and not self.pristine and self._empty():
            return self.pg_url
        with self._admin() as admin:
            if migrated:
                self._swap_in_spare(admin)
            else:
                self._remake(admin, self.name)
        self.in_place = migrated
        return self.pg_url

    def drop(self):
        """Remove the template (and the spare) at the end of the session."""
        if not self.workdir:
            return
        shutil.rmtree(self.workdir, ignore_errors=True)
        if self.pg_url:
            if self.spare_maker:
                self.spare_maker.join()
            with self._admin() as admin:
                for name in (self.spare, self.trash, self.template):
                    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


TEMPLATE = TemplateDatabase(PG_URL)


def build_app(tmp_path, migrate=True, **config):
    """A Heard app on a fresh database (migrated unless migrate=False) with its own key file."""
    settings = {"TESTING": True, "DATABASE_URL": TEMPLATE.database_url(tmp_path, migrate),
                "KEY_FILE": str(tmp_path / "heard.keys"), "SECRET_KEY": "test-secret",
                "SURVEYS_DIR": SURVEYS_DIR, "BASE_URL": BASE_URL}
    settings.update(config)
    return create_app(settings)


def roster_csv(teams):
    """A roster CSV with `count` people in each team path, e.g. {"Acme/Eng": 6}."""
    lines = ["email,name,team,role,leads"]
    for path, count in teams.items():
        slug = path.lower().replace("/", "-").replace(" ", "")
        lines += [f"{slug}-{n}@acme.test,Person {n} of {path},{path},employee,"
                  for n in range(1, count + 1)]
    return "\n".join(lines) + "\n"


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
    for path, count in answers_by_team.items():
        chosen = [i for i in invitations_of(round_) if i.team.path == path][:count]
        for invitation in chosen:
            answer(invitation, value=value, comment=comment, now=now)
    rounds.close_round(current_round(round_), 5,
                       now=(now or round_.closes_at) + timedelta(seconds=1))
    return current_round(round_)


def sign_in_by_link(client, person):
    """Sign anyone in with a one-time link (employees have no other way to the board)."""
    token = credentials.create_sign_in_link(person, 15)
    client.get(f"/signin/link/{token}")
    page = client.get("/signin/link").get_data(as_text=True)
    return client.post("/signin/link", data={"csrf_token": csrf_token(page)})


def client_at(app, address):
    """A browser of its own, on the given network address."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def free_port():
    """A TCP port nobody listens on, on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def parse(raw):
    """The rows of a CSV file as dicts, read the way pandas and spreadsheets read it."""
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def at(secret, moment):
    """The authenticator code of `secret` at `moment`."""
    return pyotp.TOTP(secret).at(moment.replace(tzinfo=UTC))


def enrol(person, now):
    """Set up an authenticator for a staff member; returns its secret and recovery codes."""
    secret = credentials.new_totp_secret()
    return secret, credentials.enrol_totp(person, secret, at(secret, now), now=now)


def everything_derivable(sets):
    """Close the shown groups under union, intersection and difference."""
    known = {s for s in sets}
    while True:
        new = {op(a, b) for a in known for b in known
               for op in (frozenset.union, frozenset.intersection, frozenset.difference)}
        if new <= known:
            return known
        known |= new


@st.composite
def team_trees(draw, max_teams):
    """{team id: parent id or None}: team 1 is the root, each later team hangs below
    an earlier one."""
    size = draw(st.integers(min_value=1, max_value=max_teams))
    parents = {1: None}
    for team_id in range(2, size + 1):
        parents[team_id] = draw(st.integers(min_value=1, max_value=team_id - 1))
    return parents
