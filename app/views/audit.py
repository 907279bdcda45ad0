"""The audit log, for HR and admins: who hid which reply, who exported what, and when."""
from flask import Blueprint, abort, render_template

from app.accounts import audit
from app.models.org import EVERYTHING_ROLES
from app.views.access import staff
from app.views.params import query_page

bp = Blueprint("audit", __name__)


@bp.get("/audit")
@staff(*EVERYTHING_ROLES)
def index():
    page = query_page()
    entries = audit.entries(page)
    if page > 1 and not entries:
        abort(404, "There is no such page of the audit log.")
    return render_template("audit.html", entries=entries, page=page, per_page=audit.PER_PAGE,
                           details=audit.details)
