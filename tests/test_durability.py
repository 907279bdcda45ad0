"""Durability under kill -9: gunicorn (2 sync workers) on 127.0.0.1, people answering
over HTTP at once, the workers and the whole server killed with SIGKILL and started
again while they do; then the round closes. Every answer the server acknowledged is
counted exactly once in the released tallies, and none is left pending.

Bounded: 200 people, 8 at a time, 4 kills (a worker, the master with its workers, a
worker, the master again), about 7 s on SQLite and 11 s on PostgreSQL here.
"""
import http.client
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import pytest

from app.accounts.roster import import_roster
from app.crypto import links
from app.db import db
from app.models import Invitation, Participation, PendingAnswer, Round, TeamTally
from app.pulse import rounds
from tests.support import PROJECT_DIR, SURVEYS_DIR, build_app, free_port, full_scores, roster_csv

TEAMS = {"Acme/Floor": 100, "Acme/Yard": 100}
SUBMITTERS = 8
# After this many acknowledged answers, kill: one worker, or the whole server.
KILLS = ((30, "worker"), (70, "server"), (110, "worker"), (150, "server"))
DEADLINE_SECONDS = 90  # the whole run; it takes a fraction of this
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
GUNICORN = os.path.join(os.path.dirname(sys.executable), "gunicorn")


def request(port, method, path, body=None, headers=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


class Server:
    """gunicorn in a process group of its own, so that it and its workers can be
    killed together (and only they)."""

    def __init__(self, port, env, log_path):
        self.port, self.env, self.log_path = port, env, log_path
        self.process = None

    def start(self):
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [GUNICORN, "--workers", "2", "--bind", f"127.0.0.1:{self.port}",
                 "--graceful-timeout", "2", "wsgi:app"],
                cwd=PROJECT_DIR, env=self.env, stdout=log, stderr=log,
                start_new_session=True)
        until = time.monotonic() + 30
        while time.monotonic() < until:
            try:
                if request(self.port, "GET", "/healthz")[0] == 200:
                    return
            except OSError:
                pass
            assert self.process.poll() is None, self.log()
            time.sleep(0.05)
        raise AssertionError("gunicorn did not answer within 30 s\n" + self.log())

    def workers(self):
        found = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True,
                               text=True, check=False).stdout.split()
        return [int(pid) for pid in found]

    def kill_a_worker(self):
        """SIGKILL one worker; the master starts another."""
        workers = self.workers()
        assert workers, "no worker to kill"
        os.kill(workers[0], signal.SIGKILL)

    def kill_everything(self):
        """SIGKILL the master and its workers at once, as a crash would."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill_everything()

    def log(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as handle:
            return handle.read()[-3000:]


@pytest.fixture
def prepared(tmp_path):
    """An app with a round open for TEAMS, each invitation's token and counting team,
    and the environment a gunicorn on the same database and key file needs."""
    app = build_app(tmp_path, BASE_URL="http://127.0.0.1")
    with app.app_context():
        import_roster(roster_csv(TEAMS))
        round_ = rounds.open_round("weekly", "Acme", 1, app.config["MIN_GROUP"])
        people = {links.token_for(i.salt): i.counted_team_id
                  for i in Invitation.select().where(Invitation.round == round_)}
        form = {f"q_{key}": str(value) for key, value in
                full_scores(Round.get_by_id(round_.id)).items()}
    db.close()  # the server's workers are the only users while it runs
    env = dict(os.environ, HEARD_DATABASE_URL=app.config["DATABASE_URL"],
               HEARD_KEY_FILE=app.config["KEY_FILE"], HEARD_SECRET_KEY="durability",
               HEARD_SURVEYS_DIR=SURVEYS_DIR, HEARD_BASE_URL="http://127.0.0.1")
    yield app, round_, people, form, env
    db.close()


def test_every_acknowledged_answer_survives_kill_9_and_is_counted_once(prepared, tmp_path):
    app, round_, people, form, env = prepared
    began = time.monotonic()
    server = Server(free_port(), env, str(tmp_path / "gunicorn.log"))
    server.start()
    try:
        with ThreadPoolExecutor(SUBMITTERS) as pool:
            sessions = dict(zip(people, pool.map(lambda t: open_session(server.port, t),
                                                 people)))
        outcome, kills = submit_while_killing(server, sessions, form, began)
    finally:
        server.stop()
    assert kills == [kind for _at, kind in KILLS], server.log()
    # 303: acknowledged. 409: the person had answered already, i.e. an earlier try
    # whose acknowledgement the kill swallowed had committed.
    assert set(outcome.values()) <= {303, 409}, Counter(outcome.values())
    assert Counter(outcome.values())[303] >= len(people) - 2 * len(KILLS) * SUBMITTERS

    with app.app_context():  # the close, after the last restart
        assert Participation.select().where(Participation.round == round_.id).count() \
            == len(people)
        rounds.close_round(Round.get_by_id(round_.id), app.config["MIN_GROUP"])
        assert PendingAnswer.select().count() == 0
        counted = {t.team_id: t.respondents
                   for t in TeamTally.select().where(TeamTally.round == round_.id)
                   if t.respondents}
    assert counted == dict(Counter(people.values()))
    assert time.monotonic() - began < DEADLINE_SECONDS


def open_session(port, token):
    """Follow a personal link as a phone would; return (cookie, csrf token)."""
    _status, headers, _body = request(port, "GET", f"/p/{token}")
    cookie = headers["Set-Cookie"].split(";")[0]
    _status, headers, body = request(port, "GET", "/pulse", headers={"Cookie": cookie})
    cookie = headers.get("Set-Cookie", cookie).split(";")[0]
    return cookie, CSRF.search(body.decode()).group(1)


def submit_while_killing(server, sessions, form, began):
    """Send every answer, each retried until the server answers it, while the kills of
    KILLS happen; return ({token: final status}, kinds of kill done)."""
    acknowledged, lock = [0], threading.Lock()
    kills, outcome, cut = [], {}, []
    server_lock = threading.Lock()  # no request starts a restart twice

    def submit(token):
        cookie, csrf = sessions[token]
        body = urlencode(dict(form, csrf_token=csrf, identity="anonymous"))
        headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
        while time.monotonic() - began < DEADLINE_SECONDS:
            try:
                status = request(server.port, "POST", "/pulse", body, headers)[0]
            except (OSError, http.client.HTTPException):  # refused, reset, cut off mid-answer
                cut.append(token)
                time.sleep(0.05)
                continue
            if status == 503:  # a worker's database connection died with a kill
                cut.append(token)
                time.sleep(0.05)
                continue
            with lock:
                outcome[token] = status
                acknowledged[0] += status == 303
                due = len(kills) < len(KILLS) and acknowledged[0] >= KILLS[len(kills)][0]
                kind = KILLS[len(kills)][1] if due else None
                if due:
                    kills.append(kind)
            if kind == "worker":
                server.kill_a_worker()
            elif kind == "server":
                with server_lock:
                    server.kill_everything()
                    server.start()
            return
        outcome[token] = "no answer before the deadline"

    with ThreadPoolExecutor(SUBMITTERS) as pool:
        list(pool.map(submit, sessions))
    assert cut, "no request was cut off: the kills missed the load"
    return outcome, kills
