"""Batch release: pending answers move into the results in shuffled batches of at least k.

A team's results therefore never change by one person's answer: each release adds
k or more respondents at once (a round's close releases the rest). Each batch is
re-sealed under new random ids, in a transaction of its own, so nothing ties a
result row to the submission (or the participation row) it came from.
"""
import json
import secrets
from collections import Counter

from peewee import EXCLUDED, fn

from app import blobs, keys, themes
from app.db import Statement, checkpoint, write_transaction
from app.models import (
    AnswerCount, Comment, CommentTheme, PendingAnswer, Question, Response, Round, TeamTally,
    Theme)

_shuffle = secrets.SystemRandom().shuffle
# Run after every submission, so its SQL is written once per worker (app.db.Statement).
_COUNT_PENDING = Statement(
    lambda round_id, team_id: PendingAnswer.select(fn.COUNT(PendingAnswer.id))
    .where(PendingAnswer.round == round_id, PendingAnswer.team == team_id))


def release_if_due(round_, team_id, batch_size):
    """Release the team's pending answers if there are at least batch_size of them."""
    pending = _COUNT_PENDING.execute(round_.id, team_id).fetchone()[0]
    if pending >= batch_size:
        return release_batch(round_, team_id, batch_size)
    return 0


def release_due(batch_size, now=None):
    """Release every full batch waiting in an open round (one a submission left
    pending when its own release failed). Returns how many answers were released."""
    waiting = (PendingAnswer.select(PendingAnswer.round, PendingAnswer.team)
               .where(PendingAnswer.round.in_(Round.open_at(now).select(Round.id)))
               .group_by(PendingAnswer.round, PendingAnswer.team)
               .having(fn.COUNT(PendingAnswer.id) >= batch_size).tuples())
    released = 0
    for round_id, team_id in list(waiting):
        released += release_batch(Round.get_by_id(round_id), team_id, batch_size)
    return released


def release_round(round_):
    """Release everything pending in a round, whatever the batch sizes (at close)."""
    team_ids = [row.team_id for row in PendingAnswer.select(PendingAnswer.team)
                .where(PendingAnswer.round == round_.id).distinct()]
    return sum(release_batch(round_, team_id, batch_size=1) for team_id in team_ids)


def release_batch(round_, team_id, batch_size):
    """Move a team's pending answers into the results if at least batch_size wait.

    Returns how many were released. Two releases racing for the same team are safe:
    the pending rows are taken with DELETE … RETURNING, which SQLite runs in one
    writer at a time and PostgreSQL row-locks, so no answer is released twice.
    """
    keyring = keys.current()
    try:
        with write_transaction():
            taken = list(PendingAnswer.delete()
                         .where(PendingAnswer.round == round_.id, PendingAnswer.team == team_id)
                         .returning(PendingAnswer.id, PendingAnswer.sealed).tuples().execute())
            if not taken or len(taken) < batch_size:
                raise _TooFew()  # rolls the delete back
            payloads = [json.loads(keyring.open(
                bytes(sealed), blobs.place("pending_answer", "sealed", bytes(row_id), round_.id)))
                for row_id, sealed in taken]
            questions = {q.key: q for q in
                         Question.select().where(Question.survey == round_.survey_id)}
            _insert_responses(keyring, round_, team_id, payloads)
            _insert_comments(keyring, round_, team_id, payloads, questions)
            _add_to_tallies(round_, team_id, payloads, questions)
    except _TooFew:
        return 0
    checkpoint()
    return len(taken)


class _TooFew(Exception):
    """Fewer pending answers than a batch needs (another release took them)."""


def _insert_responses(keyring, round_, team_id, payloads):
    rows = []
    for payload in payloads:
        row_id = secrets.token_bytes(16)
        rows.append({"id": row_id, "round": round_.id, "team": team_id,
                     "sealed": keyring.seal(round_.data_key_id,
                                            json.dumps(payload["scores"]).encode(),
                                            blobs.place("response", "sealed", row_id, round_.id))})
    _shuffle(rows)
    Response.insert_many(rows).execute()


def _insert_comments(keyring, round_, team_id, payloads, questions):
    rows, routed = [], []
    all_themes = list(Theme.select().order_by(Theme.key))
    for payload in payloads:
        for key, text in payload["comments"].items():
            row_id = secrets.token_bytes(16)
            # Routed now, while the text is in hand, so theme pages never decrypt to count.
            routed += [{"round": round_.id, "theme": theme_key, "team": team_id,
                        "comment": row_id}
                       for theme_key in themes.themes_of_comment(
                           text, questions[key].theme_id, all_themes)]
            rows.append({"id": row_id, "round": round_.id, "team": team_id,
                         "question": questions[key].id, "author": payload["author"],
                         "sealed": keyring.seal(round_.data_key_id, text.encode(),
                                                blobs.place("comment", "sealed", row_id,
                                                            round_.id))})
    _shuffle(rows)  # apart from the scores' order too: a comment does not point at its scores
    if rows:
        Comment.insert_many(rows).execute()
    _shuffle(routed)
    if routed:
        CommentTheme.insert_many(routed).execute()


def _add_to_tallies(round_, team_id, payloads, questions):
    """Add a batch to the team's counts: one upsert per table, no read."""
    counts = Counter((key, value) for payload in payloads
                     for key, value in payload["scores"].items())
    rows = [{"round": round_.id, "team": team_id, "question": questions[key].id,
             "value": value, "count": count} for (key, value), count in counts.items()]
    if rows:
        (AnswerCount.insert_many(rows)
         .on_conflict(conflict_target=[AnswerCount.round, AnswerCount.team,
                                       AnswerCount.question, AnswerCount.value],
                      update={AnswerCount.count: AnswerCount.count + EXCLUDED.count})
         .execute())
    (TeamTally.insert(round=round_.id, team=team_id, respondents=len(payloads))
     .on_conflict(conflict_target=[TeamTally.round, TeamTally.team],
                  update={TeamTally.respondents: TeamTally.respondents + len(payloads)})
     .execute())


