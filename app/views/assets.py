"""Static assets under names that carry a content hash, served gzip'd and immutable.

A page links `asset_url('app.css')`, which yields e.g. /static/app.3f2a9c1b0d4e.css.
Because the name changes whenever the content does, browsers may keep an asset
forever and a repeat visit downloads only the page itself.
"""
import gzip
import hashlib
import mimetypes
import os
from dataclasses import dataclass

from flask import Response, abort, request

from app.views.access import public

STATIC_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(__file__))), "static")
ONE_YEAR = 365 * 24 * 3600
COMPRESSIBLE = (".css", ".js", ".svg", ".txt")


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes | None
    mimetype: str


def _hashed_name(name, body):
    stem, ext = os.path.splitext(name)
    return f"{stem}.{hashlib.sha256(body).hexdigest()[:12]}{ext}"


def load_assets(directory=STATIC_DIR):
    """Read every file under static/ once: logical name -> (hashed name, Asset)."""
    table = {}
    for root, _dirs, files in os.walk(directory):
        for filename in sorted(files):
            path = os.path.join(root, filename)
            name = os.path.relpath(path, directory).replace(os.sep, "/")
            with open(path, "rb") as handle:
                body = handle.read()
            gzipped = gzip.compress(body, 9, mtime=0) if name.endswith(COMPRESSIBLE) else None
            mimetype = mimetypes.guess_type(name)[0] or "application/octet-stream"
            table[name] = (_hashed_name(name, body), Asset(body, gzipped, mimetype))
    return table


def init_app(app):
    table = load_assets()
    by_hashed_name = {hashed: asset for hashed, asset in table.values()}

    def asset_url(name):
        return f"/static/{table[name][0]}"

    @app.get("/static/<path:filename>", endpoint="static")
    @public
    def serve(filename):
        asset = by_hashed_name.get(filename)
        if asset is None:
            abort(404)
        response = Response(asset.body, mimetype=asset.mimetype)
        if asset.gzipped and "gzip" in request.headers.get("Accept-Encoding", ""):
            response.set_data(asset.gzipped)
            response.headers["Content-Encoding"] = "gzip"
        response.headers["Vary"] = "Accept-Encoding"
        response.headers["Cache-Control"] = f"public, max-age={ONE_YEAR}, immutable"
        return response

    app.jinja_env.globals["asset_url"] = asset_url
    app.extensions["heard_assets"] = table
