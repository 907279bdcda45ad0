"""Keeping the database files from remembering what the anonymity rules forget.

A database keeps more than its rows: SQLite's write-ahead log holds old versions of
pages until a checkpoint, and both engines lay rows out in the order they were written
(byte offsets inside a SQLite page, ctids on PostgreSQL) whatever the primary key
says. Released answers leave the log here, and after a round closes the tables that
arrival order could describe are rebuilt in key order.
"""
import logging
import time

from peewee import OperationalError

from app.db import SQLITE_PRAGMAS, db, is_sqlite, writers_waiting

log = logging.getLogger(__name__)

# Rewritten in primary-key order (random ids, or round and person) after a close;
# `post` too, since anonymous replies otherwise sit in the order they arrived.
REBUILT_TABLES = ("participation", "pending_answer", "response", "comment", "comment_theme",
                  "answer_count", "team_tally", "post")


# A release checkpoints unless this worker did less than this long ago: on a quiet
# server that is every release; under load each checkpoint costs fsyncs (about a
# sixth of the submission rate at one per release), and what it would clear sooner
# is sealed under pending keys that the release has already destroyed.
CHECKPOINT_EVERY_SECONDS = 1.0
_last_checkpoint = [float("-inf")]


def checkpoint_after_release():
    """checkpoint(), unless this worker did one less than CHECKPOINT_EVERY_SECONDS ago."""
    if time.monotonic() - _last_checkpoint[0] >= CHECKPOINT_EVERY_SECONDS:
        checkpoint()


def checkpoint(wait=False):
    """Fold SQLite's write-ahead log into the database and empty it.

    After a release, so the log stops holding the frames in which an answer arrived
    beside its participation row; after the board forgets a day, so it stops holding
    that day's secret. Without `wait` it never blocks a busy server: it does what it
    can, and a later one (or the close, which waits) does the rest.
    """
    if not is_sqlite():
        return
    if wait:
        db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        return
    _last_checkpoint[0] = time.monotonic()
    db.execute_sql("PRAGMA busy_timeout = 0")
    try:
        db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.execute_sql(f"PRAGMA busy_timeout = {SQLITE_PRAGMAS['busy_timeout']}")


def rebuild():
    """Rewrite what arrival order could describe, once a round has closed.

    SQLite: VACUUM rebuilds every table in key order and drops free pages; the log is
    emptied before and after. PostgreSQL: CLUSTER rewrites the anonymous tables and
    participation in key order into new files (dead tuples and old ctids go with the
    old ones). Returns False when it could not run now (another connection busy): the
    next close rebuilds everything again.
    """
    try:
        if is_sqlite():
            with writers_waiting():
                checkpoint(wait=True)
                db.execute_sql("VACUUM")
                checkpoint(wait=True)
        else:
            for table in REBUILT_TABLES:
                db.execute_sql(f'CLUSTER "{table}" USING "{table}_pkey"')
    except OperationalError as error:
        log.warning("storage rebuild postponed: %s", error)
        return False
    return True
