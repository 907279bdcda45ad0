"""Bad input gets a clear 4xx and nothing is stored."""
import pytest

from app.models import Participation, PendingAnswer
from tests.conftest import csrf_token, form_answers, invitations_of, open_pulse

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
