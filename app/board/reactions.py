"""Reactions ("me too", "helpful") on threads and replies: one of each per person, item
and day, counted without a list of who reacted.

Why "per day": whatever lets the server refuse a second reaction also lets anyone who
holds the same data (a copy of the database and the key file) test every person
against every item. So the rule is kept only as long as the day lasts:

- a mark is HMAC(person | item | reaction) under a key made from a random secret of
  the day *and* the key file (a copy of the database alone tests nobody, even today);
- the secret lives in `reaction_key` and is destroyed, with the day's marks, as soon
  as Heard sees a later day (any board page, any reaction; the tick too). After that a
  mark is 32 random-looking bytes for everyone, Heard included.

So on a later day a person may react to the same item again. The counts stay honest
about what they are: reactions, at most one per person per day. See docs/board.md.
"""
import hashlib
import hmac
import os
from dataclasses import dataclass
from datetime import date

from peewee import IntegrityError

from app import errors, storage
from app.crypto import keys
from app.db import db, is_sqlite
from app.models import Post, ReactionMark, Thread, utcnow
from app.models.board import ReactionKey

REACTIONS = {"me_too": "Me too", "helpful": "Helpful"}
_LABEL = b"heard reactions/2"
SECRET_BYTES = 32


class ReactionError(errors.Invalid):
    """A reaction Heard does not have, or to a reply that is hidden."""


class AlreadyReacted(errors.Conflict):
    """This person already gave this reaction to this item today."""


@dataclass(frozen=True)
class MarkKey:
    """The key of one day's marks; never stored, gone with the day's secret."""
    day: date
    key: bytes


def mark_key(now=None):
    """Today's mark key (forgetting every earlier day's first)."""
    today = (now or utcnow()).date()
    forget_past_days(today)
    return MarkKey(today, derive_key(keys.current(), _secret_of(today)))


def derive_key(keyring, secret):
    """The mark key from the key file's link key and a day's secret: both are needed."""
    base = hmac.new(keyring.link_key, _LABEL, hashlib.sha256).digest()
    return hmac.new(base, secret, hashlib.sha256).digest()


def _secret_of(day):
    """The day's random secret, made by whichever worker needs it first."""
    row = ReactionKey.get_or_none(ReactionKey.day == day)
    if row is None:
        ReactionKey.insert(day=day, secret=os.urandom(SECRET_BYTES)).on_conflict_ignore() \
            .execute()
        row = ReactionKey.get(ReactionKey.day == day)
    return bytes(row.secret)


def forget_past_days(today=None):
    """Destroy the secrets and marks of every day before `today`. True if any were.

    On SQLite, secure_delete overwrites the deleted bytes and the write-ahead log is
    emptied (unless another connection is busy: then at the next checkpoint, which
    each release and each day's forgetting tries). On PostgreSQL the secrets' table is
    UNLOGGED (never in pg_wal or its archives) and is emptied with TRUNCATE, which gives
    it a new file: a DELETE would leave the secret readable in a dead tuple until VACUUM.
    """
    today = today or utcnow().date()
    if not (ReactionKey.select().where(ReactionKey.day < today).exists()
            or ReactionMark.select().where(ReactionMark.day < today).exists()):
        return False
    with db.atomic():
        ReactionMark.delete().where(ReactionMark.day < today).execute()
        _destroy_secrets_before(today)
    storage.checkpoint()  # SQLite: the log's frames that held the secret go too
    return True


def _destroy_secrets_before(today):
    if is_sqlite():
        ReactionKey.delete().where(ReactionKey.day < today).execute()
        return
    # Locked first, so two workers forgetting at once keep the same day's secret.
    db.execute_sql('LOCK TABLE "reaction_key" IN ACCESS EXCLUSIVE MODE')
    kept = [(row.day, bytes(row.secret))
            for row in ReactionKey.select().where(ReactionKey.day >= today)]
    db.execute_sql('TRUNCATE "reaction_key"')
    if kept:
        ReactionKey.insert_many(kept, fields=[ReactionKey.day, ReactionKey.secret]).execute()


def item_of(target):
    """'t12' for a thread, 'p<hex>' for a reply."""
    return f"t{target.id}" if isinstance(target, Thread) else f"p{bytes(target.id).hex()}"


def mark_of(key, person_id, item, kind):
    """The mark of one reaction under one key (also what an attacker would compute)."""
    return hmac.new(key, f"{person_id}|{item}|{kind}".encode(), hashlib.sha256).hexdigest()


def react(person, target, kind, key, thread):
    """Count one reaction of `person` on a thread or reply (of `thread`); `key` is
    today's mark_key."""
    if kind not in REACTIONS:
        raise ReactionError("Choose “Me too” or “Helpful”.")
    if isinstance(target, Post) and target.hidden_reason is not None:
        raise ReactionError("That reply was hidden by HR.")
    model = type(target)
    column = getattr(model, kind)
    try:
        with db.atomic():
            ReactionMark.create(mark=mark_of(key.key, person.id, item_of(target), kind),
                                day=key.day)
            model.update({column: column + 1}).where(model.id == target.id).execute()
            Thread.update(revision=Thread.revision + 1).where(Thread.id == thread.id).execute()
    except IntegrityError:
        raise AlreadyReacted(f"You already said “{REACTIONS[kind]}” here today; it counts "
                             f"once.") from None
    setattr(target, kind, getattr(target, kind) + 1)


def given(person, items, key):
    """{(item, kind)} among these items that the person already reacted with today."""
    wanted = {mark_of(key.key, person.id, item, kind): (item, kind)
              for item in items for kind in REACTIONS}
    if not wanted:
        return set()
    found = ReactionMark.select(ReactionMark.mark).where(ReactionMark.mark.in_(list(wanted)))
    return {wanted[row.mark] for row in found}
