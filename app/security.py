"""Security headers on every response, and gzip for pages."""
import gzip

from flask import request

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


def init_app(app):
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
        if app.config["BASE_URL"].startswith("https://"):
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if response.mimetype == "text/html":
            headers.setdefault("Cache-Control", "no-store")
            _gzip_page(response)
        return response


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
