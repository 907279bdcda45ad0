"""A round's dashboard decisions, kept in the database between worker restarts.

Working out what a round may show (app.results.aggregates) costs about 35 ms a round on a
large organisation, and a trend needs 8 rounds: a worker that has just started would
spend a quarter of a second or more on its first view. A closed round's counts never
change, so `rounds close-due` works each round out as it closes and stores the
result (as does any worker that finds none); later views read it (about 1 ms). A snapshot holds only sums per team group and the ids of the groups
that may show: nothing finer than the counts it was made from. It is used only while
its fingerprint (the round's tallies and the number of teams) still matches.
"""
import json
import logging

from peewee import EXCLUDED, DatabaseError

from app.db import write_transaction
from app.models import RoundSnapshot

log = logging.getLogger(__name__)
SAME_AS_SHOWN = "shown"  # a question answered by every respondent: its decision is `shown`


def dump(facts):
    """The decided parts of a RoundFacts, as JSON text."""
    return json.dumps({
        "tallies": facts.tallies,
        "respondents": facts.respondents,
        "comments": {team: dict(counts) for team, counts in facts.comments.items() if counts},
        "shown": sorted(facts.shown),
        "shown_questions": {q: SAME_AS_SHOWN if groups is facts.shown else sorted(groups)
                            for q, groups in facts.shown_questions.items()},
    }, separators=(",", ":"))


def parse(body):
    """dump()'s dict with its integer keys and sets restored."""
    raw = json.loads(body)
    shown = set(raw["shown"])
    return {
        "tallies": {int(t): n for t, n in raw["tallies"].items()},
        "respondents": {int(t): n for t, n in raw["respondents"].items()},
        "comments": {int(t): counts for t, counts in raw["comments"].items()},
        "shown": shown,
        "shown_questions": {int(q): shown if groups == SAME_AS_SHOWN else set(groups)
                            for q, groups in raw["shown_questions"].items()},
    }


def read(round_ids, thresholds):
    """{round id: (fingerprint, body)} of the snapshots stored for these thresholds."""
    rows = (RoundSnapshot.select(RoundSnapshot.round, RoundSnapshot.fingerprint,
                                 RoundSnapshot.body)
            .where(RoundSnapshot.round.in_(list(round_ids)), RoundSnapshot.k == thresholds.k,
                   RoundSnapshot.k_comments == thresholds.k_comments).tuples())
    return {round_id: (fingerprint, body) for round_id, fingerprint, body in rows}


def write(round_id, thresholds, fingerprint, facts):
    """Store (or replace) a round's snapshot. A snapshot is only a shortcut, so a write
    that fails (a busy or read-only database) is logged and the page goes on."""
    try:
        with write_transaction():
            (RoundSnapshot.insert(round=round_id, k=thresholds.k, k_comments=thresholds.k_comments,
                                  fingerprint=fingerprint, body=dump(facts))
             .on_conflict(conflict_target=[RoundSnapshot.round, RoundSnapshot.k,
                                           RoundSnapshot.k_comments],
                          update={RoundSnapshot.fingerprint: EXCLUDED.fingerprint,
                                  RoundSnapshot.body: EXCLUDED.body})
             .execute())
    except DatabaseError as error:
        log.warning("round %s: snapshot not stored (%s)", round_id, type(error).__name__)
