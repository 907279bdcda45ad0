"""The front door."""
from flask import Blueprint, render_template

from app.views.access import public

bp = Blueprint("home", __name__)


@bp.get("/")
@public
def index():
    """Where to go from here: employees come through their personal link."""
    return render_template("home.html")
