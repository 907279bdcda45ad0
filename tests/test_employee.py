"""The employee flow over HTTP: personal link, pulse page and fragment, sending."""
from datetime import timedelta

import pytest

from app.models import Participation, PendingAnswer, Round, utcnow
from app.pulse import answering, rounds
from tests.support import (
    answer, csrf_token, form_answers, invitations_of, open_pulse, personal_path)

HTMX = {"HX-Request": "true"}
SECRET = "-".join(("secret", "comment", "text"))


@pytest.fixture
def round_(make_round):
    return make_round()


@pytest.fixture
def invitation(round_):
    return invitations_of(round_)[0]


def test_a_personal_link_starts_a_session_and_drops_the_token(client, invitation):
    response = client.get(personal_path(invitation))
    assert response.status_code == 303
    assert response.headers["Location"] == "/pulse"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    page = client.get("/pulse")
    assert page.status_code == 200
    assert "Weekly pulse" in page.get_data(as_text=True)


def test_the_pulse_page_asks_every_question_with_thumb_sized_choices(client, round_, invitation):
    html = open_pulse(client, invitation)
    for question in round_.survey.current_questions():
        assert question.prompt in html
    assert html.count('type="radio" name="q_workload_manageable"') == 5
    assert html.count('type="radio" name="q_enps"') == 11
    assert 'method="post" action="/pulse"' in html and 'hx-post="/pulse"' in html
    assert "of 9 answered" in html  # progress


def test_the_page_says_where_the_answer_counts_before_sending(client, invitation):
    html = " ".join(open_pulse(client, invitation).split())
    assert "Your answer counts for <strong>Platform</strong> (12 people invited)" in html
    assert "at least 5 people in it have answered" in html


def test_signing_is_a_clear_choice_anonymous_by_default(client, invitation):
    html = open_pulse(client, invitation)
    assert 'value="anonymous" checked' in html
    assert f"leaders will see “{invitation.person.name}”" in html


def test_an_htmx_request_gets_the_same_partial_the_page_includes(client, invitation):
    page = open_pulse(client, invitation)
    fragment = client.get("/pulse", headers=HTMX)
    body = fragment.get_data(as_text=True)
    assert body.lstrip().startswith('<form id="pulse"')
    assert "<html" not in body
    assert body.split('name="csrf_token"')[0] in page
    assert "HX-Request" in fragment.headers["Vary"]


def test_sending_records_once_and_thanks_the_person(client, round_, invitation):
    html = open_pulse(client, invitation)
    sent = client.post("/pulse", data=form_answers(round_, csrf_token=csrf_token(html)))
    assert sent.status_code == 303
    thanks = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert "Thank you, your answer is in" in thanks
    assert PendingAnswer.select().count() == 1
    again = client.get("/pulse").get_data(as_text=True)
    assert "You have already answered this pulse" in again
    assert "workload" not in again.lower()  # never shows what was answered


def test_sending_with_htmx_swaps_in_the_thank_you(client, round_, invitation):
    html = open_pulse(client, invitation)
    sent = client.post("/pulse", headers=HTMX,
                       data=form_answers(round_, csrf_token=csrf_token(html)))
    assert sent.status_code == 200
    assert 'id="pulse"' in sent.get_data(as_text=True)
    assert "Thank you, your answer is in" in sent.get_data(as_text=True)


def test_a_missing_answer_comes_back_inline_with_422_and_nothing_stored(client, round_, invitation):
    html = open_pulse(client, invitation)
    data = form_answers(round_, csrf_token=csrf_token(html))
    del data["q_peers_help"]
    sent = client.post("/pulse", headers=HTMX, data=data)
    body = sent.get_data(as_text=True)
    assert sent.status_code == 422
    assert body.lstrip().startswith('<form id="pulse"')
    assert 'id="e-peers_help">Please choose an answer.' in body
    assert 'name="q_workload_manageable" value="4" checked' in body  # answers kept
    assert Participation.select().count() == 0


def test_a_link_opened_again_after_answering_says_already_answered(client, round_, invitation):
    answer(invitation)
    open_pulse(client, invitation)
    assert "already answered" in client.get("/pulse").get_data(as_text=True)


def invalid_link_cases(round_, invitation):
    return {
        "unknown": "/p/" + "A" * 43,
        "malformed": "/p/not-a-token",
        "too long": "/p/" + "A" * 500,
    }


@pytest.mark.parametrize("case", ["unknown", "malformed", "too long", "closed", "expired"])
def test_every_invalid_link_gets_the_same_friendly_404(client, round_, invitation, case):
    path = invalid_link_cases(round_, invitation).get(case, personal_path(invitation))
    if case == "closed":
        rounds.close_round(round_, 5)
    if case == "expired":
        past = utcnow() - timedelta(minutes=1)
        Round.update(closes_at=past).where(Round.id == round_.id).execute()
    response = client.get(path)
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert "This link is not valid" in body
    assert "closed" in body and "mistyped" in body  # one text, whatever the reason


def test_the_pulse_without_a_session_is_not_found(client, round_):
    response = client.get("/pulse")
    assert response.status_code == 404
    assert "This link is not valid" in response.get_data(as_text=True)


def test_a_session_ends_when_its_round_closes(client, round_, invitation):
    open_pulse(client, invitation)
    rounds.close_round(round_, 5)
    assert client.get("/pulse").status_code == 404


def test_healthz_answers_when_the_database_does(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_home_points_employees_to_their_link(client):
    assert "personal link" in client.get("/").get_data(as_text=True)


def test_unknown_pages_get_a_friendly_404(client):
    response = client.get("/nothing-here")
    assert response.status_code == 404
    assert "This page does not exist" in response.get_data(as_text=True)


@pytest.fixture
def database_down(app):
    """The database file's folder vanishes under the running app."""
    from peewee import SqliteDatabase

    from app.db import db
    working = db.obj
    db.initialize(SqliteDatabase("/nonexistent/folder/heard.db"))
    yield
    db.obj.close()
    db.initialize(working)


def test_healthz_says_503_when_the_database_does_not_answer(client, database_down):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"


def test_a_page_says_503_not_500_when_the_database_is_down(client, round_, invitation,
                                                            database_down):
    response = client.get(personal_path(invitation))
    assert response.status_code == 503
    assert "cannot reach its database" in response.get_data(as_text=True)


def test_an_htmx_error_gets_a_fragment_not_a_page(client, round_, invitation):
    open_pulse(client, invitation)
    response = client.post("/pulse", headers=HTMX, data=form_answers(round_))  # no CSRF
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert body.lstrip().startswith('<section class="card problem"') and "<html" not in body


def test_an_htmx_request_for_an_invalid_link_gets_the_fragment(client):
    response = client.get("/pulse", headers=HTMX)
    assert response.status_code == 404
    assert "<html" not in response.get_data(as_text=True)
    assert "This link is not valid" in response.get_data(as_text=True)


def test_a_round_that_closes_before_send_gets_the_invalid_link_page(client, round_, invitation):
    html = open_pulse(client, invitation)
    rounds.close_round(round_, 5)
    response = client.post("/pulse", data=form_answers(round_, csrf_token=csrf_token(html)))
    assert response.status_code == 404
    assert Participation.select().count() == 0


def test_an_unexpected_error_gets_a_calm_500_and_a_log_without_its_message(
        app, client, round_, invitation, monkeypatch, caplog):
    html = open_pulse(client, invitation)

    def broken(*_args, **_kwargs):
        raise RuntimeError(SECRET)  # the message, not this line, is what must not be logged

    monkeypatch.setattr(answering, "record_answers", broken)
    response = client.post("/pulse", data=form_answers(round_, csrf_token=csrf_token(html)))
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.get_data(as_text=True)
    assert "unhandled RuntimeError" in caplog.text
    assert SECRET not in caplog.text
