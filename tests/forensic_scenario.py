"""The audit of issue 13, replayed: an organisation answers one person at a time over
HTTP while an adversary copies the database after every step.

`run()` plays it and returns plain data (copies on disk for SQLite; what a copy of
PostgreSQL shows, read at each step), so the attacks in test_forensic_copy.py work on
what an adversary would hold, long after the app that wrote it is gone. The ground
truth (who answered what, in which order, and which sealed blob each submission wrote)
is kept apart, only to score the attacks.

`weakened(patch, name)` puts back one design the audit broke (WEAKNESSES), leaving
every other defence in place: each attack must succeed against the weakness it is
there to catch, which shows that its own defence is the one doing the work.
"""
import importlib
import json
import os
import random
import shutil
import sqlite3
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field

import psycopg
import pytest

from app import storage
from app.crypto import pending_keys
from app.db import db, is_sqlite
from app.delivery import tick
from app.models import DataKey, Invitation, Person, Round, TeamTally
from app.pulse import releases, rounds
from app.thresholds import Thresholds
from tests import forensics
from tests.support import PG_URL, build_app, csrf_token, personal_path, roster_csv

K = 5
# 60 people: a top team of two (the CEO and HR), a team whose own member is only its
# lead, and teams from 3 to 12 people.
ORG = {"Acme": 2, "Acme/Ops": 1, "Acme/Ops/Support": 6, "Acme/Ops/Warehouse": 10,
       "Acme/Eng/Platform": 12, "Acme/Eng/Data": 7, "Acme/Eng/Tiny": 3, "Acme/Sales": 9,
       "Acme/Sales/Field": 10}
ANSWERING = 51
SIDE_FILES = ("", "-wal", "-pending", "-pending-journal")


@dataclass
class Copy:
    """What an adversary holds after one step. SQLite: the files, copied. PostgreSQL:
    rows as their pages lay them out (ORDER BY ctid), the pending keys' tuples live and
    dead, and the WAL position (the WAL itself is read once, at the end)."""
    label: str
    directory: str = None
    lsn: str = None
    rows: dict = field(default_factory=dict)
    pending_key_bytes: list = field(default_factory=list)
    pending_sizes: list = field(default_factory=list)     # PostgreSQL: of live rows
    pending_waiting: dict = field(default_factory=dict)   # team -> answers pending (truth)


@dataclass
class Audit:
    """Everything the attacks need, and the ground truth to score them."""
    engine: str
    copies: list
    arrival: list                 # person ids in the order they answered
    answers: dict                 # person id -> {question id: value}
    group_of_person: dict         # person id -> team id their answer is stored under
    submissions: list             # (row id, sealed, round id, person id) of each submission
    data_keys: dict               # data key id -> raw key (the key file opens them)
    scored_questions: list
    invited_per_group: dict       # team id -> people counted in it
    tallies: dict                 # team id -> respondents, as stored at the end
    answer_counts: list           # (team, question, value, count) at the end
    wal_records: list = ()        # PostgreSQL: every WAL record since the round opened,
    wal_lsns: list = ()           # raw, with where each starts


def _sqlite_path(app):
    return app.config["DATABASE_URL"].removeprefix("sqlite:///")


def _copy_files(app, directory):
    os.makedirs(directory)
    base = _sqlite_path(app)
    for suffix in SIDE_FILES:
        if os.path.exists(base + suffix):
            shutil.copyfile(base + suffix, os.path.join(directory, "heard.db" + suffix))


def _pg_copy(conn, copy):
    copy.lsn = forensics.pg_wal_lsn(conn)
    for table, columns in (("participation", "person_id"),
                           ("answer_count", "team_id, question_id, value, count"),
                           ("response", "id, team_id")):
        copy.rows[table] = [tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)
                            for row in conn.execute(f"SELECT {columns} FROM {table} ORDER BY ctid")]
    for tup in forensics.pg_heap_tuples(conn, "pending_key"):
        if tup.data is not None:
            value = forensics.pg_decode_tuple(conn, "pending_key", tup)["key"]
            copy.pending_key_bytes.append(bytes(value))
    # Freed space too: VACUUM frees a dead tuple's space without zeroing it.
    for page in forensics.pg_raw_pages(conn, "pending_key"):
        copy.pending_key_bytes += _windows(bytes(page))
    copy.pending_sizes = [row[0] for row in conn.execute(
        "SELECT length(sealed) FROM pending_answer")]


def _take_copy(app, label, workdir, conn):
    copy = Copy(label)
    copy.pending_waiting = dict(Counter(row[0] for row in db.execute_sql(
        "SELECT team_id FROM pending_answer").fetchall()))
    if is_sqlite():
        copy.directory = os.path.join(workdir, f"{len(os.listdir(workdir)):03d}-{label}")
        _copy_files(app, copy.directory)
    else:
        _pg_copy(conn, copy)
    return copy


class _SubmissionSpy:
    """Records the sealed blob each submission writes: the first pending insert of a
    request is the submission's (it shares a transaction with the participation row);
    later ones in the same request are a release putting kept answers back."""

    def __init__(self, real):
        self.real, self.person, self.written = real, None, []

    def execute(self, row_id, round_id, team_id, sealed):
        if self.person is not None:
            self.written.append((row_id, sealed, round_id, self.person))
            self.person = None
        return self.real.execute(row_id, round_id, team_id, sealed)


def _fields(rng, questions, comment_no):
    values, form = {}, {"identity": "anonymous"}
    for question in questions:
        if question.kind == "likert":
            values[question.id] = rng.randint(1, 5)
        elif question.kind == "enps":
            values[question.id] = rng.randint(0, 10)
        else:
            continue
        form[f"q_{question.key}"] = str(values[question.id])
    text = [q for q in questions if q.kind == "text"]
    if text and comment_no % 3 == 0:
        form[f"q_{text[0].key}"] = COMMENTS[comment_no // 3 % len(COMMENTS)].replace("{}", str(comment_no))
        if comment_no % 6 == 0:
            form["identity"] = "named"
    return values, form


# Short and long, ASCII and not: a length that stands out must not mark its author.
COMMENTS = ("Remark {}: the rota needs work", "Смена слишком длинная, {} " * 40,
            "Too many meetings 😩 {}", "x{} " * 500)


def run(workdir, monkeypatch):
    """Play the audit; return an Audit. The app's database is left as the close left it."""
    os.makedirs(workdir, exist_ok=True)
    app = build_app(_app_dir(workdir))
    spy = _SubmissionSpy(releases._INSERT_PENDING)
    monkeypatch.setattr(releases, "_INSERT_PENDING", spy)
    conn = psycopg.connect(PG_URL, autocommit=True) if not is_sqlite_url(app) else None
    copies_dir = os.path.join(workdir, "copies")
    os.makedirs(copies_dir)
    rng = random.Random(13)
    with app.app_context():
        from app.accounts.roster import import_roster
        import_roster(roster_csv(ORG))
        round_ = rounds.open_round("weekly", "Acme", 5, K)
        start_lsn = forensics.pg_wal_lsn(conn) if conn else None
        invitations = list(Invitation.select().where(Invitation.round == round_.id)
                           .order_by(Invitation.id))
        questions = list(round_.survey.current_questions())
        group_of_person = {i.person_id: i.counted_team_id for i in invitations}
        invited_per_group = dict(Counter(group_of_person.values()))
        rng.shuffle(invitations)
        # Platform's people first (in random order among themselves), so that a pool
        # reaches 2k and releases mid-round whatever the draw: copies then exist in
        # which some answers are released and others still wait.
        invitations.sort(key=lambda i: i.team.path != "Acme/Eng/Platform")
        copies = [_take_copy(app, "opened", copies_dir, conn)]
    answers, arrival = {}, []
    for number, invitation in enumerate(invitations[:ANSWERING]):
        client = app.test_client()
        client.get(personal_path(invitation))
        page = client.get("/pulse").get_data(as_text=True)
        values, form = _fields(rng, questions, number)
        spy.person = invitation.person_id
        response = client.post("/pulse", data={**form, "csrf_token": csrf_token(page)})
        assert response.status_code in (200, 303), response.status_code
        answers[invitation.person_id] = values
        arrival.append(invitation.person_id)
        with app.app_context():
            copies.append(_take_copy(app, f"answer-{number}", copies_dir, conn))
    with app.app_context():
        Round.update(closes_at=Round.opens_at).where(Round.id == round_.id).execute()
        tick.close_due(Thresholds(K, 10))
        copies.append(_take_copy(app, "closed", copies_dir, conn))
        audit = Audit(
            engine="sqlite" if is_sqlite() else "postgresql", copies=copies, arrival=arrival,
            answers=answers, group_of_person=group_of_person, submissions=spy.written,
            data_keys={row.id: bytes(_unwrap(row)) for row in DataKey.select()},
            scored_questions=[q.id for q in questions if q.kind != "text"],
            invited_per_group=invited_per_group,
            tallies=dict(TeamTally.select(TeamTally.team, TeamTally.respondents).tuples()),
            answer_counts=list(db.execute_sql(
                "SELECT team_id, question_id, value, count FROM answer_count").fetchall()))
        if conn:
            records = forensics.pg_wal_records(conn, start_lsn)
            audit.wal_records = [record.raw for record in records]
            audit.wal_lsns = [forensics._lsn(record.lsn) for record in records]
    if conn:
        conn.close()
    db.close()
    return audit


def _app_dir(workdir):
    path = os.path.join(workdir, "app")
    os.makedirs(path, exist_ok=True)
    from pathlib import Path
    return Path(path)


def is_sqlite_url(app):
    return app.config["DATABASE_URL"].startswith("sqlite")


def _unwrap(row):
    from app.crypto import keys
    return keys.current()._unwrap(row)


# -- what an adversary reads from a copy ---------------------------------------------
def physical_rows(audit, copy, table):
    """A table's rows in the order they lie in the copy (as inserted, unless rebuilt)."""
    if audit.engine == "postgresql":
        return copy.rows[table]
    path = os.path.join(copy.directory, "heard.db")
    wal = path + "-wal" if os.path.exists(path + "-wal") else None
    cells = forensics.sqlite_cells(path, table, wal=wal)
    # Inside a page the content area grows downwards: a later cell sits lower.
    ordered = sorted(cells, key=lambda cell: (cell.page, -cell.offset))
    if table == "participation":
        return [(cell.values[1],) for cell in ordered]
    if table == "answer_count":
        return [tuple(cell.values[1:5]) for cell in ordered]
    if table == "response":
        return [(cell.values[0], cell.values[2]) for cell in ordered]
    raise ValueError(table)


def candidate_pending_keys(audit, copy):
    """Every 32-byte string the copy offers as a pending key: the live rows of the key
    store, and any window of its free or unallocated space that is not blank."""
    if audit.engine == "postgresql":
        return set(copy.pending_key_bytes)
    found = set()
    side = os.path.join(copy.directory, "heard.db-pending")
    if not os.path.exists(side):
        return found
    connection = sqlite3.connect(f"file:{side}?mode=ro&immutable=1", uri=True)
    try:
        found |= {bytes(row[0]) for row in connection.execute("SELECT key FROM pending_key")}
    finally:
        connection.close()
    leftovers = [region.data for region in forensics.sqlite_unallocated(side)]
    leftovers += [page.data for page in forensics.sqlite_free_pages(side)]
    journal = side + "-journal"
    if os.path.exists(journal):
        with open(journal, "rb") as handle:
            leftovers.append(handle.read())
    for data in leftovers:
        found.update(_windows(data))
    return found


def _windows(data):
    """Every 32-byte stretch of `data` that could be a key (a blank one cannot)."""
    return [data[start:start + 32] for start in range(0, max(0, len(data) - 31))
            if data[start:start + 32].count(0) < 4]


def pending_sizes(audit, copy):
    """Sizes of the sealed pending answers a copy holds."""
    if audit.engine == "postgresql":
        return copy.pending_sizes
    path = os.path.join(copy.directory, "heard.db")
    wal = path + "-wal" if os.path.exists(path + "-wal") else None
    return [len(cell.values[3]) for cell in forensics.sqlite_cells(path, "pending_answer",
                                                                  wal=wal)]


def copy_bytes(audit, copy):
    """Everything the copy holds, as one byte string to search (SQLite)."""
    parts = []
    for name in sorted(os.listdir(copy.directory)):
        with open(os.path.join(copy.directory, name), "rb") as handle:
            parts.append(handle.read())
    return b"\0".join(parts)


WEAKNESSES = ("groups", "batches", "tallies", "keys", "rebuild", "padding")


@contextmanager
def weakened(monkeypatch, name):
    """One design the audit broke, put back (WEAKNESSES names them)."""
    from tests import weakened_designs as old
    if name == "groups":
        monkeypatch.setattr(rounds, "counting_teams", old.counting_teams_by_subtree)
    elif name == "batches":
        monkeypatch.setattr(releases, "release_if_due", old.release_if_due)
        monkeypatch.setattr(releases, "release_round", old.release_round)
    elif name == "tallies":
        monkeypatch.setattr(releases, "_add_to_tallies", old.add_to_tallies_as_met)
    elif name == "keys":
        # Every layer between a submission's remnants and the key holder: the keys
        # outlive their pools, and what the submissions wrote stays in the files — no
        # secure_delete, a log never emptied, no rebuild. (On SQLite the other layers
        # alone remove the remnants; PostgreSQL's WAL keeps them whatever Heard does,
        # so there the keys are the one defence.)
        monkeypatch.setattr(pending_keys, "_destroy", lambda *args, **kwargs: None)
        monkeypatch.setattr(storage, "checkpoint", lambda *args, **kwargs: None)
        monkeypatch.setattr(storage, "rebuild", lambda: True)
        database_module = importlib.import_module("app.db")  # app.db is also the proxy's name
        monkeypatch.setattr(database_module, "SQLITE_PRAGMAS", {
            **database_module.SQLITE_PRAGMAS, "secure_delete": 0, "wal_autocheckpoint": 0})
    elif name == "rebuild":
        monkeypatch.setattr(storage, "rebuild", lambda: True)
    elif name == "padding":
        monkeypatch.setattr(releases, "padded", old.padded_to_buckets)
    else:
        raise ValueError(name)
    yield
