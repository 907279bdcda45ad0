"""Page weight on a phone, in Chromium: the pulse (first load and repeat visit) and a
board thread read by an employee.

Budget (issue 2): first load at most 35 kB transferred, at most 5 requests, none to
another host; a repeat visit at most 8 kB. The board is held to the same budget.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from app.accounts import credentials
from app.crypto import links
from app.models import Invitation, Participation, Person, Round, Thread  # noqa: E402
from bench.setup import demo_instance  # noqa: E402
from tests.browser_support import PHONE, chromium, live_server, weigh  # noqa: E402


def unanswered_link():
    round_ = Round.select().where(Round.closed_at.is_null()).get()
    answered = Participation.select(Participation.person).where(Participation.round == round_)
    invitation = Invitation.select().where(Invitation.round == round_,
                                           Invitation.person.not_in(answered)).first()
    return "/p/" + links.token_for(invitation.salt)


def board_link():
    """A sign-in link for an Engineering employee, and the path of the demo's busiest thread."""
    person = Person.select().where(Person.role == "employee",
                                   Person.email.startswith("a")).order_by(Person.email).first()
    thread = Thread.select().order_by(Thread.replies.desc()).first()
    return "/signin/link/" + credentials.create_sign_in_link(person, 15), f"/board/{thread.id}"


def weigh_board(browser, server, link, thread_path):
    page = browser.new_context(viewport=PHONE).new_page()
    page.goto(server + link)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/board")
    # A fresh context with only the session cookie: nothing cached, a true first load.
    cold = browser.new_context(viewport=PHONE, storage_state=page.context.storage_state())
    page = cold.new_page()
    first = weigh(page, server + thread_path)
    repeat = weigh(page, server + thread_path)
    print("board thread page weight, signed-in employee (Chromium, 390x844, gzip)")
    print(f"  first load : {first.bytes / 1024:5.1f} kB transferred, {len(first.requests)} "
          f"requests, hosts: {', '.join(sorted(first.hosts))}  (budget 35 kB, 5 requests)")
    print(f"  repeat     : {repeat.bytes / 1024:5.1f} kB transferred, {len(repeat.requests)} "
          f"request(s), {repeat.from_cache} served from cache  (budget 8 kB)")


def main():
    app, _directory = demo_instance()
    with app.app_context():
        path = unanswered_link()
        link, thread_path = board_link()
    with live_server(app) as server, chromium() as browser:
        page = browser.new_context(viewport=PHONE).new_page()
        first = weigh(page, server + path)
        repeat = weigh(page, server + "/pulse")
        report_pulse(first, repeat)
        weigh_board(browser, server, link, thread_path)


def report_pulse(first, repeat):
    pages = [url for url in first.requests if "/p/" not in url]
    print("pulse page weight (Chromium, 390x844, gzip)")
    print(f"  first load : {first.bytes / 1024:5.1f} kB transferred, {len(pages)} requests "
          f"after the link's redirect, hosts: {', '.join(sorted(first.hosts))}  "
          f"(budget 35 kB, 5 requests)")
    for url in pages:
        print(f"               {url.split('/', 3)[-1]}")
    print(f"  repeat     : {repeat.bytes / 1024:5.1f} kB transferred, {len(repeat.requests)} "
          f"request(s), {repeat.from_cache} served from cache  (budget 8 kB)")


if __name__ == "__main__":
    main()
