"""Bad input gets a clear 4xx and nothing is stored."""
import pytest

from app import StartupError
from app.accounts import credentials
from app.board import conversations
from app.models import AuditEntry, Participation, PendingAnswer, Person, Post, Thread
from app.pulse import answering
from tests.support import (
    build_app, csrf_token, form_answers, full_scores, invitations_of, open_pulse)
from tests.support import sign_in as password_step

LIKERT = "q_workload_manageable"


@pytest.fixture
def pulse(client, make_round):
    round_ = make_round()
    html = open_pulse(client, invitations_of(round_)[0])
    return round_, csrf_token(html)


def assert_nothing_stored():
    assert Participation.select().count() == 0
    assert PendingAnswer.select().count() == 0


@pytest.mark.parametrize("value", [
    "0", "6", "-1", "NaN", "nan", "inf", "٣", "３", " 3 ", "3 ", "1_0", "3.0", "0x3", "+3",
    "9" * 5000, "", "3\x00", "three",
])
def test_a_likert_value_that_is_not_exactly_1_to_5_is_refused(client, pulse, value):
    round_, token = pulse
    response = client.post("/pulse", data=form_answers(round_, csrf_token=token, **{LIKERT: value}))
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Choose a number from 1 to 5." in body or "Please choose an answer." in body
    assert_nothing_stored()


@pytest.mark.parametrize("value", ["11", "-0", "10.0", "１０"])
def test_an_enps_value_outside_0_to_10_is_refused(client, pulse, value):
    round_, token = pulse
    response = client.post("/pulse", data=form_answers(round_, csrf_token=token, q_enps=value))
    assert response.status_code == 422
    assert "Choose a number from 0 to 10." in response.get_data(as_text=True)
    assert_nothing_stored()


def test_a_missing_csrf_token_is_refused(client, pulse):
    round_, _token = pulse
    response = client.post("/pulse", data=form_answers(round_))
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)
    assert_nothing_stored()


def test_a_csrf_token_from_another_session_is_refused(app, client, pulse, make_round):
    round_, _token = pulse
    other = app.test_client()
    foreign = csrf_token(open_pulse(other, invitations_of(round_)[1]))
    response = client.post("/pulse", data=form_answers(round_, csrf_token=foreign))
    assert response.status_code == 400
    assert_nothing_stored()


@pytest.mark.parametrize("comment, status, message", [
    ("x" * 70_000, 413, "too much to send"),
    ("é" * 2001, 422, "Please keep this to 2,000 characters; it has 2,001."),
    ("é" * 2000, 303, None),  # exactly at the limit is fine
])
def test_size_limits_on_the_body_and_the_comment(client, pulse, comment, status, message):
    round_, token = pulse
    response = client.post("/pulse", data=form_answers(round_, csrf_token=token,
                                                       q_one_thing=comment))
    assert response.status_code == status
    if message:
        assert message in response.get_data(as_text=True)
        assert_nothing_stored()


@pytest.mark.parametrize("body, status", [
    ("q_one_thing=hello%00world", 422),
    ("q_one_thing=caf%C3", 400),          # a truncated UTF-8 sequence
    ("q_one_thing=%FF%FE", 400),          # bytes that are never UTF-8
    ("q_one_thing=ok&%C3%28=1", 400),     # in a field name
])
def test_nul_bytes_and_invalid_utf8_are_refused(client, pulse, body, status):
    round_, token = pulse
    fields = "&".join(f"{k}={v}" for k, v in form_answers(round_, csrf_token=token).items())
    response = client.post("/pulse", data=f"{fields}&{body}",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == status
    assert "cannot be stored" in response.get_data(as_text=True)
    assert_nothing_stored()


@pytest.mark.parametrize("extra", [{"author_id": "1"}, {"person": "2"}, {"round": "9"}])
def test_extra_fields_such_as_an_author_id_are_refused(client, pulse, extra):
    round_, token = pulse
    response = client.post("/pulse", data=form_answers(round_, csrf_token=token, **extra))
    assert response.status_code == 400
    assert f"{next(iter(extra))} (not a field of this form)" in response.get_data(as_text=True)
    assert_nothing_stored()


def test_a_field_sent_twice_is_refused(client, pulse):
    round_, token = pulse
    data = form_answers(round_, csrf_token=token)
    data[LIKERT] = ["4", "1"]
    response = client.post("/pulse", data=data)
    assert response.status_code == 400
    assert "sent 2 times" in response.get_data(as_text=True)
    assert_nothing_stored()


def test_an_unknown_identity_choice_is_refused(client, pulse):
    round_, token = pulse
    response = client.post("/pulse", data=form_answers(round_, csrf_token=token, identity="admin"))
    assert response.status_code == 422
    assert_nothing_stored()


def test_a_double_tap_on_send_records_one_response(client, pulse):
    round_, token = pulse
    data = form_answers(round_, csrf_token=token)
    first = client.post("/pulse", data=data)
    second = client.post("/pulse", data=data)
    assert (first.status_code, second.status_code) == (303, 409)
    assert "already answered" in second.get_data(as_text=True)
    assert Participation.select().count() == 1
    assert PendingAnswer.select().count() == 1


def test_get_only_pages_refuse_other_methods_clearly(client):
    response = client.post("/healthz")
    assert response.status_code in (400, 405)


# -- No 500 on any input: one regression test per class found by the audit (issue 14) --

BIG_ID = str(2**63)  # one past SQLite's integers: OverflowError before the parsing layer
BIDI_AND_C1 = ["\u202e", "\u202a", "\u2066", "\u2069", "\x85", "\x9b", "\x00", "\x7f"]


def hr_post(world, path, data):
    client = world["client"]
    token = csrf_token(client.get("/account").get_data(as_text=True))
    return client.post(path, data={**data, "csrf_token": token})


@pytest.mark.parametrize("path, message", [
    ("/themes?round=²", "“round” must be the number of a round"),
    ("/themes?team=²", "“team” must be the number of a team"),
    ("/themes/workload?page=²", "“page” must be a page number"),
    ("/themes?round=٣", "“round” must be the number of a round"),  # int() would take it
    ("/audit?page=²", "“page” must be a page number"),
    ("/audit?page=" + "9" * 40, "“page” must be a page number"),
    ("/board/new?theme=workload&round=²", "“round” must be the number of a round"),
    ("/board/new?theme=workload&team=⁰⁴⁵", "“team” must be the number of a team"),
    ("/board?theme=%00", "cannot be stored"),
    ("/board/new?theme=%00", "cannot be stored"),
    ("/board?status=%E2%80%AE", "cannot be stored"),
])
def test_a_malformed_number_or_key_in_the_query_is_a_422_with_a_sentence(world, path, message):
    response = world["client"].get(path)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_unicode_digits_as_the_round_of_an_export_are_no_round(world):
    response = hr_post(world, "/exports", {"kind": "themes", "round": "⁰⁴⁵"})
    assert response.status_code == 404
    assert "There is no round “⁰⁴⁵”" in response.get_data(as_text=True)


@pytest.mark.parametrize("field, status", [("since", 422), ("until", 200)])
def test_the_last_day_of_the_calendar_as_an_export_range_is_no_500(world, field, status):
    """Until 9999-12-31 is every round closed so far (the day after it overflowed)."""
    response = hr_post(world, "/exports", {"kind": "themes", field: "9999-12-31"})
    assert response.status_code == status


def id_rules(app):
    """Every route that takes a row id in its path, with its methods."""
    return [(rule, method) for rule in app.url_map.iter_rules()
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
            if any(name.endswith("_id") for name in rule.arguments)]


@pytest.mark.parametrize("bad_id", [BIG_ID, "9" * 30, "0", "²", "٣", "-1"])
def test_a_path_id_no_row_can_have_is_a_404_on_every_route(app, world, bad_id):
    checked = 0
    for rule, method in id_rules(app):
        path = "/".join(bad_id if part.startswith("<") else part
                        for part in rule.rule.split("/"))
        response = (world["client"].get(path) if method == "GET"
                    else hr_post(world, path, {"status": "done", "body": "x"}))
        assert response.status_code == 404, (method, path, response.status_code)
        checked += 1
    assert checked >= 12  # /board/…, /open-links/…, /schedules/…


def test_the_largest_id_is_still_a_number_and_simply_not_found(world):
    assert world["client"].get(f"/board/{2**63 - 1}").status_code == 404
    assert world["client"].get(f"/board/{world['thread'].id}").status_code == 200


def test_a_theme_name_with_nul_or_control_characters_is_no_theme(world):
    for name in ("%00", "work%00load", "%E2%80%AEworkload", "%C2%85"):
        response = world["client"].get(f"/themes/{name}")
        assert response.status_code == 404, name


def test_a_nul_in_the_sign_in_email_is_refused_with_a_sentence(client):
    page = client.get("/signin").get_data(as_text=True)
    response = client.post("/signin", data={"email": "a\x00b@acme.test", "password": "x",
                                            "csrf_token": csrf_token(page)})
    assert response.status_code == 422
    assert "The email holds a character that cannot be stored" in \
        response.get_data(as_text=True)


def test_a_second_factor_code_in_unicode_digits_is_refused_not_a_500(app, make_staff):
    leader = make_staff()
    with app.app_context():
        import pyotp
        secret = credentials.new_totp_secret()
        credentials.enrol_totp(leader, secret, pyotp.TOTP(secret).now())
    client = app.test_client()
    assert password_step(client, leader, follow=False).headers["Location"] == "/signin/code"
    page = client.get("/signin/code").get_data(as_text=True)
    response = client.post("/signin/code", data={"code": "⁰⁴⁵₀₁₂",
                                                 "csrf_token": csrf_token(page)})
    assert response.status_code == 422
    assert "A code is 6 digits (0-9)" in response.get_data(as_text=True)


@pytest.mark.parametrize("character", BIDI_AND_C1)
@pytest.mark.parametrize("path, field, data", [
    ("/board/{thread}/replies", "body", {}),
    ("/board/{thread}/edit", "body", {}),
    ("/board/{thread}/status", "reason", {"status": "wont_do"}),
    ("/open-links", "label", {"team": "Acme"}),
])
def test_bidi_and_control_characters_are_refused_in_what_staff_write(world, character, path,
                                                                     field, data):
    with world["client"].application.app_context():
        before = (Post.select().count(), AuditEntry.select().count(),
                  Thread.get_by_id(world["thread"].id).body)
    response = hr_post(world, path.format(thread=world["thread"].id),
                       {**data, field: f"Looks fine{character} but reads backwards"})
    assert response.status_code == 422
    assert "cannot be" in response.get_data(as_text=True)
    with world["client"].application.app_context():
        assert (Post.select().count(), AuditEntry.select().count(),
                Thread.get_by_id(world["thread"].id).body) == before


@pytest.mark.parametrize("character", BIDI_AND_C1)
def test_bidi_and_control_characters_are_refused_in_a_hide_reason(world, character):
    with world["client"].application.app_context():
        post = conversations.reply(Person.get_by_id(world["hr"].id), world["thread"],
                                   "Thanks!", False)
    response = hr_post(world, f"/board/{world['thread'].id}/hide",
                       {"post": post.id.hex(), "reason": f"Abuse{character}"})
    assert response.status_code == 422
    with world["client"].application.app_context():
        assert Post.get_by_id(post.id).hidden_reason is None


@pytest.mark.parametrize("character", BIDI_AND_C1)
def test_bidi_and_control_characters_are_refused_in_a_pulse_comment(client, pulse, character):
    round_, token = pulse
    response = client.post("/pulse", data=form_answers(
        round_, csrf_token=token, q_one_thing=f"All good{character}"))
    assert response.status_code == 422
    assert "cannot be stored" in response.get_data(as_text=True)
    assert_nothing_stored()


@pytest.mark.parametrize("character", BIDI_AND_C1 + ["\x01"])
def test_the_business_rule_refuses_the_same_characters_in_comments(app, make_round, character):
    round_ = make_round()
    invitation = invitations_of(round_)[0]
    with pytest.raises(answering.AnswerError, match="cannot be stored"):
        answering.record_answers(invitation, full_scores(round_), {"one_thing": f"a{character}b"},
                                 False, batch_size=5)
    assert_nothing_stored()


def test_tab_and_line_breaks_stay_allowed_in_multi_line_text(client, pulse):
    round_, token = pulse
    response = client.post("/pulse", data=form_answers(
        round_, csrf_token=token, q_one_thing="First line\r\nsecond\tline"))
    assert response.status_code == 303


@pytest.mark.parametrize("value", ["²", "⁰⁴⁵", "١", "2,²"])
def test_unicode_digits_in_reminder_days_stop_start_up_naming_the_variable(tmp_path, value):
    with pytest.raises(StartupError, match="HEARD_REMINDER_DAYS"):
        build_app(tmp_path, migrate=False, REMINDER_DAYS=value)
