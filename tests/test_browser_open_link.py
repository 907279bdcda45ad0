"""Someone without mail answers through a poster's link on a phone, in real Chromium
(nothing is scanned: the page opens the QR code's address)."""
import pytest

from app.models import Participation, PendingAnswer
from app.pulse import open_links, rounds
from tests.browser_support import FIRST_LOAD_BUDGET, answer_everything, live_server, weigh

pytestmark = pytest.mark.browser
NARROW_PHONE = {"width": 360, "height": 740}


@pytest.fixture
def poster_url(app, make_people, make_staff):
    with app.app_context():
        make_people({"Acme/Ops/Warehouse": 4, "Acme/Ops/Drivers": 6})
        rounds.open_round("weekly", "Acme", 5, 5)
        link = open_links.create("Acme/Ops", "Pulse for Ops", make_staff("hr"))
        return "/o/" + open_links.token_of_salt(link.salt)


def test_a_poster_link_is_answered_on_a_phone(app, browser, poster_url):
    with live_server(app) as server:
        context = browser.new_context(viewport=NARROW_PHONE, is_mobile=True, has_touch=True)
        page = context.new_page()
        problems = []
        page.on("console", lambda m: problems.append(m.text)
                if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.goto(server + poster_url)
        assert page.url == server + "/open"  # the token left the address bar
        assert page.evaluate("document.documentElement.scrollWidth") <= NARROW_PHONE["width"]
        page.get_by_text("Warehouse").tap()
        page.get_by_role("button", name="Next").tap()
        page.get_by_text("does not know who you are").wait_for()
        assert page.url == server + "/open/pulse"
        assert page.evaluate("document.documentElement.scrollWidth") <= NARROW_PHONE["width"]
        answer_everything(page, "A bench by the loading bay, please.")
        page.get_by_role("button", name="Send").tap()
        page.get_by_text("Thank you, your answer is in").wait_for()
        with app.app_context():
            assert PendingAnswer.select().count() == 1 and Participation.select().count() == 0
        assert problems == []
        weight = weigh(context.new_page(), server + poster_url)
        assert weight.bytes <= FIRST_LOAD_BUDGET and weight.hosts == {server[7:]}
        context.close()
