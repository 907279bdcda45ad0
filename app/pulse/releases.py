"""Batch release: pending answers move into the results in shuffled batches of at least k.

Each group's answers wait in a pool (round × group), sealed under the pool's pending
key (app.crypto.pending_keys), never under the round's data key. Three rules keep every batch
at k or more, the close included:

- during the round a pool keeps k answers: when 2k wait, all but k are released, the
  k kept chosen at random and sealed again under a new pending key;
- at the close, a pool of k or more is released whole; a smaller one (a group that
  never reached k) is merged into the group above, deepest groups first; if the
  round's own team is then short, the smallest group with answers waiting joins it
  whole; only what is still under k with nothing to join is discarded — it could
  never be shown, and keeping it would tie answers to fewer than k people;
- after every release the older pending keys are destroyed, so what a submission left
  behind (log frames, dead tuples, archives) no longer opens.

Released answers are re-sealed under the round's data key with new random ids, in
shuffled order, in one transaction per batch; tallies are added in key order, so no
row order follows one person's answer.
"""
import json
import logging
import secrets
from collections import Counter

from peewee import EXCLUDED, fn

from app import storage
from app.crypto import blobs, keys, pending_keys
from app.db import Statement, write_transaction
from app.models import (
    AnswerCount, Comment, CommentTheme, PendingAnswer, Question, Response, Round, TeamTally, Theme,
    random_id)
from app.pulse import themes

log = logging.getLogger(__name__)
_shuffle = secrets.SystemRandom().shuffle
# Run after every submission, so its SQL is written once per worker (app.db.Statement).
_COUNT_PENDING = Statement(
    lambda round_id, team_id: PendingAnswer.select(fn.COUNT(PendingAnswer.id))
    .where(PendingAnswer.round == round_id, PendingAnswer.team == team_id))
_INSERT_PENDING = Statement(
    lambda row_id, round_id, team_id, sealed: PendingAnswer.insert(
        id=row_id, round=round_id, team=team_id, sealed=sealed))


# -- the pool ------------------------------------------------------------------------
def padded(payload, size):
    """The payload as JSON, padded with spaces (which JSON ignores) to `size` bytes:
    every pending answer of a round is the same size (answering.pending_size), so no
    remnant's length can be matched to a released answer or comment, nor mark one
    person out (one long comment, or a few words in Cyrillic, in a bucket of its own)."""
    data = json.dumps(payload, ensure_ascii=False).encode()
    if len(data) > size:
        raise ValueError(f"a pending answer of {len(data)} bytes does not fit in {size}")
    return data + b" " * (size - len(data))


def add_pending(round_id, team_id, payload, size):
    """Seal a payload, padded to `size`, under its pool's current pending key and
    insert it. Call inside the submission's write transaction."""
    pending_keys.lock_pool(round_id, team_id, exclusive=False)
    generation, aead = pending_keys.current(round_id, team_id)
    _insert_pending(aead, generation, round_id, team_id, payload, size)


def _insert_pending(aead, generation, round_id, team_id, payload, size):
    row_id = random_id()
    _INSERT_PENDING.execute(row_id, round_id, team_id, blobs.seal(
        aead, generation, padded(payload, size),
        blobs.place("pending_answer", "sealed", row_id, round_id)))


def _take(round_id, team_id):
    """Delete the pool's pending answers; return their payloads, in random order, and
    the size they were padded to (to seal again any that go back).
    Two releases racing for one pool are safe: DELETE … RETURNING runs in one SQLite
    writer at a time, and the release holds the pool's lock on PostgreSQL."""
    pending_keys.lock_pool(round_id, team_id, exclusive=True)
    taken = (PendingAnswer.delete()
             .where(PendingAnswer.round == round_id, PendingAnswer.team == team_id)
             .returning(PendingAnswer.id, PendingAnswer.sealed).tuples().execute())
    by_generation = pending_keys.keys_of(round_id, team_id)
    payloads, size = [], 0
    for row_id, sealed in taken:
        plaintext = _opened(by_generation, bytes(sealed),
                            blobs.place("pending_answer", "sealed", bytes(row_id), round_id))
        if plaintext is None:
            # Only after the database server lost its unlogged keys (a crash): nobody
            # can open the answer any more; say so, without a count.
            log.warning("round %s: a pending answer whose key was lost is dropped", round_id)
        else:
            payloads.append(json.loads(plaintext))
            size = max(size, len(plaintext))
    _shuffle(payloads)
    return payloads, size


def _opened(by_generation, sealed, place):
    """A pending answer's plaintext, opened with its pool key, or — sealed before
    pending keys existed (an upgrade) — with the round's data key; None when neither
    opens it."""
    aead = by_generation.get(blobs.key_id_of(sealed))
    try:
        if aead is not None:
            return blobs.open_blob(aead, sealed, place)
    except blobs.BlobError:
        pass  # a generation number that happens to equal an old data key's id
    try:
        return keys.current().open(sealed, place)
    except blobs.BlobError:
        return None


def _put_back(round_id, team_id, payloads, size):
    """Seal kept payloads under a new generation of the pool's key; returns it."""
    generation, aead = pending_keys.new_generation(round_id, team_id)
    for payload in payloads:
        _insert_pending(aead, generation, round_id, team_id, payload, size)
    return generation


# -- releasing -----------------------------------------------------------------------
def release_if_due(round_, team_id, k):
    """Release all but k of a pool's answers once 2k wait. Returns how many."""
    if _waiting(round_.id, team_id) >= 2 * k:
        return release_pool(round_, team_id, k, keep=k)
    return 0


def release_due(k, now=None):
    """Release every pool of an open round where 2k wait (one a submission left full
    when its own release failed). Returns how many answers were released."""
    waiting = (PendingAnswer.select(PendingAnswer.round, PendingAnswer.team)
               .where(PendingAnswer.round.in_(Round.open_at(now).select(Round.id)))
               .group_by(PendingAnswer.round, PendingAnswer.team)
               .having(fn.COUNT(PendingAnswer.id) >= 2 * k).tuples())
    released = 0
    for round_id, team_id in list(waiting):
        released += release_pool(Round.get_by_id(round_id), team_id, k, keep=k)
    return released


def release_pool(round_, team_id, k, keep):
    """Move all but `keep` of a pool's answers into the results, if that leaves a batch
    of at least k; the kept ones go back under a new pending key, and the older keys
    are destroyed. Returns how many were released."""
    keyring = keys.current()
    try:
        with write_transaction():
            payloads, size = _take(round_.id, team_id)
            if len(payloads) - keep < k:
                raise _TooFew()  # another release took them: roll the take back
            kept, batch = payloads[:keep], payloads[keep:]
            generation = _put_back(round_.id, team_id, kept, size) if kept else None
            questions = {q.key: q for q in
                         Question.select().where(Question.survey == round_.survey_id)}
            _insert_responses(keyring, round_, team_id, batch)
            _insert_comments(keyring, round_, team_id, batch, questions)
            _add_to_tallies(round_, team_id, batch, questions)
    except _TooFew:
        return 0
    pending_keys.destroy(round_.id, team_id, below=generation)
    storage.checkpoint_after_release()
    return len(batch)


class _TooFew(Exception):
    """Fewer pending answers than the release needs."""


def release_round(round_, k, parents):
    """Release everything pending in a closed round, never in a batch under k.

    parents: {group team id: the group above it, or None at the round's own team}
    (rounds.parent_groups). A pool under k is handed to the group above, deepest
    first (such a group never released anything: a group that did keeps k). If the
    round's own team then holds between 1 and k - 1, the smallest other group joins it
    *whole*, what it released included (the counting rule of rounds.counting_teams,
    applied to who answered), so no group's figures are left describing a sample of
    its people; only when nothing is left to join is it discarded. Returns how many
    answers were released.
    """
    top = round_.team_id
    for team_id in _pools_left(round_.id) - set(parents):
        # A pool of a group the invitations do not name (none today, but an old
        # database may have one) joins the round's own team.
        _hand_up(round_.id, team_id, top)
    for group in sorted(parents, key=lambda g: (-_depth(parents, g), g)):
        if group != top and 0 < _waiting(round_.id, group) < k:
            _hand_up(round_.id, group, parents[group])
    if 0 < _waiting(round_.id, top) < k:
        # Only a group with answers waiting can lift the top to k (one that released
        # everything adds nothing to the batch about to go out); any such group holds
        # k or more by now, so one is enough.
        sizes = _sizes_of_groups(round_.id)
        others = {g: sizes[g] for g in _pools_left(round_.id) - {top}}
        if others:
            _merge_whole(round_, min(others, key=lambda g: (others[g], g)), top)
        else:
            _discard(round_.id, top)
    released = sum(release_pool(round_, group, k, keep=0) for group in _pools_left(round_.id))
    pending_keys.destroy_round(round_.id)
    return released


def _depth(parents, group):
    depth, above = 0, parents[group]
    while above is not None:
        depth, above = depth + 1, parents.get(above)
    return depth


def _waiting(round_id, team_id):
    return _COUNT_PENDING.execute(round_id, team_id).fetchone()[0]


def _sizes_of_groups(round_id):
    """Counter(group -> answers pending and released) of a round."""
    sizes = Counter(dict(TeamTally.select(TeamTally.team, TeamTally.respondents)
                         .where(TeamTally.round == round_id).tuples()))
    sizes.update(dict(PendingAnswer.select(PendingAnswer.team, fn.COUNT(PendingAnswer.id))
                      .where(PendingAnswer.round == round_id)
                      .group_by(PendingAnswer.team).tuples()))
    return +sizes


def _merge_whole(round_, group, top):
    """Move a group into the round's own team: its pool, and what it released (plain
    counts added to the top's, in key order; sealed rows relabelled)."""
    if _waiting(round_.id, group):
        _hand_up(round_.id, group, top)
    with write_transaction():
        counts = list(AnswerCount.select(AnswerCount.question, AnswerCount.value,
                                         AnswerCount.count)
                      .where(AnswerCount.round == round_.id, AnswerCount.team == group)
                      .order_by(AnswerCount.question, AnswerCount.value).tuples())
        respondents = (TeamTally.select(TeamTally.respondents)
                       .where(TeamTally.round == round_.id, TeamTally.team == group).scalar())
        if respondents:
            _add_counts(round_.id, top, counts, respondents)
        for model in (AnswerCount, TeamTally):
            model.delete().where(model.round == round_.id, model.team == group).execute()
        for model in (Response, Comment, CommentTheme):
            model.update(team=top).where(model.round == round_.id, model.team == group).execute()


def _pools_left(round_id):
    return {row[0] for row in PendingAnswer.select(PendingAnswer.team)
            .where(PendingAnswer.round == round_id).distinct().tuples()}


def _hand_up(round_id, team_id, parent_id):
    """Move a small pool's answers into the pool of the group above."""
    with write_transaction():
        payloads, size = _take(round_id, team_id)
        pending_keys.lock_pool(round_id, parent_id, exclusive=True)
        generation, aead = pending_keys.current(round_id, parent_id)
        for payload in payloads:
            _insert_pending(aead, generation, round_id, parent_id, payload, size)
    pending_keys.destroy(round_id, team_id)


def _discard(round_id, team_id):
    """Drop a pool that ends the round under k at the round's own team with no other
    pool to join: no result could show it, and keeping it would leave answers tied to
    fewer than k people."""
    with write_transaction():
        _take(round_id, team_id)
    pending_keys.destroy(round_id, team_id)
    log.warning("round %s: answers of fewer than k people at its top team were not kept",
                round_id)


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
    counts = Counter((questions[key].id, value) for payload in payloads
                     for key, value in payload["scores"].items())
    _add_counts(round_.id, team_id, [(q, v, n) for (q, v), n in counts.items()],
                len(payloads))


def _add_counts(round_id, team_id, counts, respondents):
    """Add (question id, value, count) rows and respondents to a group's tallies.

    Rows go in key order: created in the order a batch first met each value, their
    storage order would spell out one person's answers (the first one's, in full)."""
    rows = [{"round": round_id, "team": team_id, "question": question_id,
             "value": value, "count": count}
            for question_id, value, count in sorted(counts)]
    if rows:
        (AnswerCount.insert_many(rows)
         .on_conflict(conflict_target=[AnswerCount.round, AnswerCount.team,
                                       AnswerCount.question, AnswerCount.value],
                      update={AnswerCount.count: AnswerCount.count + EXCLUDED.count})
         .execute())
    (TeamTally.insert(round=round_id, team=team_id, respondents=respondents)
     .on_conflict(conflict_target=[TeamTally.round, TeamTally.team],
                  update={TeamTally.respondents: TeamTally.respondents + respondents})
     .execute())
