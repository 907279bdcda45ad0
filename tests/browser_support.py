"""Helpers for browser tests and the page-weight benchmark: a live server on 127.0.0.1,
Debian's Chromium under Playwright, and a transfer meter built on the DevTools protocol."""
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
FIRST_LOAD_BUDGET = 35 * 1024  # bytes on the wire for a first visit to a pulse page


@contextmanager
def live_server(app):
    """Serve the app on a free loopback port in a background thread."""
    server = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@contextmanager
def chromium():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Transfer:
    """What one navigation put on the wire, as Chromium's network panel counts it."""
    requests: list = field(default_factory=list)
    hosts: set = field(default_factory=set)
    bytes: int = 0
    from_cache: int = 0


def weigh(page, url):
    """Load url in page and return the Transfer it caused (headers and bodies)."""
    session = page.context.new_cdp_session(page)
    session.send("Network.enable")
    transfer = Transfer()

    def sent(event):
        transfer.requests.append(event["request"]["url"])
        transfer.hosts.add(urlsplit(event["request"]["url"]).netloc)

    def finished(event):
        transfer.bytes += event["encodedDataLength"]

    def cached(_event):
        transfer.from_cache += 1

    session.on("Network.requestWillBeSent", sent)
    session.on("Network.loadingFinished", finished)
    session.on("Network.requestServedFromCache", cached)
    page.goto(url, wait_until="networkidle")
    session.detach()
    return transfer


def answer_everything(page, comment):
    """Pick the second-best answer of every question and write `comment` in text boxes."""
    for fieldset in page.locator("fieldset.q").all():
        if fieldset.locator("textarea").count():
            fieldset.locator("textarea").fill(comment)
        else:
            options = fieldset.locator("label")
            options.nth(options.count() - 2).click()
