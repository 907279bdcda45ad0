"""`flask board export DIR`: the board as plain HTML files that work from disk."""
import os
import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest

from app.board import conversations
from app.models import Person, Team, Theme
from app.thresholds import Thresholds


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.found.append(value)


def links_in(path):
    parser = Links()
    with open(path, encoding="utf-8") as handle:
        parser.feed(handle.read())
    return parser.found


@pytest.fixture
def board(two_teams):  # noqa: F811
    round_, lead = two_teams["round"], two_teams["platform_lead"]
    threads = [
        conversations.open_thread(lead, round_, Theme.get_by_id("workload"),
                                  two_teams["platform"], "Release moved.", "planned",
                                  now=round_.closed_at + timedelta(days=1)),
        conversations.open_thread(two_teams["hr"], round_, Theme.get_by_id("growth"),
                                  Team.by_path("Acme"), "Training budget doubles.", "done"),
        conversations.open_thread(two_teams["sales_lead"], round_, Theme.get_by_id("workload"),
                                  two_teams["sales"], "Sales targets revisited.", "in_progress")]
    authors = list(Person.select().where(Person.role == "employee",
                                         Person.team == two_teams["platform"]).limit(3))
    for n, person in enumerate(authors):
        top = conversations.reply(person, threads[0], f"Anonymous note {n}", True)
        conversations.reply(person, threads[0], f"Nested note {n}", True,
                            parent_hex=top.id.hex())
    conversations.reply(authors[0], threads[0], "Signed note", False)
    return {"threads": threads, "anonymous": authors}


def test_the_export_is_a_static_site_whose_every_link_resolves(runner, board, tmp_path):
    out = tmp_path / "site"
    result = runner.invoke(args=["board", "export", str(out)])
    assert result.exit_code == 0, result.output
    assert "3 threads" in result.output
    files = sorted(os.listdir(out))
    assert files == sorted(["index.html", "app.css", "favicon.svg"] +
                           [f"thread-{t.id}.html" for t in board["threads"]])
    for name in (f for f in files if f.endswith(".html")):
        html = (out / name).read_text(encoding="utf-8")
        assert "<script" not in html and "<form" not in html and "csrf" not in html
        for link in links_in(out / name):
            if link.startswith("https://") or link.startswith("#"):
                continue
            assert not link.startswith("/"), (name, link)
            assert (out / link.split("#")[0]).is_file(), (name, link)
    thread_page = (out / f"thread-{board['threads'][0].id}.html").read_text(encoding="utf-8")
    assert "Release moved." in thread_page and "Nested note 2" in thread_page
    assert thread_page.count("An anonymous colleague") == 6 and "Signed note" in thread_page
    assert "Planned" in (out / "index.html").read_text(encoding="utf-8")


def test_the_export_never_names_an_anonymous_author(runner, board, tmp_path):
    runner.invoke(args=["board", "export", str(tmp_path / "site")])
    pages = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "site").glob("*.html"))
    first, *others = board["anonymous"]
    assert pages.count(first.name) == 1  # the one note they signed
    for person in others:
        assert person.name not in pages and person.email not in pages
    assert first.email not in pages
    assert not re.search(r"person|author_id|data-author", pages)


def test_the_export_for_one_team_holds_only_what_its_members_may_read(runner, board, tmp_path):
    out = tmp_path / "sales"
    assert runner.invoke(args=["board", "export", str(out), "--team", "Acme/Sales"]).exit_code == 0
    names = set(os.listdir(out))
    platform, organisation, sales = board["threads"]
    assert f"thread-{platform.id}.html" not in names
    assert {f"thread-{organisation.id}.html", f"thread-{sales.id}.html"} <= names


def test_figures_in_the_export_respect_the_thresholds(app, runner, board, tmp_path):
    app.extensions["heard_thresholds"] = Thresholds(12, 12)  # as if started with these
    runner.invoke(args=["board", "export", str(tmp_path / "site")])
    page = (tmp_path / "site" / f"thread-{board['threads'][0].id}.html").read_text()
    assert "Figures are not shown for this group" in page and "of 5" not in page
    app.extensions["heard_thresholds"] = Thresholds(5, 10)
    runner.invoke(args=["board", "export", str(tmp_path / "site")])
    page = (tmp_path / "site" / f"thread-{board['threads'][0].id}.html").read_text()
    assert "at least 5 answered" in page and "11 answered" not in page


def test_bad_export_arguments_get_a_clear_error(runner, board, tmp_path):
    unknown = runner.invoke(args=["board", "export", str(tmp_path / "x"), "--team", "Nope"])
    assert unknown.exit_code != 0 and "There is no team 'Nope'" in unknown.output
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    refused = runner.invoke(args=["board", "export", str(blocker)])
    assert refused.exit_code != 0 and "file" in refused.output.lower()
