"""HR downloads a themes export in a real browser and opens the file."""
import csv

import pytest

from app.accounts import credentials
from app.models import AuditEntry
from tests.browser_support import DESKTOP, live_server

pytestmark = pytest.mark.browser


def test_hr_downloads_the_themes_of_a_round_for_excel(app, browser, two_teams, tmp_path):
    with app.app_context():
        token = credentials.create_sign_in_link(two_teams["hr"], 15)
    with live_server(app) as server:
        page = browser.new_context(viewport=DESKTOP, accept_downloads=True).new_page()
        problems = []
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.goto(f"{server}/signin/link/{token}")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(server + "/themes")
        page.get_by_role("link", name="Exports").click()
        page.wait_for_url(server + "/exports")
        page.get_by_label("Rounds").select_option(str(two_teams["round"].id))
        page.get_by_label("Teams").select_option("Acme/Sales")
        page.get_by_label("For Excel").check()
        with page.expect_download() as download_info:
            page.get_by_role("button", name="Download CSV").click()
        download = download_info.value
        assert download.suggested_filename.startswith("heard-themes-")
        assert download.suggested_filename.endswith(".csv")
        saved = tmp_path / download.suggested_filename
        download.save_as(saved)
        assert saved.read_bytes().startswith(b"\xef\xbb\xbf")
        with open(saved, encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
        assert {r["team_path"] for r in rows} == {"Acme/Sales"}
        workload = next(r for r in rows if r["theme"] == "Workload")
        # 11 of 12: the count itself would say who did not answer (docs/anonymity.md).
        assert workload["respondents"] == "" and workload["respondents_at_least"] == "5"
        assert workload["suppressed"] == "no"
        # A bad range comes back on the page, with no download.
        page.get_by_label("Rounds").select_option("")
        page.get_by_label("Closed from").fill("2099-01-01")
        page.get_by_role("button", name="Download CSV").click()
        assert page.get_by_role("alert").inner_text().startswith("No round closed on or after")
        # Chromium logs every 4xx page as a failed resource; nothing else may complain.
        assert [p for p in problems if "status of 422" not in p] == []
    with app.app_context():
        assert AuditEntry.select().where(AuditEntry.action == "export_themes").count() == 1
