"""Open links (QR posters): HR makes one, anyone with it picks a team and answers;
rate limits per browser and address; every anonymity rule still holds."""
import re

import pytest

from app.accounts.roster import import_roster
from app.models import (
    AuditEntry, Comment, OpenLink, Participation, PendingAnswer, Response, TeamTally)
from app.pulse import open_links, rounds
from tests.support import (
    answer, client_at, csrf_token, form_answers, invitations_of, roster_csv, sign_in)

pytestmark = pytest.mark.app_settings(OPEN_LINK_LIMIT_PER_DEVICE="3 per hour",
                                      OPEN_LINK_LIMIT_PER_ADDRESS="5 per hour")
TEAMS = {"Acme/Ops/Warehouse": 3, "Acme/Ops/Drivers": 6, "Acme/Sales": 5}


@pytest.fixture
def app(app):
    """The app, with people in TEAMS."""
    with app.app_context():
        import_roster(roster_csv(TEAMS))
    return app


@pytest.fixture
def hr(app, make_staff):
    with app.app_context():
        return make_staff("hr")


@pytest.fixture
def link(app, hr):
    with app.app_context():
        return open_links.create("Acme/Ops", "Pulse for Ops", hr)


@pytest.fixture
def round_(app):
    with app.app_context():
        return rounds.open_round("weekly", "Acme", 5, 5)


def poster_path(app, link):
    with app.app_context():
        return "/o/" + open_links.token_of_salt(link.salt)


def team_id(app, path):
    from app.models import Team
    with app.app_context():
        return Team.by_path(path).id


def start(client, app, link, team="Acme/Ops/Warehouse"):
    """Open the poster's link and choose a team; return the pulse page's HTML."""
    response = client.get(poster_path(app, link))
    assert response.status_code == 303 and response.headers["Location"] == "/open"
    page = client.get("/open").get_data(as_text=True)
    chosen = client.post("/open", data={"team": team_id(app, team),
                                        "csrf_token": csrf_token(page)})
    assert chosen.status_code == 303 and chosen.headers["Location"] == "/open/pulse"
    return client.get("/open/pulse").get_data(as_text=True)


def send(client, app, round_, html, **extra):
    with app.app_context():
        data = form_answers(round_, **extra)
    return client.post("/open/pulse", data={**data, "csrf_token": csrf_token(html)})


def test_hr_makes_an_open_link_and_gets_a_printable_qr_code(app, hr, client):
    sign_in(client, hr)
    page = client.get("/open-links").get_data(as_text=True)
    response = client.post("/open-links", data={"team": "Acme/Ops", "label": "Warehouse pulse",
                                                "csrf_token": csrf_token(page)})
    assert response.status_code == 303
    poster = client.get(response.headers["Location"]).get_data(as_text=True)
    url = re.search(r'class="poster-url">([^<]+)<', poster).group(1)
    assert url.startswith("http://heard.test/o/") and "Warehouse pulse" in poster
    svg = client.get(re.search(r'<img class="qr" src="([^"]+)"', poster).group(1))
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert svg.data.startswith(b"<?xml") and b"<svg" in svg.data and b"<script" not in svg.data
    assert svg.data == open_links.qr_svg(url, "Warehouse pulse")  # the QR code of that URL
    download = client.get(re.search(r'href="([^"]+download=1)"', poster).group(1)
                          .replace("&amp;", "&"))
    assert download.headers["Content-Disposition"].startswith("attachment")
    with app.app_context():
        assert AuditEntry.get().action == "create open link"
        assert OpenLink.get().token_hash != url.rsplit("/", 1)[1]  # only a hash is stored


@pytest.mark.parametrize(("form", "message"), [
    ({"team": "Nowhere"}, "Choose one of the teams"),
    ({"team": "Acme", "label": "x" * 121}, "120 characters"),
    ({"team": "Acme", "label": "Ops\0poster"}, "cannot be printed"),
    ({"team": "Acme", "label": "Ops\x07poster"}, "cannot be printed"),
])
def test_a_bad_open_link_request_is_refused_with_a_sentence(app, hr, client, form, message):
    sign_in(client, hr)
    page = client.get("/open-links").get_data(as_text=True)
    response = client.post("/open-links", data={**form, "csrf_token": csrf_token(page)})
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    with app.app_context():
        assert OpenLink.select().count() == 0


def test_leaders_and_employees_cannot_manage_open_links(app, make_staff, link):
    with app.app_context():
        leader = make_staff("leader", leads="Acme/Ops")
    client = app.test_client()
    sign_in(client, leader)
    for path in ("/open-links", f"/open-links/{link.id}", f"/open-links/{link.id}/qr.svg",
                 "/schedules"):
        assert client.get(path).status_code == 404, path


def test_someone_answers_through_the_poster_anonymously(app, link, round_):
    client = app.test_client()
    html = start(client, app, link)
    assert "does not know who you are" in html
    assert 'value="named"' not in html  # nobody to sign as
    assert "Warehouse" in html and "counted" in html
    response = send(client, app, round_, html, identity="named",
                    q_one_thing="More shade in the yard")
    assert response.status_code == 200
    assert "Thank you, your answer is in" in response.get_data(as_text=True)
    with app.app_context():
        assert Participation.select().count() == 0  # nobody to record
        assert PendingAnswer.select().count() == 1
        # Warehouse has 3 people invited and Ops none of its own, so the answer waits
        # at Acme, where theirs do (app.pulse.rounds.counting_teams).
        assert PendingAnswer.get().team.path == "Acme"
    # The comment, released at the close with four answers of the same group (a pool
    # never goes out under k), carries no author.
    with app.app_context():
        for invitation in [i for i in invitations_of(round_) if i.team.path == "Acme/Sales"][:4]:
            answer(invitation)
        rounds.close_round(round_, 5)
        assert Comment.get().author is None


def test_only_teams_of_the_links_subtree_may_be_chosen(app, link, round_):
    client = app.test_client()
    client.get(poster_path(app, link))
    page = client.get("/open").get_data(as_text=True)
    assert "Drivers" in page and "Sales" not in page
    response = client.post("/open", data={"team": team_id(app, "Acme/Sales"),
                                          "csrf_token": csrf_token(page)})
    assert response.status_code == 422 and "Choose your team" in response.get_data(True)
    for bad in ("", "x", "99999999999999999999999", "1; DROP TABLE team", "٣", "1_0"):
        response = client.post("/open", data={"team": bad, "csrf_token": csrf_token(page)})
        assert response.status_code == 422


def test_answers_through_the_poster_reach_results_only_in_batches_of_k(app, link, round_):
    for n in range(9):
        client = client_at(app, f"10.0.1.{n}")
        assert send(client, app, round_, start(client, app, link, "Acme/Ops/Drivers")
                    ).status_code == 200
    with app.app_context():
        assert Response.select().count() == 0 and TeamTally.select().count() == 0
    client = client_at(app, "10.0.0.2")
    send(client, app, round_, start(client, app, link, "Acme/Ops/Drivers"))
    with app.app_context():
        # 10 waiting: 5 released, 5 kept for the close.
        assert Response.select().count() == 5 and PendingAnswer.select().count() == 5


def test_a_poster_used_faster_than_the_limit_gets_a_clear_429(app, link, round_):
    phone = app.test_client()
    for _ in range(3):
        assert send(phone, app, round_, start(phone, app, link)).status_code == 200
    html = start(phone, app, link)
    refused = send(phone, app, round_, html)
    assert refused.status_code == 429
    text = refused.get_data(as_text=True)
    assert "Please slow down" in text and "was not saved" in text and "3 per hour" in text
    with app.app_context():
        assert PendingAnswer.select().count() + Response.select().count() == 3
    # Another phone on the same network may still answer, up to the network's limit.
    other = app.test_client()
    assert send(other, app, round_, start(other, app, link)).status_code == 200
    assert send(other, app, round_, start(other, app, link)).status_code == 200
    assert send(other, app, round_, start(other, app, link)).status_code == 429
    # Elsewhere, nothing is limited.
    away = client_at(app, "192.0.2.9")
    assert send(away, app, round_, start(away, app, link)).status_code == 200


def test_a_form_with_mistakes_does_not_use_up_the_limit(app, link, round_):
    phone = app.test_client()
    html = start(phone, app, link)
    for _ in range(5):
        response = phone.post("/open/pulse", data={"csrf_token": csrf_token(html)})
        assert response.status_code == 422
    assert send(phone, app, round_, html).status_code == 200


def test_a_revoked_or_unknown_link_says_so_plainly(app, hr, link, round_):
    client = app.test_client()
    html = start(client, app, link)
    with app.app_context():
        open_links.revoke(OpenLink.get(), hr)
    response = send(client, app, round_, html)
    assert response.status_code == 404 and "poster" in response.get_data(as_text=True)
    assert client.get(poster_path(app, link)).status_code == 404
    assert client.get("/o/" + "A" * 43).status_code == 404
    assert client.get("/o/not-a-token").status_code == 404


def test_no_open_round_for_the_team_is_said_plainly(app, link):
    client = app.test_client()
    client.get(poster_path(app, link))
    page = client.get("/open").get_data(as_text=True)
    response = client.post("/open", data={"team": team_id(app, "Acme/Ops/Drivers"),
                                          "csrf_token": csrf_token(page)})
    assert response.status_code == 200
    assert "No pulse is open for Drivers right now" in response.get_data(as_text=True)


def test_the_pulse_pages_need_the_posters_session(app):
    client = app.test_client()
    for path in ("/open", "/open/pulse"):
        assert client.get(path).status_code == 404


def test_a_personal_link_token_does_not_open_as_a_poster(app, link, round_):
    from app.crypto import links
    with app.app_context():
        token = links.token_for(invitations_of(round_)[0].salt)
        assert open_links.link_for_token(token) is None
        assert links.invitation_for_token(open_links.token_of_salt(link.salt)) is None


def choose_again(client, app, team="Acme/Ops/Warehouse"):
    """After an answer, pick the team again in the same poster session (without
    opening the poster's link, which would hand out a new mark); return the form."""
    page = client.get("/open").get_data(as_text=True)
    chosen = client.post("/open", data={"team": team_id(app, team),
                                        "csrf_token": csrf_token(page)})
    assert chosen.status_code == 303
    return client.get("/open/pulse").get_data(as_text=True)


def test_a_device_mark_made_up_by_the_browser_does_not_escape_the_limit(app, link, round_):
    """The audit's attack: a fresh heard_device cookie with every answer. A mark the
    server did not sign counts as none, and unmarked browsers share one small count
    per address: the fourth answer is refused, as for one honest phone."""
    import secrets

    from app.views.limits import DEVICE_COOKIE
    attacker = app.test_client()
    html = start(attacker, app, link)
    statuses = []
    for attempt in range(6):
        attacker.set_cookie(DEVICE_COOKIE, secrets.token_urlsafe(16))
        statuses.append(send(attacker, app, round_, html).status_code)
        if statuses[-1] == 200:
            html = choose_again(attacker, app)
    assert statuses == [200, 200, 200, 429, 429, 429]
    with app.app_context():
        assert PendingAnswer.select().count() + Response.select().count() == 3


@pytest.mark.parametrize("forged", [
    "x", "A" * 4000, "eyJhIjoxfQ.bad-signature", "\u00e9\u0000", "..", "null.",
])
def test_a_forged_or_broken_mark_is_no_mark_and_never_a_500(app, link, round_, forged):
    from app.views.limits import DEVICE_COOKIE
    phone = app.test_client()
    html = start(phone, app, link)
    phone.set_cookie(DEVICE_COOKIE, forged)
    assert send(phone, app, round_, html).status_code == 200
    # Opening the poster again replaces it with a mark the server signed.
    response = phone.get(poster_path(app, link))
    assert response.status_code == 303
    cookie = phone.get_cookie(DEVICE_COOKIE)
    assert cookie is not None and cookie.value != forged and "." in cookie.value


def test_the_device_mark_is_signed_by_the_server_and_kept(app, link, round_):
    from app.views.limits import DEVICE_COOKIE
    phone = app.test_client()
    start(phone, app, link)
    mark = phone.get_cookie(DEVICE_COOKIE)
    assert mark.http_only and mark.same_site == "Lax"
    start(phone, app, link)  # the poster again: the valid mark is kept, not renewed
    assert phone.get_cookie(DEVICE_COOKIE).value == mark.value
    # Another app's secret does not accept it: made with the session secret.
    from itsdangerous import BadSignature, URLSafeSerializer
    with pytest.raises(BadSignature):
        URLSafeSerializer("another secret", salt="heard device mark/1").loads(mark.value)
