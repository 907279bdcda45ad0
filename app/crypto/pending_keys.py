"""Pending keys: the short-lived keys that seal answers while they wait in a pool.

A submission is written in the same transaction as its participation row, so every
copy of that transaction (SQLite's write-ahead log, PostgreSQL's WAL, dead tuples,
WAL archives) ties the sealed answer to its author. Sealing it under the round's data
key would let whoever later holds the key file open those copies. So pending answers
are sealed under a key of their pool (round × group) that lives neither in the key
file nor in any write-ahead log, and is destroyed when the pool is released: what
lingers of the submission then no longer decrypts.

- PostgreSQL: an UNLOGGED table (never written to WAL), rewritten into a new file at
  each destruction, so no dead tuple or freed space keeps a destroyed key.
- SQLite: a side database next to the main file, with a rollback journal (deleted at
  each commit, never a WAL) and secure_delete, so a destroyed key is overwritten.

The price, documented in docs/anonymity.md: if the database *server* crashes (not
Heard), PostgreSQL empties unlogged tables, and the answers pending at that moment
(at most 2k - 1 per group) can no longer be opened. A kill -9 of Heard's workers loses
nothing: every key is committed before an answer sealed under it.

A pool may hold several generations of keys: a release seals what it keeps under a
new generation and destroys the older ones.
"""
import os
import sqlite3
import threading
from contextlib import contextmanager

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from peewee import OperationalError

from app.db import db, is_sqlite

TABLE = "pending_key"
LOCK_TIMEOUT = "5s"
_SIDE_SCHEMA = (f"CREATE TABLE IF NOT EXISTS {TABLE} (round_id INTEGER NOT NULL, "
                "team_id INTEGER NOT NULL, generation INTEGER NOT NULL, key BLOB NOT NULL, "
                "PRIMARY KEY (round_id, team_id, generation))")


def side_path(database_path):
    """Where the SQLite side database of a main database file lives."""
    return database_path + "-pending"


class _SideDatabase:
    """One connection per worker to the SQLite side database (thread-safe)."""

    def __init__(self):
        self.lock = threading.RLock()
        self.path, self.connection, self.pid = None, None, None

    @contextmanager
    def connected(self, database_path):
        with self.lock:
            path = side_path(database_path)
            # A connection never crosses a fork (a worker made from a loaded master).
            if self.path != path or self.pid != os.getpid() or not os.path.exists(path):
                self._open(path)
            yield self.connection

    def _open(self, path):
        if self.connection is not None and self.pid == os.getpid():
            self.connection.close()
        if not os.path.exists(path):
            # Created readable by its owner only, like the key file.
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False,
                                     timeout=10)
        # DELETE: the rollback journal, the only other copy of a page, is removed at
        # every commit; secure_delete zeroes a destroyed key in the file itself.
        # synchronous OFF: a key is in the operating system's hands before any answer
        # is sealed under it, which a kill -9 of Heard cannot undo; only a crash of the
        # machine can lose it (the answers then pending, as a database-server crash
        # does on PostgreSQL), and three fsyncs per release are not paid for that.
        for pragma in ("journal_mode = DELETE", "synchronous = OFF", "secure_delete = ON"):
            connection.execute(f"PRAGMA {pragma}")
        connection.execute(_SIDE_SCHEMA)
        self.path, self.connection, self.pid = path, connection, os.getpid()


_side = _SideDatabase()


def _run(sql, params=()):
    """Run one statement against wherever pending keys live; return its rows.

    On SQLite each statement commits on its own (the side database is not part of
    the main transaction), which is why callers create a key before sealing under it
    and destroy keys only after the main transaction committed.
    """
    if is_sqlite():
        try:
            with _side.connected(db.obj.database) as connection:
                return connection.execute(sql.replace("%s", "?"), params).fetchall()
        except sqlite3.Error as error:
            # The same kind of error as the main database's, so callers (and the
            # views' 503 page) treat a busy or full side file like a busy database.
            raise OperationalError(f"pending keys: {error}") from error
    cursor = db.execute_sql(sql, params)
    return cursor.fetchall() if cursor.description is not None else []


def lock_pool(round_id, team_id, exclusive):
    """Order submissions and a release of one pool on PostgreSQL (SQLite writers are
    already in line): a submission takes the lock shared, a release exclusively, so
    an answer is never sealed under a key that a release is about to destroy."""
    if not is_sqlite():
        kind = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
        db.execute_sql(f"SELECT {kind}(%s, %s)", (round_id, team_id))


def current(round_id, team_id):
    """(generation, AESGCM) to seal a new pending answer of the pool with; makes the
    pool's first key when it has none. Call inside the submission's transaction,
    after lock_pool."""
    for _attempt in range(2):
        rows = _run(f"SELECT generation, key FROM {TABLE} WHERE round_id = %s "
                    "AND team_id = %s ORDER BY generation DESC LIMIT 1", (round_id, team_id))
        if rows:
            return rows[0][0], AESGCM(bytes(rows[0][1]))
        # Two first submissions of a pool may race here (both hold the shared lock):
        # the loser's insert waits for the winner's, does nothing, and reads its key.
        _insert(round_id, team_id, 1)
    raise RuntimeError(f"no pending key for round {round_id}, team {team_id}")


def new_generation(round_id, team_id):
    """Make the pool's next key; returns (generation, AESGCM). Call with the pool
    locked exclusively (a release)."""
    rows = _run(f"SELECT MAX(generation) FROM {TABLE} WHERE round_id = %s AND team_id = %s",
                (round_id, team_id))
    generation = (rows[0][0] or 0) + 1
    return generation, AESGCM(_insert(round_id, team_id, generation))


def _insert(round_id, team_id, generation):
    raw = AESGCM.generate_key(bit_length=256)
    _run(f"INSERT INTO {TABLE} (round_id, team_id, generation, key) VALUES (%s, %s, %s, %s) "
         "ON CONFLICT DO NOTHING", (round_id, team_id, generation, raw))
    return raw


def keys_of(round_id, team_id):
    """{generation: AESGCM} of every key the pool still has."""
    return {generation: AESGCM(bytes(key)) for generation, key in _run(
        f"SELECT generation, key FROM {TABLE} WHERE round_id = %s AND team_id = %s",
        (round_id, team_id))}


def destroy(round_id, team_id, below=None):
    """Destroy the pool's keys (those older than generation `below`, if given).

    Call after the transaction that released what they sealed has committed."""
    if below is None:
        _destroy("round_id = %s AND team_id = %s", (round_id, team_id))
    else:
        _destroy("round_id = %s AND team_id = %s AND generation < %s",
                 (round_id, team_id, below))


def destroy_round(round_id):
    """Destroy every pending key of a round (its close, or its data key's destruction)."""
    _destroy("round_id = %s", (round_id,))


def _destroy(where, params):
    """Delete keys so that no copy of them stays in the store's files.

    SQLite: secure_delete overwrites the deleted row in place, and the rollback
    journal that held the page is deleted at commit. PostgreSQL: a DELETE leaves the
    row as a dead tuple (kept as long as any open transaction may see it), and VACUUM
    frees its space without zeroing it; so the table is rewritten instead — the keys
    that stay are read, the table TRUNCATEd (a new, empty file; the old one is
    unlinked at commit, whatever snapshots are open) and the rest put back. The table
    holds a few rows per open round, so this costs a millisecond or two."""
    if is_sqlite():
        _run(f"DELETE FROM {TABLE} WHERE {where}", params)
        return
    with db.atomic():
        # Bounded: a session idling in a transaction must not hold a release forever.
        db.execute_sql(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
        db.execute_sql(f"LOCK TABLE {TABLE} IN ACCESS EXCLUSIVE MODE")
        kept = _run(f"SELECT round_id, team_id, generation, key FROM {TABLE} "
                    f"WHERE NOT ({where})", params)
        db.execute_sql(f"TRUNCATE {TABLE}")
        for row in kept:
            _run(f"INSERT INTO {TABLE} (round_id, team_id, generation, key) "
                 "VALUES (%s, %s, %s, %s)", row)


def rounds_with_keys():
    """Ids of the rounds that still hold a pending key (a close that stopped between
    its last release and the keys' destruction leaves some behind)."""
    return {row[0] for row in _run(f"SELECT DISTINCT round_id FROM {TABLE}")}


def pools_with_keys(round_id):
    """Team ids of the round's pools that still hold a key."""
    return {row[0] for row in _run(f"SELECT DISTINCT team_id FROM {TABLE} WHERE round_id = %s",
                                   (round_id,))}
