"""Every link Heard prints or mails, built by the router from HEARD_BASE_URL: a personal
link (/p/), a poster's open link (/o/) and a staff sign-in link (/signin/link/).

Built with the app's url_map bound to HEARD_BASE_URL rather than with url_for(...,
_external=True): invitations leave from `flask rounds tick`, where there is no request,
and a poster printed from a page must carry the public address even when the request
reached the app under another name (a proxy, 127.0.0.1). Business code that mails or
prints a link is handed this object; it imports no Flask.
"""
from urllib.parse import urlsplit

from app.crypto import links
from app.pulse import open_links


class LinkUrls:
    """The link builders of one app: each names the route its link opens."""

    def __init__(self, url_map, base_url):
        parts = urlsplit(base_url)
        # A BASE_URL with a path (https://example.com/heard) is where the app is mounted:
        # the script name every built link starts with.
        self._router = url_map.bind(parts.netloc, script_name=parts.path or "/",
                                    url_scheme=parts.scheme or "http")

    def personal(self, invitation):
        """The personal link of an invitation (its token derived again from the salt)."""
        return self._build("employee.open_link", links.token_for(invitation.salt))

    def open_link(self, link):
        """The address an open link's poster carries."""
        return self._build("open_pulse.open_link", open_links.token_of_salt(link.salt))

    def sign_in(self, token):
        """A staff sign-in link for a token from credentials.create_sign_in_link."""
        return self._build("auth.open_link", token)

    def _build(self, endpoint, token):
        return self._router.build(endpoint, {"token": token}, force_external=True)


def init_app(app):
    """Bind the builders once the routes are registered."""
    app.extensions["heard_urls"] = LinkUrls(app.url_map, app.config["BASE_URL"])
