"""In Chromium: a leader answers a theme and sets it to planned; an employee on a phone
reads it, replies anonymously and reacts, in place; the leader sees the reply arrive."""
import pytest

from app.accounts import credentials
from app.models import Person
from tests.browser_support import DESKTOP, PHONE, live_server

pytestmark = pytest.mark.browser


def watched(context):
    """A page whose script errors and console errors (CSP refusals too) are collected."""
    page = context.new_page()
    page.problems = []
    page.on("pageerror", lambda error: page.problems.append(str(error)))
    page.on("console", lambda m: page.problems.append(m.text) if m.type == "error" else None)
    return page


def sign_in_by_link(page, server, token):
    page.goto(f"{server}/signin/link/{token}")
    page.get_by_role("button", name="Sign in").click()


def test_a_leader_answers_and_an_employee_replies_on_a_phone(app, browser, two_teams, tmp_path):
    leader = two_teams["platform_lead"]
    with app.app_context():
        employee = Person.get(Person.role == "employee",
                              Person.team == two_teams["platform"].id)
        leader_token = credentials.create_sign_in_link(leader, 15)
        employee_token = credentials.create_sign_in_link(employee, 15)
    with live_server(app) as server:
        desk = watched(browser.new_context(viewport=DESKTOP))
        sign_in_by_link(desk, server, leader_token)
        desk.wait_for_url(server + "/themes")
        assert desk.get_by_text("Themes awaiting a reply").is_visible()
        desk.get_by_role("link", name="Workload", exact=True).click()
        desk.get_by_role("link", name="Answer this theme in public").click()
        desk.get_by_label("Your answer, in your own words").fill(
            "You told us deadlines hurt.\nWe are moving the March release by two weeks.")
        desk.get_by_label("Status").select_option("planned")
        desk.get_by_role("button", name="Publish").click()
        desk.wait_for_url("**/board/*")
        thread_url = desk.url
        assert desk.locator(".status").first.inner_text() == "Planned"

        phone = watched(browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True))
        sign_in_by_link(phone, server, employee_token)
        phone.wait_for_url(server + "/board")
        phone.get_by_role("link", name="Workload").click()
        phone.wait_for_url(thread_url)
        assert "moving the March release" in phone.inner_text("main")
        assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        phone.get_by_label("Reply to this thread").fill("Thank you, this <b>helps</b>.")
        assert phone.get_by_label("Anonymously").is_checked()
        phone.get_by_role("button", name="Send reply").click()
        reply = phone.locator("#replies .post").first
        reply.wait_for()
        assert "An anonymous colleague" in reply.inner_text()
        assert "Thank you, this <b>helps</b>." in reply.inner_text()
        assert phone.get_by_label("Reply to this thread").input_value() == ""  # a fresh form
        assert phone.url == thread_url  # updated in place, no reload

        me_too = phone.locator("#react-t%s button[value=me_too]" % thread_url.rsplit("/", 1)[1])
        me_too.click()
        phone.wait_for_selector("#react-t%s button[aria-pressed=true]" % thread_url.rsplit("/", 1)[1])
        assert "Me too · 1" in phone.locator(".reactions").first.inner_text()
        box = me_too.bounding_box()
        assert box["height"] >= 44
        phone.screenshot(path=tmp_path / "board-phone.png", full_page=True)  # for a failure's post-mortem

        # The leader's open page gets the reply by polling, without a reload.
        desk.locator("#replies .post").first.wait_for(timeout=25_000)
        assert "Thank you, this <b>helps</b>." in desk.inner_text("#replies")
        assert employee.name not in desk.inner_text("main")
        assert desk.problems == [] and phone.problems == []
