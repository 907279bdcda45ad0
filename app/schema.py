"""Schema changes, only through the numbered migrations in migrations/."""
import os

from playhouse.migrations import Runner

from app.db import db

MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations")


def runner():
    return Runner(db.obj, MIGRATIONS_DIR)


def upgrade():
    """Apply every pending migration in order. Returns the names applied."""
    return runner().up()


def downgrade(target=None):
    """Revert applied migrations, newest first, back through `target` (default: all of
    them, leaving only the migrations' history table). Returns the names reverted."""
    applied = [m.name for m in runner().status() if m.applied]
    if not applied:
        return []
    return runner().down(target or applied[0])


def pending():
    """Names of migrations not applied yet."""
    return [m.name for m in runner().status() if not m.applied and m.path]
