"""CSV exports for HR (and admins, themes only): a page to choose, a POST to download.

The download is a POST with the CSRF token, since it writes to the audit log. A
problem with the choice comes back as the same page with the message (4xx), never as
an empty file.
"""
from flask import Blueprint, Response, current_app, render_template, stream_with_context
from flask_login import current_user

from app.accounts import scope
from app.errors import HeardError
from app.exports import files
from app.models import Team
from app.models.org import EVERYTHING_ROLES
from app.views.access import staff
from app.views.errors import status_of
from app.views.extensions import thresholds
from app.views.forms.exports import ExportForm
from app.views.forms.fields import first_refusal

bp = Blueprint("exports", __name__)
ROLES = EVERYTHING_ROLES


def _page(form, status=200, error=None):
    person = current_user.person
    rounds = scope.Viewer(person).closed_rounds()  # HR and admins: every closed round
    comments_allowed = current_app.config["ALLOW_COMMENT_EXPORT"] and person.is_hr
    return render_template("exports/index.html", rounds=rounds,
                           teams=Team.select().order_by(Team.path), error=error,
                           form=form, comments_allowed=comments_allowed,
                           comment_export_on=current_app.config["ALLOW_COMMENT_EXPORT"]), status


@bp.get("/exports")
@staff(*ROLES)
def index():
    return _page(ExportForm(formdata=None))


@bp.post("/exports")
@staff(*ROLES)
def download():
    form, config, person = ExportForm(), current_app.config, current_user.person
    try:
        if not form.validate():
            files.choose(*form.as_typed())  # refuses what it meets first, as typed
            raise first_refusal(form, files.ExportError)
        if form.kind.data == "comments":
            files.may_export_comments(person, config["ALLOW_COMMENT_EXPORT"])
        selection = files.choose(form.round.data, form.since.data, form.until.data,
                                 form.team.data)
        export = files.start(form.kind.data, selection, person, thresholds(),
                             excel=form.excel.data)
    except HeardError as error:  # no such round, a range that ends before it starts...
        return _page(form, status_of(error), str(error))
    return Response(stream_with_context(export.chunks), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{export.filename}"',
                             "Cache-Control": "no-store"})
