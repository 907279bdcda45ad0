"""The WSGI entry point: `gunicorn wsgi:app`, and what `flask` finds in this folder."""
import sys

from app import StartupError, create_app

try:
    app = create_app()
except StartupError as error:
    sys.exit(f"heard: cannot start: {error}")
