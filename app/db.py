"""The database handle every model binds to, and how a URL becomes a database."""
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
            raise DatabaseURLError(f"expected sqlite:///path/to/file.db, got {url!r}")
        # IMMEDIATE: a write transaction takes the lock up front, so two writers
        # queue on busy_timeout instead of failing with "database is locked".
        return SqliteDatabase(path, pragmas=SQLITE_PRAGMAS, lock_type="IMMEDIATE")
    if parts.scheme in ("postgresql", "postgres"):
        if not parts.path.strip("/"):
            raise DatabaseURLError(f"the PostgreSQL URL names no database: {url!r}")
        return PostgresqlDatabase(url, prefer_psycopg3=True)
    raise DatabaseURLError(
        f"HEARD_DATABASE_URL must start with sqlite:/// or postgresql://, got {url!r}")


def is_sqlite():
    """True when the bound database is SQLite."""
    return isinstance(db.obj, SqliteDatabase)


def checkpoint():
    """Fold the SQLite write-ahead log back into the database and empty it.

    Called after a batch release so that the log no longer holds the order in which
    answers arrived. A busy database skips it; the next release tries again.
    """
    if is_sqlite():
        db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
