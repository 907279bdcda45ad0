"""Page weight of the pulse on a phone: first load and repeat visit, in Chromium.

Budget (issue 2): first load at most 35 kB transferred, at most 5 requests, none to
another host; a repeat visit at most 8 kB.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from app import links  # noqa: E402
from app.models import Invitation, Participation, Round  # noqa: E402
from bench.setup import demo_instance  # noqa: E402
from tests.browser_support import PHONE, chromium, live_server, weigh  # noqa: E402


def unanswered_link():
    round_ = Round.select().where(Round.closed_at.is_null()).get()
    answered = Participation.select(Participation.person).where(Participation.round == round_)
    invitation = Invitation.select().where(Invitation.round == round_,
                                           Invitation.person.not_in(answered)).first()
    return "/p/" + links.token_for(invitation.salt)


def main():
    app, _directory = demo_instance()
    path = unanswered_link()
    with live_server(app) as server, chromium() as browser:
        page = browser.new_context(viewport=PHONE).new_page()
        first = weigh(page, server + path)
        repeat = weigh(page, server + "/pulse")
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
