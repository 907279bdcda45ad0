"""Every error a person can meet gets a plain page (or fragment) that says what to do."""
import traceback

import peewee
from flask import current_app, request
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from app import errors
from app.accounts import security_events
from app.views.rendering import render

# The one place a refusal gets its HTTP status. Business modules raise their own named
# errors, each a subclass of one kind of app.errors, so every one of them is mapped here.
STATUSES = {
    errors.Invalid: 422,     # the form or query says why; fix it and send again
    errors.NotFound: 404,
    errors.NotAllowed: 403,
    errors.Conflict: 409,    # fine as typed, but not now: already done, overlapping
}

MESSAGES = {
    400: ("Something in that request was not right", None),
    404: ("This page does not exist", "Check the address, or open the link you were sent again."),
    405: ("That is not how this page is used", "Go back and use the buttons on the page."),
    413: ("That was too much to send", "Answers are limited to 64 kB in all; please shorten "
          "your comments and send again."),
    429: ("Too many tries", "Please wait a minute and try again."),
    500: ("Something went wrong on our side", "Nothing you did caused this. Please try again "
          "in a moment."),
}


def status_of(error):
    """The HTTP status of a refusal: of its kind in STATUSES (a view that shows the
    message in its own page, beside the form, asks here too)."""
    return next(STATUSES[kind] for kind in type(error).__mro__ if kind in STATUSES)


def render_problem(status, title, detail):
    return render("errors/problem.html", "errors/partials/problem.html", status,
                  title=title, detail=detail, code=status)


def init_app(app):
    @app.errorhandler(CSRFError)
    def _csrf(error):
        security_events.record("csrf.failed", endpoint=request.endpoint)
        return render_problem(400, "This form has expired",
                              "For your safety, forms only work from this site and for a "
                              "limited time. Reload the page and send it again.")

    @app.errorhandler(RateLimitExceeded)
    def _too_many(error):
        if error.limit.error_message:  # a limit that explains itself (anonymous replies)
            return render_problem(429, "Please slow down", error.description)
        return render_problem(429, "Too many tries",
                              "There were too many failed attempts for this account or from "
                              "this network. For the account's safety, wait 15 minutes and "
                              "try again, or ask for a sign-in link.")

    @app.errorhandler(errors.HeardError)
    def _refused(error):
        """A refusal no view shows in a page of its own: the problem page, titled as
        for the same status from abort(), with the business module's sentence."""
        status = status_of(error)
        title, detail = MESSAGES.get(status, (HTTP_STATUS_CODES[status], None))
        return render_problem(status, title, str(error) or detail)

    @app.errorhandler(peewee.OperationalError)
    @app.errorhandler(peewee.InterfaceError)
    def _database_unavailable(error):
        current_app.logger.error("database unavailable: %s", type(error).__name__)
        return render_problem(503, "Heard cannot reach its database right now",
                              "Nothing was saved. Please try again in a minute.")

    @app.errorhandler(HTTPException)
    def _http(error):
        title, detail = MESSAGES.get(error.code, (error.name, None))
        if error.description and error.description != type(error).description:
            detail = error.description  # a message written for this very case
        return render_problem(error.code, title, detail or error.description)

    @app.errorhandler(Exception)
    def _unexpected(error):
        # The type and the stack only: an exception's message may quote what a person typed.
        current_app.logger.error("unhandled %s\n%s", type(error).__name__,
                                 "".join(traceback.format_tb(error.__traceback__)))
        title, detail = MESSAGES[500]
        return render_problem(500, title, detail)
