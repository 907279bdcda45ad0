"""Keep link tokens (personal pulse links, open links, staff sign-in links) out of every log,
whoever writes the line.

Which paths carry a token is read from the routes, not kept here: every route whose
path has a `<secret:…>` segment (app/views/params.py) is redacted, so a new link route
is covered the day it is added, and a moved one stays covered.
"""
import logging
import re

SECRET = "secret"  # the converter that marks a path segment as a secret
_SECRET_SEGMENT = re.compile(r"<%s:\w+>" % SECRET)
# The servers that log request lines: Flask's development server and gunicorn.
REQUEST_LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error")


def secret_prefixes(rules):
    """The fixed part before the secret of every rule that has one:
    '/p/<secret:token>' gives '/p/'."""
    prefixes = sorted({rule[:found.start()] for rule in rules
                       if (found := _SECRET_SEGMENT.search(rule))})
    for prefix in prefixes:
        # A log line holds the path as sent, never '<id:n>': such a prefix would match
        # nothing, and the secret after it would be logged.
        if "<" in prefix:
            raise ValueError(f"a secret route must start with fixed text: {prefix}")
    return prefixes


class RedactTokens(logging.Filter):
    """Rewrite /p/<token> as /p/[redacted] (and so for every prefix given) in a record
    before any handler sees it."""

    def __init__(self, prefixes):
        super().__init__()
        self.prefixes = tuple(prefixes)
        # The whole segment goes, whatever it holds: the route takes any segment there.
        self.pattern = re.compile(
            "(%s)[^/\\s?#\"']+" % "|".join(re.escape(prefix) for prefix in self.prefixes))

    def filter(self, record):
        message = record.getMessage()
        if any(prefix in message for prefix in self.prefixes):
            record.msg, record.args = self.pattern.sub(r"\1[redacted]", message), ()
        return True


def init_app(app):
    """Redact the app's secret routes in the request loggers and the app's own; call it
    once the routes are registered."""
    redact = RedactTokens(secret_prefixes(rule.rule for rule in app.url_map.iter_rules()))
    for logger in [logging.getLogger(name) for name in REQUEST_LOGGERS] + [app.logger]:
        for old in [f for f in logger.filters if isinstance(f, RedactTokens)]:
            logger.removeFilter(old)  # an app built before in this process
        logger.addFilter(redact)
