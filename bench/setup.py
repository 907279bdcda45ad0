"""A throw-away Heard instance with the demo company, for benchmarks."""
import os
import tempfile

from app import create_app, schema
from app.demo import load_demo

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
