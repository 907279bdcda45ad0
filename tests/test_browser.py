"""An employee answers on a phone-sized screen in real Chromium."""
import pytest

from app.models import Participation, PendingAnswer
from tests.browser_support import FIRST_LOAD_BUDGET, PHONE, answer_everything, live_server, weigh
from tests.support import invitations_of, personal_path

pytestmark = pytest.mark.browser
REPEAT_BUDGET = 8 * 1024
# Chromium logs every 4xx; a 422 is how the form answers with inline errors.
EXPECTED_422 = "status of 422"


@pytest.fixture
def server(app):
    with live_server(app) as url:
        yield url


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    problems = []
    page.on("console", lambda m: problems.append(m.text)
            if m.type in ("error", "warning") and EXPECTED_422 not in m.text else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.problems = problems
    yield page
    context.close()


def test_an_employee_answers_every_question_and_sends(phone, server, make_round):
    round_ = make_round()
    invitation = invitations_of(round_)[0]
    phone.goto(server + personal_path(invitation))
    assert phone.url == server + "/pulse"  # the token left the address bar
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    answer_everything(phone, "More focus time, fewer meetings.")
    # The progress line counts checked answers with a CSS counter (no script).
    assert phone.locator(".q input:checked").count() == 9
    assert phone.locator(".progress").inner_text().endswith("of 9 answered")
    phone.evaluate("window.notReloaded = true")
    phone.get_by_role("button", name="Send").tap()
    phone.get_by_text("Thank you, your answer is in").wait_for()
    assert phone.evaluate("window.notReloaded") is True  # htmx swapped it in place
    assert Participation.select().count() == 1 and PendingAnswer.select().count() == 1
    assert phone.problems == []  # no CSP violation, no script error


def test_a_forgotten_question_is_flagged_inline_without_a_reload(phone, server, make_round):
    invitation = invitations_of(make_round())[0]
    phone.goto(server + personal_path(invitation))
    answer_everything(phone, "")
    phone.locator("#q-peers_help label").nth(0).tap()  # a thumb on a touch screen
    phone.evaluate("document.querySelectorAll('#q-growth_learning input')"
                   ".forEach(i => i.checked = false)")
    phone.evaluate("window.notReloaded = true")
    phone.get_by_role("button", name="Send").tap()
    error = phone.locator("#e-growth_learning")
    error.wait_for()
    assert error.inner_text() == "Please choose an answer."
    assert phone.evaluate("window.notReloaded") is True
    assert phone.locator("#q-workload_manageable input:checked").count() == 1  # kept
    assert Participation.select().count() == 0
    assert phone.problems == []


def test_the_pulse_works_with_javascript_off(browser, server, make_round):
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    invitation = invitations_of(make_round())[0]
    page.goto(server + personal_path(invitation))
    answer_everything(page, "Plain HTML works too.")
    page.get_by_role("button", name="Send").click()
    page.get_by_text("Thank you, your answer is in").wait_for()
    assert page.url == server + "/pulse?sent=1"
    assert Participation.select().count() == 1
    context.close()


def test_the_pulse_page_stays_inside_its_weight_budget(browser, server, make_round):
    invitation = invitations_of(make_round())[0]
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    first = weigh(page, server + personal_path(invitation))
    assert first.hosts == {server.removeprefix("http://")}
    assert len(first.requests) <= 5 + 1  # the personal link's redirect, then 5 at most
    assert len([r for r in first.requests if "/p/" not in r]) <= 5
    assert first.bytes <= FIRST_LOAD_BUDGET, first.bytes
    repeat = weigh(page, server + "/pulse")
    assert repeat.bytes <= REPEAT_BUDGET, repeat.bytes
    context.close()


def test_every_answer_is_a_thumb_sized_target_on_a_360px_screen(browser, server, make_round):
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    page.goto(server + personal_path(invitations_of(make_round())[0]))
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    sizes = page.evaluate("""[...document.querySelectorAll('.scale span, .identity span, button')]
        .map(e => { const r = e.getBoundingClientRect(); return [r.width, r.height]; })""")
    assert len(sizes) == 8 * 5 + 11 + 2 + 1
    assert min(width for width, _ in sizes) >= 44 and min(height for _, height in sizes) >= 44
    context.close()
