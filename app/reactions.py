"""Reactions ("me too", "helpful") on threads and replies: one of each per person and
item, counted without a list of who reacted.

The one-per-person rule keeps a keyed hash of (person, item, reaction) and nothing
else: no item column, no time, no person. Someone holding the database and the key
file could test a given person against a given item; nobody can read a list off it.
"""
import hashlib
import hmac

from peewee import IntegrityError

from app.db import db
from app.models import Post, ReactionMark, Thread

REACTIONS = {"me_too": "Me too", "helpful": "Helpful"}
_LABEL = b"heard reactions/1"


class ReactionError(Exception):
    status = 422


class AlreadyReacted(ReactionError):
    status = 409


def mark_key(keyring):
    """The reaction key, derived from the key file's link key (never stored)."""
    return hmac.new(keyring.link_key, _LABEL, hashlib.sha256).digest()


def item_of(target):
    """'t12' for a thread, 'p<hex>' for a reply."""
    return f"t{target.id}" if isinstance(target, Thread) else f"p{bytes(target.id).hex()}"


def _mark(key, person, item, kind):
    return hmac.new(key, f"{person.id}|{item}|{kind}".encode(), hashlib.sha256).hexdigest()


def react(person, target, kind, key, thread):
    """Count one reaction of `person` on a thread or reply (of `thread`)."""
    if kind not in REACTIONS:
        raise ReactionError("Choose “Me too” or “Helpful”.")
    if isinstance(target, Post) and target.hidden_reason is not None:
        raise ReactionError("That reply was hidden by HR.")
    model = type(target)
    column = getattr(model, kind)
    try:
        with db.atomic():
            ReactionMark.create(mark=_mark(key, person, item_of(target), kind))
            model.update({column: column + 1}).where(model.id == target.id).execute()
            Thread.update(revision=Thread.revision + 1).where(Thread.id == thread.id).execute()
    except IntegrityError:
        raise AlreadyReacted(f"You already said “{REACTIONS[kind]}” here; it counts once.") \
            from None
    setattr(target, kind, getattr(target, kind) + 1)


def given(person, items, key):
    """{(item, kind)} among these items that the person already reacted with."""
    wanted = {_mark(key, person, item, kind): (item, kind) for item in items for kind in REACTIONS}
    if not wanted:
        return set()
    found = ReactionMark.select(ReactionMark.mark).where(ReactionMark.mark.in_(list(wanted)))
    return {wanted[row.mark] for row in found}
