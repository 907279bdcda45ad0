"""Migrations produce exactly the models' schema, on SQLite and on PostgreSQL."""
from playhouse.schema_diff import diff_models

from app import schema
from app.db import db, is_sqlite
from app.models import ALL_MODELS


def describe_schema():
    """Every table's columns (name, type, null, pk), indexes, foreign keys and options."""
    database = db.obj
    description = {}
    for table in sorted(t for t in database.get_tables() if t != "schema_migration"):
        description[table] = {
            "columns": sorted((c.name, c.data_type.lower(), c.null, c.primary_key)
                              for c in database.get_columns(table)),
            "indexes": sorted((tuple(i.columns), i.unique)
                              for i in database.get_indexes(table)),
            "foreign_keys": sorted((f.column, f.dest_table, f.dest_column)
                                   for f in database.get_foreign_keys(table)),
        }
        if is_sqlite():
            sql = database.execute_sql(
                "SELECT sql FROM sqlite_master WHERE type='table' AND name=?", (table,)
            ).fetchone()[0]
            description[table]["without_rowid"] = sql.rstrip().upper().endswith("WITHOUT ROWID")
    return description


def test_migrations_produce_exactly_the_models_schema(app):
    assert not diff_models(db.obj, list(ALL_MODELS))
    migrated = describe_schema()
    db.obj.drop_tables(list(ALL_MODELS))
    db.obj.create_tables(list(ALL_MODELS))
    assert describe_schema() == migrated


def unlogged_tables():
    """PostgreSQL tables kept out of the WAL (pending and reaction keys); none on SQLite."""
    if is_sqlite():
        return set()
    return {row[0] for row in db.execute_sql(
        "SELECT relname FROM pg_class WHERE relpersistence = 'u' AND relkind = 'r' "
        "AND relnamespace = 'public'::regnamespace")}


def test_migrations_go_all_the_way_down_and_up_again_to_the_models_schema(app):
    """Every down() undoes its up(): an upgrade can be rolled back in production, and
    applied again, without leaving a table, column or index behind or missing."""
    migrated, unlogged = describe_schema(), unlogged_tables()
    names = [migration.name for migration in schema.runner().status()]
    assert schema.downgrade() == names[::-1]
    assert db.obj.get_tables() == ["schema_migration"] and unlogged_tables() == set()
    assert schema.pending() == names
    assert schema.upgrade() == names
    assert not diff_models(db.obj, list(ALL_MODELS))
    assert describe_schema() == migrated
    assert unlogged_tables() == unlogged == (set() if is_sqlite() else {"pending_key",
                                                                        "reaction_key"})


def test_upgrade_twice_applies_nothing_the_second_time(app):
    assert schema.upgrade() == []
    assert schema.pending() == []


def test_the_anonymous_tables_are_without_rowid_on_sqlite(app):
    if not is_sqlite():
        return
    described = describe_schema()
    assert {name for name, table in described.items() if table["without_rowid"]} == {
        "pending_answer", "response", "comment", "comment_theme", "participation", "post", "reaction_mark",
        "browser_session"}
