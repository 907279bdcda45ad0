"""Liveness for load balancers and monitors."""
import peewee
from flask import Blueprint, jsonify

from app.db import db
from app.views.access import public

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@public
def healthz():
    """200 when the database answers, 503 when it does not."""
    try:
        db.execute_sql("SELECT 1").fetchone()
    except (peewee.OperationalError, peewee.InterfaceError):
        db.close()  # reconnect on the next request
        return jsonify(status="unavailable", database="unreachable"), 503
    return jsonify(status="ok")
