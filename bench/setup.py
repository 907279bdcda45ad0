"""A throw-away Heard instance with the demo company, for benchmarks."""
import argparse
import os
import tempfile

from app import create_app, schema
from app.cli.demo import load_demo

PROJECT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def demo_instance(directory=None, **config):
    """(app, directory): a migrated database with the demo company in a temp folder."""
    directory = directory or tempfile.mkdtemp(prefix="heard-bench-")
    settings = {"DATABASE_URL": f"sqlite:///{directory}/heard.db",
                "KEY_FILE": f"{directory}/heard.keys", "SECRET_KEY": "bench",
                "BASE_URL": "http://127.0.0.1"}
    settings.update(config)
    app = create_app(settings)
    with app.app_context():
        schema.upgrade()
        load_demo(app.config["SURVEYS_DIR"], app.config["MIN_GROUP"])
    return app, directory


def reset_postgres(url):
    """Drop and make again the PostgreSQL database at url."""
    import psycopg
    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')


def run_on_sqlite_and_postgres(run, doc):
    """A benchmark's main: run(database_url, directory) on a fresh SQLite database in a
    temporary folder, then, given --pg URL, on that PostgreSQL database made anew."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--pg", help="also run on this PostgreSQL database (dropped first)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="heard-bench-") as directory:
        run(f"sqlite:///{directory}/heard.db", directory)
    if args.pg:
        reset_postgres(args.pg)
        with tempfile.TemporaryDirectory(prefix="heard-bench-") as directory:
            run(args.pg, directory)
