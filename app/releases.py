"""Batch release: pending answers move into the results in shuffled batches of at least k.

A team's results therefore never change by one person's answer: each release adds
k or more respondents at once (a round's close releases the rest). Each batch is
re-sealed under new random ids, in a transaction of its own, so nothing ties a
result row to the submission (or the participation row) it came from.
"""
import json
import secrets
from collections import defaultdict

from peewee import fn

from app import blobs, keys
from app.db import checkpoint, db, is_sqlite
from app.models import Comment, PendingAnswer, Question, QuestionTally, Response, TeamTally

_shuffle = secrets.SystemRandom().shuffle


def release_if_due(round_, team_id, batch_size):
    """Release the team's pending answers if there are at least batch_size of them."""
    pending = PendingAnswer.select().where(
        PendingAnswer.round == round_.id, PendingAnswer.team == team_id).count()
    if pending >= batch_size:
        return release_batch(round_, team_id, batch_size)
    return 0


def release_round(round_):
    """Release everything pending in a round, whatever the batch sizes (at close)."""
    team_ids = [row.team_id for row in PendingAnswer.select(PendingAnswer.team)
                .where(PendingAnswer.round == round_.id).distinct()]
    return sum(release_batch(round_, team_id, batch_size=1) for team_id in team_ids)


def release_batch(round_, team_id, batch_size):
    """Move a team's pending answers into the results if at least batch_size wait.

    Returns how many were released. Two releases racing for the same team are safe:
    SQLite serialises write transactions, PostgreSQL locks the pending rows.
    """
    keyring = keys.current()
    with db.atomic():
        query = PendingAnswer.select().where(
            PendingAnswer.round == round_.id, PendingAnswer.team == team_id)
        if not is_sqlite():
            query = query.for_update()
        pending = list(query)
        if len(pending) < batch_size or not pending:
            return 0
        payloads = [json.loads(keyring.open(
            row.sealed, blobs.place("pending_answer", "sealed", row.id, round_.id)))
            for row in pending]
        PendingAnswer.delete().where(PendingAnswer.id.in_([row.id for row in pending])).execute()
        questions = {q.key: q for q in Question.select().where(Question.survey == round_.survey_id)}
        _insert_responses(keyring, round_, team_id, payloads)
        _insert_comments(keyring, round_, team_id, payloads, questions)
        _add_to_tallies(round_, team_id, payloads, questions)
    checkpoint()
    return len(pending)


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
    rows = []
    for payload in payloads:
        for key, text in payload["comments"].items():
            row_id = secrets.token_bytes(16)
            rows.append({"id": row_id, "round": round_.id, "team": team_id,
                         "question": questions[key].id, "author": payload["author"],
                         "sealed": keyring.seal(round_.data_key_id, text.encode(),
                                                blobs.place("comment", "sealed", row_id,
                                                            round_.id))})
    _shuffle(rows)  # apart from the scores' order too: a comment does not point at its scores
    if rows:
        Comment.insert_many(rows).execute()


def _add_to_tallies(round_, team_id, payloads, questions):
    added = defaultdict(list)
    for payload in payloads:
        for key, value in payload["scores"].items():
            added[key].append(value)
    for key, values in added.items():
        question = questions[key]
        tally, _ = QuestionTally.get_or_create(
            round=round_.id, team=team_id, question=question.id,
            defaults={"counts_json": json.dumps([0] * len(question.scale))})
        counts = tally.counts
        for value in values:
            counts[question.scale.index(str(value))] += 1
        (QuestionTally.update(
            answers=QuestionTally.answers + len(values),
            total=QuestionTally.total + sum(values),
            favourable=QuestionTally.favourable + _favourable(question, values),
            promoters=QuestionTally.promoters + _count(question, values, "enps", 9, 10),
            detractors=QuestionTally.detractors + _count(question, values, "enps", 0, 6),
            counts_json=json.dumps(counts))
         .where(QuestionTally.round == round_.id, QuestionTally.team == team_id,
                QuestionTally.question == question.id)
         .execute())
    inserted = (TeamTally.insert(round=round_.id, team=team_id, respondents=len(payloads))
                .on_conflict(conflict_target=[TeamTally.round, TeamTally.team],
                             update={TeamTally.respondents:
                                     TeamTally.respondents + len(payloads)}))
    inserted.execute()


def _favourable(question, values):
    """Answers of 4 or 5 on a 1-5 scale."""
    return _count(question, values, "likert", 4, 5)


def _count(question, values, kind, low, high):
    if question.kind != kind:
        return 0
    return sum(1 for value in values if low <= value <= high)


def pending_count(round_):
    return PendingAnswer.select(fn.COUNT(PendingAnswer.id)).where(
        PendingAnswer.round == round_.id).scalar()
