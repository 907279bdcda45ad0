"""Headers, escaping and assets: what a browser is told on every response."""
import gzip
import re
from datetime import UTC

import pytest

from app.views.security_headers import CONTENT_SECURITY_POLICY
from tests.support import (
    STAFF_PASSWORD, answer, build_app, csrf_token, form_answers, invitations_of, open_pulse,
    personal_path, sign_in)


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
    response = client.get(personal_path(invitation))
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_answered_people_are_not_listed_anywhere_in_a_page(client, make_round):
    round_ = make_round()
    invitations = invitations_of(round_)
    answer(invitations[0])
    html = open_pulse(client, invitations[1])
    assert invitations[0].person.name not in html and invitations[0].person.email not in html


# -- cookies and HSTS behind HTTPS (V3) ----------------------------------------------------

def test_behind_https_the_cookie_is_secure_host_only_and_hsts_covers_subdomains(tmp_path):
    from app.db import db
    app = build_app(tmp_path, BASE_URL="https://heard.example", REQUIRE_MFA=False)
    client = app.test_client()
    page = client.get("/signin", base_url="https://heard.example")
    cookie = page.headers["Set-Cookie"]
    assert cookie.startswith("__Host-heard=")
    assert "Secure" in cookie and "Path=/" in cookie and "Domain" not in cookie
    assert page.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    db.close()


def test_over_plain_http_the_demo_cookie_still_works(client):
    page = client.get("/signin")
    cookie = page.headers["Set-Cookie"]
    assert cookie.startswith("session=") and "Secure" not in cookie
    assert "Strict-Transport-Security" not in page.headers


# -- where a sign-in may lead (V2) ---------------------------------------------------------

OFF_SITE = ["/%09/evil.example", "/%0A/x", "/%0D%0ASet-Cookie:%20a=b", "//evil.example",
            "/%5Cevil.example", "%5C%5Cevil.example", "https://evil.example/",
            "/%09%09/evil.example", "javascript:alert(1)", "/%E2%80%AE/x", "/%C2%85/x"]


@pytest.mark.parametrize("target", OFF_SITE)
def test_next_never_leaves_the_site_even_when_disguised(app, make_staff, target):
    client = app.test_client()
    sign_in(client, make_staff())
    response = client.get("/signin?next=" + target)
    assert response.status_code == 303
    assert response.headers["Location"] == "/themes"


@pytest.mark.parametrize("target", OFF_SITE)
def test_a_disguised_next_is_not_even_put_in_the_form(client, target):
    response = client.get("/signin?next=" + target)
    assert response.status_code == 200
    assert 'name="next"' not in response.get_data(as_text=True)


def enrolled_leader(make_staff):
    """A leader with an authenticator whose last used code is a step old: (person, secret)."""
    from datetime import timedelta

    import pyotp

    from app.accounts import credentials as accounts
    from app.models import Person, utcnow
    leader = make_staff()
    secret, now = accounts.new_totp_secret(), utcnow()
    earlier = pyotp.TOTP(secret).at((now - timedelta(seconds=30)).replace(tzinfo=UTC))
    accounts.enrol_totp(leader, secret, earlier, now=now)
    return Person.get_by_id(leader.id), secret


def code_page(client, leader):
    assert sign_in(client, leader, follow=False).headers["Location"] == "/signin/code"
    return client.get("/signin/code").get_data(as_text=True)


def test_next_after_password_and_code_stays_on_the_site(app, client, make_staff):
    import pyotp

    leader, secret = enrolled_leader(make_staff)
    page = client.get("/signin?next=/%0A/x").get_data(as_text=True)
    client.post("/signin", data={"email": leader.email, "password": STAFF_PASSWORD,
                                 "next": "/\n/x", "csrf_token": csrf_token(page)})
    with client.session_transaction() as state:  # the pending step keeps no disguised next
        assert state["signin"]["next"] == ""
        state["signin"] = {**state["signin"], "next": "/\t/evil.example"}
    code = client.get("/signin/code").get_data(as_text=True)
    done = client.post("/signin/code", data={"code": pyotp.TOTP(secret).now(),
                                             "csrf_token": csrf_token(code)})
    assert done.status_code == 303 and done.headers["Location"] == "/themes"


# -- codes of other scripts' digits ----------------------------------------------------------

@pytest.mark.parametrize("code", ["⁰⁴⁵₀₁₂", "１２３４５６", "٠١٢٣٤٥", "ａｂｃｄ-ｅｆｇｈ-ｉｊｋｌ-ｍｎｏｐ",
                                  "abcd-efgh-ijkl-mnop-qrst-uvwé", "12345", "12 34 5x"])
def test_a_code_of_unicode_digits_is_a_422_with_a_sentence(app, client, make_staff, code):
    leader, _secret = enrolled_leader(make_staff)
    page = code_page(client, leader)
    response = client.post("/signin/code", data={"code": code, "csrf_token": csrf_token(page)})
    # The form (app.views.forms.staff) or app.accounts.credentials.code_problem says it;
    # either way a sentence.
    assert response.status_code == 422 and "A code " in response.get_data(as_text=True)


def test_setting_up_with_unicode_digits_is_a_422_too(app, client, make_staff):
    sign_in(client, make_staff())
    page = client.get("/account/mfa").get_data(as_text=True)
    response = client.post("/account/mfa", data={"code": "⁰⁴⁵₀₁₂", "csrf_token": csrf_token(page)})
    assert response.status_code == 422 and "A code " in response.get_data(True)


# -- Fetch Metadata ------------------------------------------------------------------------------

@pytest.mark.parametrize("site, allowed", [("cross-site", False), ("same-origin", True),
                                           ("same-site", True), ("none", True), (None, True)])
def test_a_cross_site_post_is_refused_with_a_sentence(client, make_staff, site, allowed):
    leader = make_staff()
    page = client.get("/signin").get_data(as_text=True)
    headers = {"Sec-Fetch-Site": site} if site else {}
    response = client.post("/signin", headers=headers, data={
        "email": leader.email, "password": STAFF_PASSWORD, "csrf_token": csrf_token(page)})
    if allowed:
        assert response.status_code == 303
    else:
        assert response.status_code == 403
        assert "sent from another website" in response.get_data(as_text=True)
        assert client.get("/themes").status_code == 303  # not signed in


def test_a_cross_site_get_is_still_served(client):
    assert client.get("/signin", headers={"Sec-Fetch-Site": "cross-site"}).status_code == 200
