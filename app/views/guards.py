"""Checks on a request body before any form reads it."""
from urllib.parse import unquote_to_bytes

from flask import abort, request


def undecodable(body):
    """True when an urlencoded body holds a name or value that is not UTF-8."""
    if body.isascii() and b"%" not in body:
        return False  # plain ASCII with no escapes is always valid UTF-8
    for pair in body.split(b"&"):
        for part in pair.split(b"=", 1):
            try:
                unquote_to_bytes(part.replace(b"+", b" ")).decode("utf-8")
            except UnicodeDecodeError:
                return True
    return False


def init_app(app):
    @app.before_request
    def _refuse_undecodable_forms():
        # Werkzeug keeps a percent-escape that is not UTF-8 as literal text ("caf%C3");
        # a person never typed that, so refuse the form instead of storing it.
        if (request.method == "POST"
                and request.mimetype == "application/x-www-form-urlencoded"
                and undecodable(request.get_data(cache=True))):
            abort(400, "The form held bytes that are not UTF-8 text, so it cannot be "
                       "stored. Nothing was saved.")
