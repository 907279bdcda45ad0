"""Security headers on every response, cookies fit for HTTPS, Fetch Metadata checks on
state-changing requests, and gzip for pages."""
import gzip
import logging
import sys

from flask import abort, request

from app.accounts import security_events

# Everything is served by us; htmx runs with eval and script tags off (see base.html),
# so no 'unsafe-inline' or 'unsafe-eval' is needed anywhere.
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
))
GZIP_MIN_BYTES = 1024
HSTS = "max-age=31536000; includeSubDomains"
# The __Host- prefix makes a browser refuse the cookie unless it is Secure, has Path=/
# and no Domain: no sibling subdomain can set or shadow it. Only over HTTPS.
SECURE_COOKIE_NAME = "__Host-heard"
STATE_CHANGING = ("POST", "PUT", "PATCH", "DELETE")


def _https(app):
    return app.config["BASE_URL"].startswith("https://")


def init_app(app):
    if _https(app):
        app.config.update(SESSION_COOKIE_SECURE=True, SESSION_COOKIE_NAME=SECURE_COOKIE_NAME,
                          SESSION_COOKIE_PATH="/", SESSION_COOKIE_DOMAIN=None)
    _log_security_events()

    @app.before_request
    def _refuse_cross_site():
        # Fetch Metadata: a browser says where a request came from. A form on another
        # site posting here says "cross-site"; same-origin, same-site, "none" (typed,
        # bookmarked) and clients that send no such header (older browsers, curl) pass,
        # the CSRF token still guarding them.
        if (request.method in STATE_CHANGING
                and request.headers.get("Sec-Fetch-Site") == "cross-site"):
            security_events.record("cross_site.refused", endpoint=request.endpoint)
            abort(403, "This form was sent from another website, so Heard refused it. "
                       "Nothing was saved. Open Heard itself and send it from there.")

    @app.after_request
    def _headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        # A personal link's token must never travel on in a Referer header.
        headers.setdefault("Referrer-Policy", "no-referrer")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if _https(app):
            headers.setdefault("Strict-Transport-Security", HSTS)
        if response.mimetype == "text/html":
            headers.setdefault("Cache-Control", "no-store")
            _gzip_page(response)
        return response


def _log_security_events():
    """Security events go to standard error, one JSON line each, unless the operator's
    logging configuration already handles them."""
    logger = logging.getLogger(security_events.LOGGER)
    logger.setLevel(logging.INFO)
    if not logger.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)


def _gzip_page(response):
    # Pages reflect no text an outside attacker chooses, so compressing them next to
    # the CSRF token offers no BREACH oracle.
    if (response.direct_passthrough or response.status_code < 200
            or "Content-Encoding" in response.headers
            or "gzip" not in request.headers.get("Accept-Encoding", "")):
        return
    body = response.get_data()
    if len(body) < GZIP_MIN_BYTES:
        return
    response.set_data(gzip.compress(body, 6))
    response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
