"""The database handle every model binds to, and how a URL becomes a database."""
import fcntl
import threading
from contextlib import contextmanager
from urllib.parse import urlsplit

from peewee import DatabaseProxy, PostgresqlDatabase, SqliteDatabase

db = DatabaseProxy()

# Durable and safe defaults for the embedded database. secure_delete overwrites the
# bytes of deleted rows, so a released pending answer leaves no copy in free pages.
SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "synchronous": "full",
    "foreign_keys": 1,
    "busy_timeout": 10_000,
    "secure_delete": 1,
}


class DatabaseURLError(ValueError):
    """HEARD_DATABASE_URL names something Heard cannot use."""


def database_from_url(url):
    """Return an unconnected peewee database for a sqlite:/// or postgresql:// URL."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        path = url[len("sqlite:///"):] if url.startswith("sqlite:///") else ""
        if not path:
            raise DatabaseURLError(f"HEARD_DATABASE_URL is {url!r}; expected "
                                   "sqlite:///path/to/file.db")
        # IMMEDIATE: a write transaction takes the lock up front, so two writers
        # queue on busy_timeout instead of failing with "database is locked".
        return SqliteDatabase(path, pragmas=SQLITE_PRAGMAS, lock_type="IMMEDIATE")
    if parts.scheme in ("postgresql", "postgres"):
        if not parts.path.strip("/"):
            raise DatabaseURLError(f"HEARD_DATABASE_URL is {url!r}; the PostgreSQL URL names "
                                   "no database")
        return PostgresqlDatabase(url, prefer_psycopg3=True)
    raise DatabaseURLError(
        f"HEARD_DATABASE_URL is {url!r}; it must start with sqlite:/// or postgresql://")


def is_sqlite():
    """True when the bound database is SQLite."""
    return isinstance(db.obj, SqliteDatabase)


class Statement:
    """A fixed-shape query whose SQL text is written once per worker and database.

    peewee takes far longer to write a statement's SQL than SQLite takes to run it; for
    the few statements every submission runs, the text is kept and only the values
    change. build(*values) must give SQL whose parameters are exactly those values, in
    order: checked when the text is written, so a mismatch fails loudly, never quietly.
    """

    def __init__(self, build):
        self.build, self.sql, self.database = build, None, None

    def execute(self, *values):
        if self.database is not db.obj:
            sql, params = self.build(*values).sql()
            if [_plain(param) for param in params] != list(values):
                raise ValueError(f"the parameters of {sql!r} are not its values")
            self.sql, self.database = sql, db.obj
        return db.execute_sql(self.sql, values)


def _plain(param):
    """A query parameter as the value it wraps (drivers wrap bytes for BLOB columns)."""
    param = getattr(param, "obj", param)
    return bytes(param) if isinstance(param, (memoryview, bytearray)) else param


class _WriterQueue:
    """Makes SQLite writers of every worker process wait in line on an OS file lock.

    Without it, a writer that finds the database locked is put to sleep by SQLite's
    busy handler for 1, 2, 5… ms and polls again, leaving its worker idle after the
    lock is long free. flock() wakes the next writer the moment the lock is released.
    """

    def __init__(self):
        self.path, self.handle = None, None
        # Reentrant: a close holds the line for all its releases, each of which asks
        # for it again in the same thread.
        self.threads = threading.RLock()
        self.depth = 0

    @contextmanager
    def held(self, database_path):
        with self.threads:
            if self.depth:
                self.depth += 1
                try:
                    yield
                finally:
                    self.depth -= 1
                return
            if self.path != database_path:
                if self.handle:
                    self.handle.close()
                self.handle = open(database_path + "-writer.lock", "a+b")  # kept open: one lock file per worker
                self.path = database_path
            fcntl.flock(self.handle, fcntl.LOCK_EX)
            self.depth = 1
            try:
                yield
            finally:
                self.depth = 0
                fcntl.flock(self.handle, fcntl.LOCK_UN)


_writers = _WriterQueue()


@contextmanager
def write_transaction():
    """A write transaction for the busy paths (submissions, releases)."""
    if not is_sqlite():
        with db.atomic():
            yield
        return
    with _writers.held(db.obj.database), db.atomic():
        yield


@contextmanager
def writers_waiting():
    """Keep SQLite's writers of every worker in line, without a transaction: for work
    that cannot run inside one (VACUUM), or that must not interleave with other
    writers across several transactions (a close). Nothing on PostgreSQL."""
    if not is_sqlite():
        yield
        return
    with _writers.held(db.obj.database):
        yield


@contextmanager
def only_one(key):
    """Run a multi-transaction job (a round's close) in one worker or tick at a time.

    Yields True for the one that may go on, False for one that found it running
    elsewhere (it should skip: the other does the work). SQLite: the writers' line,
    held throughout. PostgreSQL: a session advisory lock on one 64-bit key (a key
    space apart from the two-number locks of app.crypto.pending_keys)."""
    if is_sqlite():
        with writers_waiting():
            yield True
        return
    if not db.execute_sql("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()[0]:
        yield False
        return
    try:
        yield True
    finally:
        db.execute_sql("SELECT pg_advisory_unlock(%s)", (key,))
