"""Take the documentation's screenshots of the demo company (docs/screenshots/).

    .venv/bin/python scripts/screenshots.py
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from app.accounts import credentials
from app.models import OpenLink, Person, Thread  # noqa: E402
from app.pulse import open_links
from bench.setup import PROJECT_DIR, demo_instance  # noqa: E402
from tests.browser_support import PHONE, chromium, live_server  # noqa: E402

SCREENSHOTS = os.path.join(PROJECT_DIR, "docs", "screenshots")


def main():
    app, _directory = demo_instance(REQUIRE_MFA=False)
    with app.app_context():
        token = credentials.create_sign_in_link(Person.get(Person.name == "Hannah Weber"), 15)
        employee = Person.select().where(Person.role == "employee").order_by(Person.email).first()
        board_token = credentials.create_sign_in_link(employee, 15)
        busiest = Thread.select().order_by(Thread.replies.desc()).first()
        poster = OpenLink.select().first()
        poster_path = "/o/" + open_links.token_of_salt(poster.salt)
    with live_server(app) as server, chromium() as browser:
        for name, viewport, mobile in (("390", PHONE, True),
                                       ("1280", {"width": 1280, "height": 900}, False)):
            context = browser.new_context(viewport=viewport, is_mobile=mobile,
                                          has_touch=mobile, device_scale_factor=1)
            page = context.new_page()
            if name == "390":
                page.goto(f"{server}/signin/link/{token}")
                page.get_by_role("button", name="Sign in").click()
                page.wait_for_url(server + "/themes")
                cookies = context.cookies()
            else:
                context.add_cookies(cookies)
                page.goto(f"{server}/themes")
            page.screenshot(path=os.path.join(SCREENSHOTS, f"dashboard-{name}.png"))
            page.goto(f"{server}/themes/workload")
            page.screenshot(path=os.path.join(SCREENSHOTS, f"theme-{name}.png"))
            page.goto(f"{server}/exports")
            page.screenshot(path=os.path.join(SCREENSHOTS, f"exports-{name}.png"))
            if name == "1280":
                page.goto(f"{server}/schedules")
                page.screenshot(path=os.path.join(SCREENSHOTS, "schedules-1280.png"),
                                full_page=True)
                page.goto(f"{server}/open-links/{poster.id}")
                page.screenshot(path=os.path.join(SCREENSHOTS, "poster-1280.png"))
            context.close()
        context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True,
                                      device_scale_factor=1)
        page = context.new_page()
        page.goto(f"{server}/signin/link/{board_token}")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(server + "/board")
        page.screenshot(path=os.path.join(SCREENSHOTS, "board-390.png"))
        page.goto(f"{server}/board/{busiest.id}")
        page.screenshot(path=os.path.join(SCREENSHOTS, "thread-390.png"), full_page=True)
        page = context.new_page()
        page.goto(server + poster_path)
        page.screenshot(path=os.path.join(SCREENSHOTS, "open-team-390.png"))
    print("wrote docs/screenshots/dashboard-*.png, theme-*.png, exports-*.png, board-390.png, "
          "thread-390.png, schedules-1280.png, poster-1280.png and open-team-390.png")


if __name__ == "__main__":
    main()
