"""HR exports on the large organisation of the dashboard benchmark.

Issue 5's bar: the full themes export (12 rounds, 400 teams, the whole organisation)
in under 2 s; a 1,000,000-row comments export streamed with peak memory under 150 MB.

Both go through Flask's test client as a signed-in HR person, reading the response as
it streams. The themes export is timed warm (the worker has the rounds' decisions in
memory), after a restart (from the stored round snapshots) and the first time ever (no
snapshot: 12 rounds worked out). For the comments, 500,000 more comments (each about
two themes: 1,000,000 rows with the seeded ones) are added to the 12 rounds, and a
fresh process downloads them all while its peak resident memory is read.

    python bench/exports.py [--pg postgresql://postgres@127.0.0.1:5432/heard_bench]
"""
import gc
import json
import os
import random
import re
import secrets
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from app import create_app
from app.crypto import blobs, keys
from app.db import db  # noqa: E402
from app.models import (  # noqa: E402
    Comment, CommentTheme, Question, Round, RoundSnapshot, TeamTally)
from app.results import aggregates
from bench.dashboard import WORDS, seed, signed_in_client  # noqa: E402
from bench.setup import run_on_sqlite_and_postgres  # noqa: E402

EXTRA_COMMENTS = 500_000
COMMENT_ROWS_WANTED = 1_000_000
THEMES_RUNS = 7
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def settings(database_url, directory, **more):
    return {"DATABASE_URL": database_url, "KEY_FILE": f"{directory}/heard.keys",
            "SECRET_KEY": "bench", "REQUIRE_MFA": False, "ALLOW_COMMENT_EXPORT": True,
            "SIGNIN_LIMIT_PER_ADDRESS": "1000 per minute", **more}


def download(client, kind):
    """(seconds, bytes, rows) of one export, read chunk by chunk as it streams."""
    page = client.get("/exports").get_data(as_text=True)
    started = time.perf_counter()
    response = client.post("/exports", buffered=False,
                           data={"kind": kind, "csrf_token": CSRF.search(page).group(1)})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    size = lines = 0
    for chunk in response.response:
        size += len(chunk)
        lines += chunk.count(b"\r\n")
    response.close()
    return time.perf_counter() - started, size, lines - 1


def time_themes(client):
    for mode in ("warm", "restart", "first"):
        times = []
        for _ in range(THEMES_RUNS):
            if mode != "warm":
                aggregates.forget_cached_facts()
            if mode == "first":
                RoundSnapshot.delete().execute()
            seconds, size, rows = download(client, "themes")
            times.append(seconds)
        print(f"  themes.csv, {mode:<8} {rows:,} rows, {size / 1e6:.1f} MB: median "
              f"{statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms "
              f"(n={THEMES_RUNS})", flush=True)


def add_comments(rng, total):
    """`total` more comments over the 12 rounds, each routed to two themes."""
    keyring = keys.current()
    rounds = list(Round.select())
    question = (Question.select().where(Question.survey == "weekly", Question.kind == "text")
                .first())
    theme_keys = ["workload", "recognition", "growth", "manager", "wellbeing", "communication"]
    team_ids = [row[0] for row in TeamTally.select(TeamTally.team).distinct().tuples()]
    per_round = total // len(rounds)
    for round_ in rounds:
        aead = keyring.aead(round_.data_key_id)
        for start in range(0, per_round, 5000):
            comments, routed = [], []
            for _ in range(min(5000, per_round - start)):
                row_id = secrets.token_bytes(16)
                team_id = rng.choice(team_ids)
                text = " ".join(rng.choices(WORDS, k=12)) + "."
                comments.append({"id": row_id, "round": round_.id, "team": team_id,
                                 "question": question.id, "author": None,
                                 "sealed": blobs.seal(aead, round_.data_key_id, text.encode(),
                                                      blobs.place("comment", "sealed", row_id,
                                                                  round_.id))})
                routed += [{"round": round_.id, "theme": key, "team": team_id,
                            "comment": row_id} for key in rng.sample(theme_keys, 2)]
            with db.atomic():
                for chunk in range(0, len(comments), 500):
                    Comment.insert_many(comments[chunk:chunk + 500]).execute()
                for chunk in range(0, len(routed), 500):
                    CommentTheme.insert_many(routed[chunk:chunk + 500]).execute()


def run(database_url, directory):
    rng = random.Random(5)
    app = create_app(settings(database_url, directory))
    seconds, hr, _leader = seed(app, rng)
    engine = "PostgreSQL" if database_url.startswith("postgres") else "SQLite"
    print(f"{engine}: seeded the dashboard benchmark's organisation in {seconds:.0f} s",
          flush=True)
    client = signed_in_client(app, hr)
    time_themes(client)
    started = time.perf_counter()
    add_comments(rng, EXTRA_COMMENTS)
    rows = CommentTheme.select().count()
    print(f"  added {EXTRA_COMMENTS:,} comments ({rows:,} comment rows) in "
          f"{time.perf_counter() - started:.0f} s", flush=True)
    db.close()
    child = subprocess.run([sys.executable, os.path.abspath(__file__), "--comments-child",
                            database_url, directory, hr.email],
                           capture_output=True, text=True, check=True)
    result = json.loads(child.stdout.strip().splitlines()[-1])
    print(f"  comments.csv: {result['rows']:,} rows, {result['bytes'] / 1e6:.0f} MB in "
          f"{result['seconds']:.0f} s ({result['rows'] / result['seconds']:,.0f} rows/s); "
          f"peak resident memory {result['peak_mb']:.0f} MB "
          f"(resident before the export: {result['before_mb']:.0f} MB)", flush=True)
    assert result["rows"] >= COMMENT_ROWS_WANTED, result


def comments_child(database_url, directory, email):
    """In a fresh process: download every comment and report time and peak memory."""
    from app.models import Person
    app = create_app(settings(database_url, directory))
    hr = Person.get(Person.email == email)
    client = signed_in_client(app, hr)
    client.get("/exports")
    # Signing in hashes a password with argon2id, which takes 64 MiB for a moment:
    # reset the peak (Linux's clear_refs) so it is the export's that is read.
    gc.collect()
    with open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")
    before = _memory_mb("VmRSS")
    seconds, size, rows = download(client, "comments")
    peak = _memory_mb("VmHWM")
    print(json.dumps({"seconds": seconds, "bytes": size, "rows": rows, "peak_mb": peak,
                      "before_mb": before}))


def _memory_mb(field):
    """A field of /proc/self/status (VmRSS: resident now, VmHWM: peak), in MB."""
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise LookupError(field)


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "--comments-child":
        return comments_child(*sys.argv[2:])
    return run_on_sqlite_and_postgres(run, __doc__)


if __name__ == "__main__":
    main()
