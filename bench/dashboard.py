"""The themes dashboard and a theme page on a large organisation, timed in-process.

Issue 3's bar: 10,000 people in 400 teams, 12 closed weekly rounds, 50,000 answers a
round (5,000 respondents answering 10 questions; a third of them write a comment);
the dashboard and a theme page each at p50 < 150 ms and p99 < 400 ms, on SQLite and
on PostgreSQL.

The organisation is written straight into the tables the releases fill (sealed
responses and comments, counts, tallies, comment themes), as a year of real
releases would leave them. Requests go through Flask's test client with a signed-in
HR person (the whole organisation: the largest views) and a division leader, each
picking a random round and a random group they may see, in three states: warm (the
worker has served every round: the steady state), restart (a worker that has just
started: no cache, the stored round snapshots of app.results.snapshots), and first (the first
view ever of the rounds: no cache, no snapshot; 8 rounds worked out for the trend).

    python bench/dashboard.py [--pg postgresql://postgres@127.0.0.1:5432/heard_bench]
"""
import json
import os
import random
import re
import secrets
import statistics
import sys
import time
from collections import Counter
from datetime import datetime, timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from app import create_app, schema
from app.accounts import credentials
from app.crypto import blobs, keys
from app.db import db  # noqa: E402
from app.models import (  # noqa: E402
    AnswerCount, Comment, CommentTheme, Invitation, Participation, Person, Question, Response,
    Round, RoundSnapshot, Team, TeamLead, TeamTally, Theme)
from app.pulse import surveys, themes
from app.results import aggregates
from bench.setup import run_on_sqlite_and_postgres  # noqa: E402

PEOPLE, TEAMS, ROUNDS, RESPONDENTS = 10_000, 400, 12, 5_000
COMMENT_SHARE = 1 / 3
REQUESTS = 150
PASSWORD = "bench password, long enough"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
WORDS = ("deadline workload recognition career manager colleagues mission meetings stress "
         "laptop office thanks priorities burnout training feedback customers remote").split()


def build_teams():
    """Bigco, 8 divisions, 7 departments each, about 6 teams each: 400 in all."""
    rows = [("Bigco", None)]
    for d in range(8):
        division = f"Bigco/Division {d}"
        rows.append((division, "Bigco"))
        for p in range(7):
            department = f"{division}/Dept {p}"
            rows.append((department, division))
    leaves_needed = TEAMS - len(rows)
    departments = [path for path, parent in rows if path.count("/") == 2]
    for n in range(leaves_needed):
        rows.append((f"{departments[n % len(departments)]}/Team {n}",
                     departments[n % len(departments)]))
    ids = {}
    with db.atomic():
        for path, parent in rows:
            ids[path] = Team.create(name=path.rsplit("/", 1)[-1], path=path,
                                    parent=ids.get(parent)).id
    return ids


def seed(app, rng):
    started = time.perf_counter()
    with app.app_context():
        schema.upgrade()
        surveys.sync_surveys(app.config["SURVEYS_DIR"])
        team_ids = build_teams()
        leaves = [tid for path, tid in team_ids.items() if path.count("/") == 3]
        people = [{"email": f"p{n}@bigco.example", "name": f"Person {n}",
                   "team": leaves[n % len(leaves)], "role": "employee"} for n in range(PEOPLE)]
        with db.atomic():
            for chunk in range(0, PEOPLE, 500):
                Person.insert_many(people[chunk:chunk + 500]).execute()
        hr = Person.create(email="hr@bigco.example", name="HR", team=team_ids["Bigco"], role="hr")
        leader = Person.create(email="lead@bigco.example", name="Lead",
                               team=team_ids["Bigco/Division 3"], role="leader")
        TeamLead.create(person=leader, team=team_ids["Bigco/Division 3"])
        for person in (hr, leader):
            credentials.set_password(person, PASSWORD)
        person_rows = list(Person.select(Person.id, Person.team).where(Person.role == "employee")
                           .tuples())
        questions = list(Question.select().where(Question.survey == "weekly")
                         .order_by(Question.position))
        all_themes = list(Theme.select().order_by(Theme.key))
        start = datetime(2026, 1, 5)
        for r in range(ROUNDS):
            _seed_round(rng, r, start + timedelta(days=7 * r), team_ids["Bigco"], person_rows,
                        questions, all_themes)
    return time.perf_counter() - started, hr, leader


def _seed_round(rng, index, opens, root_id, person_rows, questions, all_themes):
    keyring = keys.current()
    with db.atomic():
        data_key = keyring.new_data_key()
        round_ = Round.create(survey="weekly", team=root_id, name=f"Weekly pulse · week {index + 1}",
                              opens_at=opens, closes_at=opens + timedelta(days=5),
                              closed_at=opens + timedelta(days=5), data_key=data_key)
        invitations = [{"round": round_.id, "person": pid, "team": tid, "counted_team": tid,
                        "salt": secrets.token_bytes(16), "token_hash": secrets.token_hex(32)}
                       for pid, tid in person_rows]
        for chunk in range(0, len(invitations), 1000):
            Invitation.insert_many(invitations[chunk:chunk + 1000]).execute()
        answered = rng.sample(person_rows, RESPONDENTS)
        Participation.insert_many([{"round": round_.id, "person": pid}
                                   for pid, _tid in answered]).execute()
        counts, tallies, responses, comments, routed = Counter(), Counter(), [], [], []
        for _pid, team_id in answered:
            tallies[team_id] += 1
            scores = {}
            for question in questions:
                if question.kind == "likert":
                    scores[question.key] = min(5, max(1, round(rng.gauss(3.6, 1))))
                elif question.kind == "enps":
                    scores[question.key] = min(10, max(0, round(rng.gauss(7, 2))))
                else:
                    continue
                counts[(team_id, question.id, scores[question.key])] += 1
            row_id = secrets.token_bytes(16)
            responses.append({"id": row_id, "round": round_.id, "team": team_id,
                              "sealed": keyring.seal(data_key.id, json.dumps(scores).encode(),
                                                     blobs.place("response", "sealed", row_id,
                                                                 round_.id))})
            if rng.random() < COMMENT_SHARE:
                text = " ".join(rng.choices(WORDS, k=8)) + "."
                row_id = secrets.token_bytes(16)
                text_question = questions[-1]
                comments.append({"id": row_id, "round": round_.id, "team": team_id,
                                 "question": text_question.id, "author": None,
                                 "sealed": keyring.seal(data_key.id, text.encode(),
                                                        blobs.place("comment", "sealed", row_id,
                                                                    round_.id))})
                routed += [{"round": round_.id, "theme": key, "team": team_id, "comment": row_id}
                           for key in themes.themes_of_comment(text, text_question.theme_id,
                                                               all_themes)]
        for model, rows in ((Response, responses), (Comment, comments), (CommentTheme, routed)):
            for chunk in range(0, len(rows), 500):
                model.insert_many(rows[chunk:chunk + 500]).execute()
        rows = [{"round": round_.id, "team": t, "question": q, "value": v, "count": n}
                for (t, q, v), n in counts.items()]
        for chunk in range(0, len(rows), 1000):
            AnswerCount.insert_many(rows[chunk:chunk + 1000]).execute()
        TeamTally.insert_many([{"round": round_.id, "team": t, "respondents": n}
                               for t, n in tallies.items()]).execute()


def signed_in_client(app, person):
    client = app.test_client()
    page = client.get("/signin").get_data(as_text=True)
    response = client.post("/signin", data={"email": person.email, "password": PASSWORD,
                                            "csrf_token": CSRF.search(page).group(1)})
    assert response.status_code == 303, response.status_code
    return client


def paths_for(app, person, rng, count):
    """Random (dashboard, theme page) paths over rounds and groups the person may see."""
    from app.accounts import scope
    with app.app_context():
        viewer = scope.Viewer(person)
        rounds = [r.id for r in viewer.closed_rounds()]
        top = viewer.tops[0]
        groups = [t.id for t in top.subtree()]
    theme_keys = ["workload", "recognition", "engagement", "communication"]
    picks = []
    for _ in range(count):
        query = f"round={rng.choice(rounds)}&team={rng.choice(groups[:60])}"
        picks.append((f"/themes?{query}", f"/themes/{rng.choice(theme_keys)}?{query}"))
    # The whole area (the heaviest view) as often as any single group.
    picks += [(f"/themes?round={r}&team={top.id}", f"/themes/workload?round={r}&team={top.id}")
              for r in rounds]
    rng.shuffle(picks)
    return picks, top.id


def timed(client, paths, mode="warm"):
    """Milliseconds per GET. mode: "warm" (the worker's cache as it is), "restart" (a
    worker that has just started: no cache, stored snapshots), "first" (a round's first
    view ever: no cache and no snapshot)."""
    times = []
    for path in paths:
        if mode != "warm":
            aggregates.forget_cached_facts()
        if mode == "first":
            RoundSnapshot.delete().execute()
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return times


def summary(label, times):
    times = sorted(times)
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    print(f"  {label:<34} n={len(times):<4} p50 {statistics.median(times):6.1f} ms"
          f"   p99 {p99:6.1f} ms   max {times[-1]:6.1f} ms", flush=True)


def run(database_url, directory):
    rng = random.Random(3)
    app = create_app({"DATABASE_URL": database_url, "KEY_FILE": f"{directory}/heard.keys",
                      "SECRET_KEY": "bench", "REQUIRE_MFA": False,
                      "SIGNIN_LIMIT_PER_ADDRESS": "1000 per minute"})
    seconds, hr, leader = seed(app, rng)
    engine = "PostgreSQL" if database_url.startswith("postgres") else "SQLite"
    print(f"{engine}: seeded {PEOPLE:,} people, {TEAMS} teams, {ROUNDS} rounds of "
          f"{RESPONDENTS:,} respondents x 10 answers in {seconds:.0f} s", flush=True)
    for who, person in (("HR (whole organisation)", hr), ("leader (one division)", leader)):
        client = signed_in_client(app, person)
        picks, top_id = paths_for(app, person, rng, REQUESTS)
        dashboards, theme_pages = [p[0] for p in picks], [p[1] for p in picks]
        # Warm up: every round once (the steady state of a worker that has served a while).
        timed(client, [p for p in dashboards if f"team={top_id}" in p] + dashboards[:20])
        print(f" {who}", flush=True)
        for mode, count in (("warm", len(picks)), ("restart", 60), ("first", 40)):
            summary(f"dashboard, {mode}", timed(client, dashboards[:count], mode))
            summary(f"theme page, {mode}", timed(client, theme_pages[:count], mode))
    db.close()


def main():
    run_on_sqlite_and_postgres(run, __doc__)


if __name__ == "__main__":
    main()
