"""The embedded database's files, readable and writable by their owner only.

A copy of the database is half of what it takes to read answers (the key file is the
other half), and its write-ahead log holds what the last minutes wrote: neither is for
other accounts on the machine. SQLite creates its log (-wal), shared-memory index
(-shm) and rollback journals with the mode of the database file itself, so making
that file 0600 before SQLite first opens it covers them all; Heard's own companions
(the pending keys' side database, the writers' lock file) are made the same way.
"""
import os
import stat

from peewee import SqliteDatabase

PRIVATE = 0o600
# Made here, before SQLite or Heard opens them: the database (whose mode SQLite
# copies) and the writers' lock file (app.db opens it with Python's default mode).
CREATED = ("", "-writer.lock")
# Narrowed when found wider (a database made by an older version of Heard).
COMPANIONS = ("-wal", "-shm", "-journal", "-pending", "-pending-journal")


def private_database_files(database):
    """Create a SQLite database's files with mode 0600 if missing, and take group and
    other permissions off those that exist. Nothing for PostgreSQL or :memory:."""
    path = database.database if isinstance(database, SqliteDatabase) else None
    if not path or path == ":memory:" or path.startswith("file:"):
        return
    for suffix in CREATED:
        make_private(path + suffix, create=True)
    for suffix in COMPANIONS:
        make_private(path + suffix, create=False)


def make_private(path, create):
    """Make path (created empty with mode 0600 if `create` and missing) readable by its
    owner only. A file this user does not own, or cannot open, is left to whoever
    opens it next (SQLite then says what is wrong). Returns True if the file is private."""
    flags = os.O_RDONLY | os.O_CLOEXEC | (os.O_CREAT if create else 0)
    try:
        handle = os.open(path, flags, PRIVATE)
    except OSError:
        return False
    try:
        status = os.fstat(handle)
        mode = stat.S_IMODE(status.st_mode)
        if mode & 0o077 and status.st_uid == os.geteuid():
            os.fchmod(handle, mode & 0o700)
            mode &= 0o700
        return not mode & 0o077
    finally:
        os.close(handle)
