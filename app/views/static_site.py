"""The board as a static site: plain HTML files and their stylesheet, for an intranet
or a shared folder, readable with no server and no JavaScript.

It holds what the live board shows any reader: threads, their status and timeline,
replies (an anonymous one as "an anonymous colleague", dated by day), reaction counts,
and only the figures that pass the thresholds. Links are relative, so the folder can
be moved anywhere.
"""
import os
import shutil

from flask import render_template

from app.accounts import scope
from app.board import conversations, listing
from app.views.assets import STATIC_DIR

ASSETS = ("app.css", "favicon.svg")


def thread_file(thread):
    return f"thread-{thread.id}.html"


def export(directory, thresholds, team=None):
    """Write the board into `directory`; returns the number of threads written.

    With `team`, only the threads a member of that team may read (their team's and
    those above it, up to the organisation-wide ones).
    """
    threads = listing.all_threads()
    if team is not None:
        threads = [t for t in threads if scope.within(team, t.team)]
    os.makedirs(directory, exist_ok=True)
    for name in os.listdir(directory):  # threads removed since the last export
        if name.startswith("thread-") and name.endswith(".html"):
            os.remove(os.path.join(directory, name))
    for name in ASSETS:
        shutil.copyfile(os.path.join(STATIC_DIR, name), os.path.join(directory, name))
    _write(directory, "index.html", render_template(
        "board/site/index.html", threads=threads, thread_href=thread_file,
        times=listing.response_times(threads)))
    for thread in threads:
        _write(directory, thread_file(thread), render_template(
            "board/site/thread.html", thread=thread, published=True,
            posts=conversations.posts_of(thread),
            summary=listing.summary(thread, thresholds),
            timeline=conversations.timeline(thread)))
    return len(threads)


def _write(directory, name, html):
    temporary = os.path.join(directory, f".{name}.tmp")
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(html)
    os.replace(temporary, os.path.join(directory, name))
