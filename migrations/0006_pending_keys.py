"""Pending keys on PostgreSQL: an UNLOGGED table, so a pool's key is never written to
the WAL (nor to WAL archives or replicas) and dies with the pool it sealed.

On SQLite the keys live in a side database next to the main file (app.crypto.pending_keys),
created on first use; nothing to do here. Pending answers already in the pool were
sealed under the round's data key and are opened that way once (app.pulse.releases)."""


def up(migrator, db):
    if db.__class__.__name__.startswith("Postgres"):
        db.execute_sql("CREATE UNLOGGED TABLE IF NOT EXISTS pending_key ("
                       "round_id INTEGER NOT NULL, team_id INTEGER NOT NULL, "
                       "generation INTEGER NOT NULL, key BYTEA NOT NULL, "
                       "PRIMARY KEY (round_id, team_id, generation))")


def down(migrator, db):
    if db.__class__.__name__.startswith("Postgres"):
        db.execute_sql("DROP TABLE IF EXISTS pending_key")
