"""The board over HTTP, per role: reading, replying (plain POST and htmx), reacting,
statuses, moderation, limits, and that an anonymous author never shows."""
import re

import pytest

from app.models import AuditEntry, Person, Post, Team, Thread
from tests.support import (
    answer, csrf_token, invitations_of, open_pulse, post_form, sign_in, sign_in_by_link)

pytestmark = pytest.mark.app_settings(ANONYMOUS_REPLY_LIMIT="3 per hour")
HTMX = {"HX-Request": "true"}


def employee(path="Acme/Platform", n=0):
    return list(Person.select().where(Person.team == Team.by_path(path),
                                      Person.role == "employee").order_by(Person.id))[n]


def as_employee(app, path="Acme/Platform", n=0):
    client = app.test_client()
    response = sign_in_by_link(client, employee(path, n))
    assert response.status_code == 303 and response.headers["Location"] == "/board"
    return client


def reply(client, thread, body, identity="anonymous", headers=None, **extra):
    page = client.get(f"/board/{thread.id}").get_data(as_text=True)
    return client.post(f"/board/{thread.id}/replies", headers=headers or {},
                       data={"body": body, "identity": identity,
                             "csrf_token": csrf_token(page), **extra})


def test_an_employee_reads_the_board_and_replies_anonymously(app, thread):
    client = as_employee(app)
    board = client.get("/board").get_data(as_text=True)
    assert "Workload" in board and "Acknowledged" in board and "0 replies" in board
    page = client.get(f"/board/{thread.id}").get_data(as_text=True)
    assert "We hear you on deadlines" in page
    assert 'href="https://intranet.example/plan"' in page
    assert "answered 2 days after the round closed" in page and "answered" in page
    sent = reply(client, thread, "Thanks. <b>Really</b>.")
    assert sent.status_code == 303 and sent.headers["Location"].startswith(f"/board/{thread.id}#p-")
    page = client.get(f"/board/{thread.id}").get_data(as_text=True)
    assert "An anonymous colleague" in page and "Thanks. &lt;b&gt;Really&lt;/b&gt;." in page
    assert employee().name not in page and employee().email not in page


def test_htmx_reply_updates_the_list_in_place_and_clears_the_form(app, thread):
    client = as_employee(app)
    response = reply(client, thread, "Named and proud", identity="named", headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.lstrip().startswith('<section id="replies"')
    assert "Named and proud" in html and employee().name in html
    assert 'id="reply-form"' in html and 'hx-swap-oob="true"' in html
    assert "<html" not in html and "HX-Request" in response.headers["Vary"]


@pytest.mark.parametrize("body, message", [
    ("   ", "is empty"), ("y" * 5001, "the limit is 5,000")])
def test_a_bad_reply_gets_422_with_the_reason_and_keeps_what_was_typed(app, thread, body,
                                                                      message):
    client = as_employee(app)
    plain = reply(client, thread, body)
    assert plain.status_code == 422 and message in plain.get_data(as_text=True)
    swapped = reply(client, thread, body, headers=HTMX)
    assert swapped.status_code == 422 and message in swapped.get_data(as_text=True)
    assert swapped.headers["HX-Retarget"] == "#reply-form"
    assert Post.select().count() == 0


def test_replies_to_a_missing_reply_are_404(app, thread):
    client = as_employee(app)
    response = reply(client, thread, "Hi", parent="ab" * 16)
    assert response.status_code == 404
    assert "no such reply" in response.get_data(as_text=True)


def test_html_and_hx_attributes_in_a_body_are_inert(app, thread):
    client = as_employee(app)
    reply(client, thread, '<button hx-post="/signout" hx-trigger="load">x</button>'
                          '<a href="javascript:alert(1)">y</a>')
    page = client.get(f"/board/{thread.id}").get_data(as_text=True)
    assert 'hx-trigger="load"' not in page and 'href="javascript:' not in page
    assert "&lt;button hx-post=&#34;/signout&#34;" in page


def test_reactions_count_once_per_person(app, thread):
    client = as_employee(app)
    page = client.get(f"/board/{thread.id}").get_data(as_text=True)
    data = {"target": "thread", "kind": "me_too", "csrf_token": csrf_token(page)}
    first = client.post(f"/board/{thread.id}/react", data=data, headers=HTMX)
    assert first.status_code == 200 and "Me too · 1" in first.get_data(as_text=True)
    assert 'aria-pressed="true"' in first.get_data(as_text=True)
    again = client.post(f"/board/{thread.id}/react", data=data, headers=HTMX)
    assert again.status_code == 409 and "already said" in again.get_data(as_text=True)
    assert "Me too · 1" in again.get_data(as_text=True)
    plain = client.post(f"/board/{thread.id}/react", data=data)
    assert plain.status_code == 409
    other = as_employee(app, n=1)
    assert other.post(f"/board/{thread.id}/react", data={**data, "csrf_token": csrf_token(
        other.get(f"/board/{thread.id}").get_data(as_text=True))}).status_code == 303
    assert Thread.get_by_id(thread.id).me_too == 2


def test_polling_answers_204_until_something_changes(app, thread):
    client = as_employee(app)
    current = Thread.get_by_id(thread.id).revision
    assert client.get(f"/board/{thread.id}/replies?v={current}", headers=HTMX).status_code == 204
    as_other = as_employee(app, n=1)
    reply(as_other, thread, "New one")
    fresh = client.get(f"/board/{thread.id}/replies?v={current}", headers=HTMX)
    assert fresh.status_code == 200 and "New one" in fresh.get_data(as_text=True)
    assert f"v={current + 1}" in fresh.get_data(as_text=True)


def test_employees_and_other_leaders_cannot_change_the_status(app, thread, two_teams):  # noqa: F811
    client = as_employee(app)
    page = client.get(f"/board/{thread.id}").get_data(as_text=True)
    assert "Change the status" not in page
    refused = client.post(f"/board/{thread.id}/status",
                          data={"status": "done", "csrf_token": csrf_token(page)})
    assert refused.status_code == 403 and "Only a leader of Acme/Platform" in refused.get_data(True)
    sales = app.test_client()
    sign_in(sales, two_teams["sales_lead"])
    assert sales.get(f"/board/{thread.id}").status_code == 404
    assert Thread.get_by_id(thread.id).status == "acknowledged"


def test_a_leader_answers_from_the_theme_page_and_sets_a_status(app, two_teams):  # noqa: F811
    client = app.test_client()
    sign_in(client, two_teams["platform_lead"])
    round_, team = two_teams["round"], two_teams["platform"]
    dashboard = client.get(f"/themes?round={round_.id}&team={team.id}").get_data(as_text=True)
    assert "Themes awaiting a reply" in dashboard and "Answer Workload" in dashboard
    path = f"/board/new?theme=workload&round={round_.id}&team={team.id}"
    assert "Answer this theme in public" in client.get(
        f"/themes/workload?round={round_.id}&team={team.id}").get_data(as_text=True)
    refused = post_form(client, path, {"body": "No", "status": "wont_do", "reason": ""})
    assert refused.status_code == 422 and "reason" in refused.get_data(as_text=True)
    created = post_form(client, path, {"body": "We will hire.", "status": "planned"})
    assert created.status_code == 303
    thread_path = created.headers["Location"]
    status = post_form(client, thread_path + "/status", {"status": "in_progress"}, page=thread_path)
    assert status.status_code == 303
    page = client.get(thread_path).get_data(as_text=True)
    assert "status: Planned → In progress" in page
    assert client.get(path).headers["Location"] == thread_path  # opening twice: the same thread
    dashboard = client.get(f"/themes?round={round_.id}&team={team.id}").get_data(as_text=True)
    assert "Answer Workload" not in dashboard and "How fast leaders answer" in dashboard


def test_hr_hides_a_reply_and_reads_it_in_the_audit_log(app, thread, two_teams):  # noqa: F811
    client = as_employee(app)
    reply(client, thread, "Something abusive")
    post = Post.get()
    hr = app.test_client()
    sign_in(hr, two_teams["hr"])
    hidden = post_form(hr, f"/board/{thread.id}/hide",
                       {"post": post.id.hex(), "reason": "Abusive"}, page=f"/board/{thread.id}")
    assert hidden.status_code == 303
    page = client.get(f"/board/{thread.id}").get_data(as_text=True)
    assert "Hidden by HR: Abusive" in page and "Something abusive" not in page
    log = hr.get("/audit").get_data(as_text=True)
    assert "hide reply" in log and two_teams["hr"].name in log and "Abusive" in log
    leader = app.test_client()
    sign_in(leader, two_teams["platform_lead"])
    assert leader.get("/audit").status_code == 404
    assert post_form(leader, f"/board/{thread.id}/hide", {"post": post.id.hex(), "reason": "x"},
                     page=f"/board/{thread.id}").status_code == 404
    assert client.get("/audit").status_code == 404
    assert AuditEntry.select().count() == 1


def test_anonymous_replies_are_rate_limited_with_a_clear_message(app, thread):
    client = as_employee(app)
    for n in range(3):
        assert reply(client, thread, f"Anonymous {n}").status_code == 303
    limited = reply(client, thread, "One too many")
    assert limited.status_code == 429
    assert "most anonymous replies allowed" in limited.get_data(as_text=True)
    assert reply(client, thread, "Signed is fine", identity="named").status_code == 303
    assert Post.select().count() == 4


def test_the_board_filters_and_refuses_unknown_filters(app, thread):
    client = as_employee(app)
    assert "Workload" in client.get("/board?status=acknowledged").get_data(as_text=True)
    assert "No threads match" in client.get("/board?status=done").get_data(as_text=True)
    assert client.get("/board?status=bogus").status_code == 404
    assert client.get("/board?theme=nope").status_code == 404
    assert client.get("/board/999999").status_code == 404


def test_the_board_needs_a_sign_in(app, thread):
    response = app.test_client().get("/board")
    assert response.status_code == 303 and response.headers["Location"].startswith("/signin")


def test_from_the_pulse_to_the_board(app, make_round):
    round_ = make_round({"Acme/Platform": 6})
    invitation = invitations_of(round_)[0]
    client = app.test_client()
    html = open_pulse(client, invitation)
    answer(invitation)
    page = client.get("/pulse").get_data(as_text=True)
    assert "Read the board" in page
    moved = client.post("/pulse/board", data={"csrf_token": csrf_token(html)})
    assert moved.status_code == 303 and moved.headers["Location"] == "/board"
    assert client.get("/board").status_code == 200


def test_a_leaders_pulse_link_does_not_sign_them_in(app, make_round, make_staff):
    from app.pulse import rounds
    make_staff(team="Acme/Platform", leads="Acme/Platform", name="Lea Der")
    round_ = make_round({"Acme/Platform": 6})
    invitation = next(i for i in invitations_of(round_) if i.person.role == "leader")
    client = app.test_client()
    html = open_pulse(client, invitation)
    moved = client.post("/pulse/board", data={"csrf_token": csrf_token(html)})
    assert moved.headers["Location"].startswith("/signin")
    assert client.get("/board").status_code == 303
    assert rounds  # the module is used to open the round above


def test_pages_never_name_an_anonymous_author(app, thread, two_teams):  # noqa: F811
    authors = [employee(n=n) for n in range(3)]
    for n, person in enumerate(authors):
        client = app.test_client()
        sign_in_by_link(client, person)
        reply(client, thread, f"Anonymous remark {n}")
    hr = app.test_client()
    sign_in(hr, two_teams["hr"])
    for client in (hr, as_employee(app, n=4)):
        for path in ("/board", f"/board/{thread.id}", f"/board/{thread.id}/replies"):
            html = client.get(path).get_data(as_text=True)
            for person in authors:
                assert person.name not in html and person.email not in html, path
                assert not re.search(rf"\bperson[-_ ]?{person.id}\b", html)
    assert all(p.author_id is None for p in Post.select())
