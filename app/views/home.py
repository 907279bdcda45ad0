"""The front door."""
from flask import Blueprint, render_template

bp = Blueprint("home", __name__)


@bp.get("/")
def index():
    """Where to go from here: employees come through their personal link."""
    return render_template("home.html")
