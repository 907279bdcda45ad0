"""Keep link tokens (personal pulse links, open links, staff sign-in links) out of every log,
whoever writes the line."""
import logging
import re

TOKEN_IN_PATH = re.compile(r"(/p/|/o/|/signin/link/)[A-Za-z0-9_-]+")
MARKERS = ("/p/", "/o/", "/signin/link/")
# The servers that log request lines: Flask's development server and gunicorn.
REQUEST_LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error")


class RedactTokens(logging.Filter):
    """Rewrite /p/<token> as /p/[redacted] (and /o/<token>, /signin/link/<token>
    likewise) in a record before any handler sees it."""

    def filter(self, record):
        message = record.getMessage()
        if any(marker in message for marker in MARKERS):
            record.msg, record.args = TOKEN_IN_PATH.sub(r"\1[redacted]", message), ()
        return True


def init_app(app):
    redact = RedactTokens()
    for name in REQUEST_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(redact)
    app.logger.addFilter(redact)
