"""Staff sign-in over HTTP: password, link, second factor, sessions that really end,
timeouts and rate limits."""
import logging
import re
import time
from datetime import UTC

import pyotp
import pytest

from app.accounts import credentials
from app.models import Person, utcnow
from tests.support import (
    STAFF_PASSWORD, build_app, csrf_token, invitations_of, open_pulse, post_form, sign_in)


def test_signing_in_with_a_password_opens_the_dashboard(client, make_staff):
    leader = make_staff(leads="Acme")
    page = sign_in(client, leader)
    assert page.status_code == 200 and "No results yet" in page.get_data(as_text=True)
    assert leader.name in page.get_data(as_text=True)


def test_a_wrong_password_is_a_401_with_a_sentence_and_no_session(client, make_staff):
    leader = make_staff()
    response = sign_in(client, leader, password="wrong password!")
    assert response.status_code == 401
    assert "do not match an account" in response.get_data(as_text=True)
    assert client.get("/themes").status_code == 303


def test_a_page_for_staff_sends_strangers_to_sign_in_and_back(client, make_staff):
    response = client.get("/themes?round=3")
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/signin?next=/themes?round%3D3")
    assert "Please sign in" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_next_never_leads_off_the_site(client, make_staff):
    leader = make_staff()
    page = client.get("/signin")
    response = client.post("/signin", data={
        "email": leader.email, "password": STAFF_PASSWORD, "next": "//evil.example/x",
        "csrf_token": csrf_token(page.get_data(as_text=True))})
    assert response.headers["Location"] == "/themes"


def test_a_sign_in_link_needs_the_confirm_button_and_works_once(app, client, make_staff):
    leader = make_staff(password=None)
    with app.app_context():
        token = credentials.create_sign_in_link(leader, 15)
    opened = client.get(f"/signin/link/{token}")
    assert opened.status_code == 303 and opened.headers["Location"] == "/signin/link"
    for _ in range(2):  # a mail scanner opening the link spends nothing
        confirm = client.get("/signin/link")
        assert confirm.status_code == 200 and f"Sign in as {leader.name}" in confirm.get_data(True)
    html = confirm.get_data(as_text=True)
    assert token not in html
    signed = client.post("/signin/link", data={"csrf_token": csrf_token(html)})
    assert signed.status_code == 303 and client.get("/themes").status_code == 200
    other = app.test_client()
    other.get(f"/signin/link/{token}")
    again = other.get("/signin/link")
    assert again.status_code == 404 and "already used" in again.get_data(as_text=True)


def test_an_unknown_sign_in_link_says_so(client):
    client.get("/signin/link/not-a-real-token")
    response = client.get("/signin/link")
    assert response.status_code == 404 and "not valid" in response.get_data(as_text=True)
    assert client.get("/signin/link").status_code == 404  # and it is forgotten


def test_sign_in_link_tokens_are_redacted_from_request_logs(app, caplog):
    caplog.set_level(logging.INFO, logger="werkzeug")
    token = "B" * 43
    logging.getLogger("werkzeug").info('"%s %s HTTP/1.1" 303 -', "GET", f"/signin/link/{token}")
    assert token not in caplog.text and "/signin/link/[redacted]" in caplog.text


def test_signing_out_ends_the_session_on_every_device(app, make_staff):
    leader = make_staff()
    phone, laptop = app.test_client(), app.test_client()
    sign_in(phone, leader)
    sign_in(laptop, leader)
    assert phone.get("/themes").status_code == 200
    out = post_form(laptop, "/signout", page="/account")
    assert out.status_code == 303
    assert laptop.get("/themes").status_code == 303
    response = phone.get("/themes")
    assert response.status_code == 303  # the phone's cookie is still there, but dead
    assert "signed out" in phone.get(response.headers["Location"]).get_data(as_text=True)


def test_a_password_change_ends_other_sessions_but_not_this_one(app, make_staff):
    leader = make_staff()
    phone, laptop = app.test_client(), app.test_client()
    sign_in(phone, leader)
    sign_in(laptop, leader)
    changed = post_form(laptop, "/account/password", page="/account", data={
        "current": STAFF_PASSWORD, "new": "a new long password", "repeat": "a new long password"})
    assert changed.status_code == 303
    assert "Every other session" in laptop.get("/account").get_data(as_text=True)
    assert phone.get("/themes").status_code == 303
    assert sign_in(app.test_client(), Person.get_by_id(leader.id),
                   password="a new long password").status_code == 200


@pytest.mark.parametrize("fields, status, message", [
    ({"current": "wrong one here", "new": "a new long password",
      "repeat": "a new long password"}, 401, "current password is not right"),
    ({"current": STAFF_PASSWORD, "new": "short", "repeat": "short"}, 422, "at least 12"),
    ({"current": STAFF_PASSWORD, "new": "a new long password", "repeat": "another one"},
     422, "not the same"),
])
def test_a_bad_password_change_says_why_and_changes_nothing(client, make_staff, fields, status,
                                                             message):
    leader = make_staff()
    sign_in(client, leader)
    response = post_form(client, "/account/password", page="/account", data=fields)
    assert response.status_code == status and message in response.get_data(as_text=True)
    assert credentials.authenticate(leader.email, STAFF_PASSWORD) is not None


def test_disabling_an_account_ends_its_session(app, client, make_staff):
    leader = make_staff()
    sign_in(client, leader)
    result = app.test_cli_runner().invoke(args=["accounts", "disable", leader.email])
    assert result.exit_code == 0, result.output
    assert client.get("/themes").status_code == 303
    assert sign_in(client, leader).status_code == 401


@pytest.mark.parametrize("key, seconds, message", [
    ("seen", 31 * 60, "30 minutes without activity"),
    ("since", 12 * 3600 + 60, "at most 12 hours"),
])
def test_sessions_end_when_idle_or_too_old(client, make_staff, key, seconds, message):
    sign_in(client, make_staff())
    with client.session_transaction() as state:
        state["staff"] = {**state["staff"], key: int(time.time()) - seconds}
    response = client.get("/themes")
    assert response.status_code == 303
    assert message in client.get(response.headers["Location"]).get_data(as_text=True)


def test_failed_sign_ins_are_limited_per_account(app, make_staff):
    leader = make_staff()
    for attempt in range(5):
        assert sign_in(app.test_client(), leader, password=f"wrong {attempt}").status_code == 401
    blocked = sign_in(app.test_client(), leader)  # even the right password waits now
    assert blocked.status_code == 429
    assert "wait 15 minutes" in blocked.get_data(as_text=True)
    other = make_staff(name="Other Leader")
    assert sign_in(app.test_client(), other).status_code == 200


def test_failed_sign_ins_are_limited_per_address(tmp_path):
    from app.db import db
    app = build_app(tmp_path, REQUIRE_MFA=False, SIGNIN_LIMIT_PER_ADDRESS="3 per 15 minutes")
    client = app.test_client()
    for n in range(3):  # three different accounts: only the address ties them together
        assert sign_in(client, Person(email=f"ghost{n}@acme.test"),
                       password="whatever it is").status_code == 401
    assert sign_in(client, Person(email="ghost9@acme.test")).status_code == 429
    db.close()


def test_the_limits_can_live_in_redis(tmp_path):
    redis = pytest.importorskip("redis")
    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError:
        pytest.fail("Redis does not answer on 127.0.0.1:6379; the CI machines run it")
    from app.db import db
    app = build_app(tmp_path, REQUIRE_MFA=False,
                    RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379",
                    SIGNIN_LIMIT_PER_ACCOUNT="2 per 15 minutes")
    from app.views.limits import limiter
    limiter.reset()
    leader = Person(email="redis-ghost@acme.test")
    for attempt in range(2):
        assert sign_in(app.test_client(), leader, password=f"wrong {attempt}").status_code == 401
    assert sign_in(app.test_client(), leader).status_code == 429
    limiter.reset()
    db.close()


def totp_now(secret):
    return pyotp.TOTP(secret).at(utcnow().replace(tzinfo=UTC))


def test_with_mfa_required_a_new_leader_must_enrol_first(mfa_app, make_staff):
    client = mfa_app.test_client()
    leader = make_staff()
    response = sign_in(client, leader, follow=False)
    assert response.headers["Location"] == "/account/mfa"
    assert client.get("/themes").headers["Location"] == "/account/mfa"
    page = client.get("/account/mfa").get_data(as_text=True)
    assert "<svg" in page
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page).group(1)
    with client.session_transaction() as state:
        assert secret not in str(dict(state))  # kept on the server, not in the cookie
    wrong = client.post("/account/mfa", data={"code": "000000", "csrf_token": csrf_token(page)})
    assert wrong.status_code == 422 and "does not match" in wrong.get_data(as_text=True)
    done = client.post("/account/mfa", data={"code": totp_now(secret),
                                             "csrf_token": csrf_token(page)})
    assert done.status_code == 200 and "recovery codes" in done.get_data(as_text=True)
    assert client.get("/themes").status_code == 200


def password_step_of_an_enrolled_leader(mfa_app, make_staff):
    """A leader with an authenticator app who has just passed the password step:
    (client, first response, recovery codes)."""
    leader = make_staff()
    with mfa_app.app_context():
        secret = credentials.new_totp_secret()
        codes = credentials.enrol_totp(leader, secret, totp_now(secret))
    client = mfa_app.test_client()
    return client, sign_in(client, leader, follow=False), codes


def test_with_mfa_on_sign_in_asks_for_the_code_and_a_recovery_code_works(mfa_app, make_staff):
    client, response, codes = password_step_of_an_enrolled_leader(mfa_app, make_staff)
    assert response.headers["Location"] == "/signin/code"
    page = client.get("/signin/code").get_data(as_text=True)
    wrong = client.post("/signin/code", data={"code": "123456", "csrf_token": csrf_token(page)})
    assert wrong.status_code == 401
    right = client.post("/signin/code", data={"code": codes[0], "csrf_token": csrf_token(page)})
    assert right.status_code == 303 and client.get("/themes").status_code == 200


def test_without_the_code_there_is_no_session(mfa_app, make_staff):
    client, _response, _codes = password_step_of_an_enrolled_leader(mfa_app, make_staff)
    assert client.get("/themes").status_code == 303


def test_the_second_step_expires(mfa_app, make_staff):
    client, _response, _codes = password_step_of_an_enrolled_leader(mfa_app, make_staff)
    with client.session_transaction() as state:
        state["signin"] = {**state["signin"], "until": int(time.time()) - 1}
    response = client.get("/signin/code")
    assert response.status_code == 303 and response.headers["Location"] == "/signin"


def test_a_staff_page_does_not_end_an_employees_pulse_session(client, make_round):
    round_ = make_round()
    open_pulse(client, invitations_of(round_)[0])
    assert client.get("/themes").status_code == 303
    assert client.get("/pulse").status_code == 200


def test_new_recovery_codes_replace_the_old_ones(mfa_app, make_staff):
    client, _response, codes = password_step_of_an_enrolled_leader(mfa_app, make_staff)
    page = client.get("/signin/code").get_data(as_text=True)
    client.post("/signin/code", data={"code": codes[0], "csrf_token": csrf_token(page)})
    renewed = post_form(client, "/account/recovery-codes", page="/account")
    assert renewed.status_code == 200
    fresh = re.findall(r"<code>([a-z2-7-]+)</code>", renewed.get_data(as_text=True))
    assert len(fresh) == 10 and not set(fresh) & set(codes)
    leader = Person.get(Person.role == "leader")
    assert not credentials.verify_second_factor(leader, codes[1])
    assert credentials.verify_second_factor(leader, fresh[0])
