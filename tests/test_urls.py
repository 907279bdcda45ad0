"""Every link Heard prints or mails is built by the router (app/views/urls.py), opens the
route it names under any HEARD_BASE_URL, and is kept out of the logs by the same routes."""
import logging

import pytest

from app.accounts import credentials
from app.crypto import links
from app.logs import secret_prefixes
from app.pulse import open_links
from app.views.urls import LinkUrls
from tests.support import build_app, invitations_of

# Where an operator may put Heard: a host of its own, a port, or a path on a shared host.
BASE_URLS = ["http://heard.test", "http://127.0.0.1:5000", "https://example.com/heard"]
# The routes whose path carries a secret: a person's pulse, a poster's, a staff sign-in.
SECRET_ROUTES = {"employee.open_link", "open_pulse.open_link", "auth.open_link"}


def route_of(app, base_url, url):
    """(endpoint, arguments) the app answers `url` with when mounted at base_url; fails
    the test when the link leaves the app's address or no route takes it."""
    assert url.startswith(base_url + "/"), f"{url} is not under {base_url}"
    return app.url_map.bind("any.host").match(url[len(base_url):])


@pytest.fixture
def made(app, make_round, make_staff):
    """An invitation, a poster's open link and a staff sign-in token, with the tokens
    each should open."""
    round_ = make_round()
    invitation = invitations_of(round_)[0]
    hr = make_staff("hr")
    link = open_links.create("Acme", "Pulse for Acme", hr)
    token = credentials.create_sign_in_link(hr, 15)
    return {"invitation": invitation, "link": link, "token": token, "hr": hr,
            "personal_token": links.token_for(invitation.salt),
            "poster_token": open_links.token_of_salt(link.salt)}


@pytest.mark.parametrize("base_url", BASE_URLS)
def test_each_printed_or_mailed_link_opens_its_route_under_any_base_url(app, made, base_url):
    urls = LinkUrls(app.url_map, base_url)
    built = {
        "employee.open_link": (urls.personal(made["invitation"]), made["personal_token"]),
        "open_pulse.open_link": (urls.open_link(made["link"]), made["poster_token"]),
        "auth.open_link": (urls.sign_in(made["token"]), made["token"]),
    }
    assert set(built) == SECRET_ROUTES
    for endpoint, (url, token) in built.items():
        assert route_of(app, base_url, url) == (endpoint, {"token": token})
    # and each token is the one that opens what the link promises
    assert links.invitation_for_token(made["personal_token"]) == made["invitation"]
    assert open_links.link_for_token(made["poster_token"]) == made["link"]
    assert credentials.check_sign_in_link(made["token"]) == made["hr"]


def test_a_builder_that_disagrees_with_its_route_is_caught(app, made):
    """What the check above catches: a link glued together by hand that forgets the path
    Heard is mounted at, or names a route that does not exist."""
    base_url, token = "https://example.com/heard", made["token"]
    with pytest.raises(AssertionError):
        route_of(app, base_url, f"https://example.com/signin/link/{token}")
    with pytest.raises(Exception, match="404"):
        route_of(app, base_url, f"{base_url}/signin/{token}")


def test_the_app_mails_and_prints_links_under_its_base_url(tmp_path):
    """create_app binds the builders to HEARD_BASE_URL, trailing slash or not."""
    app = build_app(tmp_path, BASE_URL="https://example.com/heard/")
    with app.app_context():
        sign_in = app.extensions["heard_urls"].sign_in("T" * 43)
    assert sign_in == "https://example.com/heard/signin/link/" + "T" * 43


def test_every_route_with_a_token_is_marked_secret(app):
    """A new link route that forgot the mark would go to the logs unredacted."""
    marked = {rule.endpoint for rule in app.url_map.iter_rules() if "<secret:" in rule.rule}
    with_token = {rule.endpoint for rule in app.url_map.iter_rules()
                  if "token" in rule.arguments}
    assert marked == with_token == SECRET_ROUTES


@pytest.mark.parametrize("mount", ["", "/heard"])
def test_a_request_line_for_each_secret_route_is_redacted(app, caplog, mount):
    caplog.set_level(logging.INFO, logger="werkzeug")
    token = "Zq9" + "A" * 40
    paths = [rule.rule.replace("<secret:token>", token)
             for rule in app.url_map.iter_rules() if rule.endpoint in SECRET_ROUTES]
    assert len(paths) == len(SECRET_ROUTES)
    for path in paths:
        logging.getLogger("werkzeug").info('"GET %s%s?x=1 HTTP/1.1" 303 -', mount, path)
    assert token not in caplog.text
    assert caplog.text.count("[redacted]?x=1") == len(SECRET_ROUTES)


def test_the_redaction_is_read_from_the_routes():
    assert secret_prefixes(["/p/<secret:token>", "/board/<id:thread_id>",
                            "/x/<secret:code>/more"]) == ["/p/", "/x/"]


def test_a_secret_after_a_variable_part_is_refused_not_logged():
    """'/x/<id:n>/<secret:t>' would give a prefix no log line holds: refuse the route."""
    with pytest.raises(ValueError, match="fixed text"):
        secret_prefixes(["/x/<id:n>/<secret:token>"])
