"""Sessions kept on the server: how each was authenticated, a role change that ends
them, the sessions page, sign-out that clears the browser, and the security event log."""
import json
import logging
import time

import pyotp
import pytest

from app.accounts import browser_sessions, credentials, security_events
from app.accounts.roster import import_roster
from app.models import BrowserSession, Person, utcnow
from tests.support import (
    STAFF_PASSWORD, build_app, csrf_token, invitations_of, open_pulse, post_form, sign_in,
    sign_in_by_link)


def board_session_from_pulse(app, make_round):
    """An employee's board session, begun from their personal pulse link: (client, person)."""
    invitation = invitations_of(make_round())[0]
    client = app.test_client()
    open_pulse(client, invitation)
    to_board = post_form(client, "/pulse/board", page="/pulse")
    assert to_board.status_code == 303 and to_board.headers["Location"] == "/board"
    assert client.get("/board").status_code == 200
    return client, invitation.person


def raise_role(person, role="leader"):
    leads = person.team.path if role != "employee" else ""
    import_roster(f"email,name,team,role,leads\n{person.email},{person.name},"
                  f"{person.team.path},{role},{leads}\n")


def test_a_pulse_link_session_raised_to_leader_by_the_roster_gets_no_staff_page(
        mfa_app, make_round):
    """The audit's path (V1): pulse link, board session, role raised by a roster import,
    then staff pages and setting up an authenticator of one's own."""
    client, person = board_session_from_pulse(mfa_app, make_round)
    with mfa_app.app_context():
        raise_role(person)
    for path in ("/themes", "/account/mfa", "/account"):
        response = client.get(path)
        assert response.status_code == 303, path
        assert response.headers["Location"].startswith("/signin"), path
    assert "<svg" not in client.get("/account/mfa", follow_redirects=True).get_data(True)
    assert client.get("/board").status_code == 303  # that session has ended altogether
    with mfa_app.app_context():
        assert Person.by_email(person.email).totp_sealed is None


@pytest.mark.parametrize("require_mfa", [True, False])
def test_a_link_only_session_never_opens_a_staff_page_whatever_the_role(
        tmp_path, make_round, require_mfa):
    """Even if a role changed without ending sessions, the session's own level decides."""
    from app.db import db
    app = build_app(tmp_path, REQUIRE_MFA=require_mfa)
    with app.app_context():
        pass
    client, person = board_session_from_pulse(app, make_round)
    Person.update(role="leader").where(Person.id == person.id).execute()  # epoch unchanged
    for path in ("/themes", "/account/mfa"):
        response = client.get(path)
        assert response.status_code == 303 and response.headers["Location"].startswith(
            "/signin"), path
    db.close()


def test_an_enrolled_leader_needs_the_second_factor_in_this_session(mfa_app, make_staff):
    leader = make_staff()
    secret = credentials.new_totp_secret()
    credentials.enrol_totp(leader, secret, pyotp.TOTP(secret).now())
    client = mfa_app.test_client()
    assert sign_in(client, leader, follow=False).headers["Location"] == "/signin/code"
    with client.session_transaction() as state:  # a session that skipped the code
        assert "staff" not in state
    leader = Person.get_by_id(leader.id)
    BrowserSession.create(id="f" * 32, person=leader.id, level=credentials.FIRST_FACTOR,
                          signed_in_on=utcnow().date(), created_on=utcnow().date())
    with client.session_transaction() as state:
        state.clear()
        state["_user_id"] = f"{leader.id}:{leader.session_epoch}"
        state["staff"] = {"since": int(time.time()), "seen": int(time.time()), "id": "f" * 32}
    response = client.get("/themes")
    assert response.status_code == 303 and response.headers["Location"].startswith("/signin")


def test_setting_up_an_authenticator_needs_a_fresh_staff_sign_in(app, client, make_staff):
    leader = make_staff()
    sign_in(client, leader)
    assert client.get("/account/mfa").status_code == 200
    with client.session_transaction() as state:
        state["staff"] = {**state["staff"], "since": int(time.time()) - 11 * 60}
    response = client.get("/account/mfa")
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "sign in again" in page


def test_a_role_change_by_roster_import_ends_every_session(app, make_staff):
    employee = make_staff(role="employee", password=None)
    phone, laptop = app.test_client(), app.test_client()
    sign_in_by_link(phone, employee)
    sign_in_by_link(laptop, employee)
    assert BrowserSession.select().where(BrowserSession.person == employee.id).count() == 2
    raise_role(employee)
    assert BrowserSession.select().where(BrowserSession.person == employee.id).count() == 0
    assert phone.get("/board").status_code == 303 and laptop.get("/board").status_code == 303


def test_an_unchanged_role_in_a_new_roster_keeps_sessions(app, make_staff):
    employee = make_staff(role="employee", password=None)
    client = app.test_client()
    sign_in_by_link(client, employee)
    import_roster(f"email,name,team,role\n{employee.email},New Name,Acme,employee\n")
    assert client.get("/board").status_code == 200


def test_the_sessions_page_lists_each_browser_and_ends_one(app, make_staff):
    leader = make_staff()
    phone, laptop = app.test_client(), app.test_client()
    phone.environ_base["HTTP_USER_AGENT"] = (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Version/17.0 Safari/605.1")
    laptop.environ_base["HTTP_USER_AGENT"] = (
        "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")
    sign_in(phone, leader)
    sign_in(laptop, leader)
    page = laptop.get("/account/sessions").get_data(as_text=True)
    assert "Safari on iPhone</strong>" in page and "Firefox on Linux</strong> (this one)" in page
    assert "signed in" in page and ":" not in page.split("signed in")[1][:30]  # a day, no time
    for row in BrowserSession.select():
        assert row.id not in page  # the page names sessions by a handle, not their id
    phone_handle = _handles(page)["Safari on iPhone"]
    ended = post_form(laptop, f"/account/sessions/{phone_handle}/end", page="/account/sessions")
    assert ended.status_code == 303
    assert phone.get("/themes").status_code == 303
    assert laptop.get("/themes").status_code == 200
    assert "That session has ended" in laptop.get("/account/sessions").get_data(True)
    gone = post_form(laptop, f"/account/sessions/{phone_handle}/end", page="/account/sessions")
    assert gone.status_code == 404 and "already ended" in gone.get_data(as_text=True)


def _handles(page):
    """label -> the handle in its "end this session" form."""
    import re
    return dict(re.findall(r"<strong>([^<]+)</strong>.*?/account/sessions/([0-9a-f]+)/end",
                           page, re.DOTALL))


def test_an_employee_sees_their_sessions_too(app, make_staff):
    employee = make_staff(role="employee", password=None)
    client = app.test_client()
    sign_in_by_link(client, employee)
    page = client.get("/account/sessions")
    assert page.status_code == 200 and "End this session" in page.get_data(as_text=True)


def test_signing_out_tells_the_browser_to_clear_the_site(app, client, make_staff):
    sign_in(client, make_staff())
    out = post_form(client, "/signout", page="/account")
    assert out.status_code == 303
    assert out.headers["Clear-Site-Data"] == '"cache", "cookies", "storage"'
    assert "signed out, on every device" in client.get(out.headers["Location"]).get_data(True)
    assert BrowserSession.select().count() == 0


def test_a_sign_in_link_lives_on_the_server_not_in_the_cookie(app, make_staff):
    leader = make_staff(password=None)
    token = credentials.create_sign_in_link(leader, 15)
    browser, stranger = app.test_client(), app.test_client()
    browser.get(f"/signin/link/{token}")
    with browser.session_transaction() as state:
        assert token not in json.dumps(dict(state))
    # Only the browser that opened (and confirms) the link can spend it.
    page = stranger.get("/signin").get_data(as_text=True)
    refused = stranger.post("/signin/link", data={"csrf_token": csrf_token(page)})
    assert refused.status_code == 404
    confirm = browser.get("/signin/link").get_data(as_text=True)
    assert browser.post("/signin/link", data={"csrf_token": csrf_token(confirm)}
                        ).status_code == 303
    assert browser.get("/themes").status_code == 200


def test_rows_of_old_sessions_are_forgotten(app, make_staff):
    from datetime import timedelta
    leader = make_staff(password=None)
    now = utcnow()
    browser_sessions.hold_sign_in_link("a-token", now=now - timedelta(days=1))
    browser_sessions.start_session(leader, credentials.LINK_ONLY, "test", now=now - timedelta(days=2))
    assert browser_sessions.forget_old_sessions(now) == 2
    browser_sessions.start_session(leader, credentials.LINK_ONLY, "test", now=now - timedelta(days=2))
    kept = browser_sessions.start_session(leader, credentials.LINK_ONLY, "test", now=now)
    assert [row.id for row in BrowserSession.select()] == [kept]  # each sign-in tidies up


# -- the security event log --------------------------------------------------------------

def events(caplog):
    lines = [json.loads(r.getMessage()) for r in caplog.records
             if r.name == security_events.LOGGER]
    for line in lines:
        assert line["time"].endswith("Z")
    return lines


def test_sign_ins_failures_denials_and_csrf_are_logged_without_secrets(app, make_staff, caplog):
    caplog.set_level(logging.INFO, logger=security_events.LOGGER)
    leader = make_staff(leads="Acme")
    client = app.test_client()
    assert sign_in(client, leader, password="not my password!").status_code == 401
    assert sign_in(client, leader).status_code == 200
    assert client.post("/account/password", data={"new": "x"}).status_code == 400  # no token
    raise_role(leader, "employee")
    employee = Person.get_by_id(leader.id)
    other = app.test_client()
    sign_in_by_link(other, employee)
    assert other.get("/themes").status_code == 404
    names = [line["event"] for line in events(caplog)]
    for expected in ("sign_in.failed", "sign_in.succeeded", "csrf.failed", "session.ended",
                     "role.changed", "access.denied"):
        assert expected in names, expected
    text = caplog.text
    for secret in ("not my password!", leader.email, leader.password_hash or "-"):
        assert secret not in text


def test_a_wrong_code_is_logged(mfa_app, make_staff, caplog):
    caplog.set_level(logging.INFO, logger=security_events.LOGGER)
    leader = make_staff()
    secret = credentials.new_totp_secret()
    credentials.enrol_totp(leader, secret, pyotp.TOTP(secret).now())
    client = mfa_app.test_client()
    sign_in(client, leader, follow=False)
    page = client.get("/signin/code").get_data(as_text=True)
    client.post("/signin/code", data={"code": "000000", "csrf_token": csrf_token(page)})
    assert {"event": "second_factor.failed", "person": leader.id}.items() <= \
        events(caplog)[-1].items()
    assert "000000" not in caplog.text


def test_an_unknown_event_or_a_secret_field_is_refused(caplog):
    caplog.set_level(logging.INFO, logger=security_events.LOGGER)
    with pytest.raises(security_events.UnknownEvent):
        security_events.record("made.up")
    security_events.record("sign_in.failed", person=3, password="hunter2", token="abc",
                           email="a@b.c")
    assert "hunter2" not in caplog.text and "abc" not in caplog.text and "a@b.c" not in caplog.text


def test_every_event_is_documented():
    import pathlib
    doc = (pathlib.Path(__file__).parent.parent / "docs" / "security-events.md").read_text()
    for name in security_events.EVENTS:
        assert f"`{name}`" in doc, name


def test_signing_in_again_in_one_browser_leaves_one_session(app, make_staff):
    leader = make_staff()
    client = app.test_client()
    sign_in(client, leader)
    sign_in_by_link(client, leader)
    sign_in_by_link(client, leader)
    assert client.get("/themes").status_code == 200
    assert BrowserSession.select().where(BrowserSession.person == leader.id).count() == 1


# -- found by the last review ------------------------------------------------------------

def test_a_password_session_cannot_replace_an_authenticator_set_up_since(mfa_app):
    """Two sign-ins with the password; the owner sets up their app in one. The other
    (an attacker who knows the password) can neither replace it nor see a secret."""
    import re

    import pyotp

    with mfa_app.app_context():
        import_roster("email,name,team,role,leads\nl@acme.test,Lea,Acme,leader,Acme\n")
        lea = Person.by_email("l@acme.test")
        credentials.set_password(lea, STAFF_PASSWORD)
        lea = Person.get_by_id(lea.id)
    attacker, owner = mfa_app.test_client(), mfa_app.test_client()
    sign_in(attacker, lea, follow=False)
    sign_in(owner, lea, follow=False)
    page = owner.get("/account/mfa").get_data(as_text=True)
    secret = re.search(r'class="secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    done = owner.post("/account/mfa", data={"code": pyotp.TOTP(secret).now(),
                                            "csrf_token": csrf_token(page)})
    assert done.status_code == 200
    own = attacker.get("/account", follow_redirects=True).get_data(as_text=True)  # its token
    taken = attacker.post("/account/mfa", data={"code": "000000", "csrf_token": csrf_token(own)})
    assert taken.status_code in (302, 303) and 'class="secret"' not in taken.get_data(True)
    assert attacker.get("/themes").status_code in (302, 303)  # that session is over
    assert owner.get("/themes").status_code == 200
    with mfa_app.app_context():
        assert credentials._totp_of(Person.get_by_id(lea.id)).secret == secret


def test_a_made_up_sign_in_link_does_not_sign_anyone_out(app, make_staff):
    leader = make_staff(leads="Acme")
    client = app.test_client()
    sign_in(client, leader)
    assert client.get("/themes").status_code == 200
    client.get("/signin/link/made-up-by-another-site")
    assert client.get("/themes").status_code == 200


def test_an_employees_session_is_unlabelled_unlogged_and_gone_the_next_day(
        app, make_round, caplog):
    import logging
    from datetime import timedelta

    from app.delivery import tick
    round_ = make_round()
    client = app.test_client()
    with caplog.at_level(logging.INFO, logger="heard.security"):
        sign_in_by_link(client, invitations_of(round_)[0].person)
        client.post("/signout", data={"csrf_token": csrf_token(client.get("/board").get_data(
            as_text=True))})
        sign_in_by_link(client, invitations_of(round_)[0].person)
    assert [r for r in caplog.records if r.name == "heard.security"] == []
    with app.app_context():
        [row] = list(BrowserSession.select().where(BrowserSession.person.is_null(False)))
        assert row.label == "" and row.level == credentials.LINK_ONLY
        tick.forget_past_days(utcnow() + timedelta(days=1))
        assert BrowserSession.select().where(BrowserSession.person.is_null(False)).count() == 0
