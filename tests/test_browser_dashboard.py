"""A leader signs in with a one-time link and reads the themes, on a phone and a desktop."""
import pytest

from app.accounts import credentials
from tests.browser_support import DESKTOP, PHONE, live_server

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("screen", ["phone", "desktop"])
def test_a_leader_signs_in_with_a_link_reads_the_dashboard_and_opens_a_theme(
        app, browser, two_teams, screen, tmp_path):  # noqa: F811
    leader = two_teams["platform_lead"]
    with app.app_context():
        token = credentials.create_sign_in_link(leader, 15)
    if screen == "phone":
        context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    else:
        context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    with live_server(app) as server:
        page.goto(f"{server}/signin/link/{token}")
        assert page.url == server + "/signin/link"  # the token left the address bar
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(server + "/themes")
        assert page.get_by_role("heading", name="What people are saying").is_visible()
        assert "At least 5 people answered in Acme/Platform" in page.inner_text("main")
        cards = page.locator(".theme-card")
        assert cards.count() == 9 and cards.locator("svg.trend").count() == 9
        assert page.locator("table.heatmap td.cell").count() == 9
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= page.viewport_size["width"], "the page itself never scrolls sideways"
        page.screenshot(path=tmp_path / f"dashboard-{screen}.png")  # for a failure's post-mortem
        link = page.get_by_role("link", name="Workload", exact=True)
        box = link.bounding_box()
        assert box["height"] >= 44  # a thumb-sized target, on a phone too
        link.click()
        page.wait_for_url("**/themes/workload?**")
        text = page.inner_text("main")
        assert "My workload this week was manageable." in text
        assert "The deadline pressure is too much" in text
        assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
        # Whole percentages where the count of respondents may not show (11 of 12).
        assert page.locator(".bars .tally").first.inner_text() == "0%"
    assert problems == []
    context.close()
