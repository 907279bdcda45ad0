"""Open links for HR and admins: make one for a team subtree, print its QR code, revoke.
"""
from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_login import current_user

from app.models import OpenLink, Team
from app.models.org import EVERYTHING_ROLES
from app.pulse import open_links
from app.views.access import staff
from app.views.extensions import urls
from app.views.forms.delivery import OpenLinkForm
from app.views.params import use_converters

bp = Blueprint("open_links", __name__)
use_converters(bp)
ROLES = EVERYTHING_ROLES


def _page(form, status=200, error=None):
    return render_template("open_links/index.html", links=open_links.listing(), error=error,
                           form=form.offer(Team.select().order_by(Team.path)),
                           url_of=urls().open_link), status


def _link(link_id):
    link = OpenLink.get_or_none(OpenLink.id == link_id)
    if link is None:
        abort(404, "There is no such open link.")
    return link


@bp.get("/open-links")
@staff(*ROLES)
def index():
    return _page(OpenLinkForm(formdata=None))


@bp.post("/open-links")
@staff(*ROLES)
def create():
    form = OpenLinkForm()
    form.validate()  # it only types: what is wrong, open_links.create says
    try:
        link = open_links.create(form.team.data, form.label.data, current_user.person)
    except open_links.OpenLinkError as error:
        return _page(form, 422, str(error))
    return redirect(url_for("open_links.poster", link_id=link.id), 303)


@bp.get("/open-links/<id:link_id>")
@staff(*ROLES)
def poster(link_id):
    """A page to print: the title, the QR code, and the address for typing."""
    link = _link(link_id)
    return render_template("open_links/poster.html", link=link,
                           url=urls().open_link(link))


@bp.get("/open-links/<id:link_id>/qr.svg")
@staff(*ROLES)
def qr_code(link_id):
    link = _link(link_id)
    svg = open_links.qr_svg(urls().open_link(link), link.label)
    download = request.args.get("download") == "1"
    return Response(svg, mimetype="image/svg+xml", headers={
        "Content-Disposition": f'{"attachment" if download else "inline"}; '
                               f'filename="heard-open-link-{link.id}.svg"',
        "Cache-Control": "private, no-store"})


@bp.post("/open-links/<id:link_id>/revoke")
@staff(*ROLES)
def revoke(link_id):
    link = _link(link_id)
    if link.revoked_at is None:
        open_links.revoke(link, current_user.person)
    return redirect(url_for("open_links.index"), 303)
