"""The audit log, for HR and admins: who hid which reply, who exported what, and when."""
from flask import Blueprint, abort, render_template, request

from app import audit
from app.views.access import staff

bp = Blueprint("audit", __name__)


@bp.get("/audit")
@staff("hr", "admin")
def index():
    raw = request.args.get("page", "1")
    if not raw.isdigit() or not 0 < int(raw) < 10**9:
        abort(404, "“page” must be a page number.")
    page = int(raw)
    entries = audit.entries(page)
    if page > 1 and not entries:
        abort(404, "There is no such page of the audit log.")
    return render_template("audit.html", entries=entries, page=page, per_page=audit.PER_PAGE,
                           details=audit.details)
