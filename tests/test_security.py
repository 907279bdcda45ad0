"""Headers, escaping and assets: what a browser is told on every response."""
import gzip
import re

from app.security import CONTENT_SECURITY_POLICY
from tests.conftest import answer, invitations_of, open_pulse


def test_every_page_carries_a_strict_content_security_policy(client, make_round):
    invitation = invitations_of(make_round())[0]
    open_pulse(client, invitation)
    for path in ("/", "/pulse", "/nothing-here", "/p/" + "x" * 43):
        response = client.get(path)
        assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "unsafe" not in CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY


def test_pages_are_not_cached_but_assets_are_immutable(client):
    page = client.get("/")
    assert page.headers["Cache-Control"] == "no-store"
    css = re.search(r'href="(/static/app\.[0-9a-f]{12}\.css)"', page.get_data(as_text=True))
    asset = client.get(css.group(1), headers={"Accept-Encoding": "gzip"})
    assert asset.status_code == 200
    assert "immutable" in asset.headers["Cache-Control"]
    assert asset.headers["Content-Encoding"] == "gzip"
    assert b":root" in gzip.decompress(asset.get_data())


def test_an_asset_name_without_its_current_hash_is_not_served(client):
    assert client.get("/static/app.css").status_code == 404
    assert client.get("/static/app.000000000000.css").status_code == 404
    assert client.get("/static/../app/__init__.py").status_code == 404


def test_pages_are_gzipped_for_browsers_that_ask(client, make_round):
    invitation = invitations_of(make_round())[0]
    open_pulse(client, invitation)
    response = client.get("/pulse", headers={"Accept-Encoding": "gzip, br"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert b"Weekly pulse" in gzip.decompress(response.get_data())


def test_a_comment_with_markup_is_shown_back_escaped(client, make_round):
    from tests.conftest import csrf_token, form_answers
    round_ = make_round()
    html = open_pulse(client, invitations_of(round_)[0])
    data = form_answers(round_, csrf_token=csrf_token(html),
                        q_one_thing='<script>alert(1)</script><b hx-get="/x">' + "x" * 2000)
    del data["q_enps"]
    body = client.post("/pulse", data=data).get_data(as_text=True)
    assert "<script>alert(1)" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;b hx-get=" in body


def test_a_pulse_session_expires_on_the_server_side(app, client, make_round):
    invitation = invitations_of(make_round())[0]
    open_pulse(client, invitation)
    with client.session_transaction() as session:
        session["pulse"] = dict(session["pulse"], until=0)
    response = client.get("/pulse")
    assert response.status_code == 404
    assert "This page has timed out" in response.get_data(as_text=True)
    assert "timed out" not in client.get("/pulse").get_data(as_text=True)  # session gone


def test_the_session_cookie_is_http_only_and_same_site(client, make_round):
    invitation = invitations_of(make_round())[0]
    from tests.conftest import personal_path
    response = client.get(personal_path(invitation))
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_answered_people_are_not_listed_anywhere_in_a_page(client, make_round):
    round_ = make_round()
    invitations = invitations_of(round_)
    answer(invitations[0])
    html = open_pulse(client, invitations[1])
    assert invitations[0].person.name not in html and invitations[0].person.email not in html
